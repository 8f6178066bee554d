#include "agent/metrics.h"

#include <prometheus/text_serializer.h>

namespace opspilot::agent {
namespace {

prometheus::Histogram::BucketBoundaries duration_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

AgentMetrics::AgentMetrics()
    : AgentMetrics(std::make_shared<prometheus::Registry>()) {}

AgentMetrics::AgentMetrics(std::shared_ptr<prometheus::Registry> r)
    : tick_duration(prometheus::BuildHistogram()
                        .Name("opspilot_tick_duration_seconds")
                        .Help("Time one reconcile tick of one target took, all stages")
                        .Register(*r)
                        .Add({}, duration_buckets())),
      observe_duration(prometheus::BuildHistogram()
                           .Name("opspilot_observe_duration_seconds")
                           .Help("Time the observe stage took (network included)")
                           .Register(*r)
                           .Add({}, duration_buckets())),
      ticks(prometheus::BuildCounter().Name("opspilot_ticks_total").Help("Reconcile ticks run").Register(*r).Add({})),
      tick_errors(prometheus::BuildCounter()
                      .Name("opspilot_tick_errors_total")
                      .Help("Ticks that ended in an internal error (caught; the loop goes on)")
                      .Register(*r)
                      .Add({})),
      journal_writes(prometheus::BuildCounter().Name("opspilot_journal_writes_total").Help("Decision records written durably").Register(*r).Add({})),
      journal_errors(prometheus::BuildCounter()
                         .Name("opspilot_journal_errors_total")
                         .Help("Journal writes that failed (no action is taken when the record cannot be written)")
                         .Register(*r)
                         .Add({})),
      config_reloads_rejected(prometheus::BuildCounter()
                                  .Name("opspilot_config_reloads_rejected_total")
                                  .Help("Changes of the configuration file that did not load; the running configuration stayed in force")
                                  .Register(*r)
                                  .Add({})),
      bad_samples(prometheus::BuildCounter()
                      .Name("opspilot_bad_samples_total")
                      .Help("Samples skipped: NaN/Inf values and unparseable exposition lines")
                      .Register(*r)
                      .Add({})),
      counter_resets(prometheus::BuildCounter().Name("opspilot_counter_resets_total").Help("Counter resets seen while computing rates").Register(*r).Add({})),
      scrape_errors(prometheus::BuildCounter().Name("opspilot_scrape_errors_total").Help("Failed scrapes of a target's /metrics (sidecar mode)").Register(*r).Add({})),
      query_errors(prometheus::BuildCounter().Name("opspilot_prometheus_query_errors_total").Help("Failed Prometheus queries (controller mode)").Register(*r).Add({})),
      query_retries(prometheus::BuildCounter().Name("opspilot_prometheus_query_retries_total").Help("Prometheus query retries").Register(*r).Add({})),
      points_late(prometheus::BuildCounter().Name("opspilot_series_points_late_total").Help("Points older than the newest stored slot of their series (out of order), dropped").Register(*r).Add({})),
      points_future(prometheus::BuildCounter().Name("opspilot_series_points_future_total").Help("Points too far ahead of the agent's clock (clock skew), rejected").Register(*r).Add({})),
      points_invalid(prometheus::BuildCounter().Name("opspilot_series_points_invalid_total").Help("NaN/Inf points refused by the series store").Register(*r).Add({})),
      series_stored(prometheus::BuildGauge().Name("opspilot_series").Help("Series held in the series store").Register(*r).Add({})),
      series_bytes(prometheus::BuildGauge().Name("opspilot_series_store_bytes").Help("Memory held by the series store").Register(*r).Add({})),
      ready(prometheus::BuildGauge().Name("opspilot_ready").Help("1 once the first observation succeeded").Register(*r).Add({})),
      targets(prometheus::BuildGauge().Name("opspilot_targets").Help("Targets managed").Register(*r).Add({})),
      in_flight_actions(prometheus::BuildGauge().Name("opspilot_in_flight_actions").Help("Actions applied and not yet verified").Register(*r).Add({})),
      leader(prometheus::BuildGauge().Name("opspilot_leader").Help("1 while this replica may act: it holds the leader lease, or leader election is off").Register(*r).Add({})),
      leader_transitions(prometheus::BuildCounter().Name("opspilot_leader_transitions_total").Help("Times this replica became or stopped being the leader").Register(*r).Add({})),
      approvals_pending(prometheus::BuildGauge().Name("opspilot_approvals_pending").Help("Approval requests waiting for a human").Register(*r).Add({})),
      policy_generation(prometheus::BuildGauge().Name("opspilot_policy_generation").Help("Version of the policies in force (0 = none loaded)").Register(*r).Add({})),
      policy_rules(prometheus::BuildGauge().Name("opspilot_policy_rules").Help("Policy rules in force").Register(*r).Add({})),
      policy_last_reload_ok(prometheus::BuildGauge().Name("opspilot_policy_last_reload_success").Help("1 when the last policy (re)load was accepted, 0 when it was rejected").Register(*r).Add({})),
      policy_last_reload_timestamp(prometheus::BuildGauge().Name("opspilot_policy_last_reload_timestamp_seconds").Help("When the policies were last (re)loaded or a reload rejected").Register(*r).Add({})),
      registry_(r),
      decisions_(prometheus::BuildCounter()
                     .Name("opspilot_decisions_total")
                     .Help("Decisions by action kind and verdict/state")
                     .Register(*r)),
      signal_problems_(prometheus::BuildCounter()
                           .Name("opspilot_signal_problems_total")
                           .Help("Signals that could not be used, by target, role and status (missing, stale, error)")
                           .Register(*r)),
      actuator_calls_(prometheus::BuildCounter().Name("opspilot_actuator_calls_total").Help("Actuator apply calls").Register(*r)),
      actuator_errors_(prometheus::BuildCounter().Name("opspilot_actuator_errors_total").Help("Actuator apply calls that failed").Register(*r)),
      approvals_(prometheus::BuildCounter().Name("opspilot_approvals_total").Help("Approval requests by outcome (requested, approved, denied, expired, superseded, refused_on_recheck)").Register(*r)),
      approval_refusals_(prometheus::BuildCounter().Name("opspilot_approval_answers_refused_total").Help("Approval answers refused, by reason (bad_signature, replay, expired_request, not_approver, ...)").Register(*r)),
      policy_reloads_(prometheus::BuildCounter().Name("opspilot_policy_reloads_total").Help("Policy (re)loads by result (ok, rejected)").Register(*r)),
      observations_(prometheus::BuildCounter().Name("opspilot_observations_total").Help("Observations by target and result").Register(*r)),
      forecast_error_(prometheus::BuildGauge()
                          .Name("opspilot_forecast_abs_pct_error")
                          .Help("Live forecast accuracy: mean absolute percentage error of the last 288 forecasts, scored when each came due")
                          .Register(*r)),
      forecast_coverage_(prometheus::BuildGauge()
                             .Name("opspilot_forecast_interval_coverage")
                             .Help("Live share of actual values inside the forecast interval, last 288 forecasts")
                             .Register(*r)),
      forecasts_scored_(prometheus::BuildGauge().Name("opspilot_forecasts_scored").Help("Forecasts scored so far").Register(*r)),
      last_tick_(prometheus::BuildGauge().Name("opspilot_last_tick_timestamp_seconds").Help("Clock time of the last tick per target").Register(*r)),
      forecast_mase_(prometheus::BuildGauge()
                         .Name("opspilot_forecast_mase")
                         .Help("Live forecast MASE against the naive forecast at the same horizon, last 288 forecasts (below 1: better than naive)")
                         .Register(*r)),
      forecast_below_floor_(prometheus::BuildGauge()
                                .Name("opspilot_forecast_below_floor")
                                .Help("1 while the forecast is below the target's floor (forecast.max_mase / min_coverage / "
                                      "min_confidence), so the planner falls back to the reactive rule")
                                .Register(*r)),
      readiness_(prometheus::BuildGauge()
                     .Name("opspilot_readiness_seconds")
                     .Help("90th percentile of the time the target's recent scale-ups took from applied to verified "
                           "ready (at the tick's resolution); 0 until 3 were measured")
                     .Register(*r)),
      incident_risk_(prometheus::BuildGauge().Name("opspilot_incident_risk").Help("Incident risk per target, 0 to 1").Register(*r)),
      detection_alarms_(prometheus::BuildGauge()
                            .Name("opspilot_detection_alarms")
                            .Help("Alarm episodes judged against confirmed incidents, by result (true, all)")
                            .Register(*r)),
      detection_incidents_(prometheus::BuildGauge()
                               .Name("opspilot_detection_incidents")
                               .Help("Confirmed incidents, by result (detected, all)")
                               .Register(*r)) {
  prometheus::BuildGauge()
      .Name("opspilot_build_info")
      .Help("Build information")
      .Register(*r)
      .Add({{"version", OPSPILOT_VERSION}})
      .Set(1);
}

std::string AgentMetrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

AgentMetrics::TargetHandles& AgentMetrics::target(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(name);
  if (it != targets_.end()) return it->second;
  TargetHandles h{
      &observations_.Add({{"target", name}, {"result", "ok"}}),
      &observations_.Add({{"target", name}, {"result", "failed"}}),
      &forecast_error_.Add({{"target", name}}),
      &forecast_coverage_.Add({{"target", name}}),
      &forecasts_scored_.Add({{"target", name}}),
      &last_tick_.Add({{"target", name}}),
      &forecast_mase_.Add({{"target", name}}),
      &forecast_below_floor_.Add({{"target", name}}),
      &readiness_.Add({{"target", name}}),
      &incident_risk_.Add({{"target", name}}),
      &detection_alarms_.Add({{"target", name}, {"result", "all"}}),
      &detection_alarms_.Add({{"target", name}, {"result", "true"}}),
      &detection_incidents_.Add({{"target", name}, {"result", "all"}}),
      &detection_incidents_.Add({{"target", name}, {"result", "detected"}}),
  };
  return targets_.emplace(name, h).first->second;
}

void AgentMetrics::decision(const std::string& action, const std::string& verdict) {
  std::lock_guard lock(mu_);
  auto& c = cache_["d|" + action + "|" + verdict];
  if (!c) c = &decisions_.Add({{"action", action}, {"verdict", verdict}});
  c->Increment();
}

void AgentMetrics::signal_problem(const std::string& target, const std::string& role,
                                  const std::string& status) {
  std::lock_guard lock(mu_);
  auto& c = cache_["s|" + target + "|" + role + "|" + status];
  if (!c) c = &signal_problems_.Add({{"target", target}, {"role", role}, {"status", status}});
  c->Increment();
}

void AgentMetrics::actuator_call(const std::string& actuator, const std::string& kind, bool ok) {
  std::lock_guard lock(mu_);
  auto& c = cache_["a|" + actuator + "|" + kind];
  if (!c) c = &actuator_calls_.Add({{"actuator", actuator}, {"kind", kind}});
  c->Increment();
  if (!ok) {
    auto& e = cache_["e|" + actuator + "|" + kind];
    if (!e) e = &actuator_errors_.Add({{"actuator", actuator}, {"kind", kind}});
    e->Increment();
  }
}

void AgentMetrics::approval(const std::string& outcome) {
  std::lock_guard lock(mu_);
  auto& c = cache_["ap|" + outcome];
  if (!c) c = &approvals_.Add({{"outcome", outcome}});
  c->Increment();
}

void AgentMetrics::approval_answer_refused(const std::string& reason) {
  std::lock_guard lock(mu_);
  auto& c = cache_["ar|" + reason];
  if (!c) c = &approval_refusals_.Add({{"reason", reason}});
  c->Increment();
}

void AgentMetrics::policy_reload(bool ok) {
  std::lock_guard lock(mu_);
  auto& c = cache_[ok ? "pr|ok" : "pr|rejected"];
  if (!c) c = &policy_reloads_.Add({{"result", ok ? "ok" : "rejected"}});
  c->Increment();
}

}  // namespace opspilot::agent
