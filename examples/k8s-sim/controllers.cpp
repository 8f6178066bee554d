#include "examples/k8s-sim/controllers.h"

#include <algorithm>
#include <cstdio>

#include "examples/k8s-sim/objects.h"
#include "examples/k8s-sim/selector.h"

namespace opspilot::k8s_sim {

namespace {

Json condition(const std::string& type, bool status, const std::string& at, const std::string& reason = "",
               const std::string& message = "") {
  Json c = {{"type", type}, {"status", status ? "True" : "False"}, {"lastProbeTime", nullptr}, {"lastTransitionTime", at}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  return c;
}

std::string pod_ip(const std::string& uid) {
  const std::uint32_t h = fnv1a32(uid);
  return "10.244." + std::to_string((h >> 8) & 0xff) + "." + std::to_string(1 + (h & 0xff) % 254);
}

std::string container_id(const std::string& uid, const std::string& container) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%08x%08x", fnv1a32(uid + container), fnv1a32(container + uid));
  return std::string("containerd://") + buf + buf + buf + buf;
}

// The status the kubelet reports for a pod at `now`: Pending while its containers are created,
// then Running, and Ready once its readiness delay has passed (unless it never becomes ready).
// A pure function of the pod and its plan, so an unchanged pod is not rewritten.
Json kubelet_status(const Json& pod, const SimState& sim, TimePoint now) {
  const std::string created = string_at(pod, {"metadata", "creationTimestamp"});
  const std::string uid = string_at(pod, {"metadata", "uid"});
  const bool started = now >= sim.ready_at || sim.never_ready;
  const bool ready = now >= sim.ready_at && !sim.never_ready;
  const std::string ready_at = ready ? format_time(sim.ready_at) : created;
  Json status = {{"phase", started ? "Running" : "Pending"},
                 {"hostIP", "10.0.0.10"},
                 {"hostIPs", Json::array({{{"ip", "10.0.0.10"}}})},
                 {"podIP", pod_ip(uid)},
                 {"podIPs", Json::array({{{"ip", pod_ip(uid)}}})},
                 {"startTime", created},
                 {"qosClass", "BestEffort"}};
  const std::string not_ready_msg = "containers with unready status: [";
  Json statuses = Json::array();
  std::string names;
  const Json* containers = at_path(pod, {"spec", "containers"});
  for (const auto& c : containers ? *containers : Json::array()) {
    const std::string name = string_at(c, {"name"});
    const std::string image = string_at(c, {"image"});
    names += (names.empty() ? "" : " ") + name;
    Json cs = {{"name", name}, {"image", image}, {"imageID", ""}, {"ready", ready}, {"restartCount", 0},
               {"started", started}, {"lastState", Json::object()}};
    if (started) {
      cs["containerID"] = container_id(uid, name);
      cs["imageID"] = image + "@sha256:" + std::string(container_id(uid, image)).substr(13);
      cs["state"] = {{"running", {{"startedAt", created}}}};
    } else {
      cs["state"] = {{"waiting", {{"reason", "ContainerCreating"}}}};
    }
    statuses.push_back(cs);
  }
  status["containerStatuses"] = statuses;
  const std::string why = ready ? "" : "ContainersNotReady";
  const std::string msg = ready ? "" : not_ready_msg + names + "]";
  status["conditions"] = Json::array({condition("PodReadyToStartContainers", started, created),
                                      condition("Initialized", true, created),
                                      condition("Ready", ready, ready_at, why, msg),
                                      condition("ContainersReady", ready, ready_at, why, msg),
                                      condition("PodScheduled", true, created)});
  return status;
}

}  // namespace

SimState pod_sim_state(const Json& pod, TimePoint now, const SimOptions& options) {
  SimState sim;
  double delay = options.pod_ready_seconds;
  const std::string override_text = string_at(pod, {"metadata", "annotations", kReadyAfterAnnotation});
  if (!override_text.empty()) {
    char* end = nullptr;
    const double v = std::strtod(override_text.c_str(), &end);
    if (*end == '\0' && v >= 0) delay = v;
  }
  sim.ready_at = now + agent::Duration(static_cast<std::int64_t>(delay * 1000));
  sim.never_ready = string_at(pod, {"metadata", "annotations", kNeverReadyAnnotation}) == "true";
  const Json* containers = at_path(pod, {"spec", "containers"});
  for (const auto& c : containers ? *containers : Json::array()) {
    if (!options.never_ready_image.empty() && string_at(c, {"image"}).find(options.never_ready_image) != std::string::npos) {
      sim.never_ready = true;
    }
  }
  return sim;
}

Json controller_ref(const Json& owner) {
  return {{"apiVersion", string_at(owner, {"apiVersion"})}, {"kind", string_at(owner, {"kind"})},
          {"name", string_at(owner, {"metadata", "name"})}, {"uid", string_at(owner, {"metadata", "uid"})},
          {"controller", true}, {"blockOwnerDeletion", true}};
}

bool controlled_by(const Json& object, const std::string& owner_uid) {
  const Json* refs = at_path(object, {"metadata", "ownerReferences"});
  if (!refs || !refs->is_array()) return false;
  for (const auto& r : *refs) {
    if (string_at(r, {"uid"}) == owner_uid && at_path(r, {"controller"}) && *at_path(r, {"controller"}) == true) return true;
  }
  return false;
}

bool pod_ready(const Json& pod) {
  const Json* conditions = at_path(pod, {"status", "conditions"});
  if (!conditions || !conditions->is_array()) return false;
  for (const auto& c : *conditions) {
    if (string_at(c, {"type"}) == "Ready") return string_at(c, {"status"}) == "True";
  }
  return false;
}

Json pod_from_template(const Json& pod_template, const std::string& ns, const std::string& name, const Json& owner,
                       TimePoint now, const SimOptions& options) {
  Json meta = {{"name", name}, {"namespace", ns}, {"creationTimestamp", format_time(now)},
               {"ownerReferences", Json::array({controller_ref(owner)})}};
  if (const Json* labels = at_path(pod_template, {"metadata", "labels"})) meta["labels"] = *labels;
  if (const Json* ann = at_path(pod_template, {"metadata", "annotations"})) meta["annotations"] = *ann;
  if (string_at(owner, {"kind"}) == "ReplicaSet") meta["generateName"] = string_at(owner, {"metadata", "name"}) + "-";
  const Json* spec = at_path(pod_template, {"spec"});
  Json pod_spec = spec ? *spec : Json::object();
  default_pod_spec(pod_spec);
  pod_spec["nodeName"] = options.node_name;
  return {{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", meta}, {"spec", pod_spec},
          {"status", {{"phase", "Pending"}, {"qosClass", "BestEffort"}}}};
}

PdbHealth pdb_health(Store& store, const Json& pdb) {
  PdbHealth h;
  LabelSelector selector;
  std::string why;
  const Json* sel = at_path(pdb, {"spec", "selector"});
  if (!LabelSelector::from_json(sel ? *sel : Json(), &selector, &why)) return h;
  for (Entry* e : store.list(type_of("pods"), string_at(pdb, {"metadata", "namespace"}))) {
    const Json* labels = at_path(e->object, {"metadata", "labels"});
    if (!selector.matches(labels ? *labels : Json::object())) continue;
    ++h.expected;
    if (pod_ready(e->object)) ++h.current_healthy;
  }
  if (const Json* min = at_path(pdb, {"spec", "minAvailable"})) {
    h.desired_healthy = resolve_int_or_percent(*min, h.expected, true).value_or(0);
  } else if (const Json* max = at_path(pdb, {"spec", "maxUnavailable"})) {
    h.desired_healthy = std::max(0, h.expected - resolve_int_or_percent(*max, h.expected, true).value_or(0));
  }
  h.disruptions_allowed = std::max(0, h.current_healthy - h.desired_healthy);
  return h;
}

Controllers::Controllers(Store& store, const agent::Clock& clock, const SimOptions& options)
    : store_(store), clock_(clock), options_(options) {}

void Controllers::run() {
  const TimePoint now = clock_.now();
  kubelet(now);
  replicasets(now);
  statefulsets(now);
  deployments(now);
  replicasets(now);  // so pods of a ReplicaSet the deployment controller just scaled appear in the same pass
  disruption_budgets();
  garbage_collect();
}

void Controllers::settle() {
  // Pass until nothing changes (a StatefulSet creates one pod per pass), with every pod ready now.
  const TimePoint now = clock_.now();
  for (int pass = 0; pass < 1000; ++pass) {
    const std::uint64_t before = store_.resource_version();
    for (Entry* e : store_.list(type_of("pods"), "")) {
      if (!e->sim.never_ready) e->sim.ready_at = std::min(e->sim.ready_at, now);
    }
    run();
    if (store_.resource_version() == before) break;
  }
}

void Controllers::kubelet(TimePoint now) {
  const ResourceType& pods = type_of("pods");
  for (Entry* e : store_.list(pods, "")) {
    Json updated = e->object;
    updated["status"] = kubelet_status(e->object, e->sim, now);
    store_.replace_if_changed(pods, std::move(updated));
  }
}

void Controllers::replicasets(TimePoint now) {
  const ResourceType& rs_type = type_of("replicasets");
  const ResourceType& pods = type_of("pods");
  for (Entry* rs : store_.list(rs_type, "")) {
    const Json& object = rs->object;
    const std::string ns = string_at(object, {"metadata", "namespace"});
    const std::string name = string_at(object, {"metadata", "name"});
    const std::string uid = string_at(object, {"metadata", "uid"});
    const int want = static_cast<int>(int_at(object, {"spec", "replicas"}, 1));
    std::vector<Entry*> owned;
    for (Entry* p : store_.list(pods, ns)) {
      if (controlled_by(p->object, uid)) owned.push_back(p);
    }
    const Json* tmpl = at_path(object, {"spec", "template"});
    for (int i = static_cast<int>(owned.size()); i < want && tmpl; ++i) {
      std::string pod_name;
      do {
        pod_name = name + "-" + random_suffix(store_.rng());
      } while (store_.find(pods, ns, pod_name));
      Json pod = pod_from_template(*tmpl, ns, pod_name, object, now, options_);
      pod["metadata"]["uid"] = new_uid(store_.rng());
      const SimState sim = pod_sim_state(pod, now, options_);
      owned.push_back(&store_.insert(pods, std::move(pod), sim));
      emit_event(object, "SuccessfulCreate", "Created pod: " + pod_name, now);
    }
    if (static_cast<int>(owned.size()) > want) {
      // Delete the least useful first: not ready before ready, then the newest.
      std::stable_sort(owned.begin(), owned.end(), [](Entry* a, Entry* b) {
        const bool ra = pod_ready(a->object), rb = pod_ready(b->object);
        if (ra != rb) return !ra;
        return string_at(a->object, {"metadata", "creationTimestamp"}) > string_at(b->object, {"metadata", "creationTimestamp"});
      });
      const std::size_t excess = owned.size() - static_cast<std::size_t>(want);
      for (std::size_t i = 0; i < excess; ++i) {
        const std::string pod_name = string_at(owned[i]->object, {"metadata", "name"});
        store_.erase(pods, ns, pod_name);
        emit_event(object, "SuccessfulDelete", "Deleted pod: " + pod_name, now);
      }
      owned.erase(owned.begin(), owned.begin() + static_cast<std::ptrdiff_t>(excess));
    }
    int ready = 0;
    for (Entry* p : owned) ready += pod_ready(p->object) ? 1 : 0;
    Entry* current = store_.find(rs_type, ns, name);  // events above may not move it, but stay safe
    Json updated = current->object;
    Json status = {{"replicas", owned.size()}, {"observedGeneration", int_at(updated, {"metadata", "generation"}, 1)}};
    if (!owned.empty()) status["fullyLabeledReplicas"] = owned.size();
    if (ready > 0) {
      status["readyReplicas"] = ready;
      status["availableReplicas"] = ready;
    }
    updated["status"] = status;
    store_.replace_if_changed(rs_type, std::move(updated));
  }
}

void Controllers::disruption_budgets() {
  const ResourceType& type = type_of("poddisruptionbudgets");
  for (Entry* e : store_.list(type, "")) {
    const PdbHealth h = pdb_health(store_, e->object);
    Json updated = e->object;
    const Json* old_cond = at_path(e->object, {"status", "conditions"});
    const bool allowed = h.disruptions_allowed > 0;
    std::string since = format_time(clock_.now());
    if (old_cond && old_cond->is_array() && !old_cond->empty() &&
        string_at((*old_cond)[0], {"status"}) == (allowed ? "True" : "False")) {
      since = string_at((*old_cond)[0], {"lastTransitionTime"}, since);
    }
    updated["status"] = {
        {"observedGeneration", int_at(e->object, {"metadata", "generation"}, 1)},
        {"expectedPods", h.expected},
        {"currentHealthy", h.current_healthy},
        {"desiredHealthy", h.desired_healthy},
        {"disruptionsAllowed", h.disruptions_allowed},
        {"conditions", Json::array({{{"type", "DisruptionAllowed"},
                                     {"status", allowed ? "True" : "False"},
                                     {"reason", allowed ? "SufficientPods" : "InsufficientPods"},
                                     {"message", ""},
                                     {"observedGeneration", int_at(e->object, {"metadata", "generation"}, 1)},
                                     {"lastTransitionTime", since}}})}};
    store_.replace_if_changed(type, std::move(updated));
  }
}

void Controllers::garbage_collect() {
  // Dependents whose controlling owner no longer exists go (background propagation). Repeat
  // until stable so a deleted Deployment takes its ReplicaSets and their pods in one pass.
  for (bool again = true; again;) {
    again = false;
    for (const auto& type : resource_types()) {
      for (Entry* e : store_.list(type, "")) {
        const Json* refs = at_path(e->object, {"metadata", "ownerReferences"});
        if (!refs || !refs->is_array()) continue;
        for (const auto& r : *refs) {
          const Json* controller = at_path(r, {"controller"});
          if (controller && *controller == true && !store_.uid_exists(string_at(r, {"uid"}))) {
            store_.erase(type, string_at(e->object, {"metadata", "namespace"}), string_at(e->object, {"metadata", "name"}));
            again = true;
            break;
          }
        }
        if (again) break;
      }
      if (again) break;
    }
  }
}

void Controllers::emit_event(const Json& involved, const std::string& reason, const std::string& message, TimePoint now,
                             const std::string& type) {
  const std::string ns = string_at(involved, {"metadata", "namespace"}, "default");
  const std::string kind = string_at(involved, {"kind"});
  const std::string component = kind == "Deployment"    ? "deployment-controller"
                                : kind == "ReplicaSet"  ? "replicaset-controller"
                                : kind == "StatefulSet" ? "statefulset-controller"
                                                        : "kubelet";
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%016llx", static_cast<unsigned long long>(store_.rng()()));
  const std::string name = string_at(involved, {"metadata", "name"}) + suffix;
  Json event = {{"kind", "Event"}, {"apiVersion", "v1"},
                {"metadata", {{"name", name}, {"namespace", ns}, {"uid", new_uid(store_.rng())},
                              {"creationTimestamp", format_time(now)}}},
                {"involvedObject", {{"kind", kind}, {"namespace", ns},
                                    {"name", string_at(involved, {"metadata", "name"})},
                                    {"uid", string_at(involved, {"metadata", "uid"})},
                                    {"apiVersion", string_at(involved, {"apiVersion"})},
                                    {"resourceVersion", string_at(involved, {"metadata", "resourceVersion"})}}},
                {"reason", reason}, {"message", message}, {"source", {{"component", component}}},
                {"firstTimestamp", format_time(now)}, {"lastTimestamp", format_time(now)}, {"count", 1},
                {"type", type}, {"eventTime", nullptr}, {"reportingComponent", component}, {"reportingInstance", ""}};
  store_.insert(type_of("events"), std::move(event));
}

}  // namespace opspilot::k8s_sim
