// The statefulset controller, coarsely: pods named <set>-<ordinal>, created in order (each once
// the previous is Ready) or all at once (podManagementPolicy: Parallel), removed from the highest
// ordinal, and replaced one at a time from the highest ordinal down when the template changes.
#include <map>

#include "examples/k8s-sim/controllers.h"

namespace opspilot::k8s_sim {

void Controllers::statefulsets(TimePoint now) {
  const ResourceType& stype = type_of("statefulsets");
  const ResourceType& pods = type_of("pods");
  for (Entry* se : store_.list(stype, "")) {
    const Json sts = se->object;
    const std::string ns = string_at(sts, {"metadata", "namespace"});
    const std::string name = string_at(sts, {"metadata", "name"});
    const std::string uid = string_at(sts, {"metadata", "uid"});
    const int replicas = static_cast<int>(int_at(sts, {"spec", "replicas"}, 1));
    const bool parallel = string_at(sts, {"spec", "podManagementPolicy"}) == "Parallel";
    const bool rolling = string_at(sts, {"spec", "updateStrategy", "type"}, "RollingUpdate") == "RollingUpdate";
    const int partition = static_cast<int>(int_at(sts, {"spec", "updateStrategy", "rollingUpdate", "partition"}, 0));
    const Json& tmpl = sts["spec"]["template"];
    const std::string update_revision = name + "-" + template_hash(tmpl);

    std::map<int, Entry*> by_ordinal;
    for (Entry* p : store_.list(pods, ns)) {
      if (!controlled_by(p->object, uid)) continue;
      const std::string pod_name = string_at(p->object, {"metadata", "name"});
      if (pod_name.rfind(name + "-", 0) != 0) continue;
      char* end = nullptr;
      const std::string suffix = pod_name.substr(name.size() + 1);
      const long ordinal = std::strtol(suffix.c_str(), &end, 10);
      if (!suffix.empty() && *end == '\0') by_ordinal[static_cast<int>(ordinal)] = p;
    }
    auto revision_of = [](const Entry* p) {
      return string_at(p->object, {"metadata", "labels", "controller-revision-hash"});
    };

    bool waiting = false;  // OrderedReady: a lower ordinal is not Ready yet
    for (int i = 0; i < replicas && !waiting; ++i) {
      auto it = by_ordinal.find(i);
      if (it != by_ordinal.end()) {
        waiting = !parallel && !pod_ready(it->second->object);
        continue;
      }
      const std::string pod_name = name + "-" + std::to_string(i);
      Json pod = pod_from_template(tmpl, ns, pod_name, sts, now, options_);
      pod["metadata"]["uid"] = new_uid(store_.rng());
      pod["metadata"]["labels"]["controller-revision-hash"] = update_revision;
      pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] = pod_name;
      pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] = std::to_string(i);
      pod["spec"]["hostname"] = pod_name;
      if (const Json* svc = at_path(sts, {"spec", "serviceName"}); svc && svc->is_string()) pod["spec"]["subdomain"] = *svc;
      const SimState sim = pod_sim_state(pod, now, options_);
      by_ordinal[i] = &store_.insert(pods, std::move(pod), sim);
      emit_event(sts, "SuccessfulCreate", "create Pod " + pod_name + " in StatefulSet " + name + " successful", now);
      waiting = !parallel;
    }

    bool all_ready = true;
    for (auto& [i, p] : by_ordinal) all_ready = all_ready && pod_ready(p->object);
    // Scale down from the highest ordinal, one at a time unless Parallel.
    for (auto it = by_ordinal.rbegin(); it != by_ordinal.rend();) {
      if (it->first < replicas || (!parallel && !all_ready)) break;
      const std::string pod_name = string_at(it->second->object, {"metadata", "name"});
      store_.erase(pods, ns, pod_name);
      emit_event(sts, "SuccessfulDelete", "delete Pod " + pod_name + " in StatefulSet " + name + " successful", now);
      by_ordinal.erase(std::next(it).base());
      if (!parallel) break;
      it = by_ordinal.rbegin();
    }
    // Rolling update: replace the highest outdated pod once every pod is Ready.
    if (rolling && all_ready && static_cast<int>(by_ordinal.size()) == replicas) {
      for (auto it = by_ordinal.rbegin(); it != by_ordinal.rend(); ++it) {
        if (it->first < partition || revision_of(it->second) == update_revision) continue;
        const std::string pod_name = string_at(it->second->object, {"metadata", "name"});
        store_.erase(pods, ns, pod_name);
        by_ordinal.erase(std::next(it).base());
        break;
      }
    }

    int ready = 0, updated = 0;
    for (auto& [i, p] : by_ordinal) {
      ready += pod_ready(p->object) ? 1 : 0;
      updated += revision_of(p) == update_revision ? 1 : 0;
    }
    std::string current_revision = string_at(sts, {"status", "currentRevision"}, update_revision);
    if (updated == static_cast<int>(by_ordinal.size()) && updated == replicas) current_revision = update_revision;
    int current = 0;
    for (auto& [i, p] : by_ordinal) current += revision_of(p) == current_revision ? 1 : 0;
    Json updated_sts = se->object;
    updated_sts["status"] = {{"observedGeneration", int_at(sts, {"metadata", "generation"}, 1)},
                             {"replicas", by_ordinal.size()},
                             {"readyReplicas", ready},
                             {"availableReplicas", ready},
                             {"currentReplicas", current},
                             {"updatedReplicas", updated},
                             {"currentRevision", current_revision},
                             {"updateRevision", update_revision},
                             {"collisionCount", 0}};
    store_.replace_if_changed(stype, std::move(updated_sts));
  }
}

}  // namespace opspilot::k8s_sim
