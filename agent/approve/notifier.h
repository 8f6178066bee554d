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
};

}  // namespace opspilot::agent
