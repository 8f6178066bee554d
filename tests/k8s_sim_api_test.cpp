// The Kubernetes API simulator over raw HTTP: discovery, resourceVersion and 409 conflicts,
// generation, validation, the three patch types, scale, the deployment controller's rollouts,
// watch streams, eviction against PodDisruptionBudgets, authentication, fault injection and
// the operations log — all against the real opspilot-k8s-sim process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "examples/k8s-sim/sim_process.h"

namespace opspilot::k8s_sim {
namespace {

using nlohmann::json;
using testing::SimProcess;
using testing::wait_until;
using testing::watch_lines;
using namespace std::chrono_literals;

// 20 simulated seconds per real second: a pod is Ready 2 simulated s (0.1 s) after creation.
const std::vector<std::string> kFast = {"--time-scale", "20", "--pod-ready-seconds", "2"};

constexpr const char* kState = R"(
deployments:
  - {name: web, replicas: 3, image: "nginx:1.25", progressDeadlineSeconds: 30}
leases:
  - {name: leader, holder: agent-1, leaseDurationSeconds: 15}
)";

const std::string kDeploy = "/apis/apps/v1/namespaces/default/deployments";
const std::string kReplicaSets = "/apis/apps/v1/namespaces/default/replicasets";
const std::string kPods = "/api/v1/namespaces/default/pods";
const std::string kLeases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";

json parse(const actuators::HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON (" << r.status << " " << r.error << "): " << r.body.substr(0, 300);
  return j;
}

json get(const SimProcess& sim, const std::string& path, const std::string& token = "") {
  auto r = sim.send("GET", path, "", "application/json", token);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body.substr(0, 300);
  return parse(r);
}

// A Status body exactly as kube-apiserver shapes it.
void expect_status(const actuators::HttpResponse& r, int code, const std::string& reason, const std::string& message) {
  EXPECT_EQ(r.status, code) << r.body;
  const json s = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(s.is_object()) << r.body;
  EXPECT_EQ(s["kind"], "Status");
  EXPECT_EQ(s["apiVersion"], "v1");
  EXPECT_EQ(s["metadata"], json::object());
  EXPECT_EQ(s["status"], "Failure");
  EXPECT_EQ(s["reason"], reason);
  EXPECT_EQ(s["code"], code);
  EXPECT_EQ(s["message"], message);
}

int ready_pods(const SimProcess& sim, const std::string& selector) {
  int n = 0;
  const json pod_list = get(sim, kPods + "?labelSelector=" + selector);
  for (const auto& p : pod_list["items"]) n += testing::pod_is_ready(p) ? 1 : 0;
  return n;
}

class K8sSimApi : public ::testing::Test {
 protected:
  void start(const std::string& state = kState, std::vector<std::string> args = kFast) {
    sim_ = std::make_unique<SimProcess>(state, args);
    ASSERT_EQ(sim_->error(), "");
  }
  // Every test ends with the simulator's graceful stop, which must be clean under the sanitizers.
  void TearDown() override {
    if (sim_ && sim_->error().empty()) {
      EXPECT_EQ(sim_->stop(), "");
    }
  }
  std::unique_ptr<SimProcess> sim_;
};

TEST_F(K8sSimApi, ServesLegacyAndAggregatedDiscovery) {
  start();
  const json version = get(*sim_, "/version");
  EXPECT_EQ(version["major"], "1");
  EXPECT_EQ(version["gitVersion"], "v1.32.4");
  const json apis = get(*sim_, "/apis");
  EXPECT_EQ(apis["kind"], "APIGroupList");
  std::set<std::string> groups;
  for (const auto& g : apis["groups"]) groups.insert(g["name"].get<std::string>());
  EXPECT_EQ(groups, (std::set<std::string>{"apps", "coordination.k8s.io", "monitoring.coreos.com", "policy", "rbac.authorization.k8s.io"}));
  const json apps = get(*sim_, "/apis/apps/v1");
  bool scale = false;
  for (const auto& r : apps["resources"]) {
    if (r["name"] == "deployments/scale") {
      scale = true;
      EXPECT_EQ(r["group"], "autoscaling");
      EXPECT_EQ(r["kind"], "Scale");
    }
  }
  EXPECT_TRUE(scale);
  const std::string agg = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
  auto r = sim_->send("GET", "/api", "", "", "", {{"Accept", agg}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  const json core = parse(r);
  EXPECT_EQ(core["kind"], "APIGroupDiscoveryList");
  EXPECT_EQ(core["items"][0]["versions"][0]["version"], "v1");
  expect_status(sim_->send("GET", "/apis/nothing.example.com/v1/widgets"), 404, "NotFound",
                "the server could not find the requested resource");
}

TEST_F(K8sSimApi, EveryWriteTakesTheNextGlobalResourceVersion) {
  start();
  const json list = get(*sim_, kDeploy);
  EXPECT_EQ(list["kind"], "DeploymentList");
  ASSERT_EQ(list["items"].size(), 1u);
  const long before = std::stol(list["metadata"]["resourceVersion"].get<std::string>());
  auto created = sim_->send("POST", kLeases, R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
      "metadata":{"name":"second"},"spec":{"holderIdentity":"a"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const json lease = parse(created);
  const long rv1 = std::stol(lease["metadata"]["resourceVersion"].get<std::string>());
  EXPECT_GT(rv1, before);
  EXPECT_FALSE(lease["metadata"]["uid"].get<std::string>().empty());
  auto updated = sim_->send("PUT", kLeases + "/second", R"({"metadata":{"name":"second","resourceVersion":")" +
                                                             std::to_string(rv1) + R"("},"spec":{"holderIdentity":"b"}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_GT(std::stol(parse(updated)["metadata"]["resourceVersion"].get<std::string>()), rv1);
  expect_status(sim_->send("POST", kLeases, lease.dump()), 500, "InternalError",
                "Internal error occurred: resourceVersion should not be set on objects to be created (it is \"" +
                    std::to_string(rv1) + "\")");
  json again = lease;
  again["metadata"].erase("resourceVersion");
  expect_status(sim_->send("POST", kLeases, again.dump()), 409, "AlreadyExists",
                "leases.coordination.k8s.io \"second\" already exists");
}

TEST_F(K8sSimApi, StaleResourceVersionIsA409ConflictStatus) {
  start();
  json d = get(*sim_, kDeploy + "/web");
  const std::string stale = d["metadata"]["resourceVersion"];
  d["spec"]["replicas"] = 4;
  auto ok = sim_->send("PUT", kDeploy + "/web", d.dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  d["spec"]["replicas"] = 6;  // still carries the resourceVersion the first update replaced
  auto r = sim_->send("PUT", kDeploy + "/web", d.dump());
  expect_status(r, 409, "Conflict",
                "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please "
                "apply your changes to the latest version and try again");
  EXPECT_EQ(parse(r)["details"], (json{{"name", "web"}, {"group", "apps"}, {"kind", "deployments"}}));
  EXPECT_EQ(get(*sim_, kDeploy + "/web")["spec"]["replicas"], 4);
  // A merge patch that names the stale resourceVersion is refused the same way.
  expect_status(sim_->send("PATCH", kDeploy + "/web", R"({"metadata":{"resourceVersion":")" + stale + R"("}})",
                           "application/merge-patch+json"),
                409, "Conflict",
                "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please "
                "apply your changes to the latest version and try again");
  // A DELETE precondition on a stale resourceVersion too.
  EXPECT_EQ(sim_->send("DELETE", kDeploy + "/web", R"({"preconditions":{"resourceVersion":")" + stale + R"("}})").status, 409);
}

TEST_F(K8sSimApi, GenerationFollowsSpecChangesAndObservedGenerationCatchesUp) {
  start();
  const json d0 = get(*sim_, kDeploy + "/web");
  ASSERT_EQ(d0["metadata"]["generation"], 1);
  auto label = sim_->send("PATCH", kDeploy + "/web", R"({"metadata":{"labels":{"team":"a"}}})", "application/merge-patch+json");
  ASSERT_EQ(label.status, 200) << label.body;
  EXPECT_EQ(parse(label)["metadata"]["generation"], 1) << "a metadata change is not a spec change";
  auto spec = sim_->send("PATCH", kDeploy + "/web", R"({"spec":{"replicas":2}})", "application/merge-patch+json");
  ASSERT_EQ(spec.status, 200) << spec.body;
  EXPECT_EQ(parse(spec)["metadata"]["generation"], 2);
  // Wait for the controller to finish (observed generation 2, scaled down): then nothing else
  // writes the deployment and the PUT below cannot race it.
  EXPECT_TRUE(wait_until([&] {
    const json status = get(*sim_, kDeploy + "/web")["status"];
    return status.value("observedGeneration", 0) == 2 && status.value("replicas", 0) == 2 &&
           status.value("availableReplicas", 0) == 2;
  }));
  // The status in a PUT of the object itself is ignored; status is the controller's.
  json d = get(*sim_, kDeploy + "/web");
  d["status"]["replicas"] = 99;
  auto put = sim_->send("PUT", kDeploy + "/web", d.dump());
  ASSERT_EQ(put.status, 200);
  EXPECT_NE(parse(put)["status"].value("replicas", 0), 99);
  // An update that changes nothing writes nothing: the resourceVersion stays.
  const json current = get(*sim_, kLeases + "/leader");
  auto same = sim_->send("PUT", kLeases + "/leader", current.dump());
  ASSERT_EQ(same.status, 200);
  EXPECT_EQ(parse(same)["metadata"]["resourceVersion"], current["metadata"]["resourceVersion"]);
}

TEST_F(K8sSimApi, InvalidObjectsAre422WithFieldCauses) {
  start();
  auto r = sim_->send("PATCH", kDeploy + "/web", R"({"spec":{"replicas":-1}})", "application/merge-patch+json");
  expect_status(r, 422, "Invalid",
                "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  const json details = parse(r)["details"];
  EXPECT_EQ(details["kind"], "Deployment");
  EXPECT_EQ(details["causes"][0], (json{{"reason", "FieldValueInvalid"}, {"field", "spec.replicas"},
                                         {"message", "Invalid value: -1: must be greater than or equal to 0"}}));
  auto bad = sim_->send("POST", kDeploy, R"({"metadata":{"name":"Bad_Name"},"spec":{"selector":{"matchLabels":{"app":"x"}},
      "template":{"metadata":{"labels":{"app":"y"}},"spec":{"containers":[{"name":"c"}]}}}})");
  EXPECT_EQ(bad.status, 422);
  std::set<std::string> fields;
  const json invalid_status = parse(bad);
  for (const auto& c : invalid_status["details"]["causes"]) fields.insert(c["field"].get<std::string>());
  EXPECT_EQ(fields, (std::set<std::string>{"metadata.name", "spec.template.metadata.labels",
                                           "spec.template.spec.containers[0].image"}));
  expect_status(sim_->send("GET", kDeploy + "/nope"), 404, "NotFound", "deployments.apps \"nope\" not found");
  expect_status(sim_->send("POST", "/apis/coordination.k8s.io/v1/namespaces/ghost/leases", R"({"metadata":{"name":"x"}})"),
                404, "NotFound", "namespaces \"ghost\" not found");
}

TEST_F(K8sSimApi, AppliesJsonMergeStrategicAndJsonPatches) {
  start(R"(
deployments:
  - name: two
    replicas: 1
    containers: [{name: app, image: "app:1"}, {name: sidecar, image: "proxy:1"}]
)");
  const std::string path = kDeploy + "/two";
  // Strategic merge: the containers list merges by name, so the sidecar stays.
  auto smp = sim_->send("PATCH", path, R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:2"}]}}}})",
                        "application/strategic-merge-patch+json");
  ASSERT_EQ(smp.status, 200) << smp.body;
  json c = parse(smp)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0]["image"], "app:2");
  EXPECT_EQ(c[1]["image"], "proxy:1");
  // $patch: delete removes one element by its key.
  auto del = sim_->send("PATCH", path, R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}})",
                        "application/strategic-merge-patch+json");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(parse(del)["spec"]["template"]["spec"]["containers"].size(), 1u);
  // A JSON merge patch replaces lists wholesale.
  auto merge = sim_->send("PATCH", path, R"({"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x:1"}]}}}})",
                          "application/merge-patch+json");
  ASSERT_EQ(merge.status, 200) << merge.body;
  c = parse(merge)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["name"], "only");
  // JSON patch, including a failing test operation (422) that changes nothing.
  auto jp = sim_->send("PATCH", path, R"([{"op":"replace","path":"/spec/replicas","value":3}])", "application/json-patch+json");
  ASSERT_EQ(jp.status, 200) << jp.body;
  EXPECT_EQ(parse(jp)["spec"]["replicas"], 3);
  auto failed = sim_->send("PATCH", path, R"([{"op":"test","path":"/spec/replicas","value":7},{"op":"replace","path":"/spec/replicas","value":1}])",
                           "application/json-patch+json");
  EXPECT_EQ(failed.status, 422) << failed.body;
  EXPECT_EQ(get(*sim_, path)["spec"]["replicas"], 3);
  auto unsupported = sim_->send("PATCH", path, "{}", "text/plain");
  EXPECT_EQ(unsupported.status, 415);
  EXPECT_EQ(parse(unsupported)["reason"], "UnsupportedMediaType");
  EXPECT_EQ(sim_->send("PATCH", path, "{not json", "application/merge-patch+json").status, 400);
}

TEST_F(K8sSimApi, ScaleSubresourceScalesAndPodsBecomeReady) {
  start();
  const json scale = get(*sim_, kDeploy + "/web/scale");
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(scale["spec"]["replicas"], 3);
  EXPECT_EQ(scale["status"]["replicas"], 3);
  EXPECT_EQ(scale["status"]["selector"], "app=web");
  json stale = scale;
  auto r = sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":5}})", "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)["spec"]["replicas"], 5);
  stale["spec"]["replicas"] = 1;
  expect_status(sim_->send("PUT", kDeploy + "/web/scale", stale.dump()), 409, "Conflict",
                "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please "
                "apply your changes to the latest version and try again");
  EXPECT_TRUE(wait_until([&] { return ready_pods(*sim_, "app%3Dweb") == 5; }));
  EXPECT_TRUE(wait_until([&] { return get(*sim_, kDeploy + "/web")["status"].value("availableReplicas", 0) == 5; }));
  auto neg = sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":-2}})", "application/merge-patch+json");
  EXPECT_EQ(neg.status, 422) << neg.body;
}

TEST_F(K8sSimApi, RolloutCreatesARevisionAndStaysWithinSurgeAndUnavailability) {
  // 4 replicas, maxSurge 1, maxUnavailable 1: never more than 5 pods, never fewer than 3 ready.
  start(R"(
deployments:
  - {name: api, replicas: 4, image: "api:1", maxSurge: 1, maxUnavailable: 1, revisionHistoryLimit: 1}
)", {"--time-scale", "10", "--pod-ready-seconds", "2"});
  const std::string from = get(*sim_, kPods)["metadata"]["resourceVersion"];
  std::map<std::string, bool> pods;  // name -> ready
  const json pod_list = get(*sim_, kPods);
  for (const auto& p : pod_list["items"]) pods[p["metadata"]["name"]] = true;
  auto r = sim_->send("PATCH", kDeploy + "/api", R"({"spec":{"template":{"spec":{"containers":[{"name":"api","image":"api:2"}]}}}})",
                      "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(wait_until([&] {
    const json d = get(*sim_, kDeploy + "/api");
    return d["status"].value("updatedReplicas", 0) == 4 && d["status"].value("availableReplicas", 0) == 4 &&
           d["status"].value("replicas", 0) == 4;
  }, 15s));
  // Replay every pod change since the patch and check the bounds at each step.
  auto w = sim_->send("GET", kPods + "?watch=1&timeoutSeconds=1&resourceVersion=" + from, "", "", "", {}, 5000ms);
  ASSERT_EQ(w.status, 200);
  size_t max_pods = pods.size();
  int min_ready = 4;
  for (const auto& ev : watch_lines(w.body)) {
    const std::string name = ev["object"]["metadata"]["name"];
    if (ev["type"] == "DELETED") {
      pods.erase(name);
    } else {
      pods[name] = testing::pod_is_ready(ev["object"]);
    }
    max_pods = std::max(max_pods, pods.size());
    min_ready = std::min<int>(min_ready, static_cast<int>(std::count_if(pods.begin(), pods.end(), [](auto& p) { return p.second; })));
  }
  EXPECT_LE(max_pods, 5u);
  EXPECT_GE(min_ready, 3);
  const json rs = get(*sim_, kReplicaSets);
  ASSERT_EQ(rs["items"].size(), 2u);
  for (const auto& s : rs["items"]) {
    const std::string rev = s["metadata"]["annotations"]["deployment.kubernetes.io/revision"];
    const std::string image = s["spec"]["template"]["spec"]["containers"][0]["image"];
    EXPECT_EQ(image, rev == "2" ? "api:2" : "api:1");
    EXPECT_EQ(s["spec"]["replicas"], rev == "2" ? 4 : 0);
    const std::string hash = s["metadata"]["labels"]["pod-template-hash"];
    EXPECT_EQ(s["metadata"]["name"], "api-" + hash);
    EXPECT_EQ(s["spec"]["selector"]["matchLabels"]["pod-template-hash"], hash);
  }
  const json d = get(*sim_, kDeploy + "/api");
  EXPECT_EQ(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  // A third template: with revisionHistoryLimit 1 only one old ReplicaSet is kept.
  ASSERT_EQ(sim_->send("PATCH", kDeploy + "/api", R"({"spec":{"template":{"spec":{"containers":[{"name":"api","image":"api:3"}]}}}})",
                       "application/strategic-merge-patch+json").status, 200);
  EXPECT_TRUE(wait_until([&] {
    const json now = get(*sim_, kReplicaSets);
    return now["items"].size() == 2u && get(*sim_, kDeploy + "/api")["status"].value("updatedReplicas", 0) == 4;
  }, 15s));
}

TEST_F(K8sSimApi, AStuckRolloutExceedsItsProgressDeadline) {
  start(R"(
deployments:
  - {name: web, replicas: 2, image: "nginx:1.25", progressDeadlineSeconds: 20}
)", {"--time-scale", "40", "--pod-ready-seconds", "2"});
  auto r = sim_->send("PATCH", kDeploy + "/web", R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:never-ready"}]}}}})",
                      "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200);
  json progressing;
  EXPECT_TRUE(wait_until([&] {
    const json deployment = get(*sim_, kDeploy + "/web");
    for (const auto& c : deployment["status"]["conditions"]) {
      if (c["type"] == "Progressing") progressing = c;
    }
    return progressing.value("reason", "") == "ProgressDeadlineExceeded";
  }, 10s)) << progressing.dump();
  EXPECT_EQ(progressing["status"], "False");
  EXPECT_NE(progressing["message"].get<std::string>().find("has timed out progressing"), std::string::npos);
  EXPECT_EQ(ready_pods(*sim_, "app%3Dweb"), 2) << "the old pods keep serving (maxUnavailable 25% of 2 is 0)";
}

TEST_F(K8sSimApi, WatchReplaysFromAResourceVersionAndStreamsLiveEvents) {
  start(kState, {"--time-scale", "20", "--watch-history", "30"});
  const std::string from = get(*sim_, kLeases)["metadata"]["resourceVersion"];
  ASSERT_EQ(sim_->send("POST", kLeases, R"({"metadata":{"name":"w"},"spec":{"holderIdentity":"a"}})").status, 201);
  ASSERT_EQ(sim_->send("PATCH", kLeases + "/w", R"({"spec":{"holderIdentity":"b"}})", "application/merge-patch+json").status, 200);
  ASSERT_EQ(sim_->send("DELETE", kLeases + "/w").status, 200);
  auto replay = sim_->send("GET", kLeases + "?watch=1&timeoutSeconds=1&resourceVersion=" + from);
  ASSERT_EQ(replay.status, 200);
  EXPECT_EQ(replay.header("transfer-encoding"), "chunked");
  const auto events = watch_lines(replay.body);
  ASSERT_EQ(events.size(), 3u) << replay.body;
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "MODIFIED");
  EXPECT_EQ(events[1]["object"]["spec"]["holderIdentity"], "b");
  EXPECT_EQ(events[2]["type"], "DELETED");
  long last = std::stol(from);
  for (const auto& e : events) {
    EXPECT_EQ(e["object"]["kind"], "Lease");
    const long rv = std::stol(e["object"]["metadata"]["resourceVersion"].get<std::string>());
    EXPECT_GT(rv, last);
    last = rv;
  }
  // Live: a watch opened now sees a change made while it is open (and the current state first).
  std::string live_body;
  std::thread watcher([&] { live_body = sim_->send("GET", kLeases + "?watch=true&timeoutSeconds=2", "", "", "", {}, 5000ms).body; });
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(sim_->send("PATCH", kLeases + "/leader", R"({"spec":{"holderIdentity":"agent-2"}})", "application/merge-patch+json").status, 200);
  watcher.join();
  const auto live = watch_lines(live_body);
  ASSERT_EQ(live.size(), 2u) << live_body;
  EXPECT_EQ(live[0]["type"], "ADDED");
  EXPECT_EQ(live[1]["type"], "MODIFIED");
  EXPECT_EQ(live[1]["object"]["spec"]["holderIdentity"], "agent-2");
  // Pods roll over the 30-event history quickly: an old resourceVersion gets 410 Expired.
  ASSERT_EQ(sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":8}})", "application/merge-patch+json").status, 200);
  ASSERT_TRUE(wait_until([&] { return ready_pods(*sim_, "app%3Dweb") == 8; }));
  auto expired = sim_->send("GET", kLeases + "?watch=1&timeoutSeconds=1&resourceVersion=" + from);
  const auto gone = watch_lines(expired.body);
  ASSERT_EQ(gone.size(), 1u) << expired.body;
  EXPECT_EQ(gone[0]["type"], "ERROR");
  EXPECT_EQ(gone[0]["object"]["code"], 410);
  EXPECT_EQ(gone[0]["object"]["reason"], "Expired");
}

TEST_F(K8sSimApi, EvictionHonoursPodDisruptionBudgets) {
  start(R"(
deployments:
  - {name: web, replicas: 3, image: "nginx:1.25"}
podDisruptionBudgets:
  - {name: web-pdb, selector: {app: web}, minAvailable: 2}
)", {"--time-scale", "10", "--pod-ready-seconds", "10"});  // replacements take 1 s to become ready
  const json pods = get(*sim_, kPods + "?labelSelector=app%3Dweb")["items"];
  ASSERT_EQ(pods.size(), 3u);
  auto evict = [&](const std::string& name) {
    return sim_->send("POST", kPods + "/" + name + "/eviction",
                      R"({"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":")" + name + R"(","namespace":"default"}})");
  };
  auto first = evict(pods[0]["metadata"]["name"]);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(parse(first)["status"], "Success");
  // Two healthy pods left and the replacement is not ready: evicting another would break the budget.
  auto second = evict(pods[1]["metadata"]["name"]);
  expect_status(second, 429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.");
  EXPECT_EQ(parse(second)["details"]["causes"][0]["reason"], "DisruptionBudget");
  EXPECT_EQ(parse(second)["details"]["causes"][0]["message"], "The disruption budget web-pdb needs 2 healthy pods and has 2 currently");
  const json pdb = get(*sim_, "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb");
  EXPECT_EQ(pdb["status"]["desiredHealthy"], 2);
  EXPECT_TRUE(wait_until([&] { return ready_pods(*sim_, "app%3Dweb") == 3; }));
  EXPECT_EQ(evict(pods[1]["metadata"]["name"]).status, 201);
  expect_status(evict("ghost"), 404, "NotFound", "pods \"ghost\" not found");
}

TEST_F(K8sSimApi, BearerTokensAre401WhenMissingOrWrongAnd403WhenNotAllowed) {
  start(std::string(kState) + R"(
auth:
  tokens:
    - {token: admin-token, user: admin}
    - token: viewer-token
      user: viewer
      rules: [{verbs: [get, list, watch], apiGroups: ["*"], resources: ["*"], namespaces: [default]}]
)");
  expect_status(sim_->send("GET", kDeploy), 401, "Unauthorized", "Unauthorized");
  expect_status(sim_->send("GET", kDeploy, "", "", "nope"), 401, "Unauthorized", "Unauthorized");
  EXPECT_EQ(sim_->send("GET", "/version").status, 200) << "public info needs no token";
  EXPECT_EQ(sim_->send("GET", kDeploy, "", "", "viewer-token").status, 200);
  EXPECT_EQ(sim_->send("GET", "/apis", "", "", "viewer-token").status, 200);
  auto patch = sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":1}})", "application/merge-patch+json", "viewer-token");
  expect_status(patch, 403, "Forbidden",
                "deployments.apps \"web\" is forbidden: User \"viewer\" cannot patch resource \"deployments/scale\" in "
                "API group \"apps\" in the namespace \"default\"");
  EXPECT_EQ(parse(patch)["details"], (json{{"name", "web"}, {"group", "apps"}, {"kind", "deployments"}}));
  expect_status(sim_->send("GET", "/apis/apps/v1/namespaces/kube-system/deployments", "", "", "viewer-token"), 403, "Forbidden",
                "deployments.apps is forbidden: User \"viewer\" cannot list resource \"deployments\" in API group "
                "\"apps\" in the namespace \"kube-system\"");
  EXPECT_EQ(sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":1}})", "application/merge-patch+json", "admin-token").status, 200);
}

TEST_F(K8sSimApi, InjectedFaultsAnswerTheNextMatchingRequests) {
  start();
  auto f = sim_->send("POST", "/sim/fault", R"({"pathPrefix":"/apis/apps/v1/namespaces/default/deployments","code":429,"count":2,"retryAfterSeconds":3})");
  ASSERT_EQ(f.status, 201) << f.body;
  for (int i = 0; i < 2; ++i) {
    auto r = sim_->send("GET", kDeploy + "/web");
    expect_status(r, 429, "TooManyRequests", "Too many requests, please try again later.");
    EXPECT_EQ(r.header("retry-after"), "3");
    EXPECT_EQ(parse(r)["details"]["retryAfterSeconds"], 3);
  }
  EXPECT_EQ(sim_->send("GET", kDeploy + "/web").status, 200) << "the fault is used up";
  ASSERT_EQ(sim_->send("POST", "/sim/fault", R"({"pathPrefix":"/apis/apps","code":409,"method":"PATCH"})").status, 201);
  EXPECT_EQ(sim_->send("GET", kDeploy + "/web").status, 200) << "only PATCH is faulted";
  expect_status(sim_->send("PATCH", kDeploy + "/web", R"({"spec":{"replicas":2}})", "application/merge-patch+json"), 409, "Conflict",
                "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please "
                "apply your changes to the latest version and try again");
  EXPECT_EQ(get(*sim_, kDeploy + "/web")["spec"]["replicas"], 3) << "a faulted write changes nothing";
  ASSERT_EQ(sim_->send("POST", "/sim/fault", R"({"pathPrefix":"/api/v1","code":503,"retryAfterSeconds":2})").status, 201);
  auto unavailable = sim_->send("GET", kPods);
  expect_status(unavailable, 503, "ServiceUnavailable", "the server is currently unable to handle the request");
  EXPECT_EQ(unavailable.header("retry-after"), "2");
  ASSERT_EQ(sim_->send("POST", "/sim/fault", R"({"pathPrefix":"/api/v1","code":500})").status, 201);
  EXPECT_EQ(parse(sim_->send("GET", kPods))["reason"], "InternalError");
  auto bad = sim_->send("POST", "/sim/fault", R"({"pathPrefix":"/api","code":418})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(parse(bad)["message"], "code is 418, expected 409, 429, 500 or 503");
}

TEST_F(K8sSimApi, OperationsLogRecordsEveryWrite) {
  start();
  ASSERT_EQ(sim_->send("GET", kDeploy + "/web").status, 200);
  auto scale = sim_->send("PATCH", kDeploy + "/web/scale", R"({"spec":{"replicas":4}})", "application/merge-patch+json");
  // The same write twice (no controller touches leases, so nothing else moves its resourceVersion).
  const std::string holder = R"({"spec":{"holderIdentity":"agent-9"}})";
  auto first = sim_->send("PATCH", kLeases + "/leader", holder, "application/merge-patch+json");
  auto again = sim_->send("PATCH", kLeases + "/leader", holder, "application/merge-patch+json");
  ASSERT_EQ(sim_->send("POST", "/sim/fault", R"({"pathPrefix":"/apis/coordination.k8s.io","code":500})").status, 201);
  EXPECT_EQ(sim_->send("DELETE", kLeases + "/leader").status, 500);
  const json log = get(*sim_, "/sim/log");
  const json& entries = log["entries"];
  ASSERT_EQ(entries.size(), 4u) << log.dump(2);  // reads and /sim calls are not writes
  EXPECT_EQ(entries[0]["method"], "PATCH");
  EXPECT_EQ(entries[0]["path"], kDeploy + "/web/scale");
  EXPECT_EQ(entries[0]["subresource"], "scale");
  EXPECT_EQ(entries[0]["code"], 200);
  EXPECT_EQ(entries[0]["resourceVersion"], parse(scale)["metadata"]["resourceVersion"]);
  EXPECT_EQ(entries[1]["body"], holder);
  EXPECT_EQ(entries[1]["contentType"], "application/merge-patch+json");
  EXPECT_EQ(entries[1]["resourceVersion"], parse(first)["metadata"]["resourceVersion"]);
  // The duplicate is logged, but it wrote nothing: same resourceVersion.
  EXPECT_EQ(entries[2]["resourceVersion"], entries[1]["resourceVersion"]);
  EXPECT_EQ(parse(again)["metadata"]["resourceVersion"], entries[1]["resourceVersion"]);
  EXPECT_EQ(entries[3]["method"], "DELETE");
  EXPECT_EQ(entries[3]["code"], 500);
  EXPECT_EQ(entries[3]["fault"], true);
  EXPECT_EQ(get(*sim_, "/sim/log?since=" + entries[2]["seq"].dump())["entries"].size(), 1u);
  EXPECT_EQ(get(*sim_, kLeases + "/leader")["spec"]["holderIdentity"], "agent-9") << "the faulted delete did nothing";
}

TEST_F(K8sSimApi, StatefulSetsCreateOrdinalPodsInOrder) {
  start(R"(
statefulsets:
  - {name: db, replicas: 3, image: "postgres:16"}
)");
  const json pods = get(*sim_, kPods + "?labelSelector=app%3Ddb")["items"];
  std::set<std::string> names;
  for (const auto& p : pods) names.insert(p["metadata"]["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"db-0", "db-1", "db-2"}));
  ASSERT_EQ(sim_->send("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/db/scale", R"({"spec":{"replicas":1}})",
                       "application/merge-patch+json").status, 200);
  EXPECT_TRUE(wait_until([&] { return get(*sim_, kPods + "?labelSelector=app%3Ddb")["items"].size() == 1u; }));
  EXPECT_EQ(get(*sim_, kPods + "?labelSelector=app%3Ddb")["items"][0]["metadata"]["name"], "db-0");
}

TEST(K8sSimProcess, RejectsABadStateFileNamingTheProblem) {
  SimProcess sim("deployments:\n  - {name: web, replicas: 1, image: x, colour: blue}\nsurprise: 1\n");
  EXPECT_NE(sim.error(), "");
  const int status = sim.process() ? sim.process()->wait(10s) : -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string log = sim.log_text();
  EXPECT_NE(log.find("seed: unknown key 'surprise'"), std::string::npos) << log;
  EXPECT_NE(log.find("deployments[0]: unknown key 'colour'"), std::string::npos) << log;
}

}  // namespace
}  // namespace opspilot::k8s_sim
