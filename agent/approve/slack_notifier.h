#pragma once
// Approval requests as Slack messages: posted when a policy asks for approval, replaced with the
// outcome when the request is settled.
//
// Thread-safety: SlackClient is thread-safe; this class holds no other state.
#include <memory>
#include <optional>
#include <string>

#include "agent/approve/notifier.h"
#include "agent/approve/slack.h"

namespace opspilot::agent {

/// Escalations are plain messages posted with `spec` (chat.postMessage with the bot token, else
/// the incoming webhook); without a spec (the one-argument constructor) escalate() reports that
/// there is nowhere to post.
class SlackNotifier final : public ApprovalNotifier {
 public:
  explicit SlackNotifier(std::shared_ptr<slack::SlackClient> client) : client_(std::move(client)) {}
  SlackNotifier(std::shared_ptr<slack::SlackClient> client, SlackSpec spec)
      : client_(std::move(client)), spec_(std::move(spec)) {}
  void requested(Decision& d) override;
  void settled(const Decision& d) override;
  std::string escalate(const Decision& d) override;

 private:
  std::shared_ptr<slack::SlackClient> client_;
  std::optional<SlackSpec> spec_;
};

/// What the message shows for `d` (forecast, rules that asked, approvers, outcome).
slack::ApprovalMessage approval_message(const Decision& d);

}  // namespace opspilot::agent
