#pragma once
// How an approval request reaches people: posted when a policy asks for approval, updated when
// the request is settled (approved and acted on, denied, expired or superseded). The Slack
// notifier is the one implementation (agent/approve/slack_notifier.h); without Slack, requests
// are listed by `opspilot approvals` and GET /api/v1/approvals.
//
// Thread-safety: implementations are called from the targets' strands concurrently.
#include "agent/journal/decision.h"

namespace opspilot::agent {

class ApprovalNotifier {
 public:
  virtual ~ApprovalNotifier() = default;
  /// Posts a new request. Records where (approval.slack_channel / slack_ts) or why posting
  /// failed (approval.notify_error) in `d`. Never throws; a failure never blocks the decision.
  virtual void requested(Decision& d) = 0;
  /// Updates the posted message with how the request was settled. Never throws.
  virtual void settled(const Decision& d) = 0;
  /// Asks a human to look at an incident the agent will not (or can no longer) fix itself: a
  /// dependency outage, conflicting signals, a remediation that did not help. A plain message,
  /// nothing to approve. Returns "" when posted, else why not. Never throws. The default has no
  /// channel to post to and says so.
  virtual std::string escalate(const Decision& d) {
    return "no escalation channel is configured for " + d.id;
  }
};

/// The escalation in words: target, incident class, why, the evidence and the decision id.
std::string escalation_text(const Decision& d);

}  // namespace opspilot::agent
