// The real kubectl against the Kubernetes API simulator: get, scale, rollout restart/status/undo,
// leases, a 409 from replacing a stale object, and 401/403 from bad and restricted tokens.
// kubectl sends bearer tokens only over https, so the simulator serves TLS with its own
// certificate here and the kubeconfig trusts it. A missing kubectl is a failure, not a skip.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include <nlohmann/json.hpp>

#include "examples/k8s-sim/sim_process.h"

namespace opspilot::k8s_sim {
namespace {

using nlohmann::json;
using testing::SimProcess;
using testing::wait_until;
using namespace std::chrono_literals;

constexpr const char* kState = R"(
deployments:
  - {name: web, replicas: 3, image: "nginx:1.25", progressDeadlineSeconds: 30}
leases:
  - {name: opspilot-leader, holder: agent-1, leaseDurationSeconds: 15}
auth:
  tokens:
    - {token: admin-token, user: admin}
    - token: viewer-token
      user: viewer
      rules: [{verbs: [get, list, watch]}]
)";

struct KubectlRun {
  int code = -1;
  std::string output;
};

class K8sSimKubectl : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl_ = test::find_program("kubectl");
    ASSERT_FALSE(kubectl_.empty()) << "kubectl is not on PATH; these suites need the real kubectl";
    // 20 simulated seconds per real second: pods are Ready 0.1 s after creation and a stuck
    // rollout exceeds its 30 s progress deadline after 1.5 s.
    sim_ = std::make_unique<SimProcess>(kState, std::vector<std::string>{"--time-scale", "20", "--pod-ready-seconds", "2"},
                                        /*tls=*/true);
    ASSERT_EQ(sim_->error(), "");
    kubeconfig_ = sim_->dir().write("kubeconfig", R"(apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: )" + sim_->https_url() + R"(
    certificate-authority: )" + sim_->ca_file() + R"(
users:
- name: operator
  user:
    token: admin-token
contexts:
- name: sim
  context: {cluster: sim, user: operator, namespace: default}
current-context: sim
)");
  }

  // The simulator's graceful stop must be clean under the sanitizers.
  void TearDown() override {
    if (sim_ && sim_->error().empty()) {
      EXPECT_EQ(sim_->stop(), "");
    }
  }

  // kubectl with this kubeconfig and a private discovery cache; `token` overrides the user's.
  KubectlRun kubectl(const std::string& args, const std::string& token = "") const {
    KubectlRun r;
    std::string cmd = "timeout 60 '" + kubectl_ + "' --kubeconfig='" + kubeconfig_ + "' --cache-dir='" +
                      sim_->dir().file("kube-cache") + "'";
    if (!token.empty()) cmd += " --token=" + token;
    r.code = test::run_command(cmd + " " + args, &r.output);
    return r;
  }

  json kubectl_json(const std::string& args) const {
    const KubectlRun r = kubectl(args + " -o json");
    EXPECT_EQ(r.code, 0) << r.output;
    json j = json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }

  static std::string revision(const json& object) {
    return object["metadata"]["annotations"].value("deployment.kubernetes.io/revision", "");
  }

  std::string kubectl_;
  std::string kubeconfig_;
  std::unique_ptr<SimProcess> sim_;
};

TEST_F(K8sSimKubectl, GetsDeploymentsReplicaSetsAndPodsAsJson) {
  const json list = kubectl_json("get deploy,rs,pods");
  EXPECT_EQ(list["kind"], "List");
  std::map<std::string, int> kinds;
  for (const auto& item : list["items"]) kinds[item["kind"].get<std::string>()]++;
  EXPECT_EQ(kinds, (std::map<std::string, int>{{"Deployment", 1}, {"ReplicaSet", 1}, {"Pod", 3}}));
  const json& d = list["items"][0];
  EXPECT_EQ(d["metadata"]["name"], "web");
  EXPECT_EQ(d["status"]["readyReplicas"], 3);
  EXPECT_EQ(revision(d), "1");
  const KubectlRun table = kubectl("get deploy web");
  EXPECT_EQ(table.code, 0) << table.output;
  EXPECT_NE(table.output.find("READY   UP-TO-DATE   AVAILABLE"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("3/3"), std::string::npos) << table.output;
}

TEST_F(K8sSimKubectl, ScaleChangesTheSpecAndNewPodsBecomeReady) {
  const KubectlRun r = kubectl("scale deployment/web --replicas=5");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment.apps/web scaled"), std::string::npos) << r.output;
  EXPECT_EQ(kubectl_json("get deployment web")["spec"]["replicas"], 5);
  EXPECT_TRUE(wait_until([&] {
    int ready = 0;
    const json pod_list = kubectl_json("get pods -l app=web");
    for (const auto& p : pod_list["items"]) ready += testing::pod_is_ready(p) ? 1 : 0;
    return ready == 5;
  }));
  const KubectlRun status = kubectl("rollout status deployment/web --timeout=20s");
  EXPECT_EQ(status.code, 0) << status.output;
}

TEST_F(K8sSimKubectl, RolloutRestartMakesRevisionTwoAndRolloutStatusWaitsForIt) {
  const KubectlRun r = kubectl("rollout restart deployment/web");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment.apps/web restarted"), std::string::npos) << r.output;
  const KubectlRun status = kubectl("rollout status deployment/web --timeout=20s");
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_NE(status.output.find("deployment \"web\" successfully rolled out"), std::string::npos) << status.output;
  const json d = kubectl_json("get deployment web");
  EXPECT_EQ(revision(d), "2");
  EXPECT_TRUE(d["spec"]["template"]["metadata"]["annotations"].contains("kubectl.kubernetes.io/restartedAt"));
  const json rs = kubectl_json("get rs -l app=web");
  ASSERT_EQ(rs["items"].size(), 2u);
  for (const auto& s : rs["items"]) {
    const bool is_new = revision(s) == "2";
    EXPECT_TRUE(is_new || revision(s) == "1") << s.dump();
    EXPECT_EQ(s["spec"]["replicas"], is_new ? 3 : 0);
    EXPECT_EQ(s["status"].value("readyReplicas", 0), is_new ? 3 : 0);
  }
}

TEST_F(K8sSimKubectl, RolloutStatusFailsForARolloutThatCannotBecomeReady) {
  const KubectlRun set = kubectl("set image deployment/web web=nginx:never-ready");
  ASSERT_EQ(set.code, 0) << set.output;
  const KubectlRun status = kubectl("rollout status deployment/web --timeout=20s");
  EXPECT_NE(status.code, 0) << status.output;
  EXPECT_NE(status.output.find("deployment \"web\" exceeded its progress deadline"), std::string::npos) << status.output;
  // A rollout that is still progressing when the client's timeout passes fails too.
  const KubectlRun slow = kubectl("rollout restart deployment/web");
  ASSERT_EQ(slow.code, 0) << slow.output;
  const KubectlRun timed_out = kubectl("rollout status deployment/web --timeout=1s");
  EXPECT_NE(timed_out.code, 0) << timed_out.output;
}

TEST_F(K8sSimKubectl, RolloutUndoRestoresTheRevisionOneTemplateAsRevisionThree) {
  const json before = kubectl_json("get deployment web");
  ASSERT_EQ(kubectl("rollout restart deployment/web").code, 0);
  ASSERT_EQ(kubectl("rollout status deployment/web --timeout=20s").code, 0);
  const KubectlRun undo = kubectl("rollout undo deployment/web");
  ASSERT_EQ(undo.code, 0) << undo.output;
  EXPECT_NE(undo.output.find("deployment.apps/web rolled back"), std::string::npos) << undo.output;
  const KubectlRun status = kubectl("rollout status deployment/web --timeout=20s");
  EXPECT_EQ(status.code, 0) << status.output;
  const json after = kubectl_json("get deployment web");
  EXPECT_EQ(revision(after), "3");
  EXPECT_FALSE(after["spec"]["template"]["metadata"].value("annotations", json::object()).contains("kubectl.kubernetes.io/restartedAt"));
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"], before["spec"]["template"]["spec"]["containers"]);
  // The revision-1 ReplicaSet came back as revision 3 (same template, same name); the restart's stays at 0.
  const json rs_list = kubectl_json("get rs -l app=web");
  for (const auto& s : rs_list["items"]) {
    if (revision(s) == "3") {
      EXPECT_EQ(s["spec"]["replicas"], 3);
      EXPECT_EQ(s["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"], "1");
    } else {
      EXPECT_EQ(revision(s), "2");
      EXPECT_EQ(s["spec"]["replicas"], 0);
    }
  }
  const KubectlRun history = kubectl("rollout history deployment/web");
  EXPECT_EQ(history.code, 0) << history.output;
  EXPECT_NE(history.output.find("2 "), std::string::npos) << history.output;
  EXPECT_NE(history.output.find("3 "), std::string::npos) << history.output;
}

TEST_F(K8sSimKubectl, GetLeaseShowsItsHolder) {
  const KubectlRun r = kubectl("get lease");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("HOLDER"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("opspilot-leader"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("agent-1"), std::string::npos) << r.output;
  EXPECT_EQ(kubectl_json("get lease opspilot-leader")["spec"]["holderIdentity"], "agent-1");
}

TEST_F(K8sSimKubectl, ReplacingAStaleObjectIsAConflict) {
  const KubectlRun get = kubectl("get deployment web -o json");
  ASSERT_EQ(get.code, 0) << get.output;
  const std::string stale = sim_->dir().write("stale.json", get.output);
  ASSERT_EQ(kubectl("scale deployment/web --replicas=4").code, 0);
  const KubectlRun replace = kubectl("replace -f '" + stale + "'");
  EXPECT_EQ(replace.code, 1) << replace.output;
  EXPECT_NE(replace.output.find("Error from server (Conflict)"), std::string::npos) << replace.output;
  EXPECT_NE(replace.output.find("the object has been modified; please apply your changes to the latest version"),
            std::string::npos)
      << replace.output;
  EXPECT_EQ(kubectl_json("get deployment web")["spec"]["replicas"], 4) << "the stale replica count did not win";
  // Once the scale-down is over nothing else writes the deployment, so this copy stays current.
  ASSERT_EQ(kubectl("rollout status deployment/web --timeout=20s").code, 0);
  const std::string fresh = sim_->dir().write("fresh.json", kubectl("get deployment web -o json").output);
  const KubectlRun ok = kubectl("replace -f '" + fresh + "'");
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("deployment.apps/web replaced"), std::string::npos) << ok.output;
}

TEST_F(K8sSimKubectl, RestrictedTokenIsForbiddenAndAWrongOneUnauthorized) {
  const KubectlRun read = kubectl("get deployments", "viewer-token");
  EXPECT_EQ(read.code, 0) << read.output;
  const KubectlRun scale = kubectl("scale deployment/web --replicas=1", "viewer-token");
  EXPECT_EQ(scale.code, 1) << scale.output;
  EXPECT_NE(scale.output.find("Error from server (Forbidden): deployments.apps \"web\" is forbidden: User \"viewer\" "
                              "cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"default\""),
            std::string::npos)
      << scale.output;
  const KubectlRun wrong = kubectl("get deployments", "not-a-token");
  EXPECT_EQ(wrong.code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("Unauthorized"), std::string::npos) << wrong.output;
  EXPECT_EQ(kubectl_json("get deployment web")["spec"]["replicas"], 3);
}

TEST_F(K8sSimKubectl, ADeletedPodIsReplaced) {
  const json pods = kubectl_json("get pods -l app=web");
  ASSERT_EQ(pods["items"].size(), 3u);
  const std::string victim = pods["items"][0]["metadata"]["name"];
  const KubectlRun del = kubectl("delete pod " + victim);
  ASSERT_EQ(del.code, 0) << del.output;
  EXPECT_NE(del.output.find("pod \"" + victim + "\" deleted"), std::string::npos) << del.output;
  EXPECT_TRUE(wait_until([&] {
    const json now = kubectl_json("get pods -l app=web");
    if (now["items"].size() != 3u) return false;
    for (const auto& p : now["items"]) {
      if (p["metadata"]["name"] == victim) return false;
    }
    return true;
  }));
}

}  // namespace
}  // namespace opspilot::k8s_sim
