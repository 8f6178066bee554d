// The opspilot command line, run as a real process.
#include <gtest/gtest.h>

#include "tests/e2e_support.h"

using namespace opspilot::test;

namespace {

int run_opspilot(const std::string& args, std::string* out) {
  return run_command(std::string(OPSPILOT_BIN) + " " + args, out);
}

}  // namespace

TEST(Cli, ValidateReportsEveryProblemWithPositions) {
  TempDir dir;
  const std::string cfg = dir.write("bad.yaml",
                                    "mode: activ\n"
                                    "intreval: 15s\n"
                                    "targets:\n"
                                    "  - name: web\n"
                                    "    scrape: http://127.0.0.1:1/metrics\n"
                                    "    metrics:\n"
                                    "      load: up\n"
                                    "    limits: {min_replicas: 5, max_replicas: 2}\n");
  std::string out;
  EXPECT_EQ(run_opspilot("validate -c " + cfg, &out), 1);
  EXPECT_NE(out.find(cfg + ":1:7:"), std::string::npos) << out;   // mode value
  EXPECT_NE(out.find(cfg + ":2:1:"), std::string::npos) << out;   // unknown key
  EXPECT_NE(out.find("did you mean \"interval\""), std::string::npos) << out;
  EXPECT_NE(out.find("max_replicas"), std::string::npos) << out;
  EXPECT_NE(out.find("^"), std::string::npos) << "the source line with a caret";

  EXPECT_EQ(run_opspilot("validate --json -c " + cfg, &out), 1);
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_GE(j["diagnostics"].size(), 3u);
}

TEST(Cli, ValidateAsksTheActuatorToCheckItsSettings) {
  TempDir dir;
  const std::string target = "targets:\n  - name: web\n    scrape: http://127.0.0.1:1/metrics\n    metrics: {load: up}\n";
  std::string out;
  const std::string typo = dir.write("typo.yaml", "actuator: {type: webhook, url: http://127.0.0.1:1/a, retrys: 3}\n" + target);
  EXPECT_EQ(run_opspilot("validate -c " + typo, &out), 1) << out;
  EXPECT_NE(out.find(typo + ": error: actuator \"webhook\": unknown setting \"retrys\""), std::string::npos) << out;
  const std::string missing = dir.write("missing.yaml", "actuator: {type: kubernetes, kubeconfig: " + dir.file("nope") + "}\n" + target);
  EXPECT_EQ(run_opspilot("validate --json -c " + missing, &out), 1) << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_FALSE(j["actuator"]["ok"].get<bool>());
  EXPECT_NE(j["actuator"]["error"].get<std::string>().find(dir.file("nope")), std::string::npos) << out;
}

TEST(Cli, ValidateAcceptsTheExamples) {
  std::string out;
  EXPECT_EQ(run_opspilot(std::string("validate -c ") + OPSPILOT_SOURCE_DIR + "/examples/opspilot.yaml", &out), 0) << out;
  EXPECT_NE(out.find("ok"), std::string::npos);
}

TEST(Cli, UsageErrorsSayWhatWasMeant) {
  std::string out;
  EXPECT_EQ(run_opspilot("frobnicate", &out), 2);
  EXPECT_NE(out.find("unknown command"), std::string::npos);
  EXPECT_EQ(run_opspilot("validate --confg x.yaml", &out), 2);
  EXPECT_NE(out.find("did you mean \"--config\""), std::string::npos) << out;
  EXPECT_EQ(run_opspilot("explain", &out), 2);
  EXPECT_EQ(run_opspilot("validate -c /nonexistent/opspilot.yaml", &out), 1);
  EXPECT_NE(out.find("/nonexistent/opspilot.yaml"), std::string::npos) << out;
}

TEST(Cli, PlanShowsWhatItSeesPredictsAndWouldDoWithoutActing) {
  Sandbox sb(30);
  ASSERT_GT(sb.port, 0);
  TempDir dir;
  const int before = sb.service("checkout")["replicas"].get<int>();
  const std::string cfg = dir.write("opspilot.yaml", sandbox_config(sb, dir.path().string(), 30, "active", free_port(), 20));
  std::string out;
  ASSERT_EQ(run_opspilot("plan --warmup 15s -c " + cfg, &out), 0) << out;
  EXPECT_NE(out.find("checkout"), std::string::npos) << out;
  EXPECT_NE(out.find("scale"), std::string::npos) << out;
  EXPECT_NE(out.find("planned"), std::string::npos) << out;
  EXPECT_NE(out.find("sum(rate(sandbox_http_requests_total"), std::string::npos) << "shows the queries";
  EXPECT_EQ(sb.service("checkout")["replicas"].get<int>(), before) << "plan never acts";
  EXPECT_FALSE(std::filesystem::exists(dir.file("journal"))) << "plan leaves the agent's journal alone";

  ASSERT_EQ(run_opspilot("plan --json --warmup 15s -c " + cfg, &out), 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j["plan"].size(), 1u);
  EXPECT_EQ(j["plan"][0]["state"], "planned");
}

TEST(Cli, DecisionsAndExplainOnAMissingJournalFailClearly) {
  std::string out;
  EXPECT_EQ(run_opspilot("decisions --journal /nonexistent/journal", &out), 1);
  EXPECT_NE(out.find("/nonexistent/journal"), std::string::npos) << out;
  TempDir dir;
  EXPECT_EQ(run_opspilot("explain d-999999 --journal " + dir.path().string(), &out), 1);
  EXPECT_NE(out.find("d-999999"), std::string::npos) << out;
}
