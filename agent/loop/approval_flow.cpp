// The policy check and the approval gate of a tick: what the policies are told about the
// proposal and the target, how a needs_approval verdict becomes a request, and what happens to
// the request — held while pending, settled when denied or expired, and, when approved, checked
// again against the policies and the current state before anything runs.
#include <algorithm>
#include <cmath>

#include "agent/journal/rfc3339.h"
#include "agent/loop/reconciler.h"

namespace opspilot::agent {
namespace {

std::string rules_with(const policies::Evaluation& ev, policies::Verdict v) {
  std::string out;
  for (const auto& r : ev.rules)
    if (r.verdict == v) out += (out.empty() ? "" : "; ") + r.rule + ": " + r.reason;
  return out;
}

std::string what(const Decision& d) {
  if (d.action == "scale")
    return "scale " + d.target + " " + std::to_string(d.current_replicas) + " -> " +
           std::to_string(d.desired_replicas);
  auto pod = d.params.find("pod");
  return d.action + " " + d.target + (pod == d.params.end() ? "" : " pod " + pod->second);
}

// A day of actions is the longest window rate limits and blast radius look back over.
constexpr auto kHistoryWindow = std::chrono::hours(24);
constexpr std::size_t kHistoryMax = 1000;

}  // namespace

policies::Proposal Reconciler::proposal_for(const TargetState& ts, const Decision& d, double confidence) const {
  policies::Proposal p;
  p.target = ts.spec.name;
  p.namespace_ = ts.spec.namespace_;
  p.action = d.action;
  p.current_replicas = d.current_replicas;
  p.desired_replicas = d.desired_replicas;
  p.confidence = confidence;
  p.labels = ts.spec.labels;
  p.environment = ts.spec.environment;
  if (d.action == "restart" && d.params.count("pod")) {  // one pod, not the whole workload
    p.pods_affected = 1;
    p.total_pods = d.current_replicas;
  }
  return p;
}

policies::Context Reconciler::policy_context(const TargetState& ts, const Decision& d, const Observation& obs,
                                             TimePoint now) const {
  policies::Context ctx;
  ctx.now = now;
  double oldest = 0;
  for (const auto& os : d.observed)
    if (os.status == "ok") oldest = std::max(oldest, os.age_seconds);
  ctx.data_age_seconds = oldest;
  // The signals every proposal relies on; the others (latency, errors, ...) inform but do not
  // size it.
  for (const char* role : {"load", "replicas"}) {
    const SignalValue* s = obs.get(role);
    if (s && !s->ok()) ctx.data_complete = false;
  }
  if (ts.last_scale_up) ctx.last_scale_up = *ts.last_scale_up;
  if (ts.last_scale_down) ctx.last_scale_down = *ts.last_scale_down;
  ctx.history.assign(ts.history.begin(), ts.history.end());
  ctx.error_budget_burn_rate = d.incident.burn_rate;
  if (ts.remediation) ctx.rollbacks_this_deploy = ts.remediation->rollbacks_this_deploy();
  const ForecastAccuracy& acc = d.prediction.accuracy;
  if (acc.scored >= static_cast<std::size_t>(std::max(1, ts.spec.forecast.min_scored))) {
    if (std::isfinite(acc.mase)) ctx.predictor_mase = acc.mase;
    if (std::isfinite(acc.coverage)) ctx.predictor_coverage = acc.coverage;
  }
  const SignalValue* load = obs.get("load");
  if (load && load->ok() && ts.spec.capacity.per_replica > 0)
    ctx.slo_min_replicas = static_cast<int>(std::ceil(load->value / ts.spec.capacity.per_replica));
  return ctx;
}

policies::Evaluation Reconciler::check(const TargetState& ts, const policies::Proposal& p,
                                       const policies::Context& ctx) const {
  policies::Evaluation ev = ts.guardrails.evaluate(p, ctx);
  if (!s_.policies) return ev;
  policies::Proposal adjusted = p;
  if (ev.replicas > 0) adjusted.desired_replicas = ev.replicas;
  policies::Evaluation more = s_.policies->evaluate(adjusted, ctx);
  ev.rules.insert(ev.rules.end(), std::make_move_iterator(more.rules.begin()),
                  std::make_move_iterator(more.rules.end()));
  ev.replicas = more.replicas > 0 ? more.replicas : ev.replicas;
  ev.verdict = policies::combine(ev.rules);
  ev.approval = std::move(more.approval);
  return ev;
}

policies::ActionRecord action_record(const Decision& d, TimePoint at) {
  policies::ActionRecord r;
  r.at = at;
  r.kind = d.action != "scale"                         ? d.action
           : d.desired_replicas > d.current_replicas ? "scale_up"
                                                     : "scale_down";
  if (d.action == "restart") r.pods = d.params.count("pod") ? 1 : d.current_replicas;
  return r;
}

void Reconciler::remember_action(TargetState& ts, const Decision& d, TimePoint now) {
  ts.history.push_back(action_record(d, now));
  if (ts.history.back().kind == "scale_up") ts.last_scale_up = now;
  if (ts.history.back().kind == "scale_down") ts.last_scale_down = now;
  const std::chrono::system_clock::time_point horizon = now - kHistoryWindow;
  while (!ts.history.empty() && (ts.history.front().at < horizon || ts.history.size() > kHistoryMax))
    ts.history.pop_front();
}

void Reconciler::request_approval(TargetState& ts, Decision& d, TimePoint now) {
  const std::string asked = rules_with(d.policy, policies::Verdict::NeedsApproval);
  if (config_.mode == Mode::DryRun) {
    // Nobody is asked to approve what will not run; the plan says it would have asked.
    d.calls = s_.actuator->plan(to_action(d));
    d.state = DecisionState::Planned;
    d.reason += " — would wait for approval (" + asked + ")";
    record(ts, d, false);
    return;
  }
  if (!s_.approvals) {
    d.state = DecisionState::Denied;
    d.reason += " — denied: a policy asks for approval and no approval channel is configured (" + asked + ")";
    record(ts, d, false);
    return;
  }
  ApprovalInfo& a = d.approval;
  a = ApprovalInfo{};
  a.status = "pending";
  a.requested = now;
  Duration ttl = std::chrono::duration_cast<Duration>(config_.approvals.default_ttl);
  if (d.policy.approval) {
    const policies::ApprovalRequirement& req = *d.policy.approval;
    ttl = std::chrono::duration_cast<Duration>(req.ttl);
    a.rules = req.rules;
    a.slack_users = req.slack_users;
    a.slack_groups = req.slack_groups;
    a.tokens = req.tokens;
    a.on_expiry = policies::to_string(req.on_expiry);
  } else {
    for (const auto& r : d.policy.rules)
      if (r.verdict == policies::Verdict::NeedsApproval) a.rules.push_back(r.rule);
  }
  a.expires = now + ttl;
  d.state = DecisionState::PendingApproval;
  d.reason += " — waiting for approval (" + asked + ")";
  d.calls = s_.actuator->plan(to_action(d));  // what will run once approved, for the approver
  if (!record(ts, d, true)) {
    d.state = DecisionState::Failed;
    d.error = "no approval requested: the decision could not be journaled (" + d.error + ")";
    return;
  }
  s_.approvals->open(d);
  if (s_.metrics) s_.metrics->approval("requested");
  if (s_.notifier) {
    s_.notifier->requested(d);
    s_.approvals->set_notification(d.id, a.slack_channel, a.slack_ts, a.notify_error);
    record(ts, d, true);
  }
  ts.pending = d;
}

Decision Reconciler::settle_pending(TargetState& ts, TimePoint now) {
  Decision p = std::move(*ts.pending);
  ts.pending.reset();
  p.updated = now;
  record(ts, p, true);
  if (s_.approvals) s_.approvals->close(p.id);
  if (s_.notifier) s_.notifier->settled(p);
  if (s_.metrics) {
    const std::string outcome = p.state == DecisionState::Superseded ? "superseded"
                                : p.approval.status == "approved"    ? "refused_on_recheck"
                                                                     : p.approval.status;
    s_.metrics->approval(outcome);
  }
  return p;
}

bool Reconciler::close_unapproved(TargetState& ts, TimePoint now) {
  Decision& p = *ts.pending;
  if (s_.approvals)
    if (auto e = s_.approvals->get(p.id)) p.approval = e->info;
  ApprovalInfo& a = p.approval;
  if (a.status == "pending" && now >= a.expires) {
    a.status = "expired";
    a.via = "expiry";
    a.decided = now;
    if (a.on_expiry == "allow") {
      a.note = "nobody answered; the policy's on_expiry allows the action";
      return false;  // re-checked and run like an approved one
    }
    p.state = DecisionState::Denied;
    p.reason += " — the approval request expired at " + format_rfc3339_ms(a.expires) +
                " without an answer (on_expiry: deny)";
    const Decision settled = settle_pending(ts, now);
    after_remediation(ts, settled);  // not acted on: the planner escalates instead
    return true;
  }
  if (a.status == "denied") {
    p.state = DecisionState::Denied;
    p.reason += " — denied by " + a.decided_by + (a.note.empty() ? "" : ": " + a.note);
    const bool remedial = is_remediation(p);
    settle_pending(ts, now);
    // A human saw this incident and said no: no automatic remediation of it any more.
    if (remedial) ts.remediation->escalated();
    return true;
  }
  return false;
}

void Reconciler::resolve_pending(TargetState& ts, Decision& d, const Observation& obs, TimePoint now,
                                 const RemediationProposal& rem) {
  Decision& p = *ts.pending;
  const ApprovalInfo& a = p.approval;
  const bool remedial = is_remediation(p);
  // A scale waiting for a human does not hold up a remediation: the incident comes first.
  if (!remedial && (rem.acts() || rem.action == RemedyAction::Escalate)) {
    p.state = DecisionState::Superseded;
    p.outcome = "superseded by a remediation: " + rem.reason;
    settle_pending(ts, now);
    decide_and_act(ts, d, obs, now, rem);
    return;
  }
  // A remediation waiting for a human gives way when the incident turns out to be one that no
  // action of ours can help (a dependency outage, conflicting signals): that escalation is posted
  // now, not after the request is answered or expires.
  if (remedial && rem.action == RemedyAction::Escalate) {
    p.state = DecisionState::Superseded;
    p.outcome = "superseded before it was answered: " + rem.reason;
    settle_pending(ts, now);
    decide_and_act(ts, d, obs, now, rem);
    return;
  }
  const bool go = a.status == "approved" || (a.status == "expired" && a.on_expiry == "allow");
  if (!go) {
    d.state = DecisionState::Held;
    d.reason = "hold: waiting for approval of " + p.id + " (" + what(p) + "), expires " +
               format_rfc3339_ms(a.expires);
    record(ts, d, false);
    return;
  }
  const std::string by = a.status == "approved" ? "approved by " + a.decided_by : "approved on expiry";

  // Re-check at execution: what would the agent do now, and do the policies still allow it?
  PlanOutput out;
  if (remedial) {  // the remediation planner's current proposal, not the scaling planner's
    out.action = rem.acts() ? rem.decision_action() : "hold";
    if (rem.params() != p.params) out.action = "hold";
    out.desired_replicas = d.current_replicas;
    out.confidence = p.remediation.confidence;
    out.reason = rem.reason;
  } else {
    PlanInput in{&ts.spec, &obs, &d.prediction, d.current_replicas, now};
    out = ts.planner->plan(in);
  }
  const bool was_up = p.desired_replicas > p.current_replicas;
  bool same = out.action == p.action && out.action != "hold";
  if (same && p.action == "scale")
    same = out.desired_replicas != d.current_replicas && (out.desired_replicas > d.current_replicas) == was_up;
  if (!same) {
    p.state = DecisionState::Superseded;
    p.outcome = by + ", but re-decided at execution: the plan is now " +
                (out.action == "hold" ? "to hold (" + out.reason + ")" : out.action + " (" + out.reason + ")");
    settle_pending(ts, now);
    decide_and_act(ts, d, obs, now, rem);
    return;
  }

  // Never more than was approved: a smaller step in the same direction is within the approval.
  Decision run = p;
  run.current_replicas = d.current_replicas;
  run.desired_replicas = p.action != "scale" ? out.desired_replicas
                         : was_up            ? std::min(out.desired_replicas, p.desired_replicas)
                                             : std::max(out.desired_replicas, p.desired_replicas);
  if (p.action == "scale" && (was_up ? run.desired_replicas <= run.current_replicas
                                     : run.desired_replicas >= run.current_replicas)) {
    // The count moved past the approved size meanwhile (a person, another controller): carrying
    // the approval out now would move the other way. Decided afresh instead.
    p.state = DecisionState::Superseded;
    p.outcome = by + ", but re-decided at execution: the replicas are already at " +
                std::to_string(run.current_replicas) + " (the approval was for " + std::to_string(p.desired_replicas) +
                ")";
    settle_pending(ts, now);
    decide_and_act(ts, d, obs, now, rem);
    return;
  }
  run.observed = d.observed;
  run.prediction = d.prediction;
  run.incident = d.incident;
  run.policy = check(ts, proposal_for(ts, run, out.confidence), policy_context(ts, run, obs, now));
  run.policy_checked = true;

  if (run.policy.verdict == policies::Verdict::Deny) {
    p.state = DecisionState::Denied;
    p.policy = run.policy;
    p.reason += " — " + by + ", but refused when re-checked at execution: " +
                rules_with(run.policy, policies::Verdict::Deny);
    d = settle_pending(ts, now);
    after_remediation(ts, d);
    return;
  }
  if (run.policy.verdict == policies::Verdict::NeedsApproval) {
    std::vector<std::string> fresh;
    const auto& asking = run.policy.approval ? run.policy.approval->rules : std::vector<std::string>{};
    for (const auto& r : asking)
      if (std::find(a.rules.begin(), a.rules.end(), r) == a.rules.end()) fresh.push_back(r);
    if (!fresh.empty()) {
      p.state = DecisionState::Superseded;
      p.outcome = by + ", but at execution approval rules the approver did not see apply: " + join_names(fresh);
      settle_pending(ts, now);
      decide_and_act(ts, d, obs, now, rem);
      return;
    }
  }
  adopt_policy_replicas(run);
  const std::string answered = a.status;
  run.reason += " — " + by + "; re-checked at execution against the policies and the current state";
  if (run.action == "scale" &&
      (run.current_replicas != p.current_replicas || run.desired_replicas != p.desired_replicas))
    run.reason += "; executed as " + std::to_string(run.current_replicas) + " -> " + std::to_string(run.desired_replicas);
  run.updated = now;
  ts.pending.reset();
  if (s_.approvals) s_.approvals->close(run.id);
  if (s_.metrics) s_.metrics->approval(answered == "approved" ? "approved" : "expired_allowed");
  carry_out(ts, run, now);
  after_remediation(ts, run);
  if (s_.notifier) s_.notifier->settled(run);
  d = run;
}

}  // namespace opspilot::agent
