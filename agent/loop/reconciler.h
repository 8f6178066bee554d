#pragma once
// One tick for one target: observe → predict → decide → policy check → act/plan → verify →
// journal. Synchronous and deterministic given its inputs, so the live loop, `opspilot plan`,
// tests and backtests all run exactly the same code.
#include <functional>
#include <string>

#include "actuators/actuator.h"
#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/journal.h"
#include "agent/loop/target_state.h"
#include "agent/loop/timeline.h"
#include "agent/metrics.h"
#include "agent/predict/predictor.h"
#include "agent/source/observation.h"
#include "agent/store/series_store.h"

namespace opspilot::agent {

/// The stages a tick runs through. The agent owns them; the reconciler only borrows.
struct Stages {
  Clock* clock = nullptr;
  MetricSource* source = nullptr;
  SeriesStore* store = nullptr;
  Predictor* predictor = nullptr;  // the short-window fallback (and forecast.model linear-trend)
  actuators::Actuator* actuator = nullptr;
  Journal* journal = nullptr;
  AgentMetrics* metrics = nullptr;
  Timeline* timeline = nullptr;  // optional
};

/// The action a decision asks the actuator for (its id is the idempotency key).
actuators::Action to_action(const Decision& d);

/// Thread-safety: tick() for different TargetStates may run concurrently (each on its strand);
/// the shared stages are thread-safe.
class Reconciler {
 public:
  Reconciler(const Config& config, Stages stages) : config_(config), s_(stages) {}
  /// Runs one tick and returns the decision it made (also journaled when it must be).
  Decision tick(TargetState& target);
  /// Called with every decision that was journaled (for live terminal output).
  void on_decision(std::function<void(const Decision&)> cb) { on_decision_ = std::move(cb); }

  /// The prediction horizon: the time a new replica needs to become ready plus one interval.
  Duration horizon(const TargetSpec& t) const { return t.readiness_delay + config_.interval; }

 private:
  void verify_in_flight(TargetState& ts, TimePoint now);
  Observation observe(TargetState& ts, TimePoint now);
  Prediction predict(TargetState& ts, TimePoint now, double current_load);
  void decide_and_act(TargetState& ts, Decision& d, const Observation& obs, TimePoint now);
  bool record(TargetState& ts, Decision& d, bool force);
  void act(TargetState& ts, Decision& d, TimePoint now);

  const Config& config_;
  Stages s_;
  std::function<void(const Decision&)> on_decision_;
};

}  // namespace opspilot::agent
