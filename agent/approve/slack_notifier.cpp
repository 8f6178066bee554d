#include "agent/approve/slack_notifier.h"

#include <cstdio>
#include <iostream>

namespace opspilot::agent {
namespace {

std::string forecast_line(const Prediction& p) {
  if (!p.enough_data) return p.note.empty() ? "" : "no forecast: " + p.note;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s: load %.0f in %.0f s (%.0f%% interval %.0f to %.0f)%s", p.model.c_str(),
                p.mean, p.horizon_seconds, p.level * 100, p.lower, p.upper,
                p.trusted ? "" : ", below the accuracy floor: not used");
  return buf;
}

std::string join_approvers(const ApprovalInfo& a) {
  std::string out;
  for (const auto& u : a.slack_users) out += (out.empty() ? "" : ", ") + ("<@" + u + ">");
  for (const auto& g : a.slack_groups) out += (out.empty() ? "" : ", ") + ("<!subteam^" + g + ">");
  for (const auto& t : a.tokens) out += (out.empty() ? "" : ", ") + ("API token " + t);
  return out.empty() ? "any approver" : out;
}

std::int64_t unix_s(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

slack::ApprovalMessage approval_message(const Decision& d) {
  slack::ApprovalMessage m;
  m.approval_id = d.id;
  m.target = d.target;
  m.namespace_ = d.namespace_;
  m.action = d.action;
  m.from_replicas = d.current_replicas;
  m.to_replicas = d.desired_replicas;
  m.why = d.reason;
  m.forecast = forecast_line(d.prediction);
  for (const auto& r : d.policy.rules)
    if (r.verdict == policies::Verdict::NeedsApproval) m.rules.push_back({r.rule, r.reason});
  m.confidence = d.prediction.enough_data ? d.prediction.confidence : -1;
  const ApprovalInfo& a = d.approval;
  m.expires_at = unix_s(a.expires);
  m.approvers = join_approvers(a);
  if (a.status == "approved") m.state = slack::ApprovalState::Approved;
  else if (a.status == "denied") m.state = slack::ApprovalState::Denied;
  else if (a.status == "expired") m.state = slack::ApprovalState::Expired;
  if (d.state == DecisionState::Superseded) m.state = slack::ApprovalState::Superseded;
  if (a.status != "pending") {
    // A Slack user id is shown as a mention; anything else as written.
    const std::string prefix = "slack:";
    m.decided_by = a.decided_by.rfind(prefix, 0) == 0 ? a.decided_by.substr(prefix.size(), a.decided_by.find(' ') - prefix.size())
                                                      : a.decided_by;
    m.decided_at = unix_s(a.decided);
    // What became of it, in the record's words.
    m.note = d.state == DecisionState::Superseded ? d.outcome
             : d.state == DecisionState::Denied   ? d.reason.substr(d.reason.rfind(" — ") == std::string::npos ? 0 : d.reason.rfind(" — ") + 5)
                                                  : std::string(to_string(d.state)) + (d.outcome.empty() ? "" : ": " + d.outcome);
    if (!a.note.empty() && a.status != "expired") m.note = a.note + (m.note.empty() ? "" : " — " + m.note);
  }
  return m;
}

void SlackNotifier::requested(Decision& d) {
  const slack::Posted p = client_->post(approval_message(d));
  if (p.ok) {
    d.approval.slack_channel = p.channel;
    d.approval.slack_ts = p.ts;
    d.approval.notify_error.clear();
  } else {
    d.approval.notify_error = p.error;
  }
}

void SlackNotifier::settled(const Decision& d) {
  const ApprovalInfo& a = d.approval;
  if (a.slack_ts.empty() && a.slack_response_url.empty()) return;  // never posted, or nowhere to update
  const slack::Posted p = client_->update(approval_message(d), a.slack_channel, a.slack_ts, a.slack_response_url);
  // The decision is already journaled; a stale message is reported, never silently left.
  if (!p.ok) std::cerr << "opspilot: could not update the Slack message of " << d.id << ": " << p.error << "\n";
}

}  // namespace opspilot::agent
