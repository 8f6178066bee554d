// The Kubernetes actuator against the real opspilot-k8s-sim: scale (and verify through the
// simulated readiness delay), idempotent replay, resourceVersion conflicts, rolling restart,
// eviction with and without a PodDisruptionBudget, rollback, a stuck rollout, and the failures
// an operator must be able to read (404, 403, unreachable, bad settings).
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "actuators/kubernetes/kubernetes_actuator.h"
#include "examples/k8s-sim/sim_process.h"
#include "tests/test_support.h"

namespace opspilot::actuators {
namespace {

using k8s_sim::testing::SimProcess;
using k8s_sim::testing::wait_until;
using nlohmann::json;
using namespace std::chrono_literals;

// 10 simulated seconds per real second; pods are Ready 5 simulated s (0.5 s) after creation, so
// a verify right after a scale-up sees the rollout in progress.
const std::vector<std::string> kArgs = {"--time-scale", "10", "--pod-ready-seconds", "5"};

const std::string kAuth = R"(
auth:
  tokens:
    - {token: admin-token, user: admin}
    - token: viewer-token
      user: "system:serviceaccount:ops:opspilot"
      rules: [{verbs: [get, list, watch], apiGroups: ["*"], resources: ["*"], namespaces: ["*"]}]
)";

const std::string kState = R"(
deployments:
  - {name: web, replicas: 3, image: "nginx:1.25"}
  - {name: api, replicas: 2, image: "api:1"}
statefulsets:
  - {name: db, replicas: 2, image: "postgres:16"}
)" + kAuth;

const std::string kDeploy = "/apis/apps/v1/namespaces/default/deployments";
const std::string kPods = "/api/v1/namespaces/default/pods";

class KubernetesActuatorTest : public ::testing::Test {
 protected:
  void start(const std::string& state = kState, const std::vector<std::string>& args = kArgs) {
    sim_ = std::make_unique<SimProcess>(state, args);
    ASSERT_EQ(sim_->error(), "");
  }
  void TearDown() override {
    if (sim_ && sim_->error().empty()) {
      EXPECT_EQ(sim_->stop(), "");
    }
  }
  /// Settings pointing at the simulator through a kubeconfig with `token`.
  ActuatorSettings settings(const std::string& token = "admin-token", const std::string& server = "") {
    const std::string path = dir_.write("kubeconfig-" + token, "current-context: sim\nclusters:\n- name: sim\n  cluster: {server: \"" +
                                                                  (server.empty() ? sim_->url() : server) +
                                                                  "\"}\nusers:\n- name: agent\n  user: {token: " + token +
                                                                  "}\ncontexts:\n- name: sim\n  context: {cluster: sim, user: agent}\n");
    return {{"kubeconfig", path}, {"timeout", "5s"}, {"retries", "3"}};
  }
  json get(const std::string& path) {
    auto r = sim_->send("GET", path, "", "application/json", "admin-token");
    EXPECT_EQ(r.status, 200) << path << ": " << r.body.substr(0, 300);
    return json::parse(r.body, nullptr, false);
  }
  json writes() { return get("/sim/log")["entries"]; }

  test::TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
};

Action scale(const std::string& id, const std::string& kind, const std::string& name, int from, int to) {
  Action a;
  a.decision_id = id;
  a.kind = ActionKind::Scale;
  a.target = {kind, "default", name};
  a.from_replicas = from;
  a.replicas = to;
  return a;
}

Action action(const std::string& id, ActionKind kind, const std::string& name,
              std::map<std::string, std::string> params = {}) {
  Action a;
  a.decision_id = id;
  a.kind = kind;
  a.target = {"Deployment", "default", name};
  a.params = std::move(params);
  return a;
}

/// Verifies until Done/Failed (or timeout); returns the last result.
VerifyResult verify_until_settled(Actuator& act, const Action& a, std::chrono::milliseconds timeout = 15s) {
  VerifyResult v;
  wait_until([&] {
    v = act.verify(a);
    return v.state == VerifyState::Done || v.state == VerifyState::Failed;
  }, timeout);
  return v;
}

TEST_F(KubernetesActuatorTest, ScaleThenVerifyGoesInProgressThenDone) {
  start();
  KubernetesActuator act(settings());
  EXPECT_EQ(act.name(), "kubernetes");
  const Action a = scale("d-scale", "Deployment", "web", 3, 5);
  const ApplyResult r = act.apply(a);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.already_applied);
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].method, "GET");
  EXPECT_EQ(r.calls[0].url, sim_->url() + kDeploy + "/web/scale");
  EXPECT_EQ(r.calls[0].status, 200);
  EXPECT_EQ(r.calls[1].method, "PATCH");
  EXPECT_EQ(r.calls[1].url, sim_->url() + kDeploy + "/web/scale?fieldManager=opspilot");
  EXPECT_EQ(r.calls[1].status, 200);
  EXPECT_EQ(json::parse(r.calls[1].body)["spec"]["replicas"], 5);

  const VerifyResult first = act.verify(a);
  EXPECT_EQ(first.state, VerifyState::InProgress) << first.detail;
  EXPECT_NE(first.detail.find("Waiting for Deployment default/web"), std::string::npos) << first.detail;
  const VerifyResult done = verify_until_settled(act, a);
  EXPECT_EQ(done.state, VerifyState::Done) << done.detail;
  EXPECT_EQ(done.detail, "Deployment default/web successfully rolled out: 5 of 5 replicas updated, ready and available");
  for (const char* key : {"generation", "observedGeneration", "replicas", "updated", "ready", "available"}) {
    EXPECT_TRUE(done.observed.contains(key)) << key << " in " << done.observed.dump();
  }
  EXPECT_EQ(done.observed["available"], 5);
  EXPECT_EQ(done.observed["replicas"], 5);
  EXPECT_GE(done.observed["observedGeneration"].get<int>(), done.observed["generation"].get<int>());
}

TEST_F(KubernetesActuatorTest, ReplayedScaleIsAlreadyAppliedAndWritesOnce) {
  start();
  KubernetesActuator act(settings());
  const Action a = scale("d-replay", "Deployment", "web", 3, 4);
  ASSERT_TRUE(act.apply(a).ok);
  const ApplyResult again = act.apply(a);
  EXPECT_TRUE(again.ok) << again.error;
  EXPECT_TRUE(again.already_applied);
  ASSERT_EQ(again.calls.size(), 1u) << "a replay only reads";
  const json log = writes();
  ASSERT_EQ(log.size(), 1u) << log.dump(2);
  EXPECT_EQ(log[0]["method"], "PATCH");
  EXPECT_EQ(log[0]["contentType"], "application/merge-patch+json");
  EXPECT_EQ(log[0]["subresource"], "scale");
  EXPECT_EQ(log[0]["code"], 200);
}

TEST_F(KubernetesActuatorTest, ConflictIsReReadAndAppliedWithOneEffectiveWrite) {
  start();
  ASSERT_EQ(sim_->send("POST", "/sim/fault", R"({"pathPrefix":")" + kDeploy + R"(/web/scale","code":409,"count":1,"method":"PATCH"})").status, 201);
  KubernetesActuator act(settings());
  const ApplyResult r = act.apply(scale("d-409", "Deployment", "web", 3, 6));
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.calls.size(), 4u);
  EXPECT_EQ(r.calls[1].status, 409);
  EXPECT_EQ(r.calls[2].method, "GET") << "re-read after the conflict";
  EXPECT_EQ(r.calls[3].status, 200);
  int effective = 0;
  for (const auto& e : writes()) effective += (e["code"] == 200 && e["fault"] != true) ? 1 : 0;
  EXPECT_EQ(effective, 1);
  EXPECT_EQ(get(kDeploy + "/web/scale")["spec"]["replicas"], 6);
}

TEST_F(KubernetesActuatorTest, AnotherWritersChangeIsAConflictNeverOverwritten) {
  start();
  ASSERT_EQ(sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":7}})", "application/merge-patch+json", "admin-token").status, 200);
  KubernetesActuator act(settings());
  const ApplyResult r = act.apply(scale("d-stale", "Deployment", "web", 3, 5));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.error, "conflict: replicas changed from 3 to 7 since the decision; re-decide (Deployment default/web)");
  EXPECT_EQ(get(kDeploy + "/web/scale")["spec"]["replicas"], 7);
  EXPECT_EQ(writes().size(), 1u) << "only the other writer's change";
}

TEST_F(KubernetesActuatorTest, StatefulSetScales) {
  start();
  KubernetesActuator act(settings());
  const Action a = scale("d-sts", "statefulset", "db", 2, 3);  // kind is case-insensitive
  const ApplyResult r = act.apply(a);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.calls[1].url, sim_->url() + "/apis/apps/v1/namespaces/default/statefulsets/db/scale?fieldManager=opspilot");
  const VerifyResult v = verify_until_settled(act, a);
  EXPECT_EQ(v.state, VerifyState::Done) << v.detail;
  EXPECT_EQ(v.observed["ready"], 3);
  std::set<std::string> names;
  const json pods = get(kPods + "?labelSelector=app%3Ddb");
  for (const auto& p : pods["items"]) names.insert(p["metadata"]["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"db-0", "db-1", "db-2"}));
}

TEST_F(KubernetesActuatorTest, RollingRestartCreatesANewRevisionOnce) {
  start();
  KubernetesActuator act(settings());
  const Action a = action("d-restart", ActionKind::Restart, "web");
  const ApplyResult r = act.apply(a);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[1].method, "PATCH");
  const json d = get(kDeploy + "/web");
  const json annotations = d["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(annotations["opspilot.io/decision-id"], "d-restart");
  EXPECT_EQ(annotations["kubectl.kubernetes.io/restartedAt"].get<std::string>().size(), 20u) << annotations.dump();
  const json log = writes();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["contentType"], "application/strategic-merge-patch+json");

  const VerifyResult v = verify_until_settled(act, a);
  EXPECT_EQ(v.state, VerifyState::Done) << v.detail;
  EXPECT_EQ(get(kDeploy + "/web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  std::set<std::string> revisions;
  const json replica_sets = get("/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb");
  for (const auto& rs : replica_sets["items"])
    revisions.insert(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"].get<std::string>());
  EXPECT_EQ(revisions, (std::set<std::string>{"1", "2"}));

  const ApplyResult again = act.apply(a);
  EXPECT_TRUE(again.ok && again.already_applied) << again.error;
  EXPECT_EQ(writes().size(), 1u);
}

std::string first_pod(const json& pods) { return pods["items"][0]["metadata"]["name"].get<std::string>(); }

TEST_F(KubernetesActuatorTest, EvictsAPodAndVerifiesItGone) {
  start();
  KubernetesActuator act(settings());
  const std::string pod = first_pod(get(kPods + "?labelSelector=app%3Dweb"));
  const Action a = action("d-evict", ActionKind::Restart, "web", {{"mode", "evict"}, {"pod", pod}});
  const ApplyResult r = act.apply(a);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.already_applied);
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[1].url, sim_->url() + kPods + "/" + pod + "/eviction");
  EXPECT_EQ(r.calls[1].status, 201);
  EXPECT_EQ(json::parse(r.calls[1].body)["apiVersion"], "policy/v1");
  const VerifyResult v = act.verify(a);
  EXPECT_EQ(v.state, VerifyState::Done) << v.detail;
  EXPECT_TRUE(act.apply(a).already_applied);
  // A pod that is already gone needs no eviction.
  const ApplyResult ghost = act.apply(action("d-ghost", ActionKind::Restart, "web", {{"mode", "evict"}, {"pod", "ghost"}}));
  EXPECT_TRUE(ghost.ok && ghost.already_applied) << ghost.error;
}

TEST_F(KubernetesActuatorTest, EvictionBlockedByADisruptionBudgetFailsWithoutRetrying) {
  start(R"(
deployments:
  - {name: web, replicas: 3, image: "nginx:1.25"}
podDisruptionBudgets:
  - {name: web-pdb, selector: {app: web}, minAvailable: 3}
)" + kAuth);
  KubernetesActuator act(settings());
  const std::string pod = first_pod(get(kPods + "?labelSelector=app%3Dweb"));
  const ApplyResult r = act.apply(action("d-pdb", ActionKind::Restart, "web", {{"mode", "evict"}, {"pod", pod}}));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_NE(r.error.find("Cannot evict pod as it would violate the pod's disruption budget."), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("The disruption budget web-pdb needs 3 healthy pods and has 3 currently"), std::string::npos) << r.error;
  EXPECT_EQ(r.calls.back().status, 429);
  const json log = writes();
  ASSERT_EQ(log.size(), 1u) << "one eviction request, not retried: " << log.dump(2);
  EXPECT_EQ(log[0]["code"], 429);
  EXPECT_EQ(get(kPods + "?labelSelector=app%3Dweb")["items"].size(), 3u);
}

/// Rolls the deployment to `image` outside the actuator (a human's deploy) and waits for it.
void roll_to(SimProcess& sim, const std::string& image, KubernetesActuator& act) {
  const std::string patch = R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":")" + image + R"("}]}}}})";
  ASSERT_EQ(sim.send("PATCH", kDeploy + "/web", patch, "application/strategic-merge-patch+json", "admin-token").status, 200);
  EXPECT_EQ(verify_until_settled(act, action("watch", ActionKind::Restart, "web")).state, VerifyState::Done);
}

TEST_F(KubernetesActuatorTest, RollsBackToThePreviousRevision) {
  start();
  KubernetesActuator act(settings());
  roll_to(*sim_, "nginx:1.26", act);
  const json rs_list = get("/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb");
  json rev1;
  for (const auto& rs : rs_list["items"])
    if (rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1") rev1 = rs["spec"]["template"];
  ASSERT_TRUE(rev1.is_object());
  rev1["metadata"]["labels"].erase("pod-template-hash");

  const Action a = action("d-undo", ActionKind::Rollback, "web");
  const ApplyResult r = act.apply(a);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(r.calls[1].url, sim_->url() + "/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb");
  EXPECT_EQ(r.calls[2].method, "PUT");
  const json d = get(kDeploy + "/web");
  EXPECT_EQ(d["spec"]["template"], rev1);
  EXPECT_EQ(d["metadata"]["annotations"]["opspilot.io/decision-id"], "d-undo");
  const VerifyResult v = verify_until_settled(act, a);
  EXPECT_EQ(v.state, VerifyState::Done) << v.detail;
  EXPECT_EQ(get(kDeploy + "/web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3")
      << "the old template comes back as a new revision";
  const ApplyResult again = act.apply(a);
  EXPECT_TRUE(again.ok && again.already_applied) << again.error;
  EXPECT_EQ(again.calls.size(), 1u);
}

TEST_F(KubernetesActuatorTest, RollsBackToANamedRevision) {
  start();
  KubernetesActuator act(settings());
  roll_to(*sim_, "nginx:1.26", act);
  roll_to(*sim_, "nginx:1.27", act);
  const ApplyResult missing = act.apply(action("d-r9", ActionKind::Rollback, "web", {{"revision", "9"}}));
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error, "revision 9 of Deployment default/web not found (revisions kept: 1, 2, 3)");
  const ApplyResult r = act.apply(action("d-r1", ActionKind::Rollback, "web", {{"revision", "1"}}));
  ASSERT_TRUE(r.ok) << r.error;
  const json d = get(kDeploy + "/web");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.25");
  EXPECT_FALSE(d["spec"]["template"]["metadata"]["labels"].contains("pod-template-hash"));
  EXPECT_EQ(verify_until_settled(act, action("d-r1", ActionKind::Rollback, "web")).state, VerifyState::Done);
}

TEST_F(KubernetesActuatorTest, NoPreviousRevisionAndStatefulSetRollbackAreRefused) {
  start();
  KubernetesActuator act(settings());
  const ApplyResult r = act.apply(action("d-none", ActionKind::Rollback, "web"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "no previous revision to roll back to (Deployment default/web is at revision 1)");
  Action sts = action("d-sts-undo", ActionKind::Rollback, "db");
  sts.target.kind = "StatefulSet";
  const ApplyResult s = act.apply(sts);
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("rollback is supported for Deployments only"), std::string::npos) << s.error;
  EXPECT_TRUE(s.calls.empty());
  EXPECT_EQ(writes().size(), 0u);
}

TEST_F(KubernetesActuatorTest, NeverReadyRolloutFailsAfterItsProgressDeadlineAndRollbackRecovers) {
  start(R"(
deployments:
  - {name: web, replicas: 2, image: "nginx:1.25", progressDeadlineSeconds: 20}
)" + kAuth, {"--time-scale", "40", "--pod-ready-seconds", "2"});
  KubernetesActuator act(settings());
  ASSERT_EQ(sim_->send("PATCH", kDeploy + "/web", R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:never-ready"}]}}}})",
                       "application/strategic-merge-patch+json", "admin-token").status, 200);
  const Action watch = action("d-bad", ActionKind::Restart, "web");
  EXPECT_EQ(act.verify(watch).state, VerifyState::InProgress);
  const VerifyResult v = verify_until_settled(act, watch);
  EXPECT_EQ(v.state, VerifyState::Failed) << v.detail;
  EXPECT_NE(v.detail.find("Deployment default/web exceeded its progress deadline: ReplicaSet \""), std::string::npos) << v.detail;
  EXPECT_NE(v.detail.find("has timed out progressing."), std::string::npos) << v.detail;

  const Action undo = action("d-fix", ActionKind::Rollback, "web");
  ASSERT_TRUE(act.apply(undo).ok);
  const VerifyResult fixed = verify_until_settled(act, undo);
  EXPECT_EQ(fixed.state, VerifyState::Done) << fixed.detail;
}

TEST_F(KubernetesActuatorTest, UnknownWorkloadIs404NamingIt) {
  start();
  KubernetesActuator act(settings());
  const ApplyResult r = act.apply(scale("d-404", "Deployment", "ghost", 1, 2));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.error, "Deployment default/ghost not found");
  const VerifyResult v = act.verify(scale("d-404", "Deployment", "ghost", 1, 2));
  EXPECT_EQ(v.state, VerifyState::Unknown);
  EXPECT_EQ(v.detail, "Deployment default/ghost not found");
}

TEST_F(KubernetesActuatorTest, RestrictedTokenIs403NamingTheMissingPermission) {
  start();
  KubernetesActuator act(settings("viewer-token"));
  const ApplyResult r = act.apply(scale("d-403", "Deployment", "web", 3, 5));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_EQ(r.error.rfind("missing RBAC permission: patch deployments.apps/scale in namespace default "
                          "(user \"system:serviceaccount:ops:opspilot\"); server said: ", 0), 0u) << r.error;
  const ApplyResult restart = act.apply(action("d-403b", ActionKind::Restart, "web"));
  EXPECT_EQ(restart.error.rfind("missing RBAC permission: patch deployments.apps in namespace default", 0), 0u) << restart.error;
}

TEST_F(KubernetesActuatorTest, UnreachableServerIsRetryableAndSaysSo) {
  const std::string server = "http://127.0.0.1:" + std::to_string(test::free_port());
  ActuatorSettings s = {{"server", server}, {"retries", "2"}, {"timeout", "2s"}, {"kubeconfig", dir_.write("k", R"(
current-context: x
clusters: [{name: x, cluster: {server: "https://unused:6443"}}]
contexts: [{name: x, context: {cluster: x}}]
)")}};
  KubernetesActuator act(s);
  const ApplyResult r = act.apply(scale("d-down", "Deployment", "web", 3, 5));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.error.rfind("Kubernetes API unreachable after 2 attempts: ", 0), 0u) << r.error;
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].status, 0);
  EXPECT_EQ(r.calls[0].url, server + kDeploy + "/web/scale");
  EXPECT_EQ(act.verify(scale("d-down", "Deployment", "web", 3, 5)).state, VerifyState::Unknown);
}

TEST_F(KubernetesActuatorTest, PlanListsTheCallsWithoutTouchingTheServer) {
  start();
  KubernetesActuator act(settings());
  const auto calls = act.plan(scale("d-plan", "Deployment", "web", 3, 5));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "GET");
  EXPECT_EQ(calls[0].url, sim_->url() + kDeploy + "/web/scale");
  EXPECT_EQ(calls[1].method, "PATCH");
  EXPECT_EQ(calls[1].url, sim_->url() + kDeploy + "/web/scale?fieldManager=opspilot");
  EXPECT_EQ(json::parse(calls[1].body)["spec"]["replicas"], 5);
  EXPECT_EQ(calls[1].status, 0);
  const auto restart = act.plan(action("d-plan", ActionKind::Restart, "web"));
  ASSERT_EQ(restart.size(), 2u);
  EXPECT_EQ(restart[1].method, "PATCH");
  EXPECT_EQ(json::parse(restart[1].body)["spec"]["template"]["metadata"]["annotations"]["opspilot.io/decision-id"], "d-plan");
  const auto evict = act.plan(action("d-plan", ActionKind::Restart, "web", {{"mode", "evict"}, {"pod", "web-1"}}));
  ASSERT_EQ(evict.size(), 2u);
  EXPECT_EQ(evict[1].url, sim_->url() + kPods + "/web-1/eviction");
  EXPECT_EQ(act.plan(action("d-plan", ActionKind::Rollback, "web")).size(), 3u);
  EXPECT_TRUE(act.plan(action("d-plan", ActionKind::None, "web")).empty());
  EXPECT_EQ(writes().size(), 0u);
  // Reads are not logged; the server's write log being empty plus no GETs counted is all the
  // simulator can show, so also check that a plan of an unknown object does not fail.
  EXPECT_EQ(act.plan(scale("d-plan", "Deployment", "ghost", 1, 2)).size(), 2u);
}

TEST_F(KubernetesActuatorTest, ConcurrentActionsOnDifferentTargets) {
  start();
  KubernetesActuator act(settings());
  ApplyResult a, b, c;
  std::thread t1([&] { a = act.apply(scale("d-c1", "Deployment", "web", 3, 4)); });
  std::thread t2([&] { b = act.apply(scale("d-c2", "Deployment", "api", 2, 3)); });
  std::thread t3([&] { c = act.apply(action("d-c3", ActionKind::Restart, "api")); });
  t1.join();
  t2.join();
  t3.join();
  EXPECT_TRUE(a.ok) << a.error;
  EXPECT_TRUE(b.ok) << b.error;
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(get(kDeploy + "/web")["spec"]["replicas"], 4);
  EXPECT_EQ(get(kDeploy + "/api")["spec"]["replicas"], 3);
}

TEST(KubernetesActuatorSettings, BadSettingsAreRefusedAtConstructionWithTheReason) {
  test::TempDir dir;
  const std::string kc = dir.write("config", R"(
current-context: a
clusters: [{name: a, cluster: {server: "https://a:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: a, context: {cluster: a, user: u, namespace: team}}]
)");
  auto error_of = [](const ActuatorSettings& s) -> std::string {
    try {
      KubernetesActuator act(s);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(error_of({{"kubeconfig", dir.file("missing")}}), "kubeconfig " + dir.file("missing") + " cannot be read (no such file)");
  EXPECT_EQ(error_of({{"kubeconfig", kc}, {"context", "b"}}), "kubeconfig " + kc + " has no context \"b\" (contexts: \"a\")");
  EXPECT_EQ(error_of({{"kubeconfig", kc}, {"timeout", "soon"}}),
            "setting \"timeout\" must be a non-negative duration (e.g. 500ms, 5s, 2m), got \"soon\"");
  EXPECT_EQ(error_of({{"kubeconfig", kc}, {"timeout", "0s"}}),
            "setting \"timeout\" must be a positive duration (e.g. 500ms, 5s), got \"0s\"");
  EXPECT_EQ(error_of({{"kubeconfig", kc}, {"retries", "0"}}), "setting \"retries\" must be the total number of tries, from 1 to 20, got \"0\"");
  EXPECT_EQ(error_of({{"kubeconfig", kc}, {"in_cluster", "maybe"}}), "setting \"in_cluster\" must be true or false, got \"maybe\"");
  EXPECT_EQ(error_of({{"kubeconfig", kc}, {"in_cluster", "true"}}),
            "settings \"in_cluster\" and \"kubeconfig\" exclude each other; give one");
  EXPECT_NE(error_of({{"kubeconfig", kc}, {"namespce", "x"}}).find("unknown setting \"namespce\""), std::string::npos);

  KubernetesActuator ok({{"kubeconfig", kc}, {"timeout", "250ms"}, {"rollout_timeout", "5m"}});
  EXPECT_EQ(ok.default_namespace(), "team") << "the context's namespace";
  EXPECT_EQ(ok.rollout_timeout(), std::chrono::minutes(5));
  KubernetesActuator overridden({{"kubeconfig", kc}, {"namespace", "prod"}});
  EXPECT_EQ(overridden.default_namespace(), "prod");

  // Through the registry: the same message, prefixed with the backend's name.
  register_builtin_actuators();
  std::string error;
  EXPECT_EQ(ActuatorRegistry::instance().create("kubernetes", {{"kubeconfig", kc}, {"context", "b"}}, &error), nullptr);
  EXPECT_EQ(error, "actuator \"kubernetes\": kubeconfig " + kc + " has no context \"b\" (contexts: \"a\")");
  EXPECT_NE(ActuatorRegistry::instance().create("kubernetes", {{"kubeconfig", kc}}, &error), nullptr) << error;
}

TEST(KubernetesActuatorSettings, BadActionsAreErrorsNotExceptions) {
  test::TempDir dir;
  KubernetesActuator act({{"server", "http://127.0.0.1:1"}, {"kubeconfig", dir.write("c", R"(
current-context: a
clusters: [{name: a, cluster: {server: "https://a:6443"}}]
contexts: [{name: a, context: {cluster: a}}]
)")}});
  Action a = scale("d", "DaemonSet", "x", 1, 2);
  ApplyResult r = act.apply(a);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "target kind \"DaemonSet\" is not supported by the kubernetes actuator; expected Deployment or StatefulSet");
  EXPECT_TRUE(act.plan(a).empty());
  EXPECT_EQ(act.verify(a).state, VerifyState::Unknown);
  a = scale("d", "Deployment", "../etc", 1, 2);
  EXPECT_NE(act.apply(a).error.find("is not a valid Kubernetes object name"), std::string::npos);
  a = scale("", "Deployment", "web", 1, 2);
  EXPECT_EQ(act.apply(a).error, "the action has no decision_id (the idempotency key)");
  EXPECT_EQ(act.apply(action("d", ActionKind::Restart, "web", {{"mode", "evict"}})).error,
            "restart with mode=evict needs params.pod (the pod to evict), got none");
  EXPECT_EQ(act.apply(action("d", ActionKind::Rollback, "web", {{"revision", "two"}})).error,
            "params.revision is \"two\", expected a revision number >= 1");
}

}  // namespace
}  // namespace opspilot::actuators
