#pragma once
// The YAML side of the policy loader: walks the light YAML tree (yaml_tree.h), converts scalars
// to typed values and reports every problem with a 1-based position and a breadcrumb. Which keys
// exist where (the schema) stays in loader_read.cpp. Private to policies/ (the loader and the
// table tests include it).
// The loader-independent parts (paths, describe, entries, map views, reporting) are in yaml_common.h.
// Thread-safety: a Reader writes to one DiagnosticSink and serves one load on one thread.
#include <chrono>
#include <climits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/diagnostics.h"
#include "policies/document.h"
#include "policies/yaml_common.h"
#include "policies/yaml_tree.h"

namespace opspilot::policies::yaml {

namespace msg = messages;
using Keys = std::vector<std::string_view>;
using Entry = BasicEntry<Node>;
using MapView = BasicMapView<Node>;

class Reader : public ReaderBase<Code, Node> {
 public:
  explicit Reader(DiagnosticSink& sink) : ReaderBase(sink) {}

  SourcePos pos(const Node& n, std::string path) const;
  SourcePos pos(const Entry& e) const { return pos(at(e), e.path); }

  /// Checks `node` is a map (null = empty), reporting unknown (with a suggestion or "it belongs
  /// under") and duplicate keys. `known` null accepts any key.
  std::optional<MapView> map(const Node& node, const std::string& path, const Keys* known,
                             const std::map<std::string_view, std::string_view>& misplaced = {});
  std::optional<MapView> section(const Entry* e, const Keys* known,
                                 const std::map<std::string_view, std::string_view>& misplaced = {});

  // scalar() and read_string() come from ReaderBase.
  bool read_int(const Entry* e, long long lo, long long hi, int& out);
  bool read_int(const Entry* e, long long lo, long long hi, std::optional<int>& out);
  /// A number in [lo, hi]; `expected` says so in words.
  bool read_number(const Entry* e, double lo, double hi, std::string_view expected, std::optional<double>& out);
  bool read_bool(const Entry* e, bool& out);
  /// A duration in [min, max]; max defaults to 10 years (longer is surely a typo).
  bool read_duration(const Entry* e, std::chrono::seconds min, std::chrono::seconds& out,
                     std::chrono::seconds max = std::chrono::hours(24 * 3660));
  bool read_verdict(const Entry* e, const Keys& allowed, Verdict& out);
  bool read_enum(const Entry* e, const Keys& allowed, std::string& out);
  /// A list of strings (a single scalar counts as a one-item list).
  bool read_strings(const Entry* e, std::vector<std::string>& out);
  /// A list of action kind names -> bits; unknown kinds are errors with a suggestion.
  bool read_kinds(const Entry* e, std::uint32_t& out, std::string* text = nullptr);
  /// A single action kind name.
  bool read_kind(const Entry* e, std::string& name, std::uint32_t& bits);
  bool read_time_zone(const Entry* e, std::shared_ptr<const TimeZone>& out);
  bool read_time_of_day(const Entry* e, int& out);
  bool read_days(const Entry* e, std::bitset<7>& out);
  void read_string_map(const Entry* e, std::map<std::string, std::string>& out);
};

}  // namespace opspilot::policies::yaml
