#pragma once
// The simulated control plane: what kube-controller-manager and the kubelet would do. Each
// run() is one reconcile pass at the clock's "now" over every object:
//   deployment controller  ReplicaSet per pod template (pod-template-hash, revision annotation,
//                          revisionHistoryLimit), RollingUpdate with maxSurge/maxUnavailable or
//                          Recreate, status and the Available/Progressing conditions including
//                          ProgressDeadlineExceeded
//   replicaset controller  creates/deletes pods to match spec.replicas, status counts
//   statefulset controller ordinal pods, OrderedReady or Parallel, reverse-ordinal rolling update
//   kubelet                pods turn Running and Ready after the readiness delay (or never)
//   disruption controller  PodDisruptionBudget status
//   garbage collector      deletes objects whose controlling owner is gone
// Thread-safety: none; runs on the simulator's one thread.
#include <string>

#include "agent/clock.h"
#include "examples/k8s-sim/options.h"
#include "examples/k8s-sim/store.h"

namespace opspilot::k8s_sim {

class Controllers {
 public:
  Controllers(Store& store, const agent::Clock& clock, const SimOptions& options);
  /// One reconcile pass of every controller.
  void run();
  /// Marks every pod Ready now (a seeded cluster starts settled, not mid-rollout).
  void settle();

 private:
  void deployments(TimePoint now);
  void replicasets(TimePoint now);
  void statefulsets(TimePoint now);
  void kubelet(TimePoint now);
  void disruption_budgets();
  void garbage_collect();
  void emit_event(const Json& involved, const std::string& reason, const std::string& message, TimePoint now,
                  const std::string& type = "Normal");

  Store& store_;
  const agent::Clock& clock_;
  const SimOptions& options_;
};

/// The readiness plan of a new pod: when it turns Ready, or never.
SimState pod_sim_state(const Json& pod, TimePoint now, const SimOptions& options);
/// A pod as its owner's controller creates it from `pod_template`.
Json pod_from_template(const Json& pod_template, const std::string& ns, const std::string& name, const Json& owner,
                       TimePoint now, const SimOptions& options);
/// Whether the pod's Ready condition is True.
bool pod_ready(const Json& pod);
/// An ownerReference to `owner` with controller: true.
Json controller_ref(const Json& owner);
/// Whether `object` is controlled by the object with uid `owner_uid`.
bool controlled_by(const Json& object, const std::string& owner_uid);

struct PdbHealth {
  int expected = 0;
  int current_healthy = 0;
  int desired_healthy = 0;
  int disruptions_allowed = 0;
};
/// The budget's view of its pods right now (as the disruption controller computes it).
PdbHealth pdb_health(Store& store, const Json& pdb);

}  // namespace opspilot::k8s_sim
