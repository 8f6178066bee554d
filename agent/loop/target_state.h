#pragma once
// Everything the agent remembers about one target between ticks. Owned by the target's strand;
// the fields under `status_mu` are also read by the HTTP API.
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/config/config.h"
#include "agent/decide/planner.h"
#include "agent/decide/remediation.h"
#include "agent/journal/decision.h"
#include "agent/predict/incident_monitor.h"
#include "agent/predict/predictor.h"
#include "agent/predict/seasonal_predictor.h"
#include "agent/predict/self_assessment.h"
#include "agent/source/observation.h"
#include "policies/guardrails.h"

namespace opspilot::agent {

/// How long the target's scale-ups took from applied to verified ready, measured at the tick's
/// resolution (an upper bound by less than one interval): the last kKeep of them. The prediction
/// horizon covers their 90th percentile when that is longer than the configured readiness_delay.
class ReadinessMeter {
 public:
  static constexpr std::size_t kKeep = 20;
  static constexpr std::size_t kMinSamples = 3;
  void add(Duration took);
  /// The 90th percentile (nearest rank) of the kept samples; nullopt below kMinSamples.
  std::optional<Duration> p90() const;
  std::size_t size() const { return samples_.size(); }

 private:
  std::deque<Duration> samples_;
};

struct TargetState {
  TargetState(TargetSpec s, Duration stale_after);

  TargetSpec spec;
  std::unique_ptr<Planner> planner;
  /// Classifies incidents and proposes rollback / restart / escalation; its proposals take
  /// precedence over the scaling planner's.
  std::unique_ptr<RemediationPlanner> remediation;
  policies::Guardrails guardrails;
  ForecastScorer scorer;
  ReadinessMeter readiness;
  std::unique_ptr<SeasonalPredictor> seasonal;  // forecast.model auto; created on first tick
  std::unique_ptr<IncidentMonitor> incidents;   // created on first tick
  std::optional<TimePoint> last_scale_up;
  std::optional<TimePoint> last_scale_down;
  /// An action applied and not yet verified; no new action on this target until it settles.
  std::optional<Decision> in_flight;
  /// An action waiting for a human; no new action on this target until it is answered or expires.
  std::optional<Decision> pending;
  /// Actions taken (or planned, in dry-run) over the last day, for rate limits and blast radius.
  std::deque<policies::ActionRecord> history;
  std::string last_hold_key;  // holds are journaled when their reason changes
  int known_replicas = -1;    // from the last action, when no replicas signal is configured

  mutable std::mutex status_mu;
  Observation last_observation;   // guarded by status_mu
  std::optional<Decision> last_decision;  // guarded by status_mu
  std::uint64_t ticks = 0;        // guarded by status_mu
};

policies::GuardrailSpec guardrails_for(const TargetSpec& t, Duration stale_after);

}  // namespace opspilot::agent
