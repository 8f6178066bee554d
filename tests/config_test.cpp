// Tests of opspilot.yaml loading (agent/config): inline YAML cases with the exact expected
// messages (built from the same config_messages the loader uses) and positions, in the style of
// Falco's engine tests. Also suggestions, formatting and the shipped example files; type, range,
// duplicate, mode and syntax errors are in config_errors_test.cpp, durations and RFC 3339 times
// in duration_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/config/diagnostics.h"
#include "agent/config/duration.h"
#include "agent/config/loader.h"
#include "tests/config_test_support.h"
#include "tests/test_support.h"

namespace opspilot::agent {
namespace {

using namespace config_test;

namespace msg = config_messages;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// ---- suggestions ----

TEST(Suggestions, ClosestMatchOnlyWhenPlausible) {
  EXPECT_EQ(edit_distance("intreval", "interval"), 1u);  // one transposition
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  const std::vector<std::string_view> keys{"interval", "stale_after", "threads", "targets"};
  EXPECT_EQ(closest_match("intreval", keys), "interval");
  EXPECT_EQ(closest_match("target", keys), "targets");
  EXPECT_EQ(closest_match("thread", keys), "threads");
  EXPECT_EQ(closest_match("zzz", keys), std::nullopt);
  EXPECT_EQ(closest_match("completely_different", keys), std::nullopt);
}

// ---- valid configs ----

TEST(ConfigLoader, MinimalConfigTakesDefaultsFromConfigH) {
  const LoadResult r = load(kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty());
  const Config defaults;
  const Config& c = r.config;
  EXPECT_EQ(c.file, "test.yaml");
  EXPECT_EQ(c.mode, defaults.mode);
  EXPECT_EQ(c.interval, defaults.interval);
  EXPECT_EQ(c.stale_after, defaults.stale_after);
  EXPECT_EQ(c.listen, defaults.listen);
  EXPECT_EQ(c.threads, defaults.threads);
  EXPECT_EQ(c.prometheus.url, "");
  EXPECT_EQ(c.prometheus.retries, defaults.prometheus.retries);
  EXPECT_EQ(c.actuator.type, "dry-run");
  EXPECT_EQ(c.journal.path, defaults.journal.path);
  EXPECT_EQ(c.journal.max_segment_bytes, defaults.journal.max_segment_bytes);
  EXPECT_FALSE(c.clock.start.has_value());
  EXPECT_FALSE(c.controller_mode());
  ASSERT_EQ(c.targets.size(), 1u);
  const TargetSpec& t = c.targets[0];
  const TargetSpec target_defaults;
  EXPECT_EQ(t.name, "web");
  EXPECT_EQ(t.kind, target_defaults.kind);
  EXPECT_EQ(t.namespace_, target_defaults.namespace_);
  EXPECT_EQ(t.scrape_url, "http://127.0.0.1:9464/services/web/metrics");
  EXPECT_EQ(t.capacity.target_utilization, target_defaults.capacity.target_utilization);
  EXPECT_EQ(t.limits.min_replicas, target_defaults.limits.min_replicas);
  EXPECT_EQ(t.limits.max_replicas, target_defaults.limits.max_replicas);
  EXPECT_EQ(t.limits.cooldown_down, target_defaults.limits.cooldown_down);
  EXPECT_EQ(t.readiness_delay, target_defaults.readiness_delay);
  ASSERT_EQ(t.signals.count("load"), 1u);
  EXPECT_EQ(t.signals.at("load").query, "sum(rate(http_requests_total[1m]))");
  EXPECT_EQ(t.pos.line, 2);
  EXPECT_EQ(t.pos.column, 5);
}

TEST(ConfigLoader, FullConfigSetsEveryField) {
  const LoadResult r = load(R"(
mode: active
interval: 30s
stale_after: 3m
threads: 4
http:
  listen: "0.0.0.0:9999"
prometheus:
  url: https://prom.example:9090
  timeout: 7s
  retries: 5
  backoff: 1s500ms
  headers:
    Authorization: "Bearer x"
    X-Scope-OrgID: team-a
scrape:
  timeout: 4s
  retries: 2
actuator:
  type: webhook
  url: http://127.0.0.1:8080/hook
  timeout: 2s
journal:
  path: /var/lib/opspilot
  fsync: false
  record_every_tick: true
  max_segment_bytes: 1048576
  max_segments: 3
clock:
  speed: 60
  start: 2026-01-05T00:00:00Z
timeline: /tmp/timeline.csv
targets:
  - name: checkout
    kind: StatefulSet
    namespace: shop
    labels: {tier: web, team: payments}
    metrics:
      load: sum(rate(http_requests_total{service="checkout"}[1m]))
      replicas: kube_statefulset_replicas{statefulset="checkout"}
      ready_replicas: kube_statefulset_status_replicas_ready{statefulset="checkout"}
      saturation: avg(cpu_utilization{service="checkout"})
      latency: histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))
      errors: sum(rate(http_requests_total{code=~"5.."}[1m]))
    capacity: {per_replica: 50, target_utilization: 0.6}
    limits: {min_replicas: 3, max_replicas: 30, max_step_up: 5, max_step_down: 2, cooldown_up: 90s, cooldown_down: 10m}
    readiness_delay: 45s
    scale_down_window: 15m
  - name: search
    kind: AutoScalingGroup
    metrics: {load: sum(search_qps), replicas: max(asg_desired), saturation: avg(asg_cpu)}
)");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty()) << r.report();
  const Config& c = r.config;
  EXPECT_EQ(c.mode, Mode::Active);
  EXPECT_EQ(c.interval, seconds(30));
  EXPECT_EQ(c.stale_after, minutes(3));
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.listen, "0.0.0.0:9999");
  EXPECT_EQ(c.prometheus.url, "https://prom.example:9090");
  EXPECT_EQ(c.prometheus.timeout, seconds(7));
  EXPECT_EQ(c.prometheus.retries, 5);
  EXPECT_EQ(c.prometheus.backoff, milliseconds(1500));
  EXPECT_EQ(c.prometheus.headers, (std::map<std::string, std::string>{{"Authorization", "Bearer x"},
                                                                        {"X-Scope-OrgID", "team-a"}}));
  EXPECT_EQ(c.scrape.timeout, seconds(4));
  EXPECT_EQ(c.scrape.retries, 2);
  EXPECT_EQ(c.actuator.type, "webhook");
  EXPECT_EQ(c.actuator.settings, (std::map<std::string, std::string>{{"url", "http://127.0.0.1:8080/hook"},
                                                                       {"timeout", "2s"}}));
  EXPECT_EQ(c.journal.path, "/var/lib/opspilot");
  EXPECT_FALSE(c.journal.fsync);
  EXPECT_TRUE(c.journal.record_every_tick);
  EXPECT_EQ(c.journal.max_segment_bytes, 1048576u);
  EXPECT_EQ(c.journal.max_segments, 3);
  EXPECT_EQ(c.clock.speed, 60.0);
  ASSERT_TRUE(c.clock.start.has_value());
  EXPECT_EQ(format_rfc3339(*c.clock.start), "2026-01-05T00:00:00Z");
  EXPECT_EQ(c.timeline_path, "/tmp/timeline.csv");
  EXPECT_TRUE(c.controller_mode());
  ASSERT_EQ(c.targets.size(), 2u);
  const TargetSpec& t = c.targets[0];
  EXPECT_EQ(t.name, "checkout");
  EXPECT_EQ(t.kind, "StatefulSet");
  EXPECT_EQ(t.namespace_, "shop");
  EXPECT_EQ(t.labels, (std::map<std::string, std::string>{{"tier", "web"}, {"team", "payments"}}));
  EXPECT_EQ(t.scrape_url, "");
  ASSERT_EQ(t.signals.size(), 6u);
  EXPECT_EQ(t.signals.at("load").query, "sum(rate(http_requests_total{service=\"checkout\"}[1m]))");
  EXPECT_EQ(t.signals.at("errors").query, "sum(rate(http_requests_total{code=~\"5..\"}[1m]))");
  EXPECT_EQ(t.signals.at("latency").query,
            "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))");
  // Positions of each query, so checks of the PromQL text can point inside the file.
  EXPECT_EQ(t.signals.at("load").pos.line, 38);
  EXPECT_EQ(t.signals.at("load").pos.column, 13);
  EXPECT_EQ(t.signals.at("load").pos.file, "test.yaml");
  EXPECT_EQ(t.signals.at("ready_replicas").pos.line, 40);
  EXPECT_EQ(t.signals.at("ready_replicas").pos.column, 23);
  EXPECT_EQ(t.capacity.per_replica, 50.0);
  EXPECT_EQ(t.capacity.target_utilization, 0.6);
  EXPECT_EQ(t.limits.min_replicas, 3);
  EXPECT_EQ(t.limits.max_replicas, 30);
  EXPECT_EQ(t.limits.max_step_up, 5);
  EXPECT_EQ(t.limits.max_step_down, 2);
  EXPECT_EQ(t.limits.cooldown_up, seconds(90));
  EXPECT_EQ(t.limits.cooldown_down, minutes(10));
  EXPECT_EQ(t.readiness_delay, seconds(45));
  EXPECT_EQ(t.scale_down_window, minutes(15));
  EXPECT_EQ(t.pos.line, 33);
  EXPECT_EQ(t.pos.column, 5);
  EXPECT_EQ(c.targets[1].name, "search");
  EXPECT_EQ(c.targets[1].kind, "AutoScalingGroup");
  EXPECT_EQ(c.targets[1].signals.at("load").query, "sum(search_qps)");
  EXPECT_EQ(c.targets[1].signals.at("load").pos.line, 50);
  EXPECT_EQ(c.targets[1].signals.at("load").pos.column, 21);
}

// ---- unknown keys ----

TEST(ConfigLoader, TargetUtilizationIsLearnedUnlessANumberPinsIt) {
  const auto capacity = [](const std::string& yaml) {
    const LoadResult r = load(kTarget + "    capacity: " + yaml + "\n");
    EXPECT_TRUE(r.ok()) << r.report();
    return r.ok() ? r.config.targets.front().capacity : CapacitySpec{};
  };
  const CapacitySpec none = capacity("{per_replica: 50}");
  EXPECT_TRUE(none.learn_utilization);
  EXPECT_DOUBLE_EQ(none.target_utilization, 0.7);
  EXPECT_DOUBLE_EQ(none.max_utilization, 0.9);
  const CapacitySpec automatic = capacity("{target_utilization: auto, max_utilization: 0.85}");
  EXPECT_TRUE(automatic.learn_utilization);
  EXPECT_DOUBLE_EQ(automatic.max_utilization, 0.85);
  const CapacitySpec pinned = capacity("{target_utilization: 0.6}");
  EXPECT_FALSE(pinned.learn_utilization);
  EXPECT_DOUBLE_EQ(pinned.target_utilization, 0.6);

  const LoadResult bad = load(kTarget + "    capacity: {target_utilization: fast, max_utilization: 2}\n");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.report().find("capacity.target_utilization"), std::string::npos) << bad.report();
  EXPECT_NE(bad.report().find("max_utilization is 2; expected a number in (0, 1]"), std::string::npos) << bad.report();
}

TEST(ConfigLoader, UnknownTopLevelKeySuggestsTheClosest) {
  const LoadResult r = load("mode: dry-run\nintreval: 15s\n" + kTarget.substr(1));
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_diag(r, 2, 1, DiagnosticCode::UnknownKey, "intreval", msg::unknown_key("intreval", "interval"));
  EXPECT_EQ(msg::unknown_key("intreval", "interval"), "unknown key \"intreval\"; did you mean \"interval\"?");
  EXPECT_EQ(format_diagnostic(r.diagnostics[0]),
            "test.yaml:2:1: error: unknown key \"intreval\"; did you mean \"interval\"? (at intreval)\n"
            "  intreval: 15s\n"
            "  ^\n");
}

TEST(ConfigLoader, UnknownNestedKeyHasExactPositionAndPath) {
  const LoadResult r = load(R"(
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
  - name: api
    scrape: http://127.0.0.1:9464/services/api/metrics
    metrics: {load: sum(y), replicas: max(r), saturation: avg(cpu)}
    limits:
      min_replicas: 1
      max_replicsa: 3
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_diag(r, 10, 7, DiagnosticCode::UnknownKey, "targets[1].limits.max_replicsa",
              msg::unknown_key("max_replicsa", "max_replicas"));
  EXPECT_EQ(format_diagnostic(r.diagnostics[0]),
            "test.yaml:10:7: error: unknown key \"max_replicsa\"; did you mean \"max_replicas\"? "
            "(at targets[1].limits.max_replicsa)\n"
            "        max_replicsa: 3\n"
            "        ^\n");
}

TEST(ConfigLoader, UnknownKeyWithNothingCloseHasNoSuggestion) {
  const LoadResult r = load("wibble: 1\n" + kTarget.substr(1));
  expect_diag(r, 1, 1, DiagnosticCode::UnknownKey, "wibble", msg::unknown_key("wibble", ""));
  EXPECT_EQ(msg::unknown_key("wibble", ""), "unknown key \"wibble\"");
}

TEST(ConfigLoader, KeyOneLevelTooHighSaysWhereItBelongs) {
  const LoadResult r = load(R"(
listen: 127.0.0.1:1
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    max_replicas: 5
    metrics: {load: sum(x)}
)");
  expect_diag(r, 1, 1, DiagnosticCode::UnknownKey, "listen", msg::misplaced_key("listen", "http"));
  expect_diag(r, 5, 5, DiagnosticCode::UnknownKey, "targets[0].max_replicas",
              msg::misplaced_key("max_replicas", "limits"));
  EXPECT_EQ(r.error_count(), 2u) << r.report();
}

// ---- many problems at once ----

TEST(ConfigLoader, ReportsEveryErrorInOnePassInFileOrder) {
  const LoadResult r = load(R"(
mode: actve
interval: 15
threads: many
prometheus:
  retries: -1
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
    capacity: {target_utilization: 1.5}
)");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.error_count(), 5u) << r.report();
  expect_diag(r, 1, 7, DiagnosticCode::BadEnum, "mode", msg::bad_enum("mode", "actve", {"dry-run", "active"}));
  expect_diag(r, 2, 11, DiagnosticCode::BadDuration, "interval",
              msg::bad_duration("\"15\" has no unit; write \"15s\" (units: ms, s, m, h, d)"));
  expect_diag(r, 3, 10, DiagnosticCode::WrongType, "threads", msg::wrong_type(msg::expect_integer(), "\"many\""));
  expect_diag(r, 5, 12, DiagnosticCode::OutOfRange, "prometheus.retries",
              msg::out_of_range("retries", "-1", msg::int_between(0, 100)));
  expect_diag(r, 10, 36, DiagnosticCode::OutOfRange, "targets[0].capacity.target_utilization",
              msg::out_of_range("target_utilization", "1.5", msg::number_positive_at_most_one() + " or auto"));
  for (std::size_t i = 1; i < r.diagnostics.size(); ++i) {
    EXPECT_LE(r.diagnostics[i - 1].line, r.diagnostics[i].line);
  }
  const std::string report = r.report();
  EXPECT_NE(report.find("5 errors, 0 warnings\n"), std::string::npos) << report;
}

// ---- output formats ----

TEST(Diagnostics, JsonCarriesEveryField) {
  const LoadResult r = load("intreval: 15s\n" + kTarget.substr(1));
  const nlohmann::json j = diagnostics_to_json(r.diagnostics);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["warnings"], 0);
  ASSERT_EQ(j["diagnostics"].size(), 1u);
  const nlohmann::json& d = j["diagnostics"][0];
  EXPECT_EQ(d["severity"], "error");
  EXPECT_EQ(d["code"], "unknown-key");
  EXPECT_EQ(d["file"], "test.yaml");
  EXPECT_EQ(d["line"], 1);
  EXPECT_EQ(d["column"], 1);
  EXPECT_EQ(d["path"], "intreval");
  EXPECT_EQ(d["message"], msg::unknown_key("intreval", "interval"));
  EXPECT_EQ(d["source_line"], "intreval: 15s");
  EXPECT_EQ(diagnostics_to_json({})["ok"], true);
}

TEST(Diagnostics, CaretKeepsTabsAndEveryCodeHasANameAndDescription) {
  Diagnostic d{DiagnosticSeverity::Warning, DiagnosticCode::ScrapeIgnored, "f.yaml", 3, 4, "", "m", "\tab: c"};
  EXPECT_EQ(format_diagnostic(d), "f.yaml:3:4: warning: m\n  \tab: c\n  \t  ^\n");
  for (int c = 0; c <= static_cast<int>(DiagnosticCode::CannotScale); ++c) {  // the last code
    const auto code = static_cast<DiagnosticCode>(c);
    EXPECT_NE(code_name(code), "unknown");
    EXPECT_FALSE(code_description(code).empty());
  }
}

// ---- robustness ----

// Damaged versions of the reference file (bytes replaced, deleted, duplicated) must load without
// crashing (the suite runs under ASan/UBSan) and every diagnostic must carry a sane position.
TEST(ConfigLoader, DamagedFilesNeverCrashAndKeepPositionsSane) {
  std::ifstream in(std::string(OPSPILOT_SOURCE_DIR) + "/examples/opspilot.yaml");
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(original.empty());
  const std::string alphabet = " \n\t:-{}[],#&*!|>'\"%@`?0123456789abcdefms.";
  std::mt19937 rng(12345);
  int with_errors = 0;
  for (int round = 0; round < 300; ++round) {
    std::string text = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !text.empty(); ++k) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        default: text.insert(at, text.substr(at, 1 + rng() % 16)); break;
      }
    }
    const LoadResult r = load_config_string(text, "damaged.yaml");
    if (!r.ok()) ++with_errors;
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    for (const Diagnostic& d : r.diagnostics) {
      EXPECT_FALSE(d.message.empty());
      EXPECT_GE(d.line, 0);
      EXPECT_LE(d.line, lines) << d.message;
      if (d.line > 0) {
        EXPECT_GE(d.column, 1) << d.message;
      }
      EXPECT_FALSE(format_diagnostic(d).empty());
    }
  }
  EXPECT_GT(with_errors, 30);  // the damage is real: many variants must be refused
}

// ---- the shipped examples ----

TEST(ConfigExamples, BothExampleFilesLoadWithoutErrorsOrWarnings) {
  const std::string dir = std::string(OPSPILOT_SOURCE_DIR) + "/examples/";
  const LoadResult sidecar = load_config_file(dir + "opspilot.yaml");
  EXPECT_TRUE(sidecar.ok()) << sidecar.report();
  EXPECT_TRUE(sidecar.diagnostics.empty()) << sidecar.report();
  EXPECT_FALSE(sidecar.config.controller_mode());
  ASSERT_FALSE(sidecar.config.targets.empty());
  for (const TargetSpec& t : sidecar.config.targets) {
    EXPECT_EQ(t.scrape_url, "http://127.0.0.1:9464/services/" + t.name + "/metrics");
    EXPECT_EQ(t.signals.count("load"), 1u) << t.name;
  }

  const LoadResult controller = load_config_file(dir + "opspilot-controller.yaml");
  EXPECT_TRUE(controller.ok()) << controller.report();
  EXPECT_TRUE(controller.diagnostics.empty()) << controller.report();
  EXPECT_TRUE(controller.config.controller_mode());
  EXPECT_EQ(controller.config.prometheus.url, "http://127.0.0.1:9090");
  ASSERT_FALSE(controller.config.targets.empty());
}

TEST(ConfigLoader, ReadsForecastAndSloSettings) {
  const LoadResult r = load(R"(
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), errors: sum(e), incident: max(alerts)}
    forecast: {model: linear-trend, step: 5m, history: 14d, refit_every: 6h, level: 0.9,
               max_mase: 1.2, min_coverage: 0.8, min_scored: 50, min_confidence: 0.25}
    slo: {objective: 99.95, window: 28d, latency: 300ms}
  - name: api
    scrape: http://127.0.0.1:9464/services/api/metrics
    metrics: {load: sum(x)}
)");
  ASSERT_TRUE(r.ok()) << r.report();
  const TargetSpec& t = r.config.targets[0];
  EXPECT_EQ(t.forecast.model, "linear-trend");
  EXPECT_EQ(t.forecast.step, std::chrono::minutes(5));
  EXPECT_EQ(t.forecast.history, std::chrono::hours(14 * 24));
  EXPECT_EQ(t.forecast.refit_every, std::chrono::hours(6));
  EXPECT_DOUBLE_EQ(t.forecast.level, 0.9);
  EXPECT_DOUBLE_EQ(t.forecast.max_mase, 1.2);
  EXPECT_DOUBLE_EQ(t.forecast.min_coverage, 0.8);
  EXPECT_EQ(t.forecast.min_scored, 50);
  EXPECT_DOUBLE_EQ(t.forecast.min_confidence, 0.25);
  EXPECT_DOUBLE_EQ(t.slo.objective, 99.95);
  EXPECT_EQ(t.slo.window, std::chrono::hours(28 * 24));
  EXPECT_DOUBLE_EQ(t.slo.latency_seconds, 0.3);
  EXPECT_EQ(t.signals.count("incident"), 1u);
  // Defaults: seasonal models, no accuracy floor, no SLO.
  const TargetSpec& d = r.config.targets[1];
  EXPECT_EQ(d.forecast.model, "auto");
  EXPECT_EQ(d.forecast.step, Duration(0)) << "0 = the loop interval";
  EXPECT_EQ(d.forecast.history, std::chrono::hours(6));
  EXPECT_DOUBLE_EQ(d.forecast.max_mase, 0);
  EXPECT_DOUBLE_EQ(d.forecast.min_confidence, 0);
  EXPECT_DOUBLE_EQ(d.slo.objective, 0);
}

}  // namespace
}  // namespace opspilot::agent
