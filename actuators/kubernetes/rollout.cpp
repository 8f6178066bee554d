// The Kubernetes actuator's rollback (like `kubectl rollout undo`) and verify (like
// `kubectl rollout status`, plus eviction progress).
#include <algorithm>

#include "actuators/kubernetes/kubernetes_actuator.h"

namespace opspilot::actuators {
namespace {

using nlohmann::json;
using kube::failed;

std::string annotation(const json& object, const std::string& key) {
  const json::json_pointer p("/metadata/annotations");
  if (!object.is_object() || !object.contains(p)) return {};
  const json& a = object.at(p);
  return a.is_object() ? a.value(key, "") : std::string();
}

/// A non-negative integer revision from text; -1 when it is not one.
int parse_revision(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(text);
}

bool owned_by(const json& object, const std::string& uid) {
  const json::json_pointer p("/metadata/ownerReferences");
  if (!object.contains(p) || !object.at(p).is_array()) return false;
  const json& refs = object.at(p);
  return std::any_of(refs.begin(), refs.end(), [&](const json& ref) { return ref.is_object() && ref.value("uid", "") == uid; });
}

/// "app=web,tier=front" from spec.selector.matchLabels, URL-encoded for ?labelSelector=.
std::string label_selector(const json& deployment) {
  const json::json_pointer p("/spec/selector/matchLabels");
  std::string out;
  if (deployment.contains(p) && deployment.at(p).is_object()) {
    for (const auto& [k, v] : deployment.at(p).items()) {
      if (v.is_string()) out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    }
  }
  return HttpClient::url_encode(out);
}

bool pod_ready(const json& pod) {
  const json::json_pointer p("/status/conditions");
  if (!pod.contains(p) || !pod.at(p).is_array()) return false;
  for (const auto& c : pod.at(p)) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

const json* condition(const json& object, const std::string& type) {
  const json::json_pointer p("/status/conditions");
  if (!object.contains(p) || !object.at(p).is_array()) return nullptr;
  for (const auto& c : object.at(p)) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

std::string n(long long v) { return std::to_string(v); }

}  // namespace

ApplyResult KubernetesActuator::rollback(const Action& action, const kube::Workload& w) {
  ApplyResult r;
  if (w.kind != "Deployment") {
    return failed(r, "rollback is supported for Deployments only, got " + w.display() +
                         " (StatefulSet history lives in ControllerRevisions, which opspilot does not roll back)", false);
  }
  const std::string wanted_text = action.param("revision");
  const int wanted = wanted_text.empty() ? 0 : parse_revision(wanted_text);
  if (wanted < 0 || (!wanted_text.empty() && wanted == 0))
    return failed(r, "params.revision is \"" + wanted_text + "\", expected a revision number >= 1", false);

  for (int round = 1; round <= 3; ++round) {
    kube::KubeResponse got = kube::call(client_, &r.calls, "GET", w.path());
    if (!got.ok()) return failed(r, kube::describe_failure(got, "get", "apps", w.resource, w.ns, w.name), kube::retryable(got));
    json d = got.body;
    if (annotation(d, kube::kDecisionIdAnnotation) == action.decision_id) {
      r.ok = true;
      r.already_applied = true;
      return r;
    }
    const std::string uid = kube::string_at(d, "/metadata/uid");
    kube::KubeResponse list = kube::call(client_, &r.calls, "GET",
                                         "/apis/apps/v1/namespaces/" + w.ns + "/replicasets?labelSelector=" + label_selector(d));
    if (!list.ok()) return failed(r, kube::describe_failure(list, "list", "apps", "replicasets", w.ns, ""), kube::retryable(list));

    // The Deployment's own history: ReplicaSets it controls, by revision.
    std::vector<std::pair<int, const json*>> history;
    const json items = list.body.is_object() ? list.body.value("items", json::array()) : json::array();
    for (const auto& rs : items) {
      if (!owned_by(rs, uid)) continue;
      const int rev = parse_revision(annotation(rs, kube::kRevisionAnnotation));
      if (rev > 0) history.emplace_back(rev, &rs);
    }
    std::sort(history.begin(), history.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    int current = parse_revision(annotation(d, kube::kRevisionAnnotation));
    if (current <= 0 && !history.empty()) current = history.back().first;

    const json* target = nullptr;
    int target_rev = 0;
    if (wanted > 0) {
      for (const auto& [rev, rs] : history) {
        if (rev == wanted) target = rs, target_rev = rev;
      }
      if (!target) {
        std::string known;
        for (const auto& [rev, rs] : history) known += (known.empty() ? "" : ", ") + n(rev);
        return failed(r, "revision " + wanted_text + " of " + w.display() + " not found (revisions kept: " +
                             (known.empty() ? "none" : known) + ")", false);
      }
    } else {
      for (const auto& [rev, rs] : history) {
        if (rev < current) target = rs, target_rev = rev;
      }
      if (!target) {
        return failed(r, "no previous revision to roll back to (" + w.display() + " is at revision " + n(current) + ")",
                      false);
      }
    }

    json tmpl = target->at("spec").at("template");
    if (tmpl.contains("metadata") && tmpl["metadata"].contains("labels") && tmpl["metadata"]["labels"].is_object()) {
      tmpl["metadata"]["labels"].erase("pod-template-hash");  // the ReplicaSet's, not the Deployment's
    }
    d["spec"]["template"] = tmpl;
    d["metadata"]["annotations"][kube::kDecisionIdAnnotation] = action.decision_id;
    d.erase("status");
    kube::KubeResponse put = kube::call(client_, &r.calls, "PUT", w.path() + write_query(), &d);
    if (put.ok()) {
      r.ok = true;
      return r;
    }
    if (put.status != 409)
      return failed(r, kube::describe_failure(put, "update", "apps", w.resource, w.ns, w.name) + " (rolling back to revision " +
                           n(target_rev) + ")", kube::retryable(put));
  }
  return failed(r, "conflict: " + w.display() + " kept changing (409 Conflict on 3 consecutive updates)", true);
}

VerifyResult KubernetesActuator::verify(const Action& action) {
  VerifyResult v;
  try {
    std::string error;
    auto w = kube::resolve_workload(action.target, namespace_, &error);
    if (!w) {
      v.detail = error;
      return v;
    }
    if (action.kind == ActionKind::None) {
      v.detail = "action kind \"none\" has nothing to verify";
      return v;
    }
    if (action.kind == ActionKind::Restart && action.param("mode") == "evict") return verify_eviction(action, *w);
    return verify_workload(*w);
  } catch (const std::exception& e) {
    v.state = VerifyState::Unknown;
    v.detail = std::string("unexpected error while verifying: ") + e.what();
    return v;
  }
}

VerifyResult KubernetesActuator::verify_workload(const kube::Workload& w) {
  VerifyResult v;
  kube::KubeResponse got = kube::call(client_, &v.calls, "GET", w.path());
  if (!got.ok()) {
    v.detail = kube::describe_failure(got, "get", "apps", w.resource, w.ns, w.name);
    return v;
  }
  const json& d = got.body;
  const long long generation = kube::int_at(d, "/metadata/generation", 0);
  const long long observed_gen = kube::int_at(d, "/status/observedGeneration", 0);
  const long long spec = kube::int_at(d, "/spec/replicas", 1);
  const long long replicas = kube::int_at(d, "/status/replicas", 0);
  const long long updated = kube::int_at(d, "/status/updatedReplicas", 0);
  const long long ready = kube::int_at(d, "/status/readyReplicas", 0);
  const long long available = kube::int_at(d, "/status/availableReplicas", 0);
  v.observed = {{"generation", generation}, {"observedGeneration", observed_gen}, {"desired", spec},
                {"replicas", replicas},     {"updated", updated},                {"ready", ready},
                {"available", available}};
  auto in_progress = [&](const std::string& detail) {
    v.state = VerifyState::InProgress;
    v.detail = detail;
    return v;
  };
  if (observed_gen < generation) {
    return in_progress("Waiting for " + w.display() + " spec update to be observed (generation " + n(generation) +
                       ", observed " + n(observed_gen) + ")...");
  }

  if (w.kind == "StatefulSet") {
    const std::string current_rev = kube::string_at(d, "/status/currentRevision");
    const std::string update_rev = kube::string_at(d, "/status/updateRevision");
    v.observed["currentRevision"] = current_rev;
    v.observed["updateRevision"] = update_rev;
    if (ready < spec) return in_progress("Waiting for " + n(spec - ready) + " pods of " + w.display() + " to be ready...");
    if (replicas > spec)
      return in_progress("Waiting for " + n(replicas - spec) + " pods of " + w.display() + " to be terminated...");
    if (current_rev != update_rev) {
      return in_progress("Waiting for " + w.display() + " rolling update to complete: " + n(updated) +
                         " pods at revision " + update_rev + "...");
    }
    v.state = VerifyState::Done;
    v.detail = w.display() + " rolling update complete: " + n(ready) + " of " + n(spec) + " pods ready at revision " +
               update_rev;
    return v;
  }

  const std::string prefix = "Waiting for " + w.display() + " rollout to finish: ";
  if (const json* p = condition(d, "Progressing");
      p && p->value("status", "") == "False" && p->value("reason", "") == "ProgressDeadlineExceeded") {
    v.state = VerifyState::Failed;
    v.detail = w.display() + " exceeded its progress deadline: " + p->value("message", "") + " (" + n(available) +
               " of " + n(spec) + " replicas available, " + n(updated) + " updated)";
    return v;
  }
  if (updated < spec) return in_progress(prefix + n(updated) + " out of " + n(spec) + " new replicas have been updated...");
  if (replicas > updated) return in_progress(prefix + n(replicas - updated) + " old replicas are pending termination...");
  if (replicas > spec || updated > spec)
    return in_progress(prefix + n(std::max(replicas, updated) - spec) + " extra replicas are pending termination...");
  if (available < updated) return in_progress(prefix + n(available) + " of " + n(updated) + " updated replicas are available...");
  if (ready < spec) return in_progress(prefix + n(ready) + " of " + n(spec) + " replicas are ready...");
  if (!(updated == spec && ready == spec && available == spec && replicas == spec))
    return in_progress(prefix + "status " + v.observed.dump() + "...");
  v.state = VerifyState::Done;
  v.detail = w.display() + " successfully rolled out: " + n(spec) + " of " + n(spec) +
             " replicas updated, ready and available";
  return v;
}

VerifyResult KubernetesActuator::verify_eviction(const Action& action, const kube::Workload& w) {
  VerifyResult v;
  const std::string pod = action.param("pod");
  const std::string name = "pod " + w.ns + "/" + pod;
  std::string evicted_uid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = evicted_.find(action.decision_id); it != evicted_.end()) evicted_uid = it->second;
  }
  kube::KubeResponse got = kube::call(client_, &v.calls, "GET", "/api/v1/namespaces/" + w.ns + "/pods/" + pod);
  v.observed = {{"pod", pod}, {"evictedUid", evicted_uid}};
  if (got.status == 404) {
    v.state = VerifyState::Done;
    v.detail = name + " is gone (evicted)";
    return v;
  }
  if (!got.ok()) {
    v.detail = kube::describe_failure(got, "get", "", "pods", w.ns, pod);
    return v;
  }
  const std::string uid = kube::string_at(got.body, "/metadata/uid");
  const bool ready = pod_ready(got.body);
  const bool terminating = !kube::string_at(got.body, "/metadata/deletionTimestamp").empty();
  v.observed["uid"] = uid;
  v.observed["ready"] = ready;
  v.observed["phase"] = kube::string_at(got.body, "/status/phase");
  if (terminating) {
    v.state = VerifyState::InProgress;
    v.detail = name + " is terminating";
  } else if (!evicted_uid.empty() && uid != evicted_uid) {
    // Same name, new uid: a StatefulSet's replacement.
    v.state = ready ? VerifyState::Done : VerifyState::InProgress;
    v.detail = name + " was replaced (uid " + uid + ")" + (ready ? " and is ready" : "; the replacement is not ready yet");
  } else if (!evicted_uid.empty() || w.kind == "Deployment") {
    // A Deployment's pods are never recreated under the same name: this is the original.
    v.state = VerifyState::InProgress;
    v.detail = name + " (uid " + uid + ") is still running";
  } else {
    v.detail = name + " exists (uid " + uid + ") and this process did not record which uid it evicted";
  }
  return v;
}

}  // namespace opspilot::actuators
