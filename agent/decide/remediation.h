#pragma once
// The remediation planner: tells incidents apart from the signals an SRE would look at, proposes
// the one action that fixes that kind of incident (or asks a human), and judges afterwards
// whether the signal that triggered it recovered.
//
//   class              evidence                                             proposed
//   crash_loop         restarts rising (>= spec.restarts in restart_window)  restart (rolling)
//   bad_deploy         latency / own errors / restarts up, and the revision  rollback
//                      changed at most deploy_window before the onset
//   saturation         latency up with utilisation >= spec.saturation        scale (left to the
//                                                                            scaling planner)
//   dependency_outage  502/504 ratio up, the service's own errors fine        escalate, NEVER act
//   bad_pod            one pod's latency >= pod_outlier_factor × the others  restart that one pod
//   unknown            symptoms, none of the above                           none
//
// Rules that keep it safe:
//  - a classification must hold, unchanged (same class, action and pod), for persist_ticks ticks
//    (default 3) before anything is proposed: one noisy sample is never acted on. The one
//    exception is strong evidence, and it still needs two samples: a restart or rollback whose
//    evidence was at least strong_evidence_factor (default 2) times its threshold on each of
//    kStrongEvidenceTicks (2) consecutive ticks of the same classification is proposed on the
//    second. The evidence is the signal the class rests on: container restarts in
//    restart_window against `restarts`; the slow pod's latency ratio against pod_outlier_factor;
//    for a bad deploy, p99 latency and the own error ratio against their thresholds — these two
//    only with kStrongBaselineSamples healthy samples behind the threshold (a threshold from a
//    thin baseline is not one to be far above). A marginal classification, a strong tick next to
//    a marginal one, and escalations all wait the full persist_ticks. Why it is safe to act a
//    tick sooner there: at 2× the threshold (p99 3× the baseline, own errors 2 % or more, 4
//    restarts in 5 minutes, a pod 6× slower than the others) on two samples in a row, after a
//    deploy for a rollback, the incident is not in doubt, and a third tick would only delay the
//    fix by an interval (bench/incident_bench.cpp measures it);
//  - conflicting signals (dependency errors together with the service's own errors or restarts,
//    or right after a deploy) are escalated with the reason, never guessed at;
//  - a rollback only when a deploy plausibly caused the incident (revision changed shortly
//    before the onset);
//  - at most one automatic restart and one rollback per incident: then escalate. A remediation
//    that did not bring the signal back is followed up once (restart -> rollback when a deploy is
//    implicated, else escalate), and after an escalation nothing more is proposed until the
//    incident is over (persist_ticks symptom-free ticks).
//
// Recovery is judged with the Mann-Whitney judge (agent/decide/judge.h): the triggering signal's
// window after the rollout (skipping `settle`, over `recovery_window`) against the window before
// the incident (must not be worse), or — without a usable baseline — against the window during
// the incident (must be significantly better). Too few samples is no_data, never a pass.
//
// Thread-safety: none; one planner per target, used from that target's strand only.
#include <cstddef>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/decision.h"
#include "agent/source/observation.h"

namespace opspilot::agent {

enum class IncidentClass { None, CrashLoop, BadDeploy, Saturation, DependencyOutage, BadPod, Unknown };
/// "" for None; crash_loop | bad_deploy | saturation | dependency_outage | bad_pod | unknown.
const char* to_string(IncidentClass c);

enum class RemedyAction { None, Scale, Rollback, Restart, RestartPod, Escalate };
/// none | scale | rollback | restart | restart_pod | escalate
const char* to_string(RemedyAction a);

struct RemediationInput {
  const TargetSpec* target = nullptr;
  const Observation* observation = nullptr;
  TimePoint now{};
  Duration interval{std::chrono::seconds(15)};
};

/// What the planner proposes this tick.
struct RemediationProposal {
  IncidentClass incident = IncidentClass::None;
  RemedyAction action = RemedyAction::None;
  std::string pod;              // RestartPod: the pod to replace
  double confidence = 0;        // [0, 1]
  std::string expected_effect;
  std::string reason;           // with the evidence numbers
  std::vector<RemediationEvidence> evidence;
  std::string signal;           // the triggering signal recovery is judged on
  double threshold = 0;
  TimePoint onset{};
  TimePoint deadline{};
  std::string follow_up_of;

  /// An action for the actuator (rollback, restart, one pod's restart).
  bool acts() const {
    return action == RemedyAction::Rollback || action == RemedyAction::Restart || action == RemedyAction::RestartPod;
  }
  /// The decision record's form.
  RemediationInfo info() const;
  /// The decision's action ("rollback" | "restart" | "escalate") and actuator params.
  std::string decision_action() const;
  std::map<std::string, std::string> params() const;
};

/// The verdict on a remediation's recovery.
struct RecoveryCheck {
  std::string state = "pending";  // pending | pass | fail | no_data
  std::string detail;
  bool done() const { return state != "pending"; }
};

class RemediationPlanner {
 public:
  explicit RemediationPlanner(RemediationSpec spec) : spec_(spec) {}

  /// Records this tick's signals and classifies. Call every tick — also while an action is in
  /// flight or waiting for approval (the history is what recovery is judged on).
  RemediationProposal assess(const RemediationInput& in);

  /// A proposal of this planner was applied by the actuator: counts toward the incident's one
  /// restart / rollback and stops proposals until settled() is called.
  void acted(const Decision& d);
  /// A proposal was refused (policy denial, actuator error before anything ran): not retried;
  /// the next proposal is an escalation.
  void refused(const Decision& d);
  /// The applied action is over: `recovered` when its rollout was done and the signal recovered.
  /// Otherwise the next proposal is its follow-up (rollback when a deploy is implicated and
  /// none was tried, else escalate).
  void settled(const Decision& d, bool recovered);
  /// An escalation was journaled: nothing more is proposed until the incident is over.
  void escalated();

  /// Whether the triggering signal of `m` (an applied remediation whose rollout is done at
  /// m.rolled_out) is back: pending until recovery_window has been observed after `settle`,
  /// or the deadline passed.
  RecoveryCheck check_recovery(const RemediationInfo& m, TimePoint now) const;

  /// Rollbacks already done since the current revision was deployed (for policies).
  int rollbacks_this_deploy() const { return rollbacks_this_deploy_; }
  bool incident_open() const { return incident_.has_value(); }
  std::size_t history_size() const { return history_.size(); }
  static constexpr std::size_t kMaxHistory = 2048;

 private:
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  struct Sample {
    TimePoint t{};
    double latency = kNaN;
    double error_ratio = kNaN;       // the service's own: (errors - dependency_errors) / load
    double dependency_ratio = kNaN;  // dependency_errors / load
    double restarts = kNaN;          // the counter
    double restart_delta = kNaN;     // its increase since the previous sample (a drop: 0)
    double revision = kNaN;
    double load = kNaN;
    double saturation = kNaN;
    double pod_spread = kNaN;        // slowest pod / median of the others
    bool symptomatic = false;
  };
  struct Incident {
    TimePoint onset{};
    int restarts_done = 0;
    int rollbacks_done = 0;
    bool acting = false;
    bool gave_up = false;         // escalated: no more proposals
    IncidentClass last_class = IncidentClass::Unknown;
    std::optional<RemedyAction> follow_up;
    std::string follow_up_of;
    std::string follow_up_why;
  };
  struct Baseline {
    double latency = kNaN, error_ratio = kNaN, load = kNaN;
    std::size_t n = 0;
  };

  Sample sample(const RemediationInput& in);
  Baseline baseline(TimePoint before) const;
  double restarts_in_window(TimePoint now) const;
  struct Symptoms {
    bool latency_high, errors_high, dep_high, restarts_rising, pod_outlier, sat_high;
  };
  /// Fills p's class, action and reason for an open incident, then applies the caps and the
  /// persistence rule.
  void classify(const RemediationInput& in, const Sample& s, const Baseline& b, RemediationProposal& p,
                const Symptoms& sy, double lat_thr, double err_thr, double restarts);
  std::vector<double> window(const std::string& signal, TimePoint from, TimePoint to) const;

  RemediationSpec spec_;
  std::deque<Sample> history_;
  std::optional<Incident> incident_;
  std::optional<TimePoint> deployed_at_;  // the last revision change seen
  /// Restarts before this are not counted: a verified recovery ends the crash loop they were part
  /// of, and they must not start it again while they are still inside restart_window.
  std::optional<TimePoint> restarts_counted_from_;
  std::string deployed_note_;             // "revision 3 -> 4"
  double last_revision_ = kNaN;
  bool own_rollback_pending_ = false;     // the next revision change is our rollback, not a deploy
  // The slowest pod of the latest sample, for evidence and the proposal.
  std::string slow_pod_;
  double slow_pod_latency_ = kNaN;
  double other_pods_median_ = kNaN;
  std::size_t pods_seen_ = 0;
  int rollbacks_this_deploy_ = 0;
  /// Strong evidence acts after this many consecutive strong ticks (never after one).
  static constexpr int kStrongEvidenceTicks = 2;
  /// Healthy samples a latency or error threshold must rest on for evidence against it to count
  /// as strong (2 minutes at a 15 s interval).
  static constexpr std::size_t kStrongBaselineSamples = 8;

  std::string candidate_;                 // class|action|pod of the last ticks
  int candidate_ticks_ = 0;
  int strong_ticks_ = 0;                  // of them, the latest consecutive ones with strong evidence
  int healthy_ticks_ = 0;
};

}  // namespace opspilot::agent
