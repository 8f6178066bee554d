// The policy loader: schema errors with exact positions and texts, all at once; cross-document
// checks; directories; the reloadable PolicySet; time zones and cron as the loader uses them.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "policies/engine.h"
#include "policies/loader.h"
#include "policies/policy_set.h"
#include "test_support.h"

namespace opspilot::policies {
namespace {

namespace msg = messages;

// "file:line:col: severity: message", one per diagnostic.
std::vector<std::string> lines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics)
    out.push_back(d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
                  std::string(severity_name(d.severity)) + ": " + d.message);
  return out;
}

const char* kHeader = "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata:\n  name: p\n";

LoadResult load(const std::string& spec, const LoadOptions& o = {}) {
  return load_policy_string(std::string(kHeader) + spec, "p.yaml", o);
}

TEST(PolicyLoader, MinimalPolicyLoadsWithoutDiagnostics) {
  const LoadResult r = load("spec:\n  bounds:\n    min_replicas: 1\n    max_replicas: 5\n");
  EXPECT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(r.documents, 1u);
  EXPECT_EQ(r.rules, 3u);  // min, max, slo_floor
}

TEST(PolicyLoader, ReportsEveryProblemAtOnceWithPositions) {
  const LoadResult r = load_policy_string(R"(apiVersion: opspilot.dev/v2
kind: Policy
metadata:
  name: bad
spec:
  timezone: Europe/Berlinn
  bounds:
    max_replica: 3
  max_up: 3
  cooldowns:
    scale_upp: 5m
    restart: 5
)",
                                          "bad.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "bad.yaml:1:13: error: " + msg::bad_api_version("opspilot.dev/v2"),
                          "bad.yaml:6:13: error: unknown time zone \"Europe/Berlinn\" (no such zone file "
                          "/usr/share/zoneinfo/Europe/Berlinn); expected an IANA name such as \"Europe/Berlin\" or \"UTC\"",
                          "bad.yaml:8:5: error: unknown key \"max_replica\"; did you mean \"max_replicas\"?",
                          "bad.yaml:9:3: error: unknown key \"max_up\" here; it belongs under \"step\"",
                          "bad.yaml:11:5: error: " + msg::unknown_action_kind("scale_upp", known_action_kinds(), "scale_up"),
                          "bad.yaml:12:14: error: bad duration \"5\"; expected e.g. \"30s\", \"15m\", \"1h30m\" or \"2d\"",
                      }));
  EXPECT_EQ(r.diagnostics[2].path, "spec.bounds.max_replica");
  EXPECT_EQ(r.diagnostics[2].source_line, "    max_replica: 3");
  EXPECT_NE(r.report().find("    max_replica: 3\n      ^\n"), std::string::npos) << r.report();
  EXPECT_NE(r.report().find("6 errors, 0 warnings"), std::string::npos);
}

TEST(PolicyLoader, MissingTopLevelKeys) {
  const LoadResult r = load_policy_string("kind: Policy\nmetadata: {}\n", "m.yaml");
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "m.yaml:1:1: error: missing required key \"apiVersion\"",
                          "m.yaml:1:1: error: missing required key \"spec\"",
                          "m.yaml:2:11: error: missing required key \"name\"",
                      }));
}

TEST(PolicyLoader, YamlSyntaxErrorHasAPosition) {
  const LoadResult r = load_policy_string("apiVersion: opspilot.dev/v1\nspec: [1, 2\n", "s.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, Code::YamlSyntax);
  EXPECT_EQ(r.diagnostics[0].line, 2);
  EXPECT_GT(r.diagnostics[0].column, 0);
  EXPECT_EQ(r.diagnostics[0].message.rfind("YAML syntax error: ", 0), 0u);
}

TEST(PolicyLoader, WrongTypesQuoteTheValue) {
  const LoadResult r = load(R"(spec:
  bounds:
    min_replicas: lots
    max_replicas: -1
  blast_radius:
    max_percent_at_once: 150
  protections:
    require_complete_data: yes
  default: maybe
)");
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "p.yaml:7:19: error: expected an integer, got \"lots\"",
                          "p.yaml:8:19: error: max_replicas is -1; expected an integer from 0 to 1000000",
                          "p.yaml:10:26: error: max_percent_at_once is 150; expected a percentage in (0, 100]",
                          "p.yaml:12:28: error: expected true or false, got \"yes\"",
                          "p.yaml:13:12: error: " + msg::bad_enum("default", "maybe", {"allow", "deny", "needs_approval"}),
                      }));
}

TEST(PolicyLoader, DuplicateKeysAndRuleNames) {
  const LoadResult r = load(R"(spec:
  bounds:
    max_replicas: 3
  bounds:
    max_replicas: 4
  freezes:
    - {name: f, from: 2026-01-01, to: 2026-01-02}
    - {name: f, from: 2026-02-01, to: 2026-02-02}
)");
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "p.yaml:8:3: error: duplicate key \"bounds\" (first at line 6)",
                          "p.yaml:12:14: error: duplicate rule name \"f\" (first at line 11)",
                      }));
}

TEST(PolicyLoader, TimeRulesAreChecked) {
  const LoadResult r = load(R"(spec:
  windows:
    allowed_hours:
      - {days: [mon-fri], from: "08:00", to: "08:00"}
      - {days: [funday], from: "8am", to: "18:00"}
  freezes:
    - {name: a, from: 2026-02-30, to: 2026-03-01}
    - {name: b, from: 2026-03-05, to: 2026-03-01}
    - {name: c, cron: "0 18 * *", duration: 1h}
    - {name: d, cron: "0 0 31 2 *", duration: 1h}
    - {name: e, duration: 1h}
)");
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "p.yaml:8:46: error: " + msg::empty_window("08:00", "08:00"),
                          "p.yaml:9:16: error: " + msg::bad_enum("day", "funday", {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "mon-fri"}),
                          "p.yaml:9:32: error: " + msg::bad_time_of_day("8am"),
                          "p.yaml:11:23: error: " + msg::bad_date("2026-02-30"),
                          "p.yaml:12:39: error: " + msg::freeze_ends_before_start("2026-03-05", "2026-03-01"),
                          "p.yaml:13:23: error: " + msg::bad_cron("0 18 * *", "it has 4 fields"),
                          "p.yaml:14:23: warning: " + msg::cron_never_fires("0 0 31 2 *"),
                          "p.yaml:15:7: error: " + msg::freeze_needs_dates_or_cron(),
                      }));
}

TEST(PolicyLoader, ApprovalRulesNeedApprovers) {
  const LoadResult r = load(R"(spec:
  approval:
    on_expiry: needs_approval
    rules:
      - name: big
        kinds: [scale_up]
        min_step: 0
)");
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "p.yaml:7:16: error: " + msg::bad_enum("on_expiry", "needs_approval", {"deny", "allow"}),
                          "p.yaml:9:9: error: " + msg::approvers_missing(),
                          "p.yaml:11:19: error: min_step is 0; expected an integer from 1 to 1000000",
                      }));
}

TEST(PolicyLoader, ConflictingBoundsAcrossDocumentsSelectingTheSameTargets) {
  const std::string text = R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: floor}
spec:
  targets: [{namespace: prod}]
  bounds: {min_replicas: 10}
---
apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: ceiling}
spec:
  targets: [{namespace: prod, name: "web*"}]
  bounds: {max_replicas: 8}
---
apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: elsewhere}
spec:
  targets: [{namespace: staging}]
  bounds: {max_replicas: 2}
)";
  const LoadResult r = load_policy_string(text, "c.yaml");
  EXPECT_EQ(lines(r), (std::vector<std::string>{"c.yaml:6:11: error: " +
                                                msg::min_above_max_across("floor", 10, "ceiling", 8)}));
  EXPECT_FALSE(r.ok());
}

TEST(PolicyLoader, MinAboveMaxInOneDocument) {
  const LoadResult r = load("spec:\n  bounds: {min_replicas: 6, max_replicas: 4}\n");
  EXPECT_EQ(lines(r), (std::vector<std::string>{"p.yaml:6:26: error: " + msg::min_above_max("replicas", 6, 4)}));
}

TEST(PolicyLoader, WarnsAboutRulesThatCanNeverApply) {
  const LoadResult r = load(R"(spec:
  targets:
    - {namespace: prod, name: web}
    - {namespace: prod, name: wbe}
  actions: [scale]
  cooldowns: {restart: 5m, scale_up: 1m}
)",
                            LoadOptions{{KnownTarget{"prod", "web", {}, ""}}});
  EXPECT_TRUE(r.ok()) << r.report();  // warnings only
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          "p.yaml:8:7: warning: " + msg::selector_matches_nothing("{namespace: \"prod\", name: \"wbe\"}"),
                          "p.yaml:10:15: warning: " + msg::rule_never_applies("cooldown \"restart\"", "scale"),
                      }));
}

TEST(PolicyLoader, DuplicateNamesAcrossFilesAndDirectoryScan) {
  test::TempDir dir;
  dir.write("a.yaml", std::string(kHeader) + "spec: {}\n");
  dir.write("b.yml", std::string(kHeader) + "spec: {}\n");
  dir.write("a_test.yaml", "this is a table test and must not be loaded as a policy: [");
  dir.write("notes.txt", "ignored");
  const LoadResult r = load_policy_paths({dir.path().string()});
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(lines(r), (std::vector<std::string>{dir.file("b.yml") + ":4:9: error: " +
                                                msg::duplicate_policy("p", dir.file("a.yaml") + ":4:9")}));
}

TEST(PolicyLoader, MissingFileAndEmptyDirectory) {
  test::TempDir dir;
  const LoadResult r = load_policy_paths({dir.file("nope.yaml"), dir.path().string()});
  EXPECT_EQ(lines(r), (std::vector<std::string>{
                          dir.file("nope.yaml") + ":0:0: error: " +
                              msg::file_unreadable(dir.file("nope.yaml"), "no such file or not readable"),
                          dir.path().string() + ":0:0: error: " + msg::no_policy_files(dir.path().string()),
                      }));
}

TEST(PolicyLoader, BundledExamplesAreValid) {
  const LoadResult r = load_policy_paths({std::string(OPSPILOT_SOURCE_DIR) + "/policies/examples"});
  EXPECT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty()) << r.report();
  EXPECT_EQ(r.files.size(), 3u);
  EXPECT_EQ(r.documents, 4u);
}

TEST(PolicyLoader, JsonDiagnostics) {
  const LoadResult r = load("spec:\n  bounds: {max_replicas: x}\n");
  const nlohmann::json j = diagnostics_to_json(r.diagnostics);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["diagnostics"][0]["code"], "wrong-type");
  EXPECT_EQ(j["diagnostics"][0]["line"], 6);
  EXPECT_EQ(j["diagnostics"][0]["column"], 26);
  EXPECT_EQ(j["diagnostics"][0]["path"], "spec.bounds.max_replicas");
}

TEST(PolicySet, BadReloadKeepsTheLastGoodVersion) {
  test::TempDir dir;
  const std::string file = dir.write("p.yaml", std::string(kHeader) + "spec: {bounds: {max_replicas: 5}}\n");
  PolicySet set({file});
  EXPECT_EQ(set.current(), nullptr);
  Proposal p{"web", "prod", "scale", 2, 9, 0.9};
  Context c;
  EXPECT_EQ(set.evaluate(p, c).verdict, Verdict::Deny);  // nothing loaded yet

  const ReloadReport first = set.reload();
  EXPECT_TRUE(first.ok && first.applied);
  EXPECT_EQ(first.generation, 1u);
  EXPECT_EQ(first.summary(), "policies loaded: generation 1, 1 file, 1 policy, 2 rules, 0 warnings");
  EXPECT_EQ(set.evaluate(p, c).replicas, 5);
  const auto good = set.current();

  EXPECT_EQ(set.reload_if_changed(), std::nullopt);  // nothing changed on disk
  dir.write("p.yaml", std::string(kHeader) + "spec: {bounds: {max_replicas: many}}\n");
  const auto bad = set.reload_if_changed();
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(bad->ok);
  EXPECT_FALSE(bad->applied);
  EXPECT_EQ(bad->errors, 1u);
  EXPECT_EQ(bad->generation, 1u);
  EXPECT_EQ(bad->summary(), "policy reload rejected: 1 error; generation 1 stays in force");
  EXPECT_EQ(set.current(), good);
  EXPECT_EQ(set.evaluate(p, c).replicas, 5);

  dir.write("p.yaml", std::string(kHeader) + "spec: {bounds: {max_replicas: 7}}\n");
  const auto fixed = set.reload_if_changed();
  ASSERT_TRUE(fixed.has_value());
  EXPECT_TRUE(fixed->applied);
  EXPECT_EQ(set.generation(), 2u);
  EXPECT_EQ(set.evaluate(p, c).replicas, 7);
  EXPECT_EQ(set.reloads_ok(), 2u);
  EXPECT_EQ(set.reloads_failed(), 1u);
}

TEST(PolicySet, ReadersNeverSeeAHalfLoadedVersion) {
  test::TempDir dir;
  const std::string file = dir.write("p.yaml", std::string(kHeader) + "spec: {bounds: {max_replicas: 5}}\n");
  PolicySet set({file});
  ASSERT_TRUE(set.reload().ok);
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::thread reader([&] {
    const Proposal p{"web", "prod", "scale", 2, 9, 0.9};
    while (!stop) {
      const int r = set.evaluate(p, Context{}).replicas;
      if (r != 5 && r != 7) ++wrong;
    }
  });
  for (int i = 0; i < 20; ++i) {
    dir.write("p.yaml", std::string(kHeader) + "spec: {bounds: {max_replicas: " + (i % 2 ? "5" : "7") + "}}\n");
    set.reload();
    dir.write("p.yaml", "not: [valid");
    set.reload();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(set.generation(), 21u);
}

TEST(PolicyTime, ZonesFromTheSystemDatabase) {
  using namespace std::chrono;
  std::string why;
  const auto berlin = locate_time_zone("Europe/Berlin", &why);
  ASSERT_NE(berlin, nullptr) << why;
  const auto at = [](int y, unsigned m, unsigned d) { return sys_seconds(sys_days(year(y) / m / d)); };
  EXPECT_EQ(berlin->offset_at(at(2026, 1, 15)), hours(1));
  EXPECT_EQ(berlin->offset_at(at(2026, 7, 15)), hours(2));
  // Past the last explicit transition the POSIX footer rule applies.
  EXPECT_EQ(berlin->offset_at(at(2070, 7, 15)), hours(2));
  EXPECT_EQ(berlin->offset_at(at(2070, 12, 15)), hours(1));
  // The 2026 switch: last Sunday of March, 01:00 UTC.
  EXPECT_EQ(berlin->offset_at(sys_seconds(sys_days(year(2026) / 3 / 29)) + minutes(59)), hours(1));
  EXPECT_EQ(berlin->offset_at(sys_seconds(sys_days(year(2026) / 3 / 29)) + hours(1)), hours(2));
  const auto ny = locate_time_zone("America/New_York");
  ASSERT_NE(ny, nullptr);
  EXPECT_EQ(ny->offset_at(at(2026, 1, 15)), hours(-5));
  EXPECT_EQ(locate_time_zone("UTC")->offset_at(at(2026, 7, 1)), seconds(0));
  EXPECT_EQ(locate_time_zone("Mars/Olympus", &why), nullptr);
  EXPECT_NE(why.find("no such zone file"), std::string::npos);
  EXPECT_EQ(locate_time_zone("../../etc/passwd", &why), nullptr);
  EXPECT_EQ(why, "not a zone name");
  EXPECT_EQ(TimeZone::from_tzif("x", "TZif2 but far too short", &why), nullptr);
}

TEST(PolicyTime, DurationsCronAndDates) {
  using std::chrono::seconds;
  EXPECT_EQ(parse_policy_duration("1h30m"), seconds(5400));
  EXPECT_EQ(parse_policy_duration("2d"), seconds(172800));
  EXPECT_EQ(parse_policy_duration("1w"), seconds(604800));
  EXPECT_EQ(parse_policy_duration("15"), std::nullopt);
  EXPECT_EQ(parse_policy_duration("30m1h"), std::nullopt);
  EXPECT_EQ(parse_policy_duration("-5m"), std::nullopt);
  EXPECT_EQ(format_policy_duration(seconds(5400)), "1h30m");
  EXPECT_EQ(parse_time_of_day("24:00"), 1440);
  EXPECT_EQ(parse_time_of_day("8:05"), 485);
  EXPECT_EQ(parse_time_of_day("24:01"), std::nullopt);

  std::string why;
  const auto c = CronSchedule::parse("*/15 9-17 * * mon-fri", &why);
  ASSERT_TRUE(c) << why;
  const std::int64_t wed_0930 = *parse_local_date("2026-03-04T09:30");
  EXPECT_TRUE(c->fired_within(wed_0930, 1));     // 09:30 itself
  EXPECT_FALSE(c->fired_within(wed_0930 + 1, 1));  // 09:31: last firing a minute ago
  EXPECT_TRUE(c->fired_within(wed_0930 + 1, 2));
  const std::int64_t sat = *parse_local_date("2026-03-07T10:00");
  EXPECT_FALSE(c->fired_within(sat, 60));
  EXPECT_TRUE(c->fired_within(sat, 2 * 1440));  // Friday 17:45 is within two days
  EXPECT_FALSE(CronSchedule::parse("0 0 * * 8", &why));
  EXPECT_EQ(why, "day-of-week \"8\" is outside 0-7");
  EXPECT_FALSE(CronSchedule::parse("*/0 * * * *", &why));
  EXPECT_TRUE(CronSchedule::parse("0 0 * jan,dec sun", &why));
  EXPECT_FALSE(CronSchedule::parse("0 0 31 2 *", &why)->can_fire());
}

// A policy directory mounted from a ConfigMap, laid out as the kubelet's atomic writer does:
// the files live in a hidden `..<timestamp>` directory, `..data` links to it, and each visible
// name links through `..data`. An update writes a new timestamped directory and swaps `..data`.
TEST(PolicySet, MountedConfigMapIsLoadedOnceAndReloadedWhenTheKubeletSwapsIt) {
  namespace fs = std::filesystem;
  test::TempDir dir;
  const fs::path root = fs::path(dir.path()) / "policies";
  auto publish = [&](const std::string& stamp, int max_replicas) {
    fs::create_directories(root / stamp);
    std::ofstream(root / stamp / "bounds.yaml")
        << kHeader << "spec: {bounds: {max_replicas: " << max_replicas << "}}\n";
    fs::create_directory_symlink(stamp, root / "..data_tmp");
    fs::rename(root / "..data_tmp", root / "..data");  // atomic, as the kubelet does
    if (!fs::exists(fs::symlink_status(root / "bounds.yaml"))) fs::create_symlink("..data/bounds.yaml", root / "bounds.yaml");
  };
  publish("..2026_11_22_10_00_00.000000001", 5);
  PolicySet set({root.string()});
  const ReloadReport first = set.reload();
  ASSERT_TRUE(first.ok) << first.summary();
  EXPECT_EQ(first.files, 1u) << "the hidden timestamped copy must not be loaded a second time";
  Proposal p{"web", "prod", "scale", 2, 9, 0.9};
  Context c;
  EXPECT_EQ(set.evaluate(p, c).replicas, 5);
  EXPECT_EQ(set.reload_if_changed(), std::nullopt);

  publish("..2026_11_22_10_05_00.000000002", 7);
  const auto swapped = set.reload_if_changed();
  ASSERT_TRUE(swapped.has_value()) << "the ..data swap is a change";
  EXPECT_TRUE(swapped->applied) << swapped->summary();
  EXPECT_EQ(swapped->files, 1u);
  EXPECT_EQ(set.evaluate(p, c).replicas, 7);

  const LoadResult direct = load_policy_paths({root.string()});
  EXPECT_TRUE(direct.ok()) << direct.report();
  EXPECT_EQ(direct.files.size(), 1u);
}

}  // namespace
}  // namespace opspilot::policies
