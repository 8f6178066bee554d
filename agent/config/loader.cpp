#include "agent/config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <type_traits>

#include "agent/config/duration.h"

namespace opspilot::agent {
namespace {

namespace msg = config_messages;
using Keys = std::vector<std::string_view>;
using Severity = DiagnosticSeverity;
using Code = DiagnosticCode;

// The schema: known keys per map. Order matters only for suggestion ties.
const Keys kTopKeys{"mode",    "interval", "stale_after", "threads", "http",     "prometheus",
                    "scrape",  "actuator", "journal",     "clock",   "timeline", "targets"};
const Keys kHttpKeys{"listen"};
const Keys kPrometheusKeys{"url", "timeout", "retries", "backoff", "headers"};
const Keys kScrapeKeys{"timeout", "retries"};
const Keys kJournalKeys{"path", "fsync", "record_every_tick", "max_segment_bytes", "max_segments"};
const Keys kClockKeys{"speed", "start"};
const Keys kTargetKeys{"name",    "kind",     "namespace", "labels",          "scrape",
                       "metrics", "capacity", "limits",    "readiness_delay", "scale_down_window"};
const Keys kCapacityKeys{"per_replica", "target_utilization"};
const Keys kLimitsKeys{"min_replicas",  "max_replicas", "max_step_up",
                       "max_step_down", "cooldown_up",  "cooldown_down"};
const Keys kRoles(kSignalRoles.begin(), kSignalRoles.end());
const Keys kModes{"dry-run", "active"};
const Keys kKinds(kTargetKinds.begin(), kTargetKinds.end());
const Keys kActuators(kActuatorTypes.begin(), kActuatorTypes.end());

constexpr long long kNoMax = LLONG_MAX;

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string describe(const YAML::Node& n) {
  if (n.IsMap()) return msg::got_map();
  if (n.IsSequence()) return msg::got_list();
  if (!n.IsDefined() || n.IsNull()) return msg::got_null();
  const std::string& s = n.Scalar();
  return msg::got_scalar(s.size() > 60 ? s.substr(0, 57) + "..." : s);
}

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

  void report(Severity severity, Code code, const YAML::Mark& mark, std::string path, std::string message) {
    // yaml-cpp marks are 0-based (-1 when unknown); people count from 1.
    const bool known = mark.line >= 0;
    sink_.add(severity, code, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0, std::move(path),
              std::move(message));
  }
  void error(Code code, const YAML::Node& at, std::string path, std::string message) {
    report(Severity::Error, code, at.Mark(), std::move(path), std::move(message));
  }
  void warning(Code code, const YAML::Node& at, std::string path, std::string message) {
    report(Severity::Warning, code, at.Mark(), std::move(path), std::move(message));
  }
  // An error about the value of `e`.
  bool bad(const Entry& e, Code code, std::string message) {
    error(code, at(e), e.path, std::move(message));
    return false;
  }

  SourcePos pos(const YAML::Node& n) const {
    const YAML::Mark mark = n.Mark();
    if (mark.line < 0) return SourcePos{sink_.file(), 0, 0};
    return SourcePos{sink_.file(), mark.line + 1, mark.column + 1};
  }

  // Where a value's problems point: the value, or its key when the value is empty (an empty
  // value has no text of its own to point at).
  static const YAML::Node& at(const Entry& e) { return e.value.IsNull() ? e.key_node : e.value; }

  // Checks `node` is a map (null counts as empty) and reports unknown and duplicate keys.
  // `known` null: any key is accepted (open maps such as labels).
  std::optional<MapView> map(const YAML::Node& node, const std::string& path, const Keys* known,
                             const std::vector<Nested>& nested = {}) {
    MapView view;
    if (!node.IsDefined() || node.IsNull()) return view;
    if (!node.IsMap()) {
      error(Code::WrongType, node, path, msg::wrong_type(msg::expect_map(), describe(node)));
      return std::nullopt;
    }
    for (const auto& kv : node) {  // copies: yaml-cpp's iterator hands out temporaries
      const YAML::Node key = kv.first;
      if (!key.IsScalar()) {
        error(Code::WrongType, key, path, msg::wrong_type(msg::expect_key(), describe(key)));
        continue;
      }
      const std::string name = key.Scalar();
      if (const Entry* first = view.find(name)) {
        error(Code::DuplicateKey, key, child(path, name), msg::duplicate_key(name, pos(first->key_node).line));
      } else if (known != nullptr && std::find(known->begin(), known->end(), name) == known->end()) {
        unknown_key(key, name, path, *known, nested);
      } else {
        view.entries.push_back(Entry{name, key, kv.second, child(path, name)});
      }
    }
    return view;
  }

  // map() of the value of an optional key; nullopt when the key is absent or not a map.
  std::optional<MapView> section(const Entry* e, const Keys* known) {
    return e != nullptr ? map(e->value, e->path, known) : std::nullopt;
  }

  bool scalar(const Entry& e, std::string_view expected, std::string& out) {
    if (!e.value.IsScalar()) return bad(e, Code::WrongType, msg::wrong_type(expected, describe(e.value)));
    out = e.value.Scalar();
    return true;
  }

  bool read_string(const Entry* e, std::string& out) {
    std::string s;
    if (e == nullptr || !scalar(*e, msg::expect_string(), s)) return false;
    if (s.empty()) return bad(*e, Code::EmptyValue, msg::empty_value(e->key));
    out = std::move(s);
    return true;
  }

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

  bool read_number(const Entry* e, bool (*valid)(double), const std::string& expected, double& out) {
    std::string text;
    const std::optional<double> v = e ? parse_number<double>(*e, msg::expect_number(), text) : std::nullopt;
    if (!v) return false;
    if (!std::isfinite(*v) || !valid(*v)) return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, text, expected));
    out = *v;
    return true;
  }

  bool read_bool(const Entry* e, bool& out) {
    std::string s;
    if (e == nullptr || !scalar(*e, msg::expect_bool(), s)) return false;
    // YAML 1.2 core schema spellings only: "yes"/"on" are strings there, and meant differently
    // by different tools, so they are refused rather than guessed.
    if (s != "true" && s != "True" && s != "TRUE" && s != "false" && s != "False" && s != "FALSE") {
      return bad(*e, Code::WrongType, msg::wrong_type(msg::expect_bool(), describe(e->value)));
    }
    out = s[0] == 't' || s[0] == 'T';
    return true;
  }

  bool read_duration(const Entry* e, Duration min, Duration& out) {
    std::string s, reason;
    if (e == nullptr || !scalar(*e, msg::expect_duration(), s)) return false;
    const std::optional<Duration> d = parse_duration(s, &reason);
    if (!d) return bad(*e, Code::BadDuration, msg::bad_duration(reason));
    if (*d < min) {
      return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, s, msg::duration_at_least(format_duration(min))));
    }
    out = *d;
    return true;
  }

  bool read_enum(const Entry* e, const Keys& allowed, std::string& out) {
    std::string s;
    if (e == nullptr || !scalar(*e, msg::expect_string(), s)) return false;
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      return bad(*e, Code::BadEnum, msg::bad_enum(e->key, s, allowed));
    }
    out = std::move(s);
    return true;
  }

  bool read_url(const Entry* e, std::string& out) {
    std::string s;
    if (!read_string(e, s)) return false;
    if (!is_http_url(s)) return bad(*e, Code::BadUrl, msg::bad_url(s));
    out = std::move(s);
    return true;
  }

  // A map of strings to strings (labels, HTTP headers).
  void read_string_map(const Entry* e, std::map<std::string, std::string>& out) {
    const std::optional<MapView> m = section(e, nullptr);
    if (!m) return;
    for (const Entry& kv : m->entries) {
      std::string v;
      if (scalar(kv, msg::expect_string(), v)) out[kv.key] = v;
    }
  }

 private:
  void unknown_key(const YAML::Node& key, const std::string& name, const std::string& path,
                   const Keys& known, const std::vector<Nested>& nested) {
    // An exact key of a nested section is a clearer hint than a spelling suggestion.
    for (const Nested& n : nested) {
      if (std::find(n.keys->begin(), n.keys->end(), name) != n.keys->end()) {
        error(Code::UnknownKey, key, child(path, name), msg::misplaced_key(name, n.parent));
        return;
      }
    }
    const std::optional<std::string> suggestion = closest_match(name, known);
    error(Code::UnknownKey, key, child(path, name), msg::unknown_key(name, suggestion.value_or("")));
  }

  DiagnosticSink& sink_;
};

// Errors found at the end of input ("end of map flow not found") are marked past the last line;
// point just after the last non-blank character instead, so the caret has a line to sit under.
YAML::Mark end_of_text_clamped(YAML::Mark mark, std::string_view text) {
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  if (last == std::string_view::npos || mark.pos <= static_cast<int>(last)) return mark;
  const std::size_t line_start = text.rfind('\n', last);
  mark.line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(last), '\n'));
  mark.column = static_cast<int>(last - (line_start == std::string_view::npos ? 0 : line_start + 1)) + 1;
  return mark;
}

// A key that was present but whose value was refused (and already reported).
bool refused(const Entry* e, bool ok) { return e != nullptr && !ok; }
bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }
bool utilization(double v) { return v > 0 && v <= 1; }

void load_prometheus(Reader& r, const Entry* e, PrometheusSpec& p) {
  const std::optional<MapView> m = r.section(e, &kPrometheusKeys);
  if (!m) return;
  r.read_url(m->find("url"), p.url);
  r.read_duration(m->find("timeout"), Duration(1), p.timeout);
  r.read_int(m->find("retries"), 0, 100, p.retries);
  r.read_duration(m->find("backoff"), Duration(0), p.backoff);
  r.read_string_map(m->find("headers"), p.headers);
}

void load_actuator(Reader& r, const Entry* e, ActuatorSpec& a) {
  if (e == nullptr) return;
  // Open map: every key but `type` is a backend setting, checked by the backend's factory.
  const std::optional<MapView> m = r.map(e->value, e->path, nullptr);
  if (!m) return;
  r.read_enum(m->find("type"), kActuators, a.type);
  for (const Entry& kv : m->entries) {
    std::string v;
    if (kv.key == "type" || !r.scalar(kv, msg::expect_string(), v)) continue;
    a.settings[kv.key] = v;
  }
  // The settings every HTTP-based backend shares are checked here, where positions are known.
  if (const Entry* url = m->find("url")) {
    std::string ignored;
    r.read_url(url, ignored);
  } else if (a.type == "webhook") {
    r.error(Code::MissingKey, e->key_node, e->path, msg::missing_key_for("url", "the webhook actuator needs it"));
  }
  Duration ignored{};
  r.read_duration(m->find("timeout"), Duration(1), ignored);
}

void load_journal(Reader& r, const Entry* e, JournalSpec& j) {
  const std::optional<MapView> m = r.section(e, &kJournalKeys);
  if (!m) return;
  r.read_string(m->find("path"), j.path);
  r.read_bool(m->find("fsync"), j.fsync);
  r.read_bool(m->find("record_every_tick"), j.record_every_tick);
  r.read_int(m->find("max_segment_bytes"), 4096, kNoMax, j.max_segment_bytes);
  r.read_int(m->find("max_segments"), 1, 1'000'000, j.max_segments);
}

void load_clock(Reader& r, const Entry* e, ClockSpec& c) {
  const std::optional<MapView> m = r.section(e, &kClockKeys);
  if (!m) return;
  r.read_number(m->find("speed"), positive, msg::number_positive(), c.speed);
  if (const Entry* start = m->find("start")) {
    std::string s;
    if (r.scalar(*start, msg::expect_time(), s)) {
      c.start = parse_rfc3339(s);
      if (!c.start) r.error(Code::BadTime, Reader::at(*start), start->path, msg::bad_time(s));
    }
  }
}

void load_limits(Reader& r, const Entry* e, LimitsSpec& l) {
  const std::optional<MapView> m = r.section(e, &kLimitsKeys);
  if (!m) return;
  const bool min_ok = r.read_int(m->find("min_replicas"), 0, 1'000'000, l.min_replicas);
  const bool max_ok = r.read_int(m->find("max_replicas"), 1, 1'000'000, l.max_replicas);
  r.read_int(m->find("max_step_up"), 0, 1'000'000, l.max_step_up);
  r.read_int(m->find("max_step_down"), 0, 1'000'000, l.max_step_down);
  r.read_duration(m->find("cooldown_up"), Duration(0), l.cooldown_up);
  r.read_duration(m->find("cooldown_down"), Duration(0), l.cooldown_down);
  // Compare what will be used, defaults included: `min_replicas: 12` alone is above the default 10.
  // Skip when either value was refused, so one typo does not yield two errors.
  const Entry* min = m->find("min_replicas");
  const Entry* max = m->find("max_replicas");
  if (!refused(min, min_ok) && !refused(max, max_ok) && l.min_replicas > l.max_replicas) {
    r.bad(min ? *min : *max, Code::Inconsistent, msg::min_above_max(l.min_replicas, l.max_replicas));
  }
}

void load_metrics(Reader& r, const Entry* e, const YAML::Node& target, const std::string& path,
                  TargetSpec& t) {
  if (e == nullptr) {
    r.error(Code::MissingKey, target, path, msg::missing_key("metrics"));
    return;
  }
  const std::optional<MapView> m = r.map(e->value, e->path, &kRoles);
  if (!m) return;
  for (const Entry& role : m->entries) {
    std::string query;
    if (r.read_string(&role, query)) t.signals[role.key] = SignalSpec{query, r.pos(role.value)};
  }
  if (m->find("load") == nullptr) r.error(Code::MissingKey, e->key_node, e->path, msg::missing_key("load"));
}

// `controller`: prometheus.url was given (even if it was bad, to avoid a cascade of errors).
void load_target(Reader& r, const YAML::Node& node, const std::string& path, bool controller, TargetSpec& t) {
  const std::optional<MapView> m = r.map(
      node, path, &kTargetKeys,
      {{"limits", &kLimitsKeys}, {"capacity", &kCapacityKeys}, {"metrics", &kRoles}});
  t.pos = r.pos(node);
  if (!m) return;
  if (const Entry* name = m->find("name")) {
    std::string s;
    if (r.read_string(name, s)) {
      t.name = s;  // kept even when bad, so later messages can name the target
      if (!is_dns_label(s)) r.error(Code::BadName, Reader::at(*name), name->path, msg::bad_name("target name", s));
    }
  } else {
    r.error(Code::MissingKey, node, path, msg::missing_key("name"));
  }
  r.read_enum(m->find("kind"), kKinds, t.kind);
  if (const Entry* ns = m->find("namespace"); ns != nullptr && r.read_string(ns, t.namespace_) &&
                                              !is_dns_label(t.namespace_)) {
    r.error(Code::BadName, Reader::at(*ns), ns->path, msg::bad_name("namespace", t.namespace_));
  }
  r.read_string_map(m->find("labels"), t.labels);
  const Entry* scrape = m->find("scrape");
  r.read_url(scrape, t.scrape_url);
  load_metrics(r, m->find("metrics"), node, path, t);
  if (const std::optional<MapView> cm = r.section(m->find("capacity"), &kCapacityKeys)) {
    r.read_number(cm->find("per_replica"), non_negative, msg::number_non_negative(), t.capacity.per_replica);
    r.read_number(cm->find("target_utilization"), utilization, msg::number_positive_at_most_one(),
                  t.capacity.target_utilization);
  }
  load_limits(r, m->find("limits"), t.limits);
  r.read_duration(m->find("readiness_delay"), Duration(0), t.readiness_delay);
  r.read_duration(m->find("scale_down_window"), Duration(0), t.scale_down_window);

  const std::string& label = t.name.empty() ? path : t.name;
  if (controller && scrape != nullptr) {
    r.warning(Code::ScrapeIgnored, Reader::at(*scrape), scrape->path, msg::scrape_ignored(label));
    t.scrape_url.clear();  // Config's contract: empty in controller mode
  } else if (!controller && scrape == nullptr) {
    r.error(Code::MissingScrape, node, path, msg::missing_scrape(label));
  }
}

void load_targets(Reader& r, const Entry* e, const YAML::Node& root, bool controller, Config& c) {
  if (e == nullptr) {
    r.error(Code::MissingKey, root, "", msg::missing_key("targets"));
    return;
  }
  if (e->value.IsNull() || (e->value.IsSequence() && e->value.size() == 0)) {
    r.error(Code::OutOfRange, Reader::at(*e), e->path, msg::no_targets());
    return;
  }
  if (!e->value.IsSequence()) {
    r.error(Code::WrongType, e->value, e->path, msg::wrong_type(msg::expect_list(), describe(e->value)));
    return;
  }
  std::map<std::string, int> first_line;  // name -> line of its first definition
  for (std::size_t i = 0; i < e->value.size(); ++i) {
    const YAML::Node node = e->value[i];
    const std::string path = item(e->path, i);
    TargetSpec t;
    load_target(r, node, path, controller, t);
    if (!t.name.empty()) {  // a name was read, so `node` is a map with a "name" key
      const YAML::Node name = node["name"];
      const auto [it, inserted] = first_line.emplace(t.name, r.pos(name).line);
      if (!inserted) r.error(Code::DuplicateName, name, child(path, "name"), msg::duplicate_target(t.name, it->second));
    }
    c.targets.push_back(std::move(t));
  }
}

void load_root(Reader& r, const YAML::Node& root, Config& c) {
  const std::optional<MapView> m =
      r.map(root, "", &kTopKeys, {{"http", &kHttpKeys}, {"journal", &kJournalKeys}, {"clock", &kClockKeys}});
  if (!m) return;
  std::string mode;
  if (r.read_enum(m->find("mode"), kModes, mode)) c.mode = mode == "active" ? Mode::Active : Mode::DryRun;
  const bool interval_ok = r.read_duration(m->find("interval"), std::chrono::seconds(1), c.interval);
  const bool stale_ok = r.read_duration(m->find("stale_after"), std::chrono::seconds(1), c.stale_after);
  r.read_int(m->find("threads"), 1, 256, c.threads);
  if (const std::optional<MapView> hm = r.section(m->find("http"), &kHttpKeys)) {
    const Entry* listen = hm->find("listen");
    std::string s;
    if (r.read_string(listen, s) && (is_listen_address(s) || r.bad(*listen, Code::BadAddress, msg::bad_address(s)))) {
      c.listen = s;
    }
  }
  const Entry* prometheus = m->find("prometheus");
  load_prometheus(r, prometheus, c.prometheus);
  if (const std::optional<MapView> sm = r.section(m->find("scrape"), &kScrapeKeys)) {
    r.read_duration(sm->find("timeout"), Duration(1), c.scrape.timeout);
    r.read_int(sm->find("retries"), 0, 100, c.scrape.retries);
  }
  load_actuator(r, m->find("actuator"), c.actuator);
  load_journal(r, m->find("journal"), c.journal);
  load_clock(r, m->find("clock"), c.clock);
  r.read_string(m->find("timeline"), c.timeline_path);
  bool controller = !c.prometheus.url.empty();
  if (prometheus != nullptr && prometheus->value.IsMap() && prometheus->value["url"].IsDefined()) controller = true;
  load_targets(r, m->find("targets"), root, controller, c);

  // As with min/max replicas: defaults count, refused values do not.
  const Entry* interval = m->find("interval");
  const Entry* stale = m->find("stale_after");
  if (!refused(interval, interval_ok) && !refused(stale, stale_ok) && c.stale_after < c.interval) {
    const Entry* where = stale ? stale : interval;
    r.bad(*where, Code::Inconsistent,
          msg::stale_below_interval(format_duration(c.stale_after), format_duration(c.interval)));
  }
}

}  // namespace

std::size_t LoadResult::error_count() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                                [](const Diagnostic& d) { return d.is_error(); }));
}
std::size_t LoadResult::warning_count() const { return diagnostics.size() - error_count(); }
std::string LoadResult::report() const { return format_diagnostics(diagnostics); }

LoadResult load_config_string(std::string_view text, const std::string& virtual_name) {
  LoadResult result;
  result.config.file = virtual_name;
  DiagnosticSink sink(virtual_name, text);
  Reader reader(sink);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // The one place exceptions appear: yaml-cpp reports syntax errors only by throwing.
    reader.report(Severity::Error, Code::YamlSyntax, end_of_text_clamped(e.mark, text), "",
                  msg::yaml_syntax(e.msg));
  }
  if (sink.diagnostics().empty()) {
    if (!root.IsDefined() || root.IsNull()) {
      reader.report(Severity::Error, Code::WrongType, YAML::Mark::null_mark(), "", msg::empty_document());
    } else {
      load_root(reader, root, result.config);
    }
  }
  result.diagnostics = sink.take_sorted();
  return result;
}

LoadResult load_config_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string reason;
  if (!fs::exists(path, ec)) {
    reason = ec ? ec.message() : std::strerror(ENOENT);
  } else if (fs::is_directory(path, ec)) {
    reason = "it is a directory, not a file";
  } else {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    const int open_errno = errno;
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.bad()) return load_config_string(text.str(), path);
    }
    reason = open_errno != 0 ? std::strerror(open_errno) : "read failed";
  }
  LoadResult result;
  result.config.file = path;
  result.diagnostics.push_back(Diagnostic{Severity::Error, Code::FileUnreadable, path, 0, 0, "",
                                          msg::file_unreadable(path, reason), ""});
  return result;
}

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool is_http_url(std::string_view s) {
  std::string_view rest;
  if (s.rfind("http://", 0) == 0) {
    rest = s.substr(7);
  } else if (s.rfind("https://", 0) == 0) {
    rest = s.substr(8);
  } else {
    return false;
  }
  if (std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; })) return false;
  const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  return !host.empty() && host.front() != ':';
}

bool is_listen_address(std::string_view s) {
  std::string_view host, port;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
  }
  if (host.empty() || port.empty() || port.size() > 5) return false;
  if (host.find_first_of(" \t/") != std::string_view::npos) return false;
  int value = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return false;
    value = value * 10 + (ch - '0');
  }
  return value <= 65535;
}

}  // namespace opspilot::agent
