#pragma once
// The Kubernetes backend: scales, restarts and rolls back Deployments and StatefulSets through
// the API server, as kubectl would, idempotently (the decision id is the key) and with the API's
// own concurrency control (resourceVersion): a conflicting writer is never overwritten.
//
// Settings (all strings): kubeconfig (path), context, server (overrides the URL), in_cluster
// (true/false), namespace (when the action names none; default: the context's), timeout (ms or
// "5s", default 10s), retries (total tries for transport errors, 429 and 5xx, default 4),
// rollout_timeout (documentation only: how long the agent lets verify() report InProgress),
// field_manager (default "opspilot"). Bad settings throw std::invalid_argument at construction.
//
// Actions: Scale (PUT the scale subresource), Restart (rolling, via a pod-template annotation,
// or params mode=evict pod=NAME through the Eviction API), Rollback (Deployments: to
// params revision=N or the previous revision).
//
// Thread-safety: plan/apply/verify may be called concurrently for different targets; the one
// piece of shared mutable state (evicted pod uids) is behind a mutex.
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "actuators/actuator.h"
#include "actuators/kubernetes/kube_client.h"
#include "actuators/kubernetes/workload.h"

namespace opspilot::actuators {

class KubernetesActuator final : public Actuator {
 public:
  /// Throws std::invalid_argument on bad settings (at construction only, never while acting).
  explicit KubernetesActuator(const ActuatorSettings& settings);
  std::string name() const override { return "kubernetes"; }
  std::vector<ApiCall> plan(const Action& action) const override;
  ApplyResult apply(const Action& action) override;
  VerifyResult verify(const Action& action) override;

  /// Where the credentials came from and which namespace is the default.
  const kube::KubeConfig& kube_config() const { return client_.config(); }
  const std::string& default_namespace() const { return namespace_; }
  std::chrono::milliseconds rollout_timeout() const { return rollout_timeout_; }

 private:
  ApplyResult scale(const Action& action, const kube::Workload& w);
  ApplyResult rolling_restart(const Action& action, const kube::Workload& w);
  ApplyResult evict(const Action& action, const kube::Workload& w);
  ApplyResult rollback(const Action& action, const kube::Workload& w);
  VerifyResult verify_workload(const kube::Workload& w);
  VerifyResult verify_eviction(const Action& action, const kube::Workload& w);
  std::string write_query() const { return kube::field_manager_query(field_manager_); }

  kube::KubeClient client_;
  std::string namespace_;
  std::string field_manager_ = "opspilot";
  std::chrono::milliseconds rollout_timeout_{std::chrono::minutes(10)};

  std::mutex mu_;
  // decision id -> uid of the pod it evicted: lets verify tell a replacement (same name for a
  // StatefulSet pod) from the original, and a replayed apply recognise its own eviction.
  std::map<std::string, std::string> evicted_;
};

}  // namespace opspilot::actuators
