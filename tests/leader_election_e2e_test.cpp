// Two real agent processes against the Kubernetes API simulator, each acting through its own
// token, with the sandbox's service following the simulated Deployment: only the holder of the
// Lease acts; when it is killed the other takes over after the lease expires (not before) and
// acts; a clean stop hands the lease over at once. Who wrote what is read from the simulator's
// own log of writes.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "examples/k8s-sim/sim_process.h"
#include "tests/e2e_support.h"

using namespace opspilot::test;
using opspilot::k8s_sim::testing::SimProcess;
using opspilot::k8s_sim::testing::wait_until;
using nlohmann::json;

namespace {

const char* kClusterState = R"(auth:
  tokens:
    - {token: admin-token, user: admin}
    - {token: token-a, user: agent-a}
    - {token: token-b, user: agent-b}
namespaces: [shop]
deployments:
  - {name: checkout, namespace: shop, replicas: 4, image: "shop/checkout:1.0", labels: {app: checkout},
     annotations: {k8s-sim.opspilot.io/ready-after-seconds: "60"}}
)";

struct AgentProc {
  std::string name, dir, log, config;
  int port = 0;
  std::unique_ptr<ChildProcess> proc;
  std::string log_text() const { return read_file(log); }
  json status() const {
    auto r = http_get("http://127.0.0.1:" + std::to_string(port) + "/api/v1/status");
    return json::parse(r.body, nullptr, false);
  }
  bool leads() const {
    const json s = status();
    return s.is_object() && s.contains("leader") && s["leader"].value("is_leader", false);
  }
};

/// Scale writes to the Deployment in the simulator's log: (seq, user).
std::vector<std::pair<long, std::string>> scale_writes(const SimProcess& sim) {
  std::vector<std::pair<long, std::string>> out;
  const json log = json::parse(sim.send("GET", "/sim/log").body, nullptr, false);
  if (!log.is_object()) return out;
  for (const auto& e : log["entries"]) {
    if (e.value("resource", "") != "deployments" || e.value("name", "") != "checkout") continue;
    const int code = e.value("code", 0);
    if (code < 200 || code >= 300 || e.value("method", "") == "GET") continue;
    out.emplace_back(e.value("seq", 0L), e.value("user", ""));
  }
  return out;
}

}  // namespace

TEST(LeaderElectionE2E, OnlyTheLeaderActsAndAKilledLeaderIsReplacedAfterExpiry) {
  SimProcess sim(kClusterState, {"--time-scale", "60"});
  ASSERT_EQ(sim.error(), "");
  TempDir dir;
  const std::string sandbox_token = dir.write("sandbox-token", "admin-token\n");
  Sandbox sb(60, "2026-01-06T12:00:00Z",
             {"--cluster", sim.url(), "--cluster-namespace", "shop", "--cluster-token-file", sandbox_token});
  ASSERT_GT(sb.port, 0);

  auto make_agent = [&](const std::string& name, const std::string& token) {
    AgentProc a;
    a.name = name;
    a.dir = dir.file(name);
    std::filesystem::create_directories(a.dir);
    a.port = free_port();
    a.log = a.dir + "/agent.log";
    const std::string kubeconfig = dir.write(name + "-kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: sim\n"
        "clusters: [{name: sim, cluster: {server: \"" + sim.url() + "\"}}]\n"
        "users: [{name: " + name + ", user: {token: " + token + "}}]\n"
        "contexts: [{name: sim, context: {cluster: sim, user: " + name + ", namespace: shop}}]\n");
    std::string cfg = sandbox_config(sb, a.dir, 60, "active", a.port, 60);
    const std::string webhook = "actuator:\n  type: webhook\n  url: " + sb.base + "/api/v1/actions\n  timeout: 2s\n";
    const auto at = cfg.find(webhook);
    EXPECT_NE(at, std::string::npos);
    cfg.replace(at, webhook.size(),
                "actuator:\n  type: kubernetes\n  kubeconfig: " + kubeconfig + "\n  timeout: 2s\n"
                "leader_election:\n  namespace: shop\n  name: opspilot\n  identity: " + name + "\n"
                "  kubeconfig: " + kubeconfig + "\n  lease_duration: 2s\n  renew_deadline: 1500ms\n"
                "  retry_period: 250ms\n");
    a.config = dir.write(name + ".yaml", cfg);
    a.proc = std::make_unique<ChildProcess>(OPSPILOT_BIN, std::vector<std::string>{"run", "-c", a.config, "--quiet"}, a.log);
    return a;
  };

  AgentProc a = make_agent("agent-a", "token-a");
  ASSERT_TRUE(wait_until([&] { return a.leads(); }, std::chrono::seconds(20))) << a.log_text();
  AgentProc b = make_agent("agent-b", "token-b");
  ASSERT_TRUE(wait_until([&] { return b.status().is_object(); }, std::chrono::seconds(20))) << b.log_text();
  EXPECT_EQ(b.status()["leader"]["holder"], "agent-a");

  // The leader scales the under-provisioned service; the standby only observes.
  ASSERT_TRUE(wait_until([&] { return !scale_writes(sim).empty(); }, std::chrono::seconds(30))) << a.log_text();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_FALSE(b.leads());
  for (const auto& [seq, user] : scale_writes(sim)) EXPECT_EQ(user, "agent-a") << "write " << seq;

  // Kill the leader: no release, so the standby must wait for the lease to expire.
  const auto killed = std::chrono::steady_clock::now();
  a.proc->signal(SIGKILL);
  a.proc->wait(std::chrono::seconds(5));
  const long last_a = scale_writes(sim).empty() ? 0 : scale_writes(sim).back().first;
  ASSERT_TRUE(wait_until([&] { return b.leads(); }, std::chrono::seconds(15))) << b.log_text();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  // client-go's expiry: lease_duration from when the standby last saw the lease change, which is
  // at most one retry period (plus jitter) after the leader's last renew.
  EXPECT_GE(took, 2.0 - 0.25 * 2.2 - 0.1) << "took over before the lease could have expired";
  EXPECT_LT(took, 6.0);

  // Make the service need more replicas again (as another writer would): the new leader acts.
  ASSERT_EQ(sim.send("PATCH", "/apis/apps/v1/namespaces/shop/deployments/checkout/scale", R"({"spec":{"replicas":2}})",
                     "application/merge-patch+json", "admin-token").status, 200);
  ASSERT_TRUE(wait_until([&] {
    for (const auto& [seq, user] : scale_writes(sim)) {
      if (user == "agent-b") return true;
    }
    return false;
  }, std::chrono::seconds(30))) << b.log_text();
  for (const auto& [seq, user] : scale_writes(sim)) {
    if (user == "agent-a") {
      EXPECT_LE(seq, last_a) << "the killed agent wrote after its death";
    }
  }

  // A clean stop releases the lease at once.
  b.proc->signal(SIGTERM);
  EXPECT_NE(b.proc->wait(std::chrono::seconds(30)), -1);
  const json lease = json::parse(sim.send("GET", "/apis/coordination.k8s.io/v1/namespaces/shop/leases/opspilot", "",
                                          "application/json", "admin-token").body, nullptr, false);
  ASSERT_TRUE(lease.is_object());
  EXPECT_EQ(lease["spec"].value("holderIdentity", "?"), "") << lease.dump();
  EXPECT_NE(b.log_text().find("released the leader lease"), std::string::npos) << b.log_text();
  EXPECT_NE(a.log_text().find("agent-a is now the leader"), std::string::npos);
}
