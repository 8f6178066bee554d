// `opspilot policy validate` and `opspilot policy test`, run as the real binary on temp files and
// on the bundled examples.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace opspilot::test {
namespace {

const std::string kBin = OPSPILOT_BIN;
const std::string kExamples = std::string(OPSPILOT_SOURCE_DIR) + "/policies/examples";

int run(const std::string& args, std::string* out) { return run_command(kBin + " policy " + args + " 2>&1", out); }

const char* kGood = R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: web}
spec:
  targets: [{namespace: prod, name: web}]
  bounds: {min_replicas: 2, max_replicas: 6}
)";

TEST(PolicyCli, ValidatesTheBundledExamples) {
  std::string out;
  EXPECT_EQ(run("validate " + kExamples, &out), 0) << out;
  EXPECT_EQ(out, "ok: 3 files, 4 policies, 28 rules\n");
}

TEST(PolicyCli, ValidateReportsEveryErrorWithPositionAndExitsOne) {
  TempDir dir;
  const std::string bad = dir.write("bad.yaml", R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: web}
spec:
  bounds: {min_replicas: 2, max_replicas: six}
  cooldowns: {restrat: 5m}
)");
  std::string out;
  EXPECT_EQ(run("validate " + bad, &out), 1);
  EXPECT_EQ(out, bad + ":5:43: error: expected an integer, got \"six\" (at spec.bounds.max_replicas)\n"
                 "    bounds: {min_replicas: 2, max_replicas: six}\n" +
                 std::string(2 + 42, ' ') + "^\n" +
                 bad + ":6:15: error: unknown action kind \"restrat\"; did you mean \"restart\"? (known: \"scale\", "
                 "\"scale_up\", \"scale_down\", \"resize\", \"resize_up\", \"resize_down\", \"restart\", \"rollback\") "
                 "(at spec.cooldowns.restrat)\n"
                 "    cooldowns: {restrat: 5m}\n" +
                 std::string(2 + 14, ' ') + "^\n"
                 "2 errors, 0 warnings\n"
                 "invalid: 2 errors\n");
}

TEST(PolicyCli, ValidateJson) {
  TempDir dir;
  const std::string good = dir.write("good.yaml", kGood);
  const std::string bad = dir.write("bad.yaml", std::string(kGood).replace(0, 27, "apiVersion: v9"));
  std::string out;
  EXPECT_EQ(run("validate --json " + good + " " + bad, &out), 1);
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["errors"], 2);  // bad apiVersion, and the duplicate name "web"
  EXPECT_EQ(j["diagnostics"][0]["code"], "bad-version");
  EXPECT_EQ(j["diagnostics"][1]["code"], "duplicate-name");
  EXPECT_EQ(j["files"].size(), 2u);
}

TEST(PolicyCli, TableTestsOfTheExamplesPass) {
  std::string out;
  EXPECT_EQ(run("test " + kExamples, &out), 0) << out;
  EXPECT_NE(out.find("0 failed (3 test files)"), std::string::npos) << out;
  EXPECT_EQ(out.find("FAIL"), std::string::npos) << out;
}

TEST(PolicyCli, AFailingTableTestPrintsADiffAndExitsOne) {
  TempDir dir;
  dir.write("web.yaml", kGood);
  dir.write("web_test.yaml", R"(now: "2026-03-04T10:00:00Z"
tests:
  - name: capped at six
    proposal: {namespace: prod, target: web, action: scale, current: 4, desired: 9}
    expect: {verdict: allow, replicas: 7}
)");
  std::string out;
  EXPECT_EQ(run("test " + dir.path().string(), &out), 1);
  EXPECT_NE(out.find("FAIL " + dir.file("web_test.yaml") + ":3 capped at six\n"
                     "    replicas: expected 7, got 6\n"
                     "    rules checked:\n"
                     "      allow           web/bounds.max_replicas: wanted 9, capped at max_replicas 6\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("0 passed, 1 failed (1 test file)"), std::string::npos) << out;
}

TEST(PolicyCli, UsageErrorsExitTwo) {
  std::string out;
  EXPECT_EQ(run("", &out), 2);
  EXPECT_EQ(run("valdiate x.yaml", &out), 2);
  EXPECT_NE(out.find("unknown subcommand \"valdiate\""), std::string::npos);
  EXPECT_EQ(run("validate", &out), 2);
  EXPECT_EQ(run("validate --jsn x.yaml", &out), 2);
  EXPECT_NE(out.find("did you mean \"--json\"?"), std::string::npos) << out;
}

}  // namespace
}  // namespace opspilot::test
