// The opspilot binary against the real sandbox process, over real HTTP: it observes, scales
// through the webhook actuator, verifies, serves its API, shuts down gracefully on SIGTERM and
// survives kill -9 with a readable journal it resumes from.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e_support.h"

using namespace opspilot::test;
using nlohmann::json;

namespace {

constexpr double kSpeed = 60;  // one simulated minute per real second

json get_json(const std::string& url) {
  auto r = http_get(url);
  return json::parse(r.body, nullptr, false);
}

/// A scale decision in one of `states` (by default applied or verified), or null.
json find_scale(const std::string& api, const std::vector<std::string>& states = {"verified", "applied"}) {
  const json list = get_json(api + "/api/v1/decisions?limit=500");
  if (!list.contains("decisions")) return {};
  for (const auto& d : list["decisions"])
    if (d["action"] == "scale" && std::find(states.begin(), states.end(), d["state"].get<std::string>()) != states.end())
      return d;
  return {};
}

}  // namespace

TEST(AgentEndToEnd, ScalesTheSandboxServesItsApiAndStopsGracefully) {
  Sandbox sb(kSpeed);
  ASSERT_GT(sb.port, 0) << "sandbox did not start";
  TempDir dir;
  const int port = free_port();
  // A per-replica capacity far below the sandbox's makes the agent scale up at once.
  const std::string cfg = dir.write("opspilot.yaml", sandbox_config(sb, dir.path().string(), kSpeed, "active", port, 20));
  std::string out;
  ASSERT_EQ(run_command(std::string(OPSPILOT_BIN) + " validate -c " + cfg, &out), 0) << out;

  ChildProcess agent(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent.log"));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http(api + "/healthz", std::chrono::seconds(10)));
  EXPECT_TRUE(wait_for_http(api + "/readyz", std::chrono::seconds(20))) << "never became ready";

  json scale;
  ASSERT_TRUE(eventually(40, [&] { scale = find_scale(api); return !scale.is_null(); }))
      << "no scale decision; agent log in " << dir.file("agent.log");
  const int desired = scale["desired_replicas"].get<int>();
  EXPECT_GT(desired, scale["current_replicas"].get<int>());
  // The sandbox really received it.
  EXPECT_TRUE(eventually(10, [&] { return sb.service("checkout")["replicas"].get<int>() >= desired; }));
  // ... and the agent verifies it once the replicas are ready (or a larger scale-up replaces it
  // while they start, and that one is verified).
  std::string id = scale["id"];
  EXPECT_TRUE(eventually(30, [&] {
    const json verified = find_scale(api, {"verified"});
    if (!verified.is_null()) id = verified["id"];
    return !verified.is_null();
  }));

  const json one = get_json(api + "/api/v1/decisions/" + id);
  EXPECT_EQ(one["id"], id);
  EXPECT_NE(one["explanation"].get<std::string>().find("checkout"), std::string::npos);
  EXPECT_FALSE(one["observed"].empty());
  EXPECT_EQ(http_get(api + "/api/v1/decisions/nope").status, 404);

  const json status = get_json(api + "/api/v1/status");
  ASSERT_EQ(status["targets"].size(), 1u);
  EXPECT_EQ(status["targets"][0]["signals"]["load"]["status"], "ok");
  EXPECT_TRUE(status["ready"].get<bool>());

  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // one metrics render
  const auto metrics = http_get(api + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("opspilot_decisions_total{action=\"scale\""), std::string::npos);
  EXPECT_NE(metrics.body.find("opspilot_actuator_calls_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("opspilot_tick_duration_seconds_bucket"), std::string::npos);

  agent.signal(SIGTERM);
  const int st = agent.wait(std::chrono::seconds(15));
  ASSERT_NE(st, -1) << "did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);

  // The journal is readable by the CLI after the stop.
  ASSERT_EQ(run_command(std::string(OPSPILOT_BIN) + " explain " + id + " -c " + cfg, &out), 0) << out;
  EXPECT_NE(out.find("scale"), std::string::npos);
  ASSERT_EQ(run_command(std::string(OPSPILOT_BIN) + " decisions --json -c " + cfg, &out), 0) << out;
  EXPECT_NE(out.find(id), std::string::npos);
}

TEST(AgentEndToEnd, KillNineLeavesAReadableJournalAndTheAgentResumes) {
  Sandbox sb(kSpeed);
  ASSERT_GT(sb.port, 0);
  TempDir dir;
  const int port = free_port();
  const std::string cfg = dir.write("opspilot.yaml", sandbox_config(sb, dir.path().string(), kSpeed, "active", port, 20));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  std::string first_id;
  {
    ChildProcess agent(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent1.log"));
    ASSERT_TRUE(eventually(40, [&] { return !find_scale(api).is_null(); }));
    first_id = find_scale(api)["id"];
    agent.signal(SIGKILL);
    agent.wait(std::chrono::seconds(5));
  }
  std::string out;
  ASSERT_EQ(run_command(std::string(OPSPILOT_BIN) + " decisions --all --json -c " + cfg, &out), 0) << out;
  const json before = json::parse(out, nullptr, false);
  ASSERT_FALSE(before.is_discarded()) << out;
  const size_t n_before = before["decisions"].size();
  EXPECT_GT(n_before, 0u);

  ChildProcess again(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent2.log"));
  ASSERT_TRUE(wait_for_http(api + "/readyz", std::chrono::seconds(20)));
  // The restarted agent knows the old decisions and keeps numbering after them.
  EXPECT_EQ(get_json(api + "/api/v1/decisions/" + first_id)["id"], first_id);
  again.signal(SIGTERM);
  ASSERT_NE(again.wait(std::chrono::seconds(15)), -1);
  ASSERT_EQ(run_command(std::string(OPSPILOT_BIN) + " decisions --all --json --limit 100000 -c " + cfg, &out), 0);
  const json after = json::parse(out, nullptr, false);
  std::set<std::string> ids;
  for (const auto& d : after["decisions"]) ids.insert(d["id"].get<std::string>());
  EXPECT_EQ(ids.size(), after["decisions"].size()) << "decision ids must stay unique across restarts";
}

TEST(AgentEndToEnd, UnreachableTargetIsHeldCountedAndNeverActedOn) {
  TempDir dir;
  const int port = free_port();
  const int dead = free_port();  // nothing listens here
  const std::string cfg = dir.write(
      "opspilot.yaml",
      "mode: active\ninterval: 15s\nhttp:\n  listen: \"127.0.0.1:" + std::to_string(port) +
          "\"\nactuator:\n  type: webhook\n  url: http://127.0.0.1:" + std::to_string(dead) +
          "/api/v1/actions\njournal:\n  path: " + dir.file("journal") +
          "\nclock:\n  speed: 60\ntargets:\n  - name: web\n    scrape: http://127.0.0.1:" + std::to_string(dead) +
          "/metrics\n    metrics:\n      load: sum(rate(http_requests_total[1m]))\n      replicas: up\n"
          "    capacity: {per_replica: 10}\n");
  ChildProcess agent(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent.log"));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http(api + "/healthz", std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(http_get(api + "/readyz").status, 503) << "not ready without a successful observation";
  const json list = get_json(api + "/api/v1/decisions?limit=50");
  ASSERT_FALSE(list["decisions"].empty());
  for (const auto& d : list["decisions"]) {
    EXPECT_EQ(d["state"], "held");
    EXPECT_NE(d["reason"].get<std::string>().find("no action on missing or stale data"), std::string::npos);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto metrics = http_get(api + "/metrics").body;
  EXPECT_NE(metrics.find("opspilot_scrape_errors_total"), std::string::npos);
  EXPECT_EQ(metrics.find("opspilot_scrape_errors_total 0\n"), std::string::npos) << "scrape errors are counted";
  agent.signal(SIGTERM);
  EXPECT_NE(agent.wait(std::chrono::seconds(15)), -1);
}

// opspilot.yaml mounted from a ConfigMap changes under the running agent: a version with errors
// is reported and counted while the running configuration stays; a version that loads is applied
// by a restart inside the same process.
TEST(AgentEndToEnd, ChangedConfigFileIsAppliedInPlaceAndABadOneIsRefused) {
  TempDir dir;
  const int port = free_port();
  const int dead = free_port();
  const std::string policy = dir.write("bounds.yaml", "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata:\n  name: b\nspec:\n  bounds: {max_replicas: 9}\n");
  auto config = [&](const std::string& mode, const std::string& interval) {
    return "mode: " + mode + "\ninterval: " + interval + "\nhttp:\n  listen: \"127.0.0.1:" + std::to_string(port) +
           "\"\nactuator:\n  type: dry-run\njournal:\n  path: " + dir.file("journal") +
           "\npolicies:\n  paths: [" + policy + "]\n  reload_interval: 1s\ntargets:\n  - name: web\n    scrape: http://127.0.0.1:" + std::to_string(dead) +
           "/metrics\n    metrics:\n      load: sum(rate(http_requests_total[1m]))\n    capacity: {per_replica: 10}\n";
  };
  const std::string cfg = dir.write("opspilot.yaml", config("dry-run", "15s"));
  ChildProcess agent(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent.log"));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http(api + "/healthz", std::chrono::seconds(10))) << dir.file("agent.log");
  // "" while the server does not answer: the agent restarts in place, so it is briefly down.
  auto mode = [&] {
    const json status = get_json(api + "/api/v1/status");
    return status.is_object() && status.contains("mode") ? status["mode"].get<std::string>() : std::string();
  };
  EXPECT_EQ(mode(), "dry-run");

  dir.write("opspilot.yaml", config("dry-run", "fast"));
  EXPECT_TRUE(eventually(10, [&] {
    return http_get(api + "/metrics").body.find("opspilot_config_reloads_rejected_total 1\n") != std::string::npos;
  })) << "a bad version is counted";
  EXPECT_TRUE(agent.running());
  EXPECT_EQ(mode(), "dry-run") << "the running configuration stays";

  dir.write("opspilot.yaml", config("active", "15s"));
  EXPECT_TRUE(eventually(15, [&] { return mode() == "active"; }))
      << "the new version is applied; log in " << dir.file("agent.log");
  EXPECT_TRUE(agent.running()) << "in the same process";
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(std::chrono::seconds(15)), 0);
  const std::string log = read_file(dir.file("agent.log"));
  EXPECT_NE(log.find("changed but does not load; the running configuration stays in force"), std::string::npos) << log;
  EXPECT_NE(log.find("opspilot.yaml:2:11: error: bad duration: \"fast\""), std::string::npos) << "the problem is named at file:line:col\n" << log;
  EXPECT_NE(log.find("changed; finishing the current tick and restarting with it"), std::string::npos);
}
