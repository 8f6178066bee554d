// The deployment controller (a coarse kube-controller-manager deployment controller): one
// ReplicaSet per pod template, rolling updates bounded by maxSurge/maxUnavailable, Recreate,
// revision bookkeeping for `kubectl rollout undo`, status and the Available/Progressing
// conditions, including ProgressDeadlineExceeded after progressDeadlineSeconds without progress.
#include <algorithm>

#include "examples/k8s-sim/controllers.h"

namespace opspilot::k8s_sim {

namespace {

constexpr const char* kRevision = "deployment.kubernetes.io/revision";
constexpr const char* kRevisionHistory = "deployment.kubernetes.io/revision-history";
constexpr const char* kDesiredReplicas = "deployment.kubernetes.io/desired-replicas";
constexpr const char* kMaxReplicas = "deployment.kubernetes.io/max-replicas";

int revision_of(const Json& object) {
  const std::string text = string_at(object, {"metadata", "annotations", kRevision});
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' ? 0 : static_cast<int>(v);
}

int spec_replicas(const Json& object) { return static_cast<int>(int_at(object, {"spec", "replicas"}, 1)); }
int status_count(const Json& object, const char* field) { return static_cast<int>(int_at(object, {"status", field}, 0)); }

Json* find_condition(Json& status, const std::string& type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return nullptr;
  for (auto& c : status["conditions"]) {
    if (string_at(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

// deploymentutil.SetDeploymentCondition: keeps lastTransitionTime while the status stays, and
// leaves a condition with the same status and reason alone unless `touch` (progress was made).
void set_condition(Json& status, const std::string& type, bool value, const std::string& reason,
                   const std::string& message, const std::string& now, bool touch) {
  const std::string s = value ? "True" : "False";
  Json* current = find_condition(status, type);
  if (current && string_at(*current, {"status"}) == s && string_at(*current, {"reason"}) == reason && !touch) return;
  Json c = {{"type", type}, {"status", s}, {"lastUpdateTime", now}, {"lastTransitionTime", now},
            {"reason", reason}, {"message", message}};
  if (current) {
    if (string_at(*current, {"status"}) == s) c["lastTransitionTime"] = (*current)["lastTransitionTime"];
    *current = c;
  } else {
    status["conditions"].push_back(c);
  }
}

}  // namespace

void Controllers::deployments(TimePoint now) {
  const ResourceType& dtype = type_of("deployments");
  const ResourceType& rtype = type_of("replicasets");
  const std::string now_text = format_time(now);
  for (Entry* de : store_.list(dtype, "")) {
    Json d = de->object;
    const std::string ns = string_at(d, {"metadata", "namespace"});
    const std::string name = string_at(d, {"metadata", "name"});
    const std::string uid = string_at(d, {"metadata", "uid"});
    const int replicas = spec_replicas(d);
    const bool paused = at_path(d, {"spec", "paused"}) && *at_path(d, {"spec", "paused"}) == true;
    const Json& tmpl = d["spec"]["template"];

    std::vector<Entry*> owned;
    Entry* new_rs = nullptr;
    int max_revision = 0;
    for (Entry* rs : store_.list(rtype, ns)) {
      if (!controlled_by(rs->object, uid)) continue;
      owned.push_back(rs);
      max_revision = std::max(max_revision, revision_of(rs->object));
      if (!new_rs && same_template(rs->object["spec"]["template"], tmpl)) new_rs = rs;
    }

    // Rolling-update bounds, resolved against the desired replicas as the real controller does.
    const bool recreate = string_at(d, {"spec", "strategy", "type"}) == "Recreate";
    int surge = 0, unavailable = 0;
    if (!recreate) {
      const Json* ru = at_path(d, {"spec", "strategy", "rollingUpdate"});
      if (ru && !ru->is_object()) ru = nullptr;
      surge = resolve_int_or_percent(ru ? ru->value("maxSurge", Json("25%")) : Json("25%"), replicas, true).value_or(0);
      unavailable = resolve_int_or_percent(ru ? ru->value("maxUnavailable", Json("25%")) : Json("25%"), replicas, false).value_or(0);
      if (surge == 0 && unavailable == 0) unavailable = 1;
    }

    std::string progress_reason, progress_message;
    if (!new_rs && !paused) {
      const int collisions = static_cast<int>(int_at(d, {"status", "collisionCount"}, 0));
      const std::string hash = template_hash(tmpl, collisions);
      const std::string rs_name = name + "-" + hash;
      if (store_.find(rtype, ns, rs_name)) {  // a hash collision: the real controller bumps collisionCount
        d["status"]["collisionCount"] = collisions + 1;
        store_.replace_if_changed(dtype, d);
        continue;
      }
      Json rs_tmpl = tmpl;
      rs_tmpl["metadata"]["labels"]["pod-template-hash"] = hash;
      Json selector = d["spec"]["selector"];
      selector["matchLabels"]["pod-template-hash"] = hash;
      Json labels = rs_tmpl["metadata"]["labels"];
      Json rs = {{"kind", "ReplicaSet"}, {"apiVersion", "apps/v1"},
                 {"metadata", {{"name", rs_name}, {"namespace", ns}, {"uid", new_uid(store_.rng())},
                               {"creationTimestamp", now_text}, {"generation", 1}, {"labels", labels},
                               {"annotations", {{kDesiredReplicas, std::to_string(replicas)},
                                                {kMaxReplicas, std::to_string(replicas + surge)},
                                                {kRevision, std::to_string(max_revision + 1)}}},
                               {"ownerReferences", Json::array({controller_ref(d)})}}},
                 {"spec", {{"replicas", 0}, {"minReadySeconds", int_at(d, {"spec", "minReadySeconds"}, 0)},
                           {"selector", selector}, {"template", rs_tmpl}}},
                 {"status", {{"replicas", 0}}}};
      new_rs = &store_.insert(rtype, std::move(rs));
      max_revision += 1;
      progress_reason = "NewReplicaSetCreated";
      progress_message = "Created new replica set \"" + rs_name + "\"";
    } else if (new_rs && revision_of(new_rs->object) < max_revision) {
      // An older template came back (rollout undo): its ReplicaSet becomes the newest revision.
      Json rs = new_rs->object;
      const std::string old_rev = std::to_string(revision_of(rs));
      std::string history = string_at(rs, {"metadata", "annotations", kRevisionHistory});
      rs["metadata"]["annotations"][kRevisionHistory] = history.empty() ? old_rev : history + "," + old_rev;
      rs["metadata"]["annotations"][kRevision] = std::to_string(max_revision + 1);
      store_.replace(rtype, std::move(rs));
      max_revision += 1;
    }

    std::vector<Entry*> old_rss;
    for (Entry* rs : owned) {
      if (rs != new_rs) old_rss.push_back(rs);
    }
    std::sort(old_rss.begin(), old_rss.end(),
              [](Entry* a, Entry* b) { return revision_of(a->object) < revision_of(b->object); });

    auto set_replicas = [&](Entry* rs, int n, bool is_new) {
      const int before = spec_replicas(rs->object);
      Json updated = rs->object;
      if (is_new) {
        updated["metadata"]["annotations"][kDesiredReplicas] = std::to_string(replicas);
        updated["metadata"]["annotations"][kMaxReplicas] = std::to_string(replicas + surge);
      }
      updated["spec"]["replicas"] = n;
      if (before != n) updated["metadata"]["generation"] = int_at(updated, {"metadata", "generation"}, 1) + 1;
      if (!store_.replace_if_changed(rtype, std::move(updated)) || before == n) return;
      const std::string rs_name = string_at(rs->object, {"metadata", "name"});
      emit_event(de->object, "ScalingReplicaSet",
                 std::string(n > before ? "Scaled up" : "Scaled down") + " replica set " + rs_name + " from " +
                     std::to_string(before) + " to " + std::to_string(n),
                 now);
    };

    if (!paused && new_rs) {
      int active_old = 0;
      for (Entry* rs : old_rss) active_old += spec_replicas(rs->object) > 0 ? 1 : 0;
      if (recreate) {
        bool old_pods = false;
        for (Entry* rs : old_rss) {
          if (spec_replicas(rs->object) > 0) set_replicas(rs, 0, false);
          old_pods = old_pods || status_count(rs->object, "replicas") > 0;
        }
        if (!old_pods && active_old == 0) set_replicas(new_rs, replicas, true);
      } else if (active_old == 0) {
        set_replicas(new_rs, replicas, true);  // not rolling: a plain scale (or the rollout is over)
      } else {
        auto total_spec = [&] {
          int n = 0;
          for (Entry* rs : owned) n += spec_replicas(rs->object);
          if (std::find(owned.begin(), owned.end(), new_rs) == owned.end()) n += spec_replicas(new_rs->object);
          return n;
        };
        // Scale up the new ReplicaSet within maxSurge.
        int new_count = spec_replicas(new_rs->object);
        const int room = replicas + surge - total_spec();
        if (new_count < replicas && room > 0) new_count = std::min(replicas, new_count + room);
        new_count = std::min(new_count, replicas);
        set_replicas(new_rs, new_count, true);
        // Scale down old ReplicaSets within maxUnavailable: unhealthy pods first, then available ones.
        const int min_available = replicas - unavailable;
        const int new_unavailable = spec_replicas(new_rs->object) - status_count(new_rs->object, "availableReplicas");
        const int max_scaled_down = total_spec() - min_available - new_unavailable;
        if (max_scaled_down > 0) {
          int cleaned = 0;
          for (Entry* rs : old_rss) {
            const int unhealthy = spec_replicas(rs->object) - status_count(rs->object, "availableReplicas");
            if (unhealthy <= 0 || cleaned >= max_scaled_down) continue;
            const int down = std::min(max_scaled_down - cleaned, unhealthy);
            set_replicas(rs, spec_replicas(rs->object) - down, false);
            cleaned += down;
          }
          int available = 0;
          for (Entry* rs : owned) available += status_count(rs->object, "availableReplicas");
          if (std::find(owned.begin(), owned.end(), new_rs) == owned.end()) available += status_count(new_rs->object, "availableReplicas");
          int remaining = available - min_available;
          for (Entry* rs : old_rss) {
            if (remaining <= 0) break;
            const int down = std::min(spec_replicas(rs->object), remaining);
            if (down <= 0) continue;
            set_replicas(rs, spec_replicas(rs->object) - down, false);
            remaining -= down;
          }
        }
      }
    }

    // Status, from what the ReplicaSets report (it lags their spec until the replicaset
    // controller's next pass, exactly as in a real cluster).
    std::vector<Entry*> all = old_rss;
    if (new_rs) all.push_back(new_rs);
    int total = 0, actual = 0, ready = 0, available = 0;
    for (Entry* rs : all) {
      total += spec_replicas(rs->object);
      actual += status_count(rs->object, "replicas");
      ready += status_count(rs->object, "readyReplicas");
      available += status_count(rs->object, "availableReplicas");
    }
    const int updated = new_rs ? status_count(new_rs->object, "replicas") : 0;
    const Json old_status = d.value("status", Json::object());
    Json status = Json::object();
    status["observedGeneration"] = int_at(d, {"metadata", "generation"}, 1);
    if (actual) status["replicas"] = actual;
    if (updated) status["updatedReplicas"] = updated;
    if (ready) status["readyReplicas"] = ready;
    if (available) status["availableReplicas"] = available;
    if (total - available > 0) status["unavailableReplicas"] = total - available;
    if (old_status.contains("collisionCount")) status["collisionCount"] = old_status["collisionCount"];
    status["conditions"] = old_status.contains("conditions") ? old_status["conditions"] : Json::array();

    const bool min_available = available >= replicas - unavailable;
    set_condition(status, "Available", min_available,
                  min_available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                  min_available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
                  now_text, false);

    const std::string rs_name = new_rs ? string_at(new_rs->object, {"metadata", "name"}) : name;
    const bool complete = updated == replicas && actual == replicas && available == replicas;
    const int old_updated = status_count(Json{{"status", old_status}}, "updatedReplicas");
    const int old_actual = status_count(Json{{"status", old_status}}, "replicas");
    const bool progressed = updated > old_updated || (actual - updated) < (old_actual - old_updated) ||
                            ready > status_count(Json{{"status", old_status}}, "readyReplicas") ||
                            available > status_count(Json{{"status", old_status}}, "availableReplicas");
    Json* progressing = find_condition(status, "Progressing");
    const std::int64_t deadline_s = int_at(d, {"spec", "progressDeadlineSeconds"}, 600);
    if (!progress_reason.empty()) {
      set_condition(status, "Progressing", true, progress_reason, progress_message, now_text, true);
      de->sim.progress_at = now;
    } else if (!progressing) {
      set_condition(status, "Progressing", true, "ReplicaSetUpdated", "ReplicaSet \"" + rs_name + "\" is progressing.",
                    now_text, true);
      de->sim.progress_at = now;
    }
    progressing = find_condition(status, "Progressing");
    const std::string reason = string_at(*progressing, {"reason"});
    if (paused) {
      // A paused rollout never times out.
    } else if (complete) {
      set_condition(status, "Progressing", true, "NewReplicaSetAvailable",
                    "ReplicaSet \"" + rs_name + "\" has successfully progressed.", now_text, false);
    } else if (progressed && progress_reason.empty()) {
      set_condition(status, "Progressing", true, "ReplicaSetUpdated", "ReplicaSet \"" + rs_name + "\" is progressing.",
                    now_text, true);
      de->sim.progress_at = now;
    } else if (reason != "NewReplicaSetAvailable" && reason != "ProgressDeadlineExceeded" &&
               now - de->sim.progress_at > std::chrono::seconds(deadline_s)) {
      set_condition(status, "Progressing", false, "ProgressDeadlineExceeded",
                    "ReplicaSet \"" + rs_name + "\" has timed out progressing.", now_text, false);
      emit_event(de->object, "ProgressDeadlineExceeded",
                 "Deployment \"" + name + "\" has timed out progressing.", now, "Warning");
    }
    d["status"] = status;
    if (new_rs) d["metadata"]["annotations"][kRevision] = std::to_string(revision_of(new_rs->object));

    // Old ReplicaSets beyond revisionHistoryLimit go once a rollout is complete, oldest first.
    if (complete) {
      const std::int64_t limit = int_at(d, {"spec", "revisionHistoryLimit"}, 10);
      std::vector<Entry*> idle;
      for (Entry* rs : old_rss) {
        if (spec_replicas(rs->object) == 0 && status_count(rs->object, "replicas") == 0) idle.push_back(rs);
      }
      for (std::size_t i = 0; static_cast<std::int64_t>(idle.size() - i) > limit; ++i) {
        store_.erase(rtype, ns, string_at(idle[i]->object, {"metadata", "name"}));
      }
    }
    store_.replace_if_changed(dtype, std::move(d));
  }
}

}  // namespace opspilot::k8s_sim
