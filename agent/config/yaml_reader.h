#pragma once
// The YAML side of the config loader: a Reader that walks yaml-cpp nodes, converts scalars to
// typed values and reports every problem with a 1-based position and a breadcrumb path. It knows
// value types, ranges and map shapes; which keys exist where (the schema) stays in loader.cpp.
//
// Private to agent/config: it includes yaml-cpp, which the agent library links privately, so
// only loader.cpp and yaml_reader.cpp include it.
//
// Thread-safety: a Reader writes to one DiagnosticSink and is used by one load on one thread.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <climits>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/config/diagnostics.h"

namespace opspilot::agent::config_yaml {

namespace msg = config_messages;
using Keys = std::vector<std::string_view>;
using Severity = DiagnosticSeverity;
using Code = DiagnosticCode;

inline constexpr long long kNoMax = LLONG_MAX;

std::string child(const std::string& path, std::string_view key);
std::string item(const std::string& path, std::size_t i);

std::string describe(const YAML::Node& n);

// One key of a map, first occurrence only (later duplicates are reported and ignored).
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  std::string path;
};

struct MapView {
  std::vector<Entry> entries;
  const Entry* find(std::string_view key) const {
    for (const Entry& e : entries) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
};

// Keys that exist one level down, for "it belongs under" hints.
struct Nested {
  std::string_view parent;
  const Keys* keys;
};

// Walks YAML nodes, converting values and reporting problems with positions. Each read_* leaves
// `out` untouched and returns false when the key is absent or its value is bad (already reported).
class Reader {
 public:
  explicit Reader(DiagnosticSink& sink) : sink_(sink) {}

  void report(Severity severity, Code code, const YAML::Mark& mark, std::string path, std::string message);
  void error(Code code, const YAML::Node& at, std::string path, std::string message);
  void warning(Code code, const YAML::Node& at, std::string path, std::string message);
  // An error about the value of `e`.
  bool bad(const Entry& e, Code code, std::string message);

  SourcePos pos(const YAML::Node& n) const;

  // Where a value's problems point: the value, or its key when the value is empty (an empty
  // value has no text of its own to point at).
  static const YAML::Node& at(const Entry& e) { return e.value.IsNull() ? e.key_node : e.value; }

  // Checks `node` is a map (null counts as empty) and reports unknown and duplicate keys.
  // `known` null: any key is accepted (open maps such as labels).
  std::optional<MapView> map(const YAML::Node& node, const std::string& path, const Keys* known,
                             const std::vector<Nested>& nested = {});

  // map() of the value of an optional key; nullopt when the key is absent or not a map.
  std::optional<MapView> section(const Entry* e, const Keys* known);

  bool scalar(const Entry& e, std::string_view expected, std::string& out);

  bool read_string(const Entry* e, std::string& out);

  // `T`: long long or double. `text` receives the scalar as written, for messages.
  template <class T>
  std::optional<T> parse_number(const Entry& e, const std::string& expected, std::string& text) {
    if (!scalar(e, expected, text)) return std::nullopt;
    T v{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ptr != end || ec == std::errc::invalid_argument) {
      bad(e, Code::WrongType, msg::wrong_type(expected, describe(e.value)));
      return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range) {  // reported by the caller's range check
      if constexpr (std::is_floating_point_v<T>) {
        v = std::numeric_limits<T>::quiet_NaN();
      } else {
        v = text.front() == '-' ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
      }
    }
    return v;
  }

  template <class Int>
  bool read_int(const Entry* e, long long lo, long long hi, Int& out) {
    std::string text;
    const std::optional<long long> v = e ? parse_number<long long>(*e, msg::expect_integer(), text) : std::nullopt;
    if (!v) return false;
    if (*v < lo || *v > hi) {
      return bad(*e, Code::OutOfRange,
                 msg::out_of_range(e->key, text, hi == kNoMax ? msg::int_at_least(lo) : msg::int_between(lo, hi)));
    }
    out = static_cast<Int>(*v);
    return true;
  }

  bool read_number(const Entry* e, bool (*valid)(double), const std::string& expected, double& out);
  bool read_bool(const Entry* e, bool& out);
  bool read_duration(const Entry* e, Duration min, Duration& out);
  bool read_enum(const Entry* e, const Keys& allowed, std::string& out);
  bool read_url(const Entry* e, std::string& out);

  // A map of strings to strings (labels, HTTP headers).
  void read_string_map(const Entry* e, std::map<std::string, std::string>& out);

 private:
  void unknown_key(const YAML::Node& key, const std::string& name, const std::string& path,
                   const Keys& known, const std::vector<Nested>& nested);

  DiagnosticSink& sink_;
};

// Errors found at the end of input ("end of map flow not found") are marked past the last line;
// point just after the last non-blank character instead, so the caret has a line to sit under.
YAML::Mark end_of_text_clamped(YAML::Mark mark, std::string_view text);

}  // namespace opspilot::agent::config_yaml
