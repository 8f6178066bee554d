#include "agent/approve/slack_notifier.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"

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

std::string escalation_text(const Decision& d) {
  const RemediationInfo& m = d.remediation;
  std::string t = "Escalation: " + d.namespace_ + "/" + d.target;
  if (m.classified()) t += " — " + m.incident_class;
  t += " (" + d.id + "). The agent is not acting on its own; a human is needed.\n" + d.reason;
  for (const auto& e : m.evidence) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ": %.4g", e.value);
    t += "\n• " + e.signal + buf;
    if (std::isfinite(e.baseline)) {
      std::snprintf(buf, sizeof buf, " (before: %.4g)", e.baseline);
      t += buf;
    }
    if (!e.note.empty()) t += " — " + e.note;
  }
  if (!m.follow_up_of.empty()) t += "\nFollows " + m.follow_up_of + ".";
  return t;
}

std::string SlackNotifier::escalate(const Decision& d) {
  if (!spec_ || !spec_->enabled())
    return "Slack escalation for " + d.id + " not posted: the notifier was built without approvals.slack settings";
  nlohmann::json body = {{"text", slack::escape_mrkdwn(escalation_text(d))}};
  actuators::HttpRequest req;
  req.method = "POST";
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(spec_->timeout);
  req.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  // Where it went, in words that never carry the token or the webhook's secret path.
  std::string where = "the Slack webhook";
  if (!spec_->bot_token.empty()) {
    if (spec_->channel.empty()) return "Slack escalation for " + d.id + " not posted: approvals.slack.channel is not set";
    body["channel"] = spec_->channel;
    req.url = spec_->api_url + "/chat.postMessage";
    req.headers.emplace_back("Authorization", "Bearer " + spec_->bot_token);
    where = "Slack chat.postMessage (channel \"" + spec_->channel + "\")";
  } else {
    req.url = spec_->webhook_url;
  }
  req.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  int attempts = 0;
  const actuators::HttpResponse r =
      actuators::HttpClient::for_this_thread().send_with_retry(req, actuators::RetryPolicy{}, &attempts);
  const std::string tries = " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  if (!r.transport_ok()) return "escalation " + d.id + " to " + where + " failed" + tries + ": " + r.error;
  if (!r.ok())
    return "escalation " + d.id + " to " + where + " answered HTTP " + std::to_string(r.status) + tries + ": " +
           actuators::body_excerpt(r.body, 200);
  const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("ok") && j["ok"].is_boolean() && !j["ok"].get<bool>())
    return "escalation " + d.id + " refused by " + where + ": " +
           (j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : std::string("ok is false"));
  return {};
}

}  // namespace opspilot::agent
