// Tests of opspilot.yaml loading (agent/config), bad input: wrong types, enums, durations,
// ranges, duplicates, missing keys, mode rules, syntax errors and unreadable files — each with the
// exact expected message (from config_messages) and position. The rest is in config_test.cpp.
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

// ---- types, enums, durations, ranges ----

TEST(ConfigLoader, WrongTypesSayWhatWasExpectedAndWhatWasFound) {
  const LoadResult r = load(R"(
interval: {every: 15s}
http: [127.0.0.1]
journal:
  fsync: yes
  max_segments: 2.5
clock: {speed: fast}
targets:
  - name: [web]
    scrape: http://127.0.0.1:9464/services/web/metrics
    labels: {tier: {a: b}}
    metrics:
      load:
)");
  expect_diag(r, 1, 11, DiagnosticCode::WrongType, "interval", msg::wrong_type(msg::expect_duration(), msg::got_map()));
  expect_diag(r, 2, 7, DiagnosticCode::WrongType, "http", msg::wrong_type(msg::expect_map(), msg::got_list()));
  expect_diag(r, 4, 10, DiagnosticCode::WrongType, "journal.fsync", msg::wrong_type(msg::expect_bool(), "\"yes\""));
  expect_diag(r, 5, 17, DiagnosticCode::WrongType, "journal.max_segments",
              msg::wrong_type(msg::expect_integer(), "\"2.5\""));
  expect_diag(r, 6, 16, DiagnosticCode::WrongType, "clock.speed", msg::wrong_type(msg::expect_number(), "\"fast\""));
  expect_diag(r, 8, 11, DiagnosticCode::WrongType, "targets[0].name", msg::wrong_type(msg::expect_string(), msg::got_list()));
  expect_diag(r, 10, 20, DiagnosticCode::WrongType, "targets[0].labels.tier",
              msg::wrong_type(msg::expect_string(), msg::got_map()));
  // An empty value points at its key.
  expect_diag(r, 12, 7, DiagnosticCode::WrongType, "targets[0].metrics.load",
              msg::wrong_type(msg::expect_string(), msg::got_null()));
  EXPECT_EQ(r.error_count(), 8u) << r.report();
  EXPECT_EQ(msg::wrong_type(msg::expect_duration(), msg::got_map()), "expected a duration such as \"15s\", got a map");
}

TEST(ConfigLoader, ForecastAndSloSettingsAreCheckedWithPositions) {
  const LoadResult r = load(R"(
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), incident: max(alerts)}
    forecast: {model: arima, step: 0s, level: 95, min_coverage: 1.5, max_mase: -1, min_confidence: 2}
    slo: {objective: 100, window: 10m, latecny: 1s}
)");
  expect_diag(r, 5, 23, DiagnosticCode::BadEnum, "targets[0].forecast.model",
              msg::bad_enum("model", "arima", {"auto", "linear-trend"}));
  expect_diag(r, 5, 36, DiagnosticCode::OutOfRange, "targets[0].forecast.step",
              msg::out_of_range("step", "0s", msg::duration_at_least("1s")));
  expect_diag(r, 5, 47, DiagnosticCode::OutOfRange, "targets[0].forecast.level",
              msg::out_of_range("level", "95", msg::number_level()));
  expect_diag(r, 5, 65, DiagnosticCode::OutOfRange, "targets[0].forecast.min_coverage",
              msg::out_of_range("min_coverage", "1.5", msg::number_ratio()));
  expect_diag(r, 5, 80, DiagnosticCode::OutOfRange, "targets[0].forecast.max_mase",
              msg::out_of_range("max_mase", "-1", msg::number_non_negative()));
  expect_diag(r, 5, 100, DiagnosticCode::OutOfRange, "targets[0].forecast.min_confidence",
              msg::out_of_range("min_confidence", "2", msg::number_ratio()));
  expect_diag(r, 6, 22, DiagnosticCode::OutOfRange, "targets[0].slo.objective",
              msg::out_of_range("objective", "100", msg::number_percent()));
  expect_diag(r, 6, 35, DiagnosticCode::OutOfRange, "targets[0].slo.window",
              msg::out_of_range("window", "10m", msg::duration_at_least("1h")));
  expect_diag(r, 6, 40, DiagnosticCode::UnknownKey, "targets[0].slo.latecny",
              msg::unknown_key("latecny", "latency"));
  EXPECT_EQ(r.error_count(), 9u) << r.report();
}

TEST(ConfigLoader, TargetsMustBeAListOfMaps) {
  expect_diag(load("targets: web\n"), 1, 10, DiagnosticCode::WrongType, "targets",
              msg::wrong_type(msg::expect_list(), "\"web\""));
  expect_diag(load("targets: []\n"), 1, 10, DiagnosticCode::OutOfRange, "targets", msg::no_targets());
  expect_diag(load("targets:\n  - 5\n"), 2, 5, DiagnosticCode::WrongType, "targets[0]",
              msg::wrong_type(msg::expect_map(), "\"5\""));
  expect_diag(load("- a\n- b\n"), 1, 1, DiagnosticCode::WrongType, "", msg::wrong_type(msg::expect_map(), msg::got_list()));
}

TEST(ConfigLoader, BadEnumsQuoteTheValueAndListTheAllowedOnes) {
  const LoadResult r = load(R"(
mode: Active
actuator: {type: kubernets, url: http://x}
targets:
  - name: web
    kind: Deploymnet
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x)}
)");
  expect_diag(r, 1, 7, DiagnosticCode::BadEnum, "mode", msg::bad_enum("mode", "Active", {"dry-run", "active"}));
  expect_diag(r, 2, 18, DiagnosticCode::BadEnum, "actuator.type",
              msg::bad_enum("type", "kubernets", {"dry-run", "webhook", "kubernetes", "aws-asg"}));
  expect_diag(r, 5, 11, DiagnosticCode::BadEnum, "targets[0].kind",
              msg::bad_enum("kind", "Deploymnet", {"Deployment", "StatefulSet", "AutoScalingGroup"}));
  EXPECT_EQ(msg::bad_enum("mode", "Active", {"dry-run", "active"}),
            "bad mode \"Active\"; expected one of \"dry-run\", \"active\"");
  EXPECT_EQ(r.error_count(), 3u) << r.report();
}

TEST(ConfigLoader, BadDurationsAndDurationsBelowTheirMinimum) {
  const LoadResult r = load(R"(
interval: 500ms
stale_after: 2 minutes
prometheus: {url: http://p:9090, timeout: 0s, backoff: 5}
actuator: {type: webhook, url: http://h, timeout: soon}
targets:
  - name: web
    metrics: {load: sum(x)}
    readiness_delay: -1s
)");
  expect_diag(r, 1, 11, DiagnosticCode::OutOfRange, "interval",
              msg::out_of_range("interval", "500ms", msg::duration_at_least("1s")));
  std::string reason;
  parse_duration("2 minutes", &reason);
  expect_diag(r, 2, 14, DiagnosticCode::BadDuration, "stale_after", msg::bad_duration(reason));
  expect_diag(r, 3, 43, DiagnosticCode::OutOfRange, "prometheus.timeout",
              msg::out_of_range("timeout", "0s", msg::duration_at_least("1ms")));
  parse_duration("5", &reason);
  expect_diag(r, 3, 56, DiagnosticCode::BadDuration, "prometheus.backoff", msg::bad_duration(reason));
  parse_duration("soon", &reason);
  expect_diag(r, 4, 51, DiagnosticCode::BadDuration, "actuator.timeout", msg::bad_duration(reason));
  parse_duration("-1s", &reason);
  expect_diag(r, 8, 22, DiagnosticCode::BadDuration, "targets[0].readiness_delay", msg::bad_duration(reason));
  EXPECT_EQ(r.error_count(), 6u) << r.report();
}

TEST(ConfigLoader, OutOfRangeNumbersAreErrorsNeverClamped) {
  const LoadResult r = load(R"(
threads: 0
scrape: {retries: 101}
journal: {max_segment_bytes: 10}
clock: {speed: -2}
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x)}
    capacity: {per_replica: -5, target_utilization: 0}
    limits: {min_replicas: -1, max_replicas: 0, max_step_up: -3}
)");
  expect_diag(r, 1, 10, DiagnosticCode::OutOfRange, "threads", msg::out_of_range("threads", "0", msg::int_between(1, 256)));
  expect_diag(r, 2, 19, DiagnosticCode::OutOfRange, "scrape.retries",
              msg::out_of_range("retries", "101", msg::int_between(0, 100)));
  expect_diag(r, 3, 30, DiagnosticCode::OutOfRange, "journal.max_segment_bytes",
              msg::out_of_range("max_segment_bytes", "10", msg::int_at_least(4096)));
  expect_diag(r, 4, 16, DiagnosticCode::OutOfRange, "clock.speed",
              msg::out_of_range("speed", "-2", msg::number_positive()));
  expect_diag(r, 9, 29, DiagnosticCode::OutOfRange, "targets[0].capacity.per_replica",
              msg::out_of_range("per_replica", "-5", msg::number_non_negative()));
  expect_diag(r, 9, 53, DiagnosticCode::OutOfRange, "targets[0].capacity.target_utilization",
              msg::out_of_range("target_utilization", "0", msg::number_positive_at_most_one() + " or auto"));
  expect_diag(r, 10, 28, DiagnosticCode::OutOfRange, "targets[0].limits.min_replicas",
              msg::out_of_range("min_replicas", "-1", msg::int_between(0, 1000000)));
  expect_diag(r, 10, 46, DiagnosticCode::OutOfRange, "targets[0].limits.max_replicas",
              msg::out_of_range("max_replicas", "0", msg::int_between(1, 1000000)));
  expect_diag(r, 10, 62, DiagnosticCode::OutOfRange, "targets[0].limits.max_step_up",
              msg::out_of_range("max_step_up", "-3", msg::int_between(0, 1000000)));
  EXPECT_EQ(r.error_count(), 9u) << r.report();
  // Nothing was clamped: the refused fields keep their defaults.
  EXPECT_EQ(r.config.threads, Config{}.threads);
  EXPECT_EQ(r.config.targets.at(0).capacity.target_utilization, CapacitySpec{}.target_utilization);
  EXPECT_EQ(msg::out_of_range("target_utilization", "0", msg::number_positive_at_most_one()),
            "target_utilization is 0; expected a number in (0, 1]");
}

TEST(ConfigLoader, MinAboveMaxCountsDefaults) {
  const LoadResult r = load(R"(
interval: 5m
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x)}
    limits: {min_replicas: 5, max_replicas: 2}
  - name: api
    scrape: http://127.0.0.1:9464/services/api/metrics
    metrics: {load: sum(x)}
    limits:
      min_replicas: 12
)");
  expect_diag(r, 6, 28, DiagnosticCode::Inconsistent, "targets[0].limits.min_replicas", msg::min_above_max(5, 2));
  expect_diag(r, 11, 21, DiagnosticCode::Inconsistent, "targets[1].limits.min_replicas", msg::min_above_max(12, 10));
  // interval 5m is longer than the default stale_after 2m: every sample would be stale.
  expect_diag(r, 1, 11, DiagnosticCode::Inconsistent, "interval", msg::stale_below_interval("2m", "5m"));
  EXPECT_EQ(r.error_count(), 3u) << r.report();
}

TEST(ConfigLoader, NamesUrlsAndAddressesAreChecked) {
  const LoadResult r = load(R"(
http: {listen: "localhost:99999"}
prometheus: {url: "prometheus:9090"}
actuator: {type: webhook, url: "ftp://hooks"}
targets:
  - name: Web_1
    namespace: -shop
    metrics: {load: sum(x)}
)");
  expect_diag(r, 1, 16, DiagnosticCode::BadAddress, "http.listen", msg::bad_address("localhost:99999"));
  expect_diag(r, 2, 19, DiagnosticCode::BadUrl, "prometheus.url", msg::bad_url("prometheus:9090"));
  expect_diag(r, 3, 32, DiagnosticCode::BadUrl, "actuator.url", msg::bad_url("ftp://hooks"));
  expect_diag(r, 5, 11, DiagnosticCode::BadName, "targets[0].name", msg::bad_name("target name", "Web_1"));
  expect_diag(r, 6, 16, DiagnosticCode::BadName, "targets[0].namespace", msg::bad_name("namespace", "-shop"));
  // prometheus.url was given (though bad), so no cascade of missing-scrape errors.
  EXPECT_EQ(r.error_count(), 5u) << r.report();
  EXPECT_TRUE(is_listen_address("[::1]:9460"));
  EXPECT_TRUE(is_listen_address("0.0.0.0:0"));
  EXPECT_FALSE(is_listen_address("::1:9460"));
  EXPECT_FALSE(is_listen_address(":9460"));
  EXPECT_FALSE(is_listen_address("host:"));
  EXPECT_TRUE(is_http_url("https://x/y?z"));
  EXPECT_FALSE(is_http_url("http://"));
  EXPECT_FALSE(is_http_url("http:///path"));
  EXPECT_TRUE(is_dns_label("a"));
  EXPECT_FALSE(is_dns_label(std::string(64, 'a')));
  EXPECT_FALSE(is_dns_label("a-"));
}

// ---- duplicates and missing keys ----

TEST(ConfigLoader, DuplicateTargetNamePointsAtTheSecond) {
  const LoadResult r = load(R"(
prometheus: {url: http://127.0.0.1:9090}
targets:
  - name: checkout
    metrics: {load: sum(a), replicas: max(r), saturation: avg(cpu)}
  - name: search
    metrics: {load: sum(b), replicas: max(r), saturation: avg(cpu)}
  - kind: Deployment
    name: checkout
    metrics: {load: sum(c), replicas: max(r), saturation: avg(cpu)}
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_diag(r, 8, 11, DiagnosticCode::DuplicateName, "targets[2].name", msg::duplicate_target("checkout", 3));
  EXPECT_EQ(msg::duplicate_target("checkout", 3), "duplicate target name \"checkout\" (first used at line 3)");
}

TEST(ConfigLoader, DuplicateKeyInOneMapIsAnError) {
  const LoadResult r = load("interval: 15s\ninterval: 30s\n" + kTarget.substr(1));
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_diag(r, 2, 1, DiagnosticCode::DuplicateKey, "interval", msg::duplicate_key("interval", 1));
  EXPECT_EQ(r.config.interval, seconds(15));
}

TEST(ConfigLoader, MissingRequiredKeysPointAtTheParentMap) {
  expect_diag(load("mode: dry-run\n"), 1, 1, DiagnosticCode::MissingKey, "", msg::missing_key("targets"));
  const LoadResult r = load(R"(
prometheus: {url: http://127.0.0.1:9090}
actuator:
  type: webhook
targets:
  - kind: Deployment
    metrics: {load: sum(x)}
  - name: api
    metrics:
      latency: sum(y)
  - name: db
)");
  expect_diag(r, 2, 1, DiagnosticCode::MissingKey, "actuator",
              msg::missing_key_for("url", "the webhook actuator needs it"));
  expect_diag(r, 5, 5, DiagnosticCode::MissingKey, "targets[0]", msg::missing_key("name"));
  expect_diag(r, 8, 5, DiagnosticCode::MissingKey, "targets[1].metrics", msg::missing_key("load"));
  expect_diag(r, 10, 5, DiagnosticCode::MissingKey, "targets[2]", msg::missing_key("metrics"));
  EXPECT_EQ(r.error_count(), 4u) << r.report();
}

// ---- sidecar and controller modes ----

TEST(ConfigLoader, SidecarTargetsNeedAScrapeUrl) {
  const LoadResult r = load(R"(
targets:
  - name: web
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_diag(r, 2, 5, DiagnosticCode::MissingScrape, "targets[0]", msg::missing_scrape("web"));
}

TEST(ConfigLoader, ControllerModeWinsOverScrapeWithAWarning) {
  const LoadResult r = load(R"(
prometheus: {url: http://127.0.0.1:9090}
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
)");
  EXPECT_TRUE(r.ok()) << r.report();
  ASSERT_EQ(r.warning_count(), 1u);
  expect_diag(r, 4, 13, DiagnosticCode::ScrapeIgnored, "targets[0].scrape", msg::scrape_ignored("web"),
              DiagnosticSeverity::Warning);
  EXPECT_EQ(r.config.targets[0].scrape_url, "");
  EXPECT_TRUE(r.config.controller_mode());
  EXPECT_NE(r.report().find("test.yaml:4:13: warning: target \"web\" sets \"scrape\""), std::string::npos);
}

// ---- capacity and what a target needs to scale ----

TEST(ConfigLoader, MaxUtilizationBelowTheTargetIsAnError) {
  const LoadResult r = load(R"(
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), replicas: max(r)}
    capacity: {per_replica: 50, target_utilization: 0.8, max_utilization: 0.6}
  - name: api
    scrape: http://127.0.0.1:9464/services/api/metrics
    metrics: {load: sum(x), replicas: max(r)}
    capacity: {per_replica: 50, target_utilization: auto, max_utilization: 0.5}
  - name: db
    scrape: http://127.0.0.1:9464/services/db/metrics
    metrics: {load: sum(x), replicas: max(r)}
    capacity: {per_replica: 50, max_utilization: 0.6}
  - name: ok
    scrape: http://127.0.0.1:9464/services/ok/metrics
    metrics: {load: sum(x), replicas: max(r)}
    capacity: {per_replica: 50, target_utilization: 0.6, max_utilization: 0.6}
)");
  expect_diag(r, 5, 75, DiagnosticCode::Inconsistent, "targets[0].capacity.max_utilization",
              msg::max_below_target_utilization("0.6", "0.8"));
  expect_diag(r, 9, 76, DiagnosticCode::Inconsistent, "targets[1].capacity.max_utilization",
              msg::max_below_auto_start("0.5", "0.7"));
  // No target_utilization is auto too.
  expect_diag(r, 13, 50, DiagnosticCode::Inconsistent, "targets[2].capacity.max_utilization",
              msg::max_below_auto_start("0.6", "0.7"));
  EXPECT_EQ(r.error_count(), 3u) << r.report();
  EXPECT_EQ(r.warning_count(), 0u) << r.report();
  EXPECT_EQ(msg::max_below_auto_start("0.5", "0.7"),
            "capacity.max_utilization (0.5) is below 0.7, the utilisation target_utilization: auto starts from; raise "
            "max_utilization to at least 0.7 or pin target_utilization to a number");
  EXPECT_NE(r.report().find("test.yaml:5:75: error: capacity.max_utilization (0.6) is below "
                            "capacity.target_utilization (0.8)"),
            std::string::npos)
      << r.report();
}

TEST(ConfigLoader, ATargetThatCanNeverScaleIsAWarningAtTheTarget) {
  const LoadResult r = load(R"(
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x)}
  - name: api
    scrape: http://127.0.0.1:9464/services/api/metrics
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
  - name: db
    scrape: http://127.0.0.1:9464/services/db/metrics
    metrics: {load: sum(x), replicas: max(r)}
    capacity: {per_replica: 20}
  - name: cache
    scrape: http://127.0.0.1:9464/services/cache/metrics
    metrics: {load: sum(x), saturation: avg(cpu)}
)");
  EXPECT_TRUE(r.ok()) << r.report();
  // One warning per target, naming everything it lacks.
  expect_diag(r, 2, 5, DiagnosticCode::CannotScale, "targets[0]", msg::cannot_scale("web", true, true),
              DiagnosticSeverity::Warning);
  expect_diag(r, 12, 5, DiagnosticCode::CannotScale, "targets[3]", msg::cannot_scale("cache", true, false),
              DiagnosticSeverity::Warning);
  EXPECT_EQ(r.warning_count(), 2u) << r.report();
  EXPECT_EQ(code_name(DiagnosticCode::CannotScale), "cannot-scale");
  EXPECT_NE(r.report().find("test.yaml:2:5: warning: target \"web\" can never scale: it has no \"replicas\" metric"),
            std::string::npos)
      << r.report();
  EXPECT_EQ(msg::cannot_scale("db", false, true),
            "target \"db\" can never scale: it has neither capacity.per_replica nor a \"saturation\" metric, so the "
            "agent cannot tell how much load one replica carries (add capacity.per_replica, the load one replica "
            "serves at 100% utilisation, or metrics.saturation, a utilisation from 0 to 1)");
  EXPECT_NE(msg::cannot_scale("cache", true, false).find("add metrics.replicas"), std::string::npos);
}

// ---- syntax errors, empty and missing files ----

TEST(ConfigLoader, YamlSyntaxErrorHasAPosition) {
  const LoadResult r = load(R"(
interval: 15s
targets:
  - name: web
    metrics: {load: sum(x)
)");
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  // The parser stops at the end of the text; the caret goes just after the last character.
  EXPECT_EQ(format_diagnostic(r.diagnostics[0]),
            "test.yaml:4:27: error: YAML syntax error: end of map flow not found\n"
            "      metrics: {load: sum(x)\n"
            "                            ^\n");
  EXPECT_EQ(r.diagnostics[0].code, DiagnosticCode::YamlSyntax);

  const LoadResult bad_indent = load("interval: 15s\n  threads: 2\n");
  ASSERT_EQ(bad_indent.diagnostics.size(), 1u) << bad_indent.report();
  EXPECT_EQ(bad_indent.diagnostics[0].code, DiagnosticCode::YamlSyntax);
  EXPECT_EQ(bad_indent.diagnostics[0].line, 2);
  EXPECT_EQ(bad_indent.diagnostics[0].column, 10);
  EXPECT_EQ(bad_indent.diagnostics[0].message, msg::yaml_syntax("illegal map value"));
  EXPECT_EQ(format_diagnostic(bad_indent.diagnostics[0]),
            "test.yaml:2:10: error: YAML syntax error: illegal map value\n"
            "    threads: 2\n"
            "           ^\n");
}

TEST(ConfigLoader, EmptyDocumentIsAnError) {
  for (const char* text : {"", "# only a comment\n", "~\n"}) {
    const LoadResult r = load(text);
    ASSERT_EQ(r.diagnostics.size(), 1u) << text;
    EXPECT_EQ(r.diagnostics[0].message, msg::empty_document());
    EXPECT_EQ(format_diagnostic(r.diagnostics[0]), "test.yaml: error: " + msg::empty_document() + "\n");
  }
}

TEST(ConfigLoader, MissingOrUnreadableFileIsAClearError) {
  test::TempDir dir;
  const std::string missing = dir.file("nope.yaml");
  LoadResult r = load_config_file(missing);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, DiagnosticCode::FileUnreadable);
  EXPECT_EQ(r.diagnostics[0].message, msg::file_unreadable(missing, "No such file or directory"));
  EXPECT_EQ(r.diagnostics[0].line, 0);
  EXPECT_EQ(format_diagnostic(r.diagnostics[0]),
            missing + ": error: cannot read config file \"" + missing + "\": No such file or directory\n");

  r = load_config_file(dir.path().string());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message, msg::file_unreadable(dir.path().string(), "it is a directory, not a file"));

  const std::string good = dir.write("ok.yaml", kTarget.substr(1));
  r = load_config_file(good);
  EXPECT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.file, good);
  EXPECT_EQ(r.config.targets.at(0).pos.file, good);

  if (::geteuid() != 0) {  // root reads anything, so this case only means something for others
    const std::string locked = dir.write("locked.yaml", kTarget);
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    r = load_config_file(locked);
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].message, msg::file_unreadable(locked, "Permission denied"));
  }
}

}  // namespace
}  // namespace opspilot::agent
