#include "agent/loop/reconciler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "agent/config/duration.h"

namespace opspilot::agent {
namespace {

std::string series_id(const TargetSpec& t, const std::string& role) { return t.name + "/" + role; }

}  // namespace

actuators::Action to_action(const Decision& d) {
  actuators::Action a;
  a.decision_id = d.id;
  a.kind = actuators::action_kind_from_string(d.action);
  a.target = {d.target_kind, d.namespace_, d.target};
  a.replicas = d.desired_replicas;
  a.from_replicas = d.current_replicas;
  a.params = d.params;
  return a;
}

bool is_remediation(const Decision& d) {
  return d.remediation.classified() && (d.action == "restart" || d.action == "rollback");
}

void adopt_policy_replicas(Decision& d) {
  if (d.action != "scale" || d.policy.replicas <= 0 || d.policy.replicas == d.desired_replicas) return;
  const int planned = d.desired_replicas;
  d.desired_replicas = d.policy.replicas;
  std::string rules;
  for (const auto& r : d.policy.rules)
    if (r.adjusted_replicas) rules += (rules.empty() ? "" : "; ") + r.rule + ": " + r.reason;
  const bool turned = (planned > d.current_replicas && d.desired_replicas < d.current_replicas) ||
                      (planned < d.current_replicas && d.desired_replicas > d.current_replicas);
  d.reason += " — the policies adjust it to " + std::to_string(d.desired_replicas) +
              (turned ? std::string(", a scale-") + (d.desired_replicas < d.current_replicas ? "down" : "up") +
                            " from " + std::to_string(d.current_replicas)
                      : std::string()) +
              (rules.empty() ? "" : " (" + rules + ")");
}

namespace {

/// Why nothing is done while `f` is in flight.
std::string waiting_reason(const Decision& f) {
  return "hold: waiting for " + f.id + " (" + f.action +
         (f.action == "scale" ? " to " + std::to_string(f.desired_replicas)
                              : " of " + f.target + (f.params.count("pod") ? " pod " + f.params.at("pod") : "")) +
         ") to be verified" +
         (f.remediation.rolled_out ? "; rolled out, judging the recovery of " + f.remediation.signal : "");
}

/// A scale (not a remediation) is in flight: only a larger scale-up may replace it.
bool scale_in_flight(const TargetState& ts) {
  return ts.in_flight && ts.in_flight->action == "scale" && !is_remediation(*ts.in_flight);
}

double value_or_nan(const Observation& o, const std::string& role) {
  const SignalValue* s = o.get(role);
  return (s && s->ok()) ? s->value : std::nan("");
}

}  // namespace

Decision Reconciler::tick(TargetState& ts) {
  const auto started = std::chrono::steady_clock::now();
  const TimePoint now = s_.clock->now();
  const TargetSpec& t = ts.spec;

  const bool standby = s_.may_act && !s_.may_act();
  if (ts.in_flight && !standby) verify_in_flight(ts, now);
  // Denials and expiries settle even while data is missing; approvals wait for data to re-check.
  if (ts.pending && !standby) close_unapproved(ts, now);

  Decision d;
  d.target = t.name;
  d.namespace_ = t.namespace_;
  d.target_kind = t.kind;
  d.created = d.updated = now;
  d.mode = config_.mode == Mode::Active ? "active" : "dry-run";

  const Observation obs = observe(ts, now);
  if (!ts.incidents) ts.incidents = std::make_unique<IncidentMonitor>(t, config_.interval);
  d.incident = ts.incidents->assess(now, obs);
  // Every tick, whatever happens next: recovery is judged on this history.
  RemediationProposal rem;
  if (t.remediation.enabled) rem = ts.remediation->assess({&t, &obs, now, config_.interval});
  for (const auto& [role, sv] : obs.signals) {
    ObservedSignal os;
    os.role = role;
    os.query = sv.query;
    os.status = to_string(sv.status);
    os.value = sv.ok() ? sv.value : 0;
    os.age_seconds = sv.ok() ? to_seconds(now - sv.sampled_at) : 0;
    os.error = sv.error;
    d.observed.push_back(std::move(os));
  }

  const SignalValue* load = obs.get("load");
  const SignalValue* replicas = obs.get("replicas");
  int current = ts.known_replicas;
  if (replicas && replicas->ok()) current = static_cast<int>(std::lround(replicas->value));
  d.current_replicas = d.desired_replicas = std::max(current, 0);

  if (!load || !load->ok()) {
    d.state = DecisionState::Held;
    d.reason = "hold: load signal " +
               std::string(load ? to_string(load->status) : "not configured") +
               (load && !load->error.empty() ? ": " + load->error : std::string()) +
               " — no action on missing or stale data";
    record(ts, d, false);
  } else {
    d.prediction = predict(ts, now, load->value);
    if (standby) {
      d.state = DecisionState::Held;
      d.reason = "hold: standby — another replica holds the leader lease; this one observes and predicts "
                 "but does not act";
      record(ts, d, false);
    } else if (ts.in_flight && !(scale_in_flight(ts) && current >= 0 && !rem.acts() &&
                                 rem.action != RemedyAction::Escalate)) {
      d.state = DecisionState::Held;
      d.reason = waiting_reason(*ts.in_flight);
      record(ts, d, false);
    } else if (ts.pending) {
      resolve_pending(ts, d, obs, now, rem);
    } else if (current < 0) {
      d.state = DecisionState::Held;
      d.reason = "hold: the replica count is unknown (configure a replicas signal)" +
                 std::string(replicas && !replicas->error.empty() ? ": " + replicas->error : "");
      record(ts, d, false);
    } else {
      decide_and_act(ts, d, obs, now, rem);
    }
  }

  if (s_.timeline)
    s_.timeline->write(d, value_or_nan(obs, "load"), value_or_nan(obs, "ready_replicas"),
                       value_or_nan(obs, "latency"), value_or_nan(obs, "errors"));
  {
    std::lock_guard lock(ts.status_mu);
    ts.last_observation = obs;
    ts.last_decision = d;
    ++ts.ticks;
  }
  if (s_.metrics) {
    s_.metrics->ticks.Increment();
    s_.metrics->tick_duration.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    auto& h = s_.metrics->target(t.name);
    h.last_tick_timestamp->Set(to_unix_seconds(now));
    h.forecasts_scored->Set(static_cast<double>(ts.scorer.scored()));
    if (ts.scorer.scored() > 0) {
      h.forecast_abs_pct_error->Set(ts.scorer.abs_pct_error());
      h.forecast_interval_coverage->Set(ts.scorer.coverage());
      if (std::isfinite(ts.scorer.mase())) h.forecast_mase->Set(ts.scorer.mase());
    }
    h.forecast_below_floor->Set(d.prediction.trusted ? 0 : 1);
    h.readiness_seconds->Set(to_seconds(ts.readiness.p90().value_or(Duration(0))));
    h.incident_risk->Set(d.incident.risk);
    const DetectionScorer& ds = ts.incidents->scorer();
    h.detection_alarms->Set(static_cast<double>(ds.alarms()));
    h.detection_true_alarms->Set(static_cast<double>(ds.true_alarms()));
    h.detection_incidents->Set(static_cast<double>(ds.incidents()));
    h.detection_detected->Set(static_cast<double>(ds.detected()));
  }
  return d;
}

Observation Reconciler::observe(TargetState& ts, TimePoint now) {
  const auto started = std::chrono::steady_clock::now();
  Observation obs = s_.source->observe(ts.spec, now);
  if (s_.metrics)
    s_.metrics->observe_duration.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  bool all_ok = !obs.signals.empty();
  for (auto& [role, sv] : obs.signals) {
    // Freshness is judged here, once, against the agent's own clock.
    if (sv.ok() && now - sv.sampled_at > config_.stale_after) {
      sv.status = SignalStatus::Stale;
      sv.error = "last sample is " + std::to_string((now - sv.sampled_at).count() / 1000) +
                 "s old (stale_after " + std::to_string(config_.stale_after.count() / 1000) + "s)";
    }
    if (sv.ok() && !std::isfinite(sv.value)) {
      sv.status = SignalStatus::Error;
      sv.error = "not a finite number";
    }
    if (sv.ok()) {
      s_.store->append(series_id(ts.spec, role), sv.sampled_at, sv.value);
    } else {
      all_ok = false;
      if (s_.metrics) s_.metrics->signal_problem(ts.spec.name, role, to_string(sv.status));
    }
  }
  if (s_.metrics) {
    auto& h = s_.metrics->target(ts.spec.name);
    (all_ok ? h.observations_ok : h.observations_failed)->Increment();
  }
  const SignalValue* load = obs.get("load");
  if (load && load->ok()) ts.scorer.score(now, load->value);
  return obs;
}

Duration Reconciler::horizon(const TargetState& ts) const {
  return std::max(ts.spec.readiness_delay, ts.readiness.p90().value_or(Duration(0))) + config_.interval;
}

Prediction Reconciler::predict(TargetState& ts, TimePoint now, double current_load) {
  const Duration h = horizon(ts);
  const std::string id = series_id(ts.spec, "load");
  const ForecastSpec& fs = ts.spec.forecast;
  Prediction p;
  if (fs.model == "auto") {
    if (!ts.seasonal) ts.seasonal = std::make_unique<SeasonalPredictor>(fs, config_.interval);
    p = ts.seasonal->forecast(*s_.store, id, now, h);
  }
  if (!p.enough_data && s_.predictor) {
    // Until the seasonal models have enough history (or when configured), the short-window trend.
    const std::string why = p.note;
    const auto history = s_.store->range(id, now - std::chrono::hours(1), now);
    std::vector<Point> points;
    if (history) {
      points.reserve(history->points.size());
      for (const auto& pt : history->points)
        if (std::isfinite(pt.value)) points.push_back(Point{pt.t, pt.value});
    }
    p = s_.predictor->forecast(points, now, h, fs.level);
    if (!why.empty()) p.note = "seasonal models: " + why + "; " + p.note;
  }
  if (const auto measured = ts.readiness.p90(); measured && *measured > ts.spec.readiness_delay)
    p.note = "horizon from the measured readiness: p90 " + format_duration(*measured) + " over the last " +
             std::to_string(ts.readiness.size()) + " scale-ups (readiness_delay " +
             format_duration(ts.spec.readiness_delay) + "); " + p.note;
  ts.scorer.remember(now + h, p, current_load);
  p.accuracy = ts.scorer.accuracy();
  // The accuracy floor: below it, the forecast is recorded but not acted on.
  if (p.accuracy.scored >= static_cast<std::size_t>(fs.min_scored)) {
    char buf[160];
    if (fs.max_mase > 0 && std::isfinite(p.accuracy.mase) && p.accuracy.mase > fs.max_mase) {
      std::snprintf(buf, sizeof buf, "live MASE %.2f is above the floor max_mase %.2f", p.accuracy.mase, fs.max_mase);
      p.trusted = false;
    } else if (fs.min_coverage > 0 && std::isfinite(p.accuracy.coverage) && p.accuracy.coverage < fs.min_coverage) {
      std::snprintf(buf, sizeof buf, "live interval coverage %.0f%% is below the floor min_coverage %.0f%%",
                    p.accuracy.coverage * 100, fs.min_coverage * 100);
      p.trusted = false;
    }
    if (!p.trusted) p.note = std::string(buf) + "; " + p.note;
  }
  // The confidence floor: a band too wide to size for is, as the target says, held at the
  // reactive rule rather than acted on.
  if (p.trusted && p.enough_data && fs.min_confidence > 0 && p.confidence < fs.min_confidence) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "confidence %.2f is below the floor min_confidence %.2f (band %.1f to %.1f around %.1f)",
                  p.confidence, fs.min_confidence, p.lower, p.upper, p.mean);
    p.trusted = false;
    p.note = std::string(buf) + "; " + p.note;
  }
  return p;
}

void Reconciler::decide_and_act(TargetState& ts, Decision& d, const Observation& obs, TimePoint now,
                                const RemediationProposal& rem) {
  // A remediation takes precedence over a scale proposal: scaling does not fix a bad deploy.
  if (rem.acts() || rem.action == RemedyAction::Escalate) {
    d.action = rem.decision_action();
    d.params = rem.params();
    d.desired_replicas = d.current_replicas;
    d.reason = rem.reason;
    d.remediation = rem.info();
    if (rem.action == RemedyAction::Escalate) {
      escalate(ts, d);
      return;
    }
    gate(ts, d, obs, now, rem.confidence);
    after_remediation(ts, d);
    return;
  }
  PlanInput in{&ts.spec, &obs, &d.prediction, d.current_replicas, now};
  const PlanOutput out = ts.planner->plan(in);
  // While a scale's replicas are still starting, only a larger scale-up replaces it (a load that
  // keeps rising is not made to wait for them); anything else waits for its verification.
  // A capacity estimated from saturation needs the ready count to be right while replicas start
  // (capacity_per_replica): without it, nothing replaces a scale in flight.
  const SignalValue* ready = obs.get("ready_replicas");
  const bool sized_right = ts.spec.capacity.per_replica > 0 || (ready && ready->ok());
  const bool grows = out.action == "scale" && sized_right &&
                     out.desired_replicas > std::max(d.current_replicas, ts.in_flight ? ts.in_flight->desired_replicas : 0);
  if (ts.in_flight && !grows) {
    d.state = DecisionState::Held;
    d.reason = waiting_reason(*ts.in_flight) + " (the planner: " + out.reason + ")";
    record(ts, d, false);
    return;
  }
  d.action = out.action;
  d.desired_replicas = out.desired_replicas;
  d.reason = out.reason;
  // The incident's class explains a hold or a scale too (saturation: "left to the scaling planner").
  if (rem.incident != IncidentClass::None) d.remediation = rem.info();
  if (out.action == "hold") {
    d.state = DecisionState::Held;
    record(ts, d, false);
    return;
  }
  gate(ts, d, obs, now, out.confidence);
}

void Reconciler::gate(TargetState& ts, Decision& d, const Observation& obs, TimePoint now, double confidence) {
  // Policy check. Every rule and its verdict goes into the record.
  d.policy = check(ts, proposal_for(ts, d, confidence), policy_context(ts, d, obs, now));
  d.policy_checked = true;

  if (d.policy.verdict == policies::Verdict::Deny) {
    std::string why;
    bool only_cooldowns = true;
    for (const auto& r : d.policy.rules)
      if (r.verdict == policies::Verdict::Deny) {
        why += (why.empty() ? "" : "; ") + r.rule + ": " + r.reason;
        // "cooldown.scale_up" (the target's limits) or "<policy>/cooldowns.<kind>".
        const std::string_view local = std::string_view(r.rule).substr(r.rule.rfind('/') + 1);
        only_cooldowns = only_cooldowns && local.rfind("cooldown", 0) == 0;
      }
    if (ts.in_flight && only_cooldowns) {
      // A larger scale-up while the last one's replicas are still starting, held back only by the
      // cooldown that scale-up started: it waits with it, and is proposed afresh next tick.
      d.state = DecisionState::Held;
      d.reason = waiting_reason(*ts.in_flight) + " (the planner: " + d.reason + "; not before " + why + ")";
      record(ts, d, false);
      return;
    }
    d.state = DecisionState::Denied;
    d.reason += " — denied by " + why;
    record(ts, d, false);
    return;
  }
  adopt_policy_replicas(d);
  if (ts.in_flight && (d.policy.verdict == policies::Verdict::NeedsApproval ||
                       d.desired_replicas <= ts.in_flight->desired_replicas)) {
    // A larger scale-up that needs a human, or that the policies cut back to what is already
    // starting, waits until the action in flight is verified and is then proposed afresh.
    d.state = DecisionState::Held;
    const bool asks = d.policy.verdict == policies::Verdict::NeedsApproval;
    d.reason = waiting_reason(*ts.in_flight) + " (the planner: " + d.reason +
               (asks ? "; it needs approval" : "; the policies allow no more") + ")";
    record(ts, d, false);
    return;
  }
  if (d.policy.verdict == policies::Verdict::NeedsApproval) {
    request_approval(ts, d, now);
    return;
  }
  carry_out(ts, d, now);
}

void Reconciler::carry_out(TargetState& ts, Decision& d, TimePoint now) {
  if (config_.mode == Mode::DryRun) {
    d.calls = s_.actuator->plan(to_action(d));
    d.state = DecisionState::Planned;
    record(ts, d, false);
    return;
  }
  act(ts, d, now);
}

void Reconciler::act(TargetState& ts, Decision& d, TimePoint now) {
  d.state = DecisionState::Acting;
  d.calls = s_.actuator->plan(to_action(d));
  // Durable before acting: if the record cannot be written, nothing is done.
  if (!record(ts, d, true)) {
    d.state = DecisionState::Failed;
    d.error = "not acted: the decision could not be journaled (" + d.error + ")";
    return;
  }
  const actuators::ApplyResult res = s_.actuator->apply(to_action(d));
  d.calls = res.calls;
  if (s_.metrics) s_.metrics->actuator_call(s_.actuator->name(), d.action, res.ok);
  d.updated = now;
  if (res.ok) {
    d.state = DecisionState::Applied;
    d.applied = now;
    d.outcome = res.already_applied ? "already applied (idempotent replay)" : "applied; awaiting verification";
    if (ts.in_flight) {
      // The scale whose replicas were still starting is replaced by this larger one.
      Decision& f = *ts.in_flight;
      f.state = DecisionState::Superseded;
      f.outcome = "superseded by " + d.id + " (scale to " + std::to_string(d.desired_replicas) +
                  ") before its replicas were verified ready";
      f.updated = now;
      record(ts, f, true);
      if (s_.metrics) s_.metrics->in_flight_actions.Decrement();
    }
    ts.in_flight = d;
    ts.known_replicas = d.desired_replicas;
    remember_action(ts, d, now);
    if (s_.metrics) s_.metrics->in_flight_actions.Increment();
  } else {
    d.state = DecisionState::Failed;
    d.error = res.error;
  }
  record(ts, d, true);
}

void Reconciler::escalate(TargetState& ts, Decision& d) {
  d.state = DecisionState::Held;
  d.outcome = "escalated: a human is asked; no automatic action";
  if (!record(ts, d, true)) return;  // unrecorded: asked again next tick, never silently lost
  const std::string err = s_.notifier ? s_.notifier->escalate(d) : "no notifier is configured (approvals.slack)";
  if (!err.empty()) {
    d.remediation.notify_error = err;
    d.outcome += "; the escalation could not be posted: " + err;
    record(ts, d, true);
  }
  ts.remediation->escalated();
}

void Reconciler::after_remediation(TargetState& ts, const Decision& d) {
  if (!is_remediation(d)) return;
  if (d.state == DecisionState::Applied) ts.remediation->acted(d);
  if (d.state == DecisionState::Denied || d.state == DecisionState::Failed) ts.remediation->refused(d);
}

bool Reconciler::verify_remediation(TargetState& ts, Decision& f, TimePoint now) {
  RemediationInfo& m = f.remediation;
  if (!m.rolled_out) {
    const actuators::VerifyResult v = s_.actuator->verify(to_action(f));
    const Duration limit = rollout_deadline(ts.spec, f.action, f.params.count("pod") > 0, config_.interval);
    if (v.state != actuators::VerifyState::InProgress && v.state != actuators::VerifyState::Unknown)
      for (auto& c : v.calls) f.calls.push_back(c);
    if (v.state == actuators::VerifyState::Done) {
      m.rolled_out = now;
      // The recovery is judged over the window after the rollout, however long the rollout (and
      // any approval before it) took: the deadline leaves room for it.
      const RemediationSpec& rs = ts.spec.remediation;
      const TimePoint judged_by = now + rs.settle + rs.recovery_window + config_.interval;
      if (!m.deadline || *m.deadline < judged_by) m.deadline = judged_by;
      f.outcome = "rolled out (" + v.detail + "); judging the recovery of " + m.signal;
      record(ts, f, true);
      return false;
    }
    const bool failed = v.state == actuators::VerifyState::Failed;
    if (!failed && now - f.applied.value_or(f.created) <= limit) return false;
    f.state = DecisionState::Failed;
    m.recovery = "not_rolled_out";
    m.recovery_detail = failed ? "the rollout failed: " + v.detail
                               : "not rolled out within " + std::to_string(limit.count() / 1000) + "s: " + v.detail;
    f.outcome = m.recovery_detail;
    return true;
  }
  const RecoveryCheck c = ts.remediation->check_recovery(m, now);
  if (!c.done()) return false;
  m.recovery = c.state;
  m.recovery_detail = c.detail;
  f.state = c.state == "pass" ? DecisionState::Verified : DecisionState::Failed;
  f.outcome = c.state == "pass"   ? "verified: recovered — " + c.detail
              : c.state == "fail" ? "did not recover: " + c.detail
                                  : "recovery could not be judged (no data): " + c.detail;
  return true;
}

void Reconciler::verify_in_flight(TargetState& ts, TimePoint now) {
  Decision& f = *ts.in_flight;
  if (is_remediation(f)) {
    f.updated = now;
    if (!verify_remediation(ts, f, now)) return;
    record(ts, f, true);
    if (s_.metrics) s_.metrics->in_flight_actions.Decrement();
    ts.remediation->settled(f, f.state == DecisionState::Verified);
    ts.in_flight.reset();
    return;
  }
  const actuators::VerifyResult v = s_.actuator->verify(to_action(f));
  const Duration deadline = rollout_deadline(ts.spec, f.action, f.params.count("pod") > 0, config_.interval);
  f.updated = now;
  bool settled = false;
  if (v.state == actuators::VerifyState::Done) {
    f.state = DecisionState::Verified;
    f.outcome = "verified: " + v.detail;
    settled = true;
    // A scale-up's new replicas are serving: how long that took feeds the prediction horizon.
    if (f.action == "scale" && f.desired_replicas > f.current_replicas)
      ts.readiness.add(now - f.applied.value_or(f.created));
  } else if (v.state == actuators::VerifyState::Failed) {
    f.state = DecisionState::Failed;
    f.outcome = "verification failed: " + v.detail;
    settled = true;
  } else if (now - f.applied.value_or(f.created) > deadline) {
    f.state = DecisionState::Failed;
    f.outcome = "not verified within " + std::to_string(deadline.count() / 1000) + "s: " + v.detail;
    settled = true;
  }
  if (!settled) return;
  for (auto& c : v.calls) f.calls.push_back(c);
  record(ts, f, true);
  if (s_.metrics) s_.metrics->in_flight_actions.Decrement();
  ts.in_flight.reset();
}

bool Reconciler::record(TargetState& ts, Decision& d, bool force) {
  // Holds, denials and dry-run plans repeat every tick while nothing changes (a cooldown
  // running, a signal still missing, the same plan): each is journaled when it first happens and
  // again when its reason changes.
  const bool repeatable = d.state == DecisionState::Held || d.state == DecisionState::Denied ||
                          d.state == DecisionState::Planned;
  if (repeatable && !force && !config_.journal.record_every_tick) {
    std::string key = std::string(to_string(d.state)) + "|" + d.action + "|" +
                      std::to_string(d.current_replicas) + ">" + std::to_string(d.desired_replicas) + "|";
    for (const auto& o : d.observed) key += o.role + "=" + o.status + ",";
    // The reason's first clause names the kind of hold; the numbers after it change every tick.
    key += d.reason.substr(0, d.reason.find_first_of(":;", 6));
    key += "|" + d.remediation.incident_class;  // an incident's class changing is news
    if (key == ts.last_hold_key) return true;
    ts.last_hold_key = key;
  } else if (!repeatable) {
    ts.last_hold_key.clear();
  }
  if (d.id.empty()) d.id = s_.journal->next_id();
  const JournalResult res = s_.journal->append(d);
  if (s_.metrics) {
    (res.ok ? s_.metrics->journal_writes : s_.metrics->journal_errors).Increment();
    s_.metrics->decision(d.action, to_string(d.state));
  }
  if (!res.ok) {
    d.error = res.error;
    return false;
  }
  if (on_decision_) on_decision_(d);
  return true;
}

}  // namespace opspilot::agent
