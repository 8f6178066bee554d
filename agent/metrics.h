#pragma once
// The agent's own metrics (prometheus-cpp). Handles are looked up once per label set and kept
// (STYLE.md: handles, not lookups, on the hot path). Thread-safety: prometheus-cpp metrics are
// thread-safe; the handle caches here are guarded by a mutex and touched once per target.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace opspilot::agent {

class AgentMetrics {
 public:
  AgentMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  /// The exposition text of every metric.
  std::string serialize() const;

  /// Per-target handles, created once on first use.
  struct TargetHandles {
    prometheus::Counter* observations_ok;
    prometheus::Counter* observations_failed;
    prometheus::Gauge* forecast_abs_pct_error;
    prometheus::Gauge* forecast_interval_coverage;
    prometheus::Gauge* forecasts_scored;
    prometheus::Gauge* last_tick_timestamp;
    prometheus::Gauge* forecast_mase;
    prometheus::Gauge* forecast_below_floor;
    prometheus::Gauge* readiness_seconds;
    prometheus::Gauge* incident_risk;
    prometheus::Gauge* detection_alarms;
    prometheus::Gauge* detection_true_alarms;
    prometheus::Gauge* detection_incidents;
    prometheus::Gauge* detection_detected;
  };
  TargetHandles& target(const std::string& name);

  void decision(const std::string& action, const std::string& verdict);
  void signal_problem(const std::string& target, const std::string& role, const std::string& status);
  void actuator_call(const std::string& actuator, const std::string& kind, bool ok);
  /// An approval request's step: requested, approved, denied, expired, superseded, refused_on_recheck.
  void approval(const std::string& outcome);
  /// An answer (Slack callback or API call) that was refused: bad_signature, replay, not_approver, ...
  void approval_answer_refused(const std::string& reason);
  /// A policy reload: "ok" or "rejected".
  void policy_reload(bool ok);

  prometheus::Histogram& tick_duration;
  prometheus::Histogram& observe_duration;
  prometheus::Counter& ticks;
  prometheus::Counter& tick_errors;
  prometheus::Counter& journal_writes;
  prometheus::Counter& journal_errors;
  prometheus::Counter& config_reloads_rejected;  // a changed opspilot.yaml that did not load
  prometheus::Counter& bad_samples;       // NaN/Inf and unparseable samples skipped
  prometheus::Counter& counter_resets;
  prometheus::Counter& scrape_errors;
  prometheus::Counter& query_errors;
  prometheus::Counter& query_retries;
  prometheus::Counter& points_late;      // series store: out of order, dropped
  prometheus::Counter& points_future;    // series store: ahead of the clock (skew), rejected
  prometheus::Counter& points_invalid;   // series store: NaN/Inf, rejected
  prometheus::Gauge& series_stored;
  prometheus::Gauge& series_bytes;
  prometheus::Gauge& ready;
  prometheus::Gauge& targets;
  prometheus::Gauge& in_flight_actions;
  prometheus::Gauge& leader;                 // 1 while this replica holds the leader lease (or runs alone)
  prometheus::Counter& leader_transitions;   // times this replica became or stopped being leader
  prometheus::Gauge& approvals_pending;
  prometheus::Gauge& policy_generation;      // the policy version in force (0 = none)
  prometheus::Gauge& policy_rules;           // rules in force
  prometheus::Gauge& policy_last_reload_ok;  // 1 when the last reload was accepted
  prometheus::Gauge& policy_last_reload_timestamp;

 private:
  explicit AgentMetrics(std::shared_ptr<prometheus::Registry> registry);
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Counter>& signal_problems_;
  prometheus::Family<prometheus::Counter>& actuator_calls_;
  prometheus::Family<prometheus::Counter>& actuator_errors_;
  prometheus::Family<prometheus::Counter>& approvals_;
  prometheus::Family<prometheus::Counter>& approval_refusals_;
  prometheus::Family<prometheus::Counter>& policy_reloads_;
  prometheus::Family<prometheus::Counter>& observations_;
  prometheus::Family<prometheus::Gauge>& forecast_error_;
  prometheus::Family<prometheus::Gauge>& forecast_coverage_;
  prometheus::Family<prometheus::Gauge>& forecasts_scored_;
  prometheus::Family<prometheus::Gauge>& last_tick_;
  prometheus::Family<prometheus::Gauge>& forecast_mase_;
  prometheus::Family<prometheus::Gauge>& forecast_below_floor_;
  prometheus::Family<prometheus::Gauge>& readiness_;
  prometheus::Family<prometheus::Gauge>& incident_risk_;
  prometheus::Family<prometheus::Gauge>& detection_alarms_;
  prometheus::Family<prometheus::Gauge>& detection_incidents_;
  std::mutex mu_;
  std::map<std::string, TargetHandles> targets_;
  std::map<std::string, prometheus::Counter*> cache_;
};

}  // namespace opspilot::agent
