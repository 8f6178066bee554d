#include "agent/decide/planner.h"

#include <algorithm>
#include <cmath>

#include "agent/format.h"
#include "agent/predict/predictor.h"

namespace opspilot::agent {

Duration rollout_deadline(const TargetSpec& t, const std::string& action, bool one_pod, Duration interval) {
  const bool rolling = (action == "restart" && !one_pod) || action == "rollback";
  return t.readiness_delay * (rolling ? 6 : 3) + interval * 2;
}

double sizing_quantile(const TargetSpec& t) { return t.forecast.quantile; }

std::optional<double> capacity_per_replica(const TargetSpec& t, const Observation& o,
                                           int current_replicas) {
  if (t.capacity.per_replica > 0) return t.capacity.per_replica;
  const SignalValue* load = o.get("load");
  const SignalValue* sat = o.get("saturation");
  // Saturation is the utilisation of the replicas that serve: the ready ones when they are
  // known. Dividing by a desired count that includes replicas still starting would shrink the
  // estimate after every scale-up, and each tick would ask for more (the HPA, likewise, does not
  // count pods that are not ready).
  const SignalValue* ready = o.get("ready_replicas");
  const double serving = ready && ready->ok() && ready->value >= 1 ? ready->value : current_replicas;
  if (load && load->ok() && sat && sat->ok() && sat->value > 0.05 && serving > 0) {
    return load->value / (serving * std::min(sat->value, 1.0));
  }
  return std::nullopt;
}

PlanOutput ScalingPlanner::plan(const PlanInput& in) {
  PlanOutput out;
  const TargetSpec& t = *in.target;
  const Observation& o = *in.observation;
  const Prediction& pred = *in.prediction;
  const int current = in.current_replicas;
  out.desired_replicas = current;

  const SignalValue* load = o.get("load");
  if (!load || !load->ok()) {
    out.reason = "hold: load is not known";
    return out;
  }
  const auto per_replica = capacity_per_replica(t, o, current);
  if (!per_replica || *per_replica <= 0) {
    out.reason = "hold: per-replica capacity unknown (set capacity.per_replica or a saturation signal)";
    return out;
  }
  // The utilisation to plan at: pinned, or learned per band of replicas from steady ticks.
  const SignalValue* latency = o.get("latency");
  const bool learning = t.capacity.learn_utilization && t.slo.latency_seconds > 0 && latency != nullptr;
  if (learning) {
    if (!learner_) learner_.emplace(t.capacity.target_utilization, t.capacity.max_utilization, t.slo.latency_seconds);
    const SignalValue* ready = o.get("ready_replicas");
    if (latency->ok() && ready && ready->ok())
      learner_->observe(in.now, static_cast<int>(std::lround(ready->value)), current, load->value, *per_replica, latency->value);
  }
  const auto utilisation = [&](int n) { return learning ? learner_->utilisation(n) : t.capacity.target_utilization; };
  const double unit = *per_replica * utilisation(current);
  // The fewest replicas that carry `x` at their own band's utilisation; with one utilisation for
  // every count, ceil(x / unit) as the HPA computes it. A million stands for "as many as allowed".
  const auto count_for = [&](double x) -> int {
    if (!learning) return static_cast<int>(std::min(std::ceil(x / unit), 1e6));
    if (!(x > 0)) return 0;
    int n = static_cast<int>(std::min(std::floor(x / *per_replica), 1e6));
    while (n < 1000000 && n * *per_replica * utilisation(n) < x) ++n;
    return n;
  };

  // Reactive floor, exactly as the HPA: ratio of current usage to target; within tolerance, keep.
  int reactive = current;
  if (current > 0) {
    const double ratio = load->value / (current * unit);
    if (std::abs(ratio - 1.0) > kTolerance)
      reactive = learning ? count_for(load->value) : static_cast<int>(std::ceil(ratio * current));
  } else {
    reactive = count_for(load->value);
  }

  // A forecast below the accuracy floor is not acted on: the reactive rule decides alone.
  const bool use = pred.enough_data && pred.trusted;
  // The forecast is sized at the upper quantile the target asks for (forecast.quantile), read
  // off the forecast's band as a normal quantile. The same tolerance band as the reactive rule
  // keeps it from chasing noise: inside it, the current count is right.
  int predictive = 0;
  double sized = pred.upper;
  if (use) {
    const double band_z = normal_quantile(0.5 + pred.level / 2);
    if (band_z > 0 && pred.upper > pred.mean)
      sized = pred.mean + normal_quantile(sizing_quantile(t)) / band_z * (pred.upper - pred.mean);
    // A huge band must not overflow the count: anything beyond a million replicas is the same
    // "as many as the limits allow" (the policy check clamps to max_replicas and records it).
    const auto count = [](double x) { return static_cast<int>(std::min(std::ceil(x), 1e6)); };
    if (!std::isfinite(sized)) sized = 1e300;
    if (current > 0) {
      const double ratio = sized / (current * unit);
      predictive = std::abs(ratio - 1.0) <= kTolerance ? current
                   : learning                           ? count_for(sized)
                                                        : count(ratio * current);
    } else {
      predictive = count_for(sized);
    }
  }

  int desired = std::max(reactive, predictive);
  std::string binding;
  if (use && predictive >= reactive) {
    binding = "forecast q" + fmt("%.0f", sizing_quantile(t) * 100) + " " + fmt("%.1f", sized) + " at +" +
              fmt("%.0fs", pred.horizon_seconds) + " needs " + std::to_string(predictive) + " (mean " +
              fmt("%.1f", pred.mean) + ", " + fmt("%.0f%%", pred.level * 100) + " band to " + fmt("%.1f", pred.upper) + ")";
  } else {
    binding = "current load " + fmt("%.1f", load->value) + " needs " + std::to_string(reactive) +
              (use                ? " (forecast needs " + std::to_string(predictive) + ")"
               : pred.enough_data ? " (forecast not used: " + pred.note + ")"
                                  : " (no forecast: " + pred.note + ")");
  }
  binding += " at " + fmt("%.1f", unit) + " per replica (" + fmt("%.1f", *per_replica) + " × " +
             fmt("%.0f%% utilisation", utilisation(current) * 100) +
             (learning ? "; " + learner_->explain(current) : std::string()) + ")";

  // Scale-down stabilization: the largest recommendation within the window wins. Each one
  // stands until the next, so the one in force when the window opened counts too: after a gap in
  // planning (a data outage, a remediation, a wait for approval) the window is a full one of
  // fresh recommendations, not the first sample after the gap.
  recent_.push_back({in.now, desired});
  const TimePoint opened = in.now - t.scale_down_window;
  while (recent_.size() > 1 && recent_[1].at <= opened) recent_.pop_front();
  if (desired < current) {
    int stabilized = desired;
    for (const auto& r : recent_) stabilized = std::max(stabilized, r.replicas);
    if (stabilized > desired) {
      binding += "; scale-down stabilised to " + std::to_string(stabilized) +
                 " (largest recommendation in the last " +
                 std::to_string(t.scale_down_window.count() / 1000) + "s)";
      desired = std::min(stabilized, current);
    }
    // Hysteresis: a scale-down must leave the HPA tolerance as headroom, or the next tick's
    // reactive floor would scale straight back up.
    const double need = std::max(load->value, use ? sized : 0.0);
    const int with_headroom = count_for(need / (1.0 - kTolerance));
    if (desired < with_headroom) {
      desired = std::min(with_headroom, current);
      binding += "; scale-down keeps " + std::to_string(static_cast<int>(kTolerance * 100)) +
                 "% headroom (" + std::to_string(desired) + ")";
    }
    if (desired < current && !use) {
      binding += "; no scale-down without a forecast that agrees";
      desired = current;
    }
  }

  // Without a forecast the planner is not confident of anything: approval rules on confidence
  // see 0, never a made-up middle value.
  out.confidence = use ? pred.confidence : 0.0;
  out.desired_replicas = desired;
  if (desired == current) {
    out.reason = "hold: " + std::to_string(current) + " replicas are right; " + binding;
    return out;
  }
  out.action = "scale";
  out.reason = std::string(desired > current ? "scale up" : "scale down") + " " +
               std::to_string(current) + " -> " + std::to_string(desired) + ": " + binding;
  return out;
}

}  // namespace opspilot::agent
