#include "agent/config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "agent/config/duration.h"
#include "agent/config/loader_access.h"
#include "agent/config/yaml_reader.h"

namespace opspilot::agent {
namespace {

namespace msg = config_messages;
namespace fs = std::filesystem;
using config_access::LoadContext;
using config_yaml::child;
using config_yaml::describe;
using config_yaml::end_of_text_clamped;
using config_yaml::Entry;
using config_yaml::item;
using config_yaml::Keys;
using config_yaml::kNoMax;
using config_yaml::MapView;
using config_yaml::Reader;
using Severity = DiagnosticSeverity;
using Code = DiagnosticCode;

// The schema: known keys per map. Order matters only for suggestion ties.
const Keys kTopKeys{"mode",    "interval",    "stale_after", "threads",   "http",      "prometheus",
                    "scrape",  "actuator",    "journal",     "clock",     "timeline",  "environment",
                    "policies", "approvals",  "api",         "leader_election", "targets"};
const Keys kHttpKeys{"listen"};
const Keys kPrometheusKeys{"url", "timeout", "retries", "backoff", "headers"};
const Keys kScrapeKeys{"timeout", "retries"};
const Keys kJournalKeys{"path", "fsync", "record_every_tick", "max_segment_bytes", "max_segments", "max_in_memory"};
const Keys kClockKeys{"speed", "start"};
const Keys kTargetKeys{"name",     "kind",     "namespace", "labels",          "environment",
                       "scrape",   "metrics",  "capacity",  "limits",          "readiness_delay",
                       "scale_down_window",    "forecast",  "slo",             "remediation"};
const Keys kForecastKeys{"model",    "step",         "history",    "refit_every",
                         "level",    "quantile",     "max_mase",   "min_coverage", "min_scored",
                         "min_confidence"};
const Keys kRemediationKeys{"enabled",      "persist_ticks",      "latency_factor",  "error_ratio",
                            "dependency_error_ratio", "restarts", "restart_window",  "deploy_window",
                            "follow_up_deploy_window", "pod_outlier_factor", "saturation",
                            "baseline_window", "settle",          "recovery_window",
                            "strong_evidence_factor"};
const Keys kSloKeys{"objective", "window", "latency"};
const Keys kForecastModelNames(kForecastModels.begin(), kForecastModels.end());
const Keys kCapacityKeys{"per_replica", "target_utilization", "max_utilization"};
const Keys kLimitsKeys{"min_replicas",  "max_replicas", "max_step_up",
                       "max_step_down", "cooldown_up",  "cooldown_down"};
const Keys kRoles(kSignalRoles.begin(), kSignalRoles.end());
const Keys kModes{"dry-run", "active"};
const Keys kKinds(kTargetKinds.begin(), kTargetKinds.end());
const Keys kActuators(kActuatorTypes.begin(), kActuatorTypes.end());

// A key that was present but whose value was refused (and already reported).
bool refused(const Entry* e, bool ok) { return e != nullptr && !ok; }
bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }
bool utilization(double v) { return v > 0 && v <= 1; }
bool level(double v) { return v > 0 && v < 1; }
bool ratio(double v) { return v >= 0 && v <= 1; }
bool percent(double v) { return v > 0 && v < 100; }
bool upper_quantile(double v) { return v >= 0.5 && v < 1; }
bool factor(double v) { return v >= 1; }
std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void load_forecast(Reader& r, const Entry* e, ForecastSpec& f) {
  const std::optional<MapView> m = r.section(e, &kForecastKeys);
  if (!m) return;
  r.read_enum(m->find("model"), kForecastModelNames, f.model);
  r.read_duration(m->find("step"), std::chrono::seconds(1), f.step);
  r.read_duration(m->find("history"), std::chrono::minutes(1), f.history);
  r.read_duration(m->find("refit_every"), std::chrono::minutes(1), f.refit_every);
  r.read_number(m->find("level"), level, msg::number_level(), f.level);
  r.read_number(m->find("quantile"), upper_quantile, "an upper quantile in [0.5, 1), e.g. 0.9", f.quantile);
  r.read_number(m->find("max_mase"), non_negative, msg::number_non_negative(), f.max_mase);
  r.read_number(m->find("min_coverage"), ratio, msg::number_ratio(), f.min_coverage);
  r.read_int(m->find("min_scored"), 1, 1'000'000, f.min_scored);
  r.read_number(m->find("min_confidence"), ratio, msg::number_ratio(), f.min_confidence);
}

void load_remediation(Reader& r, const Entry* e, RemediationSpec& s) {
  const std::optional<MapView> m = r.section(e, &kRemediationKeys);
  if (!m) return;
  r.read_bool(m->find("enabled"), s.enabled);
  r.read_int(m->find("persist_ticks"), 1, 1000, s.persist_ticks);
  r.read_number(m->find("strong_evidence_factor"), +[](double v) { return v == 0 || v >= 1; },
                "0 (always wait persist_ticks) or a factor >= 1, e.g. 2", s.strong_evidence_factor);
  r.read_number(m->find("latency_factor"), factor, "a factor >= 1, e.g. 1.5", s.latency_factor);
  r.read_number(m->find("error_ratio"), ratio, msg::number_ratio(), s.error_ratio);
  r.read_number(m->find("dependency_error_ratio"), ratio, msg::number_ratio(), s.dependency_error_ratio);
  r.read_number(m->find("restarts"), positive, "a positive number of restarts, e.g. 2", s.restarts);
  r.read_duration(m->find("restart_window"), std::chrono::seconds(1), s.restart_window);
  r.read_duration(m->find("deploy_window"), std::chrono::seconds(1), s.deploy_window);
  r.read_duration(m->find("follow_up_deploy_window"), std::chrono::seconds(1), s.follow_up_deploy_window);
  r.read_number(m->find("pod_outlier_factor"), factor, "a factor >= 1, e.g. 3", s.pod_outlier_factor);
  r.read_number(m->find("saturation"), utilization, "a utilisation in (0, 1], e.g. 0.85", s.saturation);
  r.read_duration(m->find("baseline_window"), std::chrono::seconds(1), s.baseline_window);
  r.read_duration(m->find("settle"), std::chrono::seconds(0), s.settle);
  r.read_duration(m->find("recovery_window"), std::chrono::seconds(1), s.recovery_window);
}

void load_slo(Reader& r, const Entry* e, SloSpec& s) {
  const std::optional<MapView> m = r.section(e, &kSloKeys);
  if (!m) return;
  r.read_number(m->find("objective"), percent, msg::number_percent(),
                s.objective);
  r.read_duration(m->find("window"), std::chrono::hours(1), s.window);
  Duration latency{0};
  if (r.read_duration(m->find("latency"), Duration(1), latency))
    s.latency_seconds = std::chrono::duration<double>(latency).count();
}

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
  r.read_int(m->find("max_in_memory"), 1, 10'000'000, j.max_in_memory);
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
      {{"limits", &kLimitsKeys}, {"capacity", &kCapacityKeys}, {"metrics", &kRoles},
       {"forecast", &kForecastKeys}, {"slo", &kSloKeys}});
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
  r.read_string(m->find("environment"), t.environment);  // empty: the top-level default, below
  const Entry* scrape = m->find("scrape");
  r.read_url(scrape, t.scrape_url);
  load_metrics(r, m->find("metrics"), node, path, t);
  if (const std::optional<MapView> cm = r.section(m->find("capacity"), &kCapacityKeys)) {
    r.read_number(cm->find("per_replica"), non_negative, msg::number_non_negative(), t.capacity.per_replica);
    // `auto` (or no value) learns the utilisation; a number pins it.
    const Entry* tu = cm->find("target_utilization");
    bool tu_ok = true;
    if (tu != nullptr && !(tu->value.IsScalar() && tu->value.Scalar() == "auto")) {
      t.capacity.learn_utilization = false;
      tu_ok = r.read_number(tu, utilization, msg::number_positive_at_most_one() + " or auto",
                            t.capacity.target_utilization);
    }
    const Entry* mu = cm->find("max_utilization");
    const bool max_ok = r.read_number(mu, utilization, msg::number_positive_at_most_one(), t.capacity.max_utilization);
    // Only a max_utilization written here is checked: the default (0.9) matters only when learning.
    if (mu != nullptr && max_ok) {
      if (!t.capacity.learn_utilization && tu_ok && t.capacity.max_utilization < t.capacity.target_utilization) {
        r.bad(*mu, Code::Inconsistent,
              msg::max_below_target_utilization(mu->value.Scalar(), tu->value.Scalar()));
      } else if (t.capacity.learn_utilization && t.capacity.max_utilization < CapacitySpec{}.target_utilization) {
        r.bad(*mu, Code::Inconsistent,
              msg::max_below_auto_start(mu->value.Scalar(), number_text(CapacitySpec{}.target_utilization)));
      }
    }
  }
  load_limits(r, m->find("limits"), t.limits);
  r.read_duration(m->find("readiness_delay"), Duration(0), t.readiness_delay);
  r.read_duration(m->find("scale_down_window"), Duration(0), t.scale_down_window);
  load_forecast(r, m->find("forecast"), t.forecast);
  load_slo(r, m->find("slo"), t.slo);
  load_remediation(r, m->find("remediation"), t.remediation);

  const std::string& label = t.name.empty() ? path : t.name;
  // The planner sizes from per-replica capacity (configured, or estimated from saturation) and
  // the current count: without either, every tick holds. Legal, so a warning, at the target.
  if (m->find("metrics") != nullptr) {
    const bool no_capacity = t.capacity.per_replica <= 0 && t.signals.count("saturation") == 0;
    const bool no_replicas = t.signals.count("replicas") == 0;
    if (no_capacity || no_replicas)
      r.warning(Code::CannotScale, node, path, msg::cannot_scale(label, no_replicas, no_capacity));
  }
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

void load_root(LoadContext& ctx, const YAML::Node& root, Config& c) {
  Reader& r = ctx.reader;
  const std::optional<MapView> m =
      r.map(root, "", &kTopKeys,
            {{"http", &kHttpKeys}, {"journal", &kJournalKeys}, {"clock", &kClockKeys},
             {"policies", &config_access::kPolicyKeys}, {"approvals", &config_access::kApprovalsKeys},
             {"api", &config_access::kApiKeys}, {"leader_election", &config_access::kLeaderElectionKeys}});
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
  r.read_string(m->find("environment"), c.environment);
  config_access::load_policies(ctx, m->find("policies"), c.policies);
  config_access::load_approvals(ctx, m->find("approvals"), c.approvals);
  config_access::load_api(ctx, m->find("api"), c.api);
  config_access::load_leader_election(ctx, m->find("leader_election"), c.leader_election);
  bool controller = !c.prometheus.url.empty();
  if (prometheus != nullptr && prometheus->value.IsMap() && prometheus->value["url"].IsDefined()) controller = true;
  load_targets(r, m->find("targets"), root, controller, c);
  for (TargetSpec& t : c.targets) {
    if (t.environment.empty()) t.environment = c.environment;
  }

  // As with min/max replicas: defaults count, refused values do not.
  const Entry* interval = m->find("interval");
  const Entry* stale = m->find("stale_after");
  if (!refused(interval, interval_ok) && !refused(stale, stale_ok) && c.stale_after < c.interval) {
    const Entry* where = stale ? stale : interval;
    r.bad(*where, Code::Inconsistent,
          msg::stale_below_interval(format_duration(c.stale_after), format_duration(c.interval)));
  }
}

// `base_dir`: where relative paths in the file (policies, secret files) start; empty = the
// current directory.
LoadResult load_text(std::string_view text, const std::string& virtual_name, const fs::path& base_dir) {
  LoadResult result;
  result.config.file = virtual_name;
  DiagnosticSink sink(virtual_name, text);
  Reader reader(sink);
  LoadContext ctx{reader, base_dir, {}};
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
      load_root(ctx, root, result.config);
    }
  }
  result.diagnostics = sink.take_sorted();
  config_access::redact(result.diagnostics, ctx.redactions);
  return result;
}

}  // namespace

std::size_t LoadResult::error_count() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                                [](const Diagnostic& d) { return d.is_error(); }));
}
std::size_t LoadResult::warning_count() const { return diagnostics.size() - error_count(); }
std::string LoadResult::report() const { return format_diagnostics(diagnostics); }

LoadResult load_config_string(std::string_view text, const std::string& virtual_name) {
  return load_text(text, virtual_name, fs::path());
}

LoadResult load_config_file(const std::string& path) {
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
      if (!in.bad()) return load_text(text.str(), path, fs::path(path).parent_path());
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
