#pragma once
// The YAML side of the config loader: a Reader that walks yaml-cpp nodes, converts scalars to
// typed values and reports every problem with a 1-based position and a breadcrumb path. It knows
// value types, ranges and map shapes; which keys exist where (the schema) stays in loader.cpp.
//
// Private to agent/config: it includes yaml-cpp, which the agent library links privately, so
// only loader.cpp and yaml_reader.cpp include it.
//
// The loader-independent parts (paths, describe, Entry, MapView, reporting at marks) are shared
// with the policy loader in policies/yaml_common.h.
//
// Thread-safety: a Reader writes to one DiagnosticSink and is used by one load on one thread.
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
#include "policies/yaml_common.h"

namespace opspilot::agent::config_yaml {

namespace msg = config_messages;
using Keys = std::vector<std::string_view>;
using Severity = DiagnosticSeverity;
using Code = DiagnosticCode;

inline constexpr long long kNoMax = LLONG_MAX;

using policies::yaml::child;
using policies::yaml::describe;
using policies::yaml::end_of_text_clamped;
using policies::yaml::item;
using Entry = policies::yaml::BasicEntry<YAML::Node>;
using MapView = policies::yaml::BasicMapView<YAML::Node>;

// Keys that exist one level down, for "it belongs under" hints.
struct Nested {
  std::string_view parent;
  const Keys* keys;
};

// Walks YAML nodes, converting values and reporting problems with positions. Each read_* leaves
// `out` untouched and returns false when the key is absent or its value is bad (already reported).
class Reader : public policies::yaml::ReaderBase<Code, YAML::Node> {
 public:
  explicit Reader(DiagnosticSink& sink) : ReaderBase(sink) {}

  SourcePos pos(const YAML::Node& n) const;

  // Checks `node` is a map (null counts as empty) and reports unknown and duplicate keys.
  // `known` null: any key is accepted (open maps such as labels).
  std::optional<MapView> map(const YAML::Node& node, const std::string& path, const Keys* known,
                             const std::vector<Nested>& nested = {});

  // map() of the value of an optional key; nullopt when the key is absent or not a map.
  std::optional<MapView> section(const Entry* e, const Keys* known);

  // scalar() and read_string() come from ReaderBase.

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
};

}  // namespace opspilot::agent::config_yaml
