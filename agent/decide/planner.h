#pragma once
// The decide stage: turns what was observed and predicted into a proposal, explained.
#include <deque>
#include <optional>
#include <string>

#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/decide/utilisation.h"
#include "agent/journal/decision.h"
#include "agent/source/observation.h"

namespace opspilot::agent {

struct PlanInput {
  const TargetSpec* target = nullptr;
  const Observation* observation = nullptr;
  const Prediction* prediction = nullptr;
  int current_replicas = 0;
  TimePoint now{};
};

struct PlanOutput {
  std::string action = "hold";  // hold | scale
  int desired_replicas = 0;
  double confidence = 0;        // [0, 1]
  std::string reason;           // the binding constraint in words
};

/// Thread-safety: one Planner per target, used from that target's strand only.
class Planner {
 public:
  virtual ~Planner() = default;
  virtual PlanOutput plan(const PlanInput& in) = 0;
};

/// Capacity planning: replicas = ceil(load / (per_replica × target_utilization)), sized for an
/// upper quantile of the forecast at the readiness horizon (inside the HPA's tolerance band the
/// current count stands), never below the reactive need of the current
/// load (computed as the Kubernetes HPA does, with its 10% tolerance), and scaling down only to
/// the largest recommendation seen over the scale-down window (HPA's stabilization).
/// The target utilisation is the configured one when pinned; with `target_utilization: auto`, a
/// slo.latency and a latency signal, it is learned per band of replicas (UtilisationLearner) from
/// the steady ticks this planner sees, and the count for a load is the smallest N whose N
/// replicas at their band's utilisation carry it (the HPA's ceil when the utilisation is one value).
class ScalingPlanner final : public Planner {
 public:
  static constexpr double kTolerance = 0.1;
  PlanOutput plan(const PlanInput& in) override;

 private:
  std::optional<UtilisationLearner> learner_;
  struct Recommendation {
    TimePoint at;
    int replicas;
  };
  std::deque<Recommendation> recent_;
};

/// How long an action may take to roll out before it counts as failed: a scale or one pod's
/// restart needs the new replicas ready (3 × readiness_delay, plus two intervals); a rolling
/// restart or rollback replaces every replica in waves (Kubernetes' default maxSurge of 25%:
/// four waves), so 6 × readiness_delay plus two intervals.
Duration rollout_deadline(const TargetSpec& t, const std::string& action, bool one_pod, Duration interval);

/// The upper forecast quantile the planner sizes for (targets[].forecast.quantile).
double sizing_quantile(const TargetSpec& t);

/// Per-replica capacity: the configured value, else estimated from load and a saturation
/// (utilisation, 0..1) signal over the ready replicas (the `ready_replicas` signal; without it,
/// `current_replicas`). nullopt when neither is known.
std::optional<double> capacity_per_replica(const TargetSpec& t, const Observation& o,
                                           int current_replicas);

}  // namespace opspilot::agent
