#pragma once
// Shared by the Slack test suites (slack_test.cpp, slack_client_test.cpp): a sample approval
// message, a signed-callback body builder and a Block Kit lookup.
#include <string>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"
#include "agent/approve/slack.h"

namespace opspilot::agent::slack::slack_test {

using nlohmann::json;

inline constexpr const char* kSecret = "test-signing-secret-4f1c";

inline ApprovalMessage sample_message() {
  ApprovalMessage m;
  m.approval_id = "apr-7f3a";
  m.target = "web-frontend";
  m.namespace_ = "prod";
  m.action = "scale";
  m.from_replicas = 6;
  m.to_replicas = 14;
  m.why = "forecast p95 load 1840 rps exceeds capacity of 6 replicas at 70% utilisation";
  m.forecast = "1840 rps in 10 min (95% interval 1610-2070), model holt-winters daily";
  m.rules = {{"large-step-needs-approval", "step of +8 replicas exceeds 4"},
             {"business-hours-prod", "prod changes in business hours need a human"}};
  m.confidence = 0.82;
  m.expires_at = 1700001800;
  m.approvers = "@sre-oncall";
  return m;
}

// The first block of `type` in a message payload, or null.
inline const json* find_block(const json& payload, const std::string& type) {
  const auto blocks = payload.find("blocks");
  if (blocks == payload.end() || !blocks->is_array()) return nullptr;
  for (const auto& b : *blocks)
    if (b.value("type", "") == type) return &b;
  return nullptr;
}

// A form body like Slack's interactive callback: payload=<url-encoded block_actions JSON>.
inline std::string interaction_body(const std::string& approval_id, const std::string& action_id, int n) {
  const json p = {{"type", "block_actions"},
                  {"user", {{"id", "U0" + std::to_string(n)}, {"username", "alice"}, {"team_id", "T1"}}},
                  {"team", {{"id", "T1"}, {"domain", "example"}}},
                  {"container", {{"type", "message"}, {"message_ts", "1700000000.000100"}, {"channel_id", "C1"}}},
                  {"channel", {{"id", "C1"}, {"name", "ops-approvals"}}},
                  {"response_url", "https://hooks.slack.com/actions/T1/1/abc"},
                  {"actions", {{{"type", "button"}, {"action_id", action_id}, {"value", approval_id},
                                {"action_ts", "1700000001.000200"}}}}};
  return "payload=" + actuators::HttpClient::url_encode(p.dump());
}

}  // namespace opspilot::agent::slack::slack_test
