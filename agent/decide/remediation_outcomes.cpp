// The remediation planner's outcomes (see remediation.h): what happens to the incident when its
// action was taken, refused or settled, and the recovery judgement of an executed action.
#include <algorithm>
#include <cmath>

#include "agent/decide/judge.h"
#include "agent/decide/remediation.h"
#include "agent/format.h"

namespace opspilot::agent {

// ---- outcomes --------------------------------------------------------------------------------

void RemediationPlanner::acted(const Decision& d) {
  if (!incident_) incident_ = Incident{d.created};
  incident_->acting = true;
  incident_->follow_up.reset();
  if (d.action == "restart") ++incident_->restarts_done;
  if (d.action == "rollback") {
    ++incident_->rollbacks_done;
    ++rollbacks_this_deploy_;
    own_rollback_pending_ = true;
  }
  candidate_.clear();
  candidate_ticks_ = strong_ticks_ = 0;
}

void RemediationPlanner::refused(const Decision& d) {
  if (!incident_) return;
  incident_->acting = false;
  incident_->follow_up = RemedyAction::Escalate;
  incident_->follow_up_of = d.id;
  incident_->follow_up_why = d.action + " was not carried out (" + std::string(to_string(d.state)) + "): " +
                             (d.error.empty() ? d.reason : d.error);
}

void RemediationPlanner::settled(const Decision& d, bool recovered) {
  if (!incident_) return;
  incident_->acting = false;
  if (recovered) {
    // The restarts that made the crash loop are history now: only new ones count.
    restarts_counted_from_ = d.remediation.rolled_out.value_or(d.updated);
    return;
  }
  const bool deploy_implicated = deployed_at_ && incident_->onset - *deployed_at_ <= spec_.follow_up_deploy_window &&
                                 *deployed_at_ <= incident_->onset + spec_.deploy_window;
  const bool may_roll_back = d.action == "restart" && deploy_implicated && incident_->rollbacks_done == 0 &&
                             rollbacks_this_deploy_ == 0;
  incident_->follow_up = may_roll_back ? RemedyAction::Rollback : RemedyAction::Escalate;
  incident_->follow_up_of = d.id;
  incident_->follow_up_why =
      d.action + " " + d.id + " did not help (" + (d.remediation.recovery.empty() ? std::string(to_string(d.state)) : d.remediation.recovery) +
      (d.remediation.recovery_detail.empty() ? std::string() : ": " + d.remediation.recovery_detail) + ")" +
      (may_roll_back ? "; the deploy " + deployed_note_ + " is implicated, so roll it back"
                     : "; " + std::string(d.action == "rollback" ? "a rollback was already tried" : "no deploy is implicated") +
                           ", so a human is asked");
}

void RemediationPlanner::escalated() {
  if (!incident_) return;
  incident_->gave_up = true;
  incident_->follow_up.reset();
}

RecoveryCheck RemediationPlanner::check_recovery(const RemediationInfo& m, TimePoint now) const {
  RecoveryCheck c;
  if (!m.rolled_out) return c;
  const TimePoint from = *m.rolled_out + spec_.settle;
  const TimePoint to = from + spec_.recovery_window;
  const bool late = m.deadline && now >= *m.deadline;
  JudgeSpec js;
  js.bad = BadDirection::Increase;
  js.floor = m.signal == "error_ratio" ? spec_.error_ratio / 2 : m.signal == "restarts" ? 0.5 : 0.0;
  if (now < to && !late) {
    // A recovery may be confirmed early, as soon as the samples after settling already pass
    // against the baseline; a failure is only declared on the whole window (the signal may
    // still be settling).
    if (m.onset && now > from) {
      const std::vector<double> so_far = window(m.signal, from, now);
      const std::vector<double> before =
          window(m.signal, *m.onset - spec_.baseline_window - Duration(1), *m.onset - Duration(1));
      const JudgeResult early = judge(before, so_far, js);
      // Early, "not significant" is not enough: the mean must already be within the effect bound.
      const bool within = early.effect_size <= js.max_increase ||
                          (js.floor > 0 && early.experiment_mean <= js.floor && early.control_mean <= js.floor);
      if (early.outcome == JudgeOutcome::Pass && within) {
        c.state = "pass";
        c.detail = m.signal + " after the action is not worse than before the incident (confirmed after " +
                   std::to_string(so_far.size()) + " samples): " + early.detail;
        return c;
      }
    }
    c.detail = "observing " + m.signal + " until " + std::to_string(to_seconds(to - now)) + " s from now";
    return c;
  }
  const std::vector<double> after = window(m.signal, from, std::min(now, to));
  if (!m.onset) {
    c.state = "no_data";
    c.detail = "the incident's onset is unknown, so there is no window to compare with";
    return c;
  }
  const std::vector<double> before = window(m.signal, *m.onset - spec_.baseline_window - Duration(1), *m.onset - Duration(1));
  const JudgeResult vs_before = judge(before, after, js);
  if (vs_before.outcome == JudgeOutcome::Pass) {
    c.state = "pass";
    c.detail = m.signal + " after the action is not worse than before the incident: " + vs_before.detail;
  } else if (vs_before.outcome == JudgeOutcome::Fail) {
    c.state = "fail";
    c.detail = m.signal + " after the action is still worse than before the incident: " + vs_before.detail;
  } else {
    // No usable baseline: the action must at least have made it significantly better.
    const std::vector<double> during = window(m.signal, *m.onset - Duration(1), *m.rolled_out);
    const JudgeResult vs_during = judge(during, after, js);
    if (vs_during.outcome == JudgeOutcome::NoData) {
      c.state = "no_data";
      c.detail = m.signal + ": " + std::to_string(before.size()) + " samples before the incident, " +
                 std::to_string(during.size()) + " during and " + std::to_string(after.size()) +
                 " after the action — too few to judge (" + vs_during.detail + ")";
    } else {
      c.state = vs_during.better ? "pass" : "fail";
      c.detail = m.signal + (vs_during.better ? " improved" : " did not improve") +
                 " significantly against the incident (no baseline before it): " + vs_during.detail;
    }
  }
  return c;
}

}  // namespace opspilot::agent
