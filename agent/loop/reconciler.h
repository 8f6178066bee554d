#pragma once
// One tick for one target: observe → predict → decide → policy check → act/plan → verify →
// journal. Synchronous and deterministic given its inputs, so the live loop, `opspilot plan`,
// tests and backtests all run exactly the same code.
#include <functional>
#include <string>

#include "actuators/actuator.h"
#include "agent/approve/approval_book.h"
#include "agent/approve/notifier.h"
#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/journal.h"
#include "agent/loop/target_state.h"
#include "agent/loop/timeline.h"
#include "agent/metrics.h"
#include "agent/predict/predictor.h"
#include "agent/source/observation.h"
#include "agent/store/series_store.h"
#include "policies/policy.h"

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
  /// The operator's policies (policies/policy_set.h), checked after the target's own limits;
  /// null: the limits alone decide.
  const policies::PolicyEvaluator* policies = nullptr;
  ApprovalBook* approvals = nullptr;      // null: a needs_approval verdict is denied
  ApprovalNotifier* notifier = nullptr;   // optional (Slack)
  /// With leader election: whether this replica may act now. Null: it always may. A standby
  /// replica observes and predicts (so it is warm when it takes over) but never acts, verifies
  /// or settles approvals.
  std::function<bool()> may_act;
};

/// The action a decision asks the actuator for (its id is the idempotency key).
actuators::Action to_action(const Decision& d);
/// The decision as the policies' action history records it (scale_up, scale_down, restart, ...).
policies::ActionRecord action_record(const Decision& d, TimePoint at);
/// A decision the remediation planner proposed for the actuator (restart or rollback).
bool is_remediation(const Decision& d);
/// A scale takes the replica count its policy check allowed. When that differs from the planned
/// count, the reason says so and which rules adjusted it, and says when the adjustment turned the
/// direction (above max_replicas, "scale up" becomes a scale-down to the bound).
void adopt_policy_replicas(Decision& d);

/// Thread-safety: tick() for different TargetStates may run concurrently (each on its strand);
/// the shared stages are thread-safe.
class Reconciler {
 public:
  Reconciler(const Config& config, Stages stages) : config_(config), s_(stages) {}
  /// Runs one tick and returns the decision it made (also journaled when it must be).
  Decision tick(TargetState& target);
  /// Called with every decision that was journaled (for live terminal output).
  void on_decision(std::function<void(const Decision&)> cb) { on_decision_ = std::move(cb); }

  /// The prediction horizon: the time a new replica needs to become ready — the configured
  /// readiness_delay, or the measured 90th percentile of recent scale-ups when longer — plus one
  /// interval.
  Duration horizon(const TargetState& ts) const;

 private:
  void verify_in_flight(TargetState& ts, TimePoint now);
  Observation observe(TargetState& ts, TimePoint now);
  Prediction predict(TargetState& ts, TimePoint now, double current_load);
  /// The remediation planner's proposal first (rollback, restart, escalation), else the scaling
  /// planner's; then gate().
  void decide_and_act(TargetState& ts, Decision& d, const Observation& obs, TimePoint now,
                      const RemediationProposal& rem);
  /// Policy check, then denied / approval requested / carried out. `confidence` is the policies'.
  void gate(TargetState& ts, Decision& d, const Observation& obs, TimePoint now, double confidence);
  /// Journals an escalation (action "escalate", state held) and asks a human via the notifier.
  void escalate(TargetState& ts, Decision& d);
  /// Tells the remediation planner what became of its proposal `d` (applied, refused, failed).
  void after_remediation(TargetState& ts, const Decision& d);
  /// An applied remediation: its rollout, then the recovery of the signal that triggered it.
  /// True when it settled.
  bool verify_remediation(TargetState& ts, Decision& f, TimePoint now);
  bool record(TargetState& ts, Decision& d, bool force);
  void act(TargetState& ts, Decision& d, TimePoint now);
  /// Executes an allowed decision: a dry-run plan, or act().
  void carry_out(TargetState& ts, Decision& d, TimePoint now);

  // Policy check and the approval gate (approval_flow.cpp).
  policies::Context policy_context(const TargetState& ts, const Decision& d, const Observation& obs,
                                   TimePoint now) const;
  /// The target's limits, then the operator's policies; every rule of both is reported.
  policies::Evaluation check(const TargetState& ts, const policies::Proposal& p,
                             const policies::Context& ctx) const;
  policies::Proposal proposal_for(const TargetState& ts, const Decision& d, double confidence) const;
  /// Opens an approval request for a needs_approval decision (journaled, posted).
  void request_approval(TargetState& ts, Decision& d, TimePoint now);
  /// A tick while a request is open: hold, or settle it (denied, expired) and, when approved,
  /// re-check the action against the policies and the current state before it runs.
  void resolve_pending(TargetState& ts, Decision& d, const Observation& obs, TimePoint now,
                       const RemediationProposal& rem);
  /// Settles a request nobody approved: denied, or expired with on_expiry deny. True when it did.
  bool close_unapproved(TargetState& ts, TimePoint now);
  /// Journals the pending decision's final state, closes the request, updates the message and
  /// returns the decision (no longer pending).
  Decision settle_pending(TargetState& ts, TimePoint now);
  void remember_action(TargetState& ts, const Decision& d, TimePoint now);

  const Config& config_;
  Stages s_;
  std::function<void(const Decision&)> on_decision_;
};

}  // namespace opspilot::agent
