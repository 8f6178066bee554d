// The sandbox following a Kubernetes API (examples/sandbox/cluster_follow.h): both real processes,
// the simulated cluster changed with plain API calls as kubectl would, the sandbox's services
// checked to take their replicas, ready replicas and rollouts from it.
#include <gtest/gtest.h>

#include "examples/k8s-sim/sim_process.h"
#include "tests/e2e_support.h"

using namespace opspilot::test;
using opspilot::k8s_sim::testing::SimProcess;
using opspilot::k8s_sim::testing::wait_until;
using nlohmann::json;

namespace {

// Pods take 120 simulated seconds to become Ready: 2 s of real time at 60x.
const char* kCluster = R"(namespaces: [shop]
deployments:
  - {name: checkout, namespace: shop, replicas: 4, image: "shop/checkout:1.0", labels: {app: checkout},
     annotations: {k8s-sim.opspilot.io/ready-after-seconds: "120"}}
  - {name: not-a-service, namespace: shop, replicas: 1, image: "x:1"}
)";

const std::string kDeploy = "/apis/apps/v1/namespaces/shop/deployments/checkout";

}  // namespace

TEST(SandboxCluster, ServicesTakeReplicasReadinessAndRolloutsFromTheDeployments) {
  SimProcess sim(kCluster, {"--time-scale", "60"});
  ASSERT_EQ(sim.error(), "");
  Sandbox sb(60, "2026-01-06T03:00:00Z", {"--cluster", sim.url(), "--cluster-namespace", "shop"});
  ASSERT_GT(sb.port, 0) << "the sandbox did not start";
  ASSERT_TRUE(wait_until([&] { return sb.service("checkout")["replicas"] == 4; })) << sb.service("checkout").dump();
  EXPECT_EQ(sb.service("checkout")["ready_replicas"], 4);
  const int rollout_before = sb.service("checkout")["rollout"].get<int>();

  // Scale in the cluster: the desired count follows at once, readiness only when the cluster says.
  ASSERT_EQ(sim.send("PATCH", kDeploy + "/scale", R"({"spec":{"replicas":7}})", "application/merge-patch+json").status, 200);
  ASSERT_TRUE(wait_until([&] { return sb.service("checkout")["replicas"] == 7; })) << sb.service("checkout").dump();
  const json early = json::parse(sim.send("GET", kDeploy).body);
  const int sim_ready = early["status"].value("readyReplicas", 0);
  const int sb_ready = sb.service("checkout")["ready_replicas"].get<int>();
  EXPECT_LE(sb_ready, sim_ready + 3) << "never ahead of the cluster by more than what it scaled";
  EXPECT_LT(sb_ready, 7) << "new replicas are not ready before the cluster's readiness delay";
  ASSERT_TRUE(wait_until([&] { return sb.service("checkout")["ready_replicas"] == 7; }, std::chrono::seconds(15)))
      << sb.service("checkout").dump();

  // A rolling restart in the cluster is a new rollout in the sandbox.
  ASSERT_EQ(sim.send("PATCH", kDeploy,
                     R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-06T03:10:00Z"}}}}})",
                     "application/strategic-merge-patch+json").status, 200);
  ASSERT_TRUE(wait_until([&] { return sb.service("checkout")["rollout"].get<int>() == rollout_before + 1; }))
      << sb.service("checkout").dump();
  EXPECT_EQ(sim.stop(), "");
}

TEST(SandboxCluster, AnUnreachableClusterIsAStartupError) {
  const int dead = free_port();
  TempDir dir;
  std::string out;
  const int rc = run_command(std::string(OPSPILOT_SANDBOX_BIN) + " --config " + OPSPILOT_SOURCE_DIR +
                                 "/examples/sandbox/sandbox.yaml --listen 127.0.0.1:0 --cluster http://127.0.0.1:" +
                                 std::to_string(dead) + " 2>&1",
                             &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("cannot follow the cluster"), std::string::npos) << out;
}
