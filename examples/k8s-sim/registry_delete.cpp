// Registry: deletion (preconditions, propagation, collections, namespaces) and pods/eviction.
#include "examples/k8s-sim/controllers.h"
#include "examples/k8s-sim/registry.h"
#include "examples/k8s-sim/selector.h"

namespace opspilot::k8s_sim {

namespace {

// Drops ownerReferences to `owner_uid` from every object that has one (propagationPolicy=Orphan).
void orphan_dependents(Store& store, const std::string& owner_uid) {
  for (const auto& type : resource_types()) {
    for (Entry* e : store.list(type, "")) {
      const Json* refs = at_path(e->object, {"metadata", "ownerReferences"});
      if (!refs || !refs->is_array()) continue;
      Json kept = Json::array();
      for (const auto& r : *refs) {
        if (string_at(r, {"uid"}) != owner_uid) kept.push_back(r);
      }
      if (kept.size() == refs->size()) continue;
      Json updated = e->object;
      if (kept.empty()) updated["metadata"].erase("ownerReferences");
      else updated["metadata"]["ownerReferences"] = kept;
      store.replace(type, std::move(updated));
    }
  }
}

}  // namespace

ApiResult Registry::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                           const std::string& body, const WriteOptions& opt) {
  Entry* e = store_.find(type, ns, name);
  if (!e) return not_found(type, name);
  Json options = body.empty() ? Json::object() : Json::parse(body, nullptr, false);
  if (options.is_discarded() || !options.is_object()) {
    return bad_request("the DeleteOptions body is not a JSON object: " + body.substr(0, 80));
  }
  const std::string uid = string_at(e->object, {"metadata", "uid"});
  const std::string rv = string_at(e->object, {"metadata", "resourceVersion"});
  if (const Json* pre = at_path(options, {"preconditions"}); pre && pre->is_object()) {
    const std::string want_uid = string_at(*pre, {"uid"});
    const std::string want_rv = string_at(*pre, {"resourceVersion"});
    if (!want_uid.empty() && want_uid != uid) {
      return conflict(type, name, "Precondition failed: UID in precondition: " + want_uid + ", UID in object meta: " + uid);
    }
    if (!want_rv.empty() && want_rv != rv) {
      return conflict(type, name, "the ResourceVersion in the precondition (" + want_rv +
                                      ") does not match the ResourceVersion in record (" + rv +
                                      "). The object might have been modified");
    }
  }
  std::string policy = string_at(options, {"propagationPolicy"}, opt.propagation_policy);
  if (const Json* orphan = at_path(options, {"orphanDependents"}); orphan && orphan->is_boolean() && orphan->get<bool>()) {
    policy = "Orphan";
  }
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground") {
    return bad_request("propagationPolicy is \"" + policy + "\", expected Orphan, Background or Foreground");
  }
  if (opt.dry_run) return type.plural == "pods" ? ApiResult{200, e->object, {}} : success_status(200, &type, name, uid);
  if (policy == "Orphan") orphan_dependents(store_, uid);
  if (type.plural == "namespaces") {
    // What the namespace controller does once the namespace is Terminating: delete its content.
    for (const auto& t : resource_types()) {
      if (!t.namespaced) continue;
      for (Entry* child : store_.list(t, name)) {
        store_.erase(t, name, string_at(child->object, {"metadata", "name"}));
      }
    }
  }
  Json deleted = *store_.erase(type, ns, name);
  if (type.plural == "pods") {
    // Pods answer with themselves, marked for graceful deletion (here the kubelet confirms at once).
    deleted["metadata"]["deletionTimestamp"] = format_time(clock_.now());
    deleted["metadata"]["deletionGracePeriodSeconds"] = int_at(deleted, {"spec", "terminationGracePeriodSeconds"}, 30);
    return {200, deleted, {}};
  }
  // The garbage collector deletes dependents on its next pass (Background/Foreground alike here).
  return success_status(200, &type, name, uid);
}

ApiResult Registry::remove_collection(const ResourceType& type, const std::string& ns, const std::string& label_selector,
                                      const std::string& field_selector, const WriteOptions& opt) {
  std::vector<const Json*> objects;
  ApiResult error;
  if (!select(type, ns, label_selector, field_selector, &objects, &error)) return error;
  std::vector<std::pair<std::string, std::string>> keys;
  for (const Json* o : objects) keys.emplace_back(string_at(*o, {"metadata", "namespace"}), string_at(*o, {"metadata", "name"}));
  Json items = Json::array();
  for (const auto& [object_ns, name] : keys) {
    ApiResult r = remove(type, object_ns, name, "", opt);
    if (!r.ok()) return r;
    if (Entry* gone = store_.find(type, object_ns, name); !gone) items.push_back({{"metadata", {{"name", name}, {"namespace", object_ns}}}});
  }
  return {200,
          {{"kind", type.kind + "List"},
           {"apiVersion", type.api_version()},
           {"metadata", {{"resourceVersion", std::to_string(store_.resource_version())}}},
           {"items", items}},
          {}};
}

ApiResult Registry::evict(const std::string& ns, const std::string& name, const std::string& body, const WriteOptions& opt) {
  const ResourceType& pods = type_of("pods");
  Entry* pod = store_.find(pods, ns, name);
  if (!pod) return not_found(pods, name);
  Json eviction = Json::parse(body, nullptr, false);
  if (eviction.is_discarded() || !eviction.is_object()) {
    return bad_request("the Eviction body is not a JSON object: " + body.substr(0, 80));
  }
  if (eviction.contains("kind") && eviction["kind"] != "Eviction") {
    return bad_request("the kind in the data (" + eviction["kind"].dump() + ") does not match the expected kind (Eviction)");
  }
  const std::string body_name = string_at(eviction, {"metadata", "name"});
  if (body_name != name) return bad_request("name in URL does not match name in Eviction object (\"" + body_name + "\" vs \"" + name + "\")");
  const Json* labels = at_path(pod->object, {"metadata", "labels"});
  std::vector<Entry*> budgets;
  for (Entry* pdb : store_.list(type_of("poddisruptionbudgets"), ns)) {
    LabelSelector selector;
    std::string why;
    const Json* sel = at_path(pdb->object, {"spec", "selector"});
    if (LabelSelector::from_json(sel ? *sel : Json(), &selector, &why) && selector.matches(labels ? *labels : Json::object())) {
      budgets.push_back(pdb);
    }
  }
  if (budgets.size() > 1) {
    return internal_error("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
  }
  const std::string phase = string_at(pod->object, {"status", "phase"});
  const bool ignore_budget = phase == "Pending" || phase == "Succeeded" || phase == "Failed";
  if (!budgets.empty() && !ignore_budget) {
    const Json& pdb = budgets[0]->object;
    const PdbHealth h = pdb_health(store_, pdb);
    // A healthy pod may go while disruptions are allowed; an unhealthy one while the budget is
    // met without it (the default unhealthyPodEvictionPolicy, IfHealthyBudget).
    const bool allowed = pod_ready(pod->object) ? h.disruptions_allowed > 0 : h.current_healthy >= h.desired_healthy;
    if (!allowed) {
      const std::string pdb_name = string_at(pdb, {"metadata", "name"});
      return too_many_requests("Cannot evict pod as it would violate the pod's disruption budget.", 0,
                               {{"DisruptionBudget",
                                 "The disruption budget " + pdb_name + " needs " + std::to_string(h.desired_healthy) +
                                     " healthy pods and has " + std::to_string(h.current_healthy) + " currently",
                                 ""}});
    }
  }
  if (!opt.dry_run) store_.erase(pods, ns, name);
  return success_status(201);
}

}  // namespace opspilot::k8s_sim
