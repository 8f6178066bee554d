// The Kubernetes actuator: settings, plan(), and the apply() of scale and restart (rolling or by
// eviction). Rollback and verify are in rollout.cpp; shared helpers in workload.cpp.
#include "actuators/kubernetes/kubernetes_actuator.h"

#include <set>
#include <stdexcept>

#include "actuators/common/settings.h"

namespace opspilot::actuators {
namespace {

using nlohmann::json;
using kube::failed;

const std::set<std::string> kKnownSettings = {"kubeconfig", "context",  "server",     "in_cluster",
                                              "namespace",  "timeout",  "retries",    "retry_base",
                                              "rollout_timeout",        "field_manager"};

kube::KubeClient make_client(const ActuatorSettings& s) {
  check_known_settings(s, kKnownSettings);
  kube::KubeConfigOptions options;
  options.kubeconfig = setting_string(s, "kubeconfig");
  options.context = setting_string(s, "context");
  options.server = setting_string(s, "server");
  options.in_cluster = setting_bool(s, "in_cluster", false);
  if (options.in_cluster && !options.kubeconfig.empty())
    throw std::invalid_argument("settings \"in_cluster\" and \"kubeconfig\" exclude each other; give one");
  if (!options.server.empty() && options.server.rfind("http://", 0) != 0 && options.server.rfind("https://", 0) != 0)
    throw std::invalid_argument("setting \"server\" must start with http:// or https://, got \"" + options.server + "\"");
  const RetryPolicy retry = setting_retry(s, 4);
  const auto timeout = setting_timeout(s, "timeout", std::chrono::seconds(10));
  // Credentials last: the cheap checks above report a typo before any file is read.
  std::string error;
  auto config = kube::load_kube_config(options, &error);
  if (!config) throw std::invalid_argument(error);
  return kube::KubeClient(std::move(*config), retry, timeout);
}

/// A JSON merge patch of the scale subresource (what `kubectl scale` sends), carrying the
/// resourceVersion it was decided on: the API server refuses it with 409 if the object changed since.
/// Patch rather than update so that the RBAC a scaler needs is `patch` on `<kind>/scale` only.
json scale_patch(int replicas, const json& resource_version) {
  return json{{"metadata", {{"resourceVersion", resource_version}}}, {"spec", {{"replicas", replicas}}}};
}

json restart_patch(const std::string& decision_id, const std::string& now) {
  return json{{"spec",
               {{"template",
                 {{"metadata",
                   {{"annotations", {{kube::kRestartedAtAnnotation, now}, {kube::kDecisionIdAnnotation, decision_id}}}}}}}}}};
}

json eviction_body(const std::string& ns, const std::string& pod) {
  return json{{"apiVersion", "policy/v1"}, {"kind", "Eviction"}, {"metadata", {{"name", pod}, {"namespace", ns}}}};
}

bool evict_mode(const Action& a) {
  auto it = a.params.find("mode");
  return it != a.params.end() && it->second == "evict";
}

}  // namespace

KubernetesActuator::KubernetesActuator(const ActuatorSettings& s) : client_(make_client(s)) {
  namespace_ = setting_string(s, "namespace", client_.config().namespace_);
  field_manager_ = setting_string(s, "field_manager", field_manager_);
  if (field_manager_.empty()) throw std::invalid_argument("setting \"field_manager\" must not be empty");
  rollout_timeout_ = setting_duration(s, "rollout_timeout", rollout_timeout_);
}

std::vector<ApiCall> KubernetesActuator::plan(const Action& action) const {
  std::vector<ApiCall> out;
  try {
    std::string error;
    auto w = kube::resolve_workload(action.target, namespace_, &error);
    if (!w) return out;
    auto add = [&](const std::string& method, const std::string& path, const std::string& body) {
      out.push_back(ApiCall{method, client_.url(path), body, 0, ""});
    };
    switch (action.kind) {
      case ActionKind::Scale:
        add("GET", w->path() + "/scale", "");
        add("PATCH", w->path() + "/scale" + write_query(),
            scale_patch(action.replicas, "<metadata.resourceVersion from the GET>").dump());
        break;
      case ActionKind::Restart:
        if (evict_mode(action)) {
          const std::string pod_path = "/api/v1/namespaces/" + w->ns + "/pods/" + action.param("pod");
          add("GET", pod_path, "");
          add("POST", pod_path + "/eviction", eviction_body(w->ns, action.param("pod")).dump());
        } else {
          add("GET", w->path(), "");
          add("PATCH", w->path() + write_query(), restart_patch(action.decision_id, kube::rfc3339_now()).dump());
        }
        break;
      case ActionKind::Rollback: {
        if (w->kind != "Deployment") return out;
        const std::string revision = action.param("revision");
        add("GET", w->path(), "");
        add("GET", "/apis/apps/v1/namespaces/" + w->ns +
                       "/replicasets?labelSelector=<spec.selector.matchLabels of the Deployment>", "");
        json body = {{"metadata", {{"resourceVersion", "<from the GET>"},
                                   {"annotations", {{kube::kDecisionIdAnnotation, action.decision_id}}}}},
                     {"spec", {{"template", "<spec.template of " +
                                                (revision.empty() ? std::string("the previous revision")
                                                                  : "revision " + revision) +
                                                ", without the pod-template-hash label>"}}}};
        add("PUT", w->path() + write_query(), body.dump());
        break;
      }
      case ActionKind::None:
        break;
    }
  } catch (const std::exception&) {
    out.clear();  // plan() is documentation; a failure to build it must not throw into the loop
  }
  return out;
}

ApplyResult KubernetesActuator::apply(const Action& action) {
  ApplyResult r;
  try {
    std::string error;
    auto w = kube::resolve_workload(action.target, namespace_, &error);
    if (!w) return failed(r, error, false);
    if (action.decision_id.empty()) return failed(r, "the action has no decision_id (the idempotency key)", false);
    switch (action.kind) {
      case ActionKind::Scale: return scale(action, *w);
      case ActionKind::Restart: return evict_mode(action) ? evict(action, *w) : rolling_restart(action, *w);
      case ActionKind::Rollback: return rollback(action, *w);
      case ActionKind::None: break;
    }
    return failed(r, "action kind \"none\" has nothing to apply; expected scale, restart or rollback", false);
  } catch (const std::exception& e) {
    // Only an unexpected response shape can get here (JSON type errors): report, never throw.
    return failed(r, std::string("unexpected error while applying: ") + e.what(), false);
  }
}

ApplyResult KubernetesActuator::scale(const Action& action, const kube::Workload& w) {
  ApplyResult r;
  if (action.replicas < 0)
    return failed(r, "scale to " + std::to_string(action.replicas) + " replicas; expected >= 0", false);
  const std::string path = w.path() + "/scale";
  // Re-read after a 409: someone wrote in between; the check against from_replicas decides
  // whether our decision still stands.
  for (int round = 1; round <= 3; ++round) {
    kube::KubeResponse got = kube::call(client_, &r.calls, "GET", path);
    if (!got.ok())
      return failed(r, kube::describe_failure(got, "get", "apps", w.resource + "/scale", w.ns, w.name), kube::retryable(got));
    const long long current = kube::int_at(got.body, "/spec/replicas", 0);
    if (current == action.replicas) {
      r.ok = true;
      r.already_applied = true;
      return r;
    }
    if (current != action.from_replicas) {
      return failed(r,
                    "conflict: replicas changed from " + std::to_string(action.from_replicas) + " to " +
                        std::to_string(current) + " since the decision; re-decide (" + w.display() + ")",
                    false);
    }
    const json body = scale_patch(action.replicas, kube::string_at(got.body, "/metadata/resourceVersion"));
    kube::KubeResponse patched =
        kube::call(client_, &r.calls, "PATCH", path + write_query(), &body, "application/merge-patch+json");
    if (patched.ok()) {
      r.ok = true;
      return r;
    }
    if (patched.status != 409)
      return failed(r, kube::describe_failure(patched, "patch", "apps", w.resource + "/scale", w.ns, w.name),
                    kube::retryable(patched));
  }
  return failed(r, "conflict: " + w.display() + " kept changing (409 Conflict on 3 consecutive patches of its scale)",
                true);
}

ApplyResult KubernetesActuator::rolling_restart(const Action& action, const kube::Workload& w) {
  ApplyResult r;
  kube::KubeResponse got = kube::call(client_, &r.calls, "GET", w.path());
  if (!got.ok()) return failed(r, kube::describe_failure(got, "get", "apps", w.resource, w.ns, w.name), kube::retryable(got));
  const json* annotations = nullptr;
  if (auto p = json::json_pointer("/spec/template/metadata/annotations"); got.body.contains(p)) annotations = &got.body[p];
  if (annotations && annotations->is_object() && annotations->value(kube::kDecisionIdAnnotation, "") == action.decision_id) {
    r.ok = true;
    r.already_applied = true;
    return r;
  }
  const json patch = restart_patch(action.decision_id, kube::rfc3339_now());
  kube::KubeResponse patched =
      kube::call(client_, &r.calls, "PATCH", w.path() + write_query(), &patch, "application/strategic-merge-patch+json");
  if (!patched.ok())
    return failed(r, kube::describe_failure(patched, "patch", "apps", w.resource, w.ns, w.name), kube::retryable(patched));
  r.ok = true;
  return r;
}

ApplyResult KubernetesActuator::evict(const Action& action, const kube::Workload& w) {
  ApplyResult r;
  const std::string pod = action.param("pod");
  if (pod.empty()) return failed(r, "restart with mode=evict needs params.pod (the pod to evict), got none", false);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (evicted_.count(action.decision_id) != 0) {
      r.ok = true;
      r.already_applied = true;
      return r;
    }
  }
  const std::string pod_path = "/api/v1/namespaces/" + w.ns + "/pods/" + pod;
  kube::KubeResponse got = kube::call(client_, &r.calls, "GET", pod_path);
  if (got.status == 404) {
    r.ok = true;
    r.already_applied = true;  // already gone: what the eviction was for
    return r;
  }
  if (!got.ok()) return failed(r, kube::describe_failure(got, "get", "", "pods", w.ns, pod), kube::retryable(got));
  const std::string uid = kube::string_at(got.body, "/metadata/uid");
  const json body = eviction_body(w.ns, pod);
  kube::KubeResponse posted = kube::call(client_, &r.calls, "POST", pod_path + "/eviction", &body);
  if (posted.status == 404) {
    r.ok = true;
    r.already_applied = true;
    return r;
  }
  if (!posted.ok()) {
    // A PodDisruptionBudget refusal is final for this decision: the budget, not the server, said
    // no, and hammering it would not change that. The loop re-decides on fresh data.
    const bool budget = posted.status == 429 && posted.raw.find("DisruptionBudget") != std::string::npos;
    std::string error = kube::describe_failure(posted, "create", "", "pods/eviction", w.ns, pod);
    if (budget) error = "eviction of pod " + w.ns + "/" + pod + " " + error;
    return failed(r, error, !budget && kube::retryable(posted));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (evicted_.size() >= 4096) evicted_.erase(evicted_.begin());  // bounded; the journal is the real record
  evicted_[action.decision_id] = uid;
  r.ok = true;
  return r;
}

}  // namespace opspilot::actuators
