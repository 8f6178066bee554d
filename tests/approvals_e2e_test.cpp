// Approvals end to end, over real HTTP: the opspilot binary against the sandbox process, with a
// policy that sends every scale-up to a human, a Slack-compatible receiver for the messages,
// bearer tokens with roles for the API and the CLI, and Slack's signed callbacks.
#include <gtest/gtest.h>

#include "actuators/common/http_client.h"
#include "tests/e2e_support.h"
#include "tests/fake_slack.h"
#include "tests/slack_test_support.h"

using namespace opspilot::test;
using nlohmann::json;
using opspilot::agent::slack::slack_test::FakeSlack;

namespace {

constexpr double kSpeed = 60;

opspilot::actuators::HttpResponse call(const std::string& method, const std::string& url, const std::string& token,
                                       const std::string& body = "",
                                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  opspilot::actuators::HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers = std::move(headers);
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  opspilot::actuators::HttpClient client;
  return client.send(req);
}

json get(const std::string& url, const std::string& token) {
  return json::parse(call("GET", url, token).body, nullptr, false);
}

/// The first open request's id, or "".
std::string open_request(const std::string& api, const std::string& token, const std::string& other_than = "") {
  const json j = get(api + "/api/v1/approvals", token);
  if (!j.contains("approvals")) return "";
  for (const auto& e : j["approvals"])
    if (e["id"] != other_than && e["approval"]["status"] == "pending") return e["id"];
  return "";
}

std::string cli(const std::string& args, int* code) {
  std::string out;
  *code = run_command(std::string(OPSPILOT_BIN) + " " + args, &out);
  return out;
}

opspilot::actuators::HttpResponse slack_callback(const std::string& api, const std::string& secret,
                                                 const std::string& body, std::int64_t ts) {
  const std::string t = std::to_string(ts);
  return call("POST", api + "/slack/interactions", "", body,
              {{"Content-Type", "application/x-www-form-urlencoded"},
               {"X-Slack-Request-Timestamp", t},
               {"X-Slack-Signature", opspilot::agent::slack::sign_request(secret, t, body)}});
}

}  // namespace

TEST(ApprovalsEndToEnd, SlackAndTokensGateEveryScaleUp) {
  FakeSlack slack;
  Sandbox sb(kSpeed);
  ASSERT_GT(sb.port, 0) << "sandbox did not start";
  TempDir dir;
  const int port = free_port();
  const std::string secret = "e2e-signing-secret";
  dir.write("signing-secret", secret + "\n");
  dir.write("bot-token", std::string(opspilot::agent::slack::slack_test::kBotToken) + "\n");
  for (const char* t : {"viewer", "op", "alice", "bob"}) dir.write(std::string("t-") + t, std::string("tok-") + t + "-0123456789");
  dir.write("policies/checkout.yaml", R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: checkout}
spec:
  targets: [{namespace: shop, name: checkout}]
  actions: [scale]
  approval:
    ttl: 2h
    rules:
      - name: every-scale-up
        kinds: [scale_up]
        approvers: {slack_users: [U07], tokens: [alice, bob]}
)");
  const std::string d = dir.path().string();
  const std::string extra = "policies: [" + d + "/policies]\napprovals:\n  slack:\n    api_url: " + slack.api_url() +
                            "\n    channel: \"#ops\"\n    bot_token_file: " + d + "/bot-token\n    signing_secret_file: " + d +
                            "/signing-secret\napi:\n  tokens:\n"
                            "    - {name: viewer, role: viewer, token_file: " + d + "/t-viewer}\n"
                            "    - {name: op, role: operator, token_file: " + d + "/t-op}\n"
                            "    - {name: alice, role: approver, namespaces: [shop], token_file: " + d + "/t-alice}\n"
                            "    - {name: bob, role: approver, namespaces: [other], token_file: " + d + "/t-bob}\n";
  const std::string cfg = dir.write("opspilot.yaml", sandbox_config(sb, d, kSpeed, "active", port, 20) + extra);
  int code = 0;
  std::string out = cli("validate -c " + cfg, &code);
  ASSERT_EQ(code, 0) << out;

  ChildProcess agent(OPSPILOT_BIN, {"run", "-c", cfg}, dir.file("agent.log"));
  const std::string api = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_http(api + "/healthz", std::chrono::seconds(10)));
  const std::string viewer = "tok-viewer-0123456789", op = "tok-op-0123456789";

  // 1. A scale-up waits for a human; the request is on the API and in Slack.
  std::string first;
  ASSERT_TRUE(eventually(30, [&] { return !(first = open_request(api, viewer)).empty(); }))
      << "no approval request; agent log in " << dir.file("agent.log");
  EXPECT_EQ(call("GET", api + "/api/v1/approvals", "").status, 401);
  EXPECT_EQ(call("GET", api + "/api/v1/approvals", "wrong-token").status, 401);
  ASSERT_TRUE(eventually(5, [&] { return !slack.requests("/api/chat.postMessage").empty(); }));
  const json posted = json::parse(slack.requests("/api/chat.postMessage").front().body);
  EXPECT_EQ(posted["channel"], "#ops");
  EXPECT_NE(posted.dump().find(first), std::string::npos);
  EXPECT_NE(posted.dump().find("opspilot_approve"), std::string::npos);
  EXPECT_NE(posted.dump().find("checkout/approval.every-scale-up"), std::string::npos);

  // 2. The CLI lists it; roles and namespaces are enforced.
  out = cli("approvals --server " + api + " --token " + viewer, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find(first), std::string::npos) << out;
  out = cli("approve " + first + " --server " + api + " --token " + viewer, &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("this needs approver"), std::string::npos) << out;
  out = cli("approve " + first + " --server " + api + " --token tok-bob-0123456789", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("not \"shop\""), std::string::npos) << out;

  // 3. An operator vetoes it; the next tick records the denial and asks again.
  out = cli("deny " + first + " --reason 'load test' --server " + api + " --token " + op, &code);
  EXPECT_EQ(code, 0) << out;
  ASSERT_TRUE(eventually(10, [&] { return get(api + "/api/v1/decisions/" + first, viewer)["state"] == "denied"; }));
  EXPECT_EQ(get(api + "/api/v1/decisions/" + first, viewer)["approval"]["decided_by"], "token:op");
  std::string second;
  ASSERT_TRUE(eventually(10, [&] { return !(second = open_request(api, viewer, first)).empty(); }));

  // 4. Slack callbacks: forged and stranger's refused, the approver's accepted once.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  using opspilot::agent::slack::slack_test::interaction_body;
  EXPECT_EQ(slack_callback(api, "not-the-secret", interaction_body(second, "opspilot_approve", 7), now).status, 401);
  EXPECT_EQ(slack_callback(api, secret, interaction_body(second, "opspilot_approve", 7), now - 400).status, 401);
  const auto stranger = slack_callback(api, secret, interaction_body(second, "opspilot_approve", 9), now);
  EXPECT_EQ(stranger.status, 200);
  EXPECT_NE(stranger.body.find("not among the approvers"), std::string::npos) << stranger.body;
  const std::string body = interaction_body(second, "opspilot_approve", 7);
  const auto ok = slack_callback(api, secret, body, now + 1);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("Approved"), std::string::npos) << ok.body;
  EXPECT_EQ(slack_callback(api, secret, body, now + 1).status, 401);  // the same request again: a replay

  // 5. It runs after the re-check, and the message is updated with the outcome.
  json done;
  ASSERT_TRUE(eventually(15, [&] {
    done = get(api + "/api/v1/decisions/" + second, viewer);
    return done["state"] == "applied" || done["state"] == "verified";
  })) << done.dump();
  EXPECT_EQ(done["approval"]["decided_by"], "slack:U07 (alice)");
  EXPECT_NE(done["reason"].get<std::string>().find("re-checked at execution"), std::string::npos);
  EXPECT_TRUE(eventually(5, [&] { return !slack.requests("/api/chat.update").empty(); }));

  std::string metrics;  // rendered once a second
  EXPECT_TRUE(eventually(5, [&] {
    metrics = http_get(api + "/metrics").body;
    return metrics.find("opspilot_approvals_total{outcome=\"approved\"} 1") != std::string::npos;
  }));
  EXPECT_NE(metrics.find("opspilot_approvals_total{outcome=\"approved\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("opspilot_approvals_total{outcome=\"denied\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("opspilot_policy_generation 1"), std::string::npos);
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(std::chrono::seconds(20)), 0);
}
