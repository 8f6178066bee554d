// The opspilot command line, run as a real process.
#include <gtest/gtest.h>

#include "agent/journal/journal.h"
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
  // The default warm-up is half the longest rate window (30s of the config's clock for [1m]).
  ASSERT_EQ(run_opspilot("plan -c " + cfg, &out), 0) << out;
  EXPECT_NE(out.find("checkout"), std::string::npos) << out;
  EXPECT_NE(out.find("scale"), std::string::npos) << out;
  EXPECT_NE(out.find("planned"), std::string::npos) << out;
  EXPECT_NE(out.find("sum(rate(sandbox_http_requests_total"), std::string::npos) << "shows the queries";
  EXPECT_EQ(sb.service("checkout")["replicas"].get<int>(), before) << "plan never acts";
  EXPECT_FALSE(std::filesystem::exists(dir.file("journal"))) << "plan leaves the agent's journal alone";

  ASSERT_EQ(run_opspilot("plan --json -c " + cfg, &out), 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j["plan"].size(), 1u);
  EXPECT_EQ(j["plan"][0]["state"], "planned");

  // Two scrapes 5 s apart would read a 1m rate at a fraction of its value: the load is missing,
  // said so, and nothing is planned on it.
  ASSERT_EQ(run_opspilot("plan --warmup 5s -c " + cfg, &out), 0) << out;
  EXPECT_NE(out.find("warming up: sandbox_http_requests_total has been scraped for 5s (2 scrapes)"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("planned"), std::string::npos) << out;
}

TEST(Cli, DecisionsAndExplainOnAMissingJournalFailClearly) {
  std::string out;
  EXPECT_EQ(run_opspilot("decisions --journal /nonexistent/journal", &out), 1);
  EXPECT_NE(out.find("/nonexistent/journal"), std::string::npos) << out;
  TempDir dir;
  EXPECT_EQ(run_opspilot("explain d-999999 --journal " + dir.path().string(), &out), 1);
  EXPECT_NE(out.find("d-999999"), std::string::npos) << out;
}

TEST(Cli, DecisionsLimitCountsTheDecisionsListedNotTheHoldsHidden) {
  using namespace opspilot::agent;
  TempDir dir;
  {
    JournalOptions jo;
    jo.dir = dir.file("journal");
    jo.fsync = false;
    std::string err;
    auto j = Journal::open(jo, &err);
    ASSERT_TRUE(j) << err;
    // Newest first: 2 holds, then a scale, 2 holds, a scale, 2 holds, a scale, ...
    for (int i = 0; i < 12; ++i) {
      Decision d;
      d.id = "d-" + std::to_string(100000 + i);
      d.target = "web";
      d.created = from_unix_seconds(1.7e9 + 60.0 * i);
      const bool hold = i % 3 != 0;
      d.state = hold ? DecisionState::Held : DecisionState::Planned;
      d.action = hold ? "hold" : "scale";
      d.reason = hold ? "nothing to do" : "load rising";
      ASSERT_TRUE(j->append(d)) << d.id;
    }
  }
  std::string out;
  ASSERT_EQ(run_opspilot("decisions --json --limit 3 --journal " + dir.file("journal"), &out), 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  ASSERT_EQ(j["decisions"].size(), 3u) << out;
  EXPECT_EQ(j["decisions"][0]["id"], "d-100009");
  EXPECT_EQ(j["decisions"][2]["id"], "d-100003");
  // --all counts the holds too.
  ASSERT_EQ(run_opspilot("decisions --json --all --limit 3 --journal " + dir.file("journal"), &out), 0) << out;
  j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_EQ(j["decisions"].size(), 3u) << out;
  for (const char* bad : {"0", "-3", "3x", ""}) {
    EXPECT_EQ(run_opspilot(std::string("decisions --limit '") + bad + "' --journal " + dir.file("journal"), &out), 2)
        << bad << ": " << out;
    EXPECT_NE(out.find("--limit"), std::string::npos) << out;
    EXPECT_NE(out.find(std::string("\"") + bad + "\""), std::string::npos) << out;
  }
}
