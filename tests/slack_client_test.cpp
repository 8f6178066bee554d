// SlackClient against a real local HTTP server (the agent's own Beast server) that answers like
// Slack's Web API, an incoming webhook and a response_url; and the signed-callback path end to end
// over HTTP.
#include "agent/approve/slack.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/server/http_server.h"
#include "tests/fake_slack.h"
#include "tests/slack_test_support.h"
#include "tests/test_support.h"

namespace opspilot::agent::slack {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using namespace slack_test;

actuators::RetryPolicy fast_retry() {
  actuators::RetryPolicy p;
  p.attempts = 3;
  p.base = 10ms;
  p.cap = 2000ms;  // above the fake's Retry-After: 1, so the header is what sets the wait
  return p;
}

SlackSpec bot_spec(const FakeSlack& s, std::string channel = "#ops-approvals") {
  SlackSpec spec;
  spec.api_url = s.api_url();
  spec.bot_token = kBotToken;
  spec.channel = std::move(channel);
  spec.timeout = Duration(3000);
  return spec;
}

// ------------------------------------------------------------------------------------- client

TEST(SlackClient, PostsWithTheBotTokenAndReturnsChannelAndTs) {
  FakeSlack fake;
  SlackClient client(bot_spec(fake), fast_retry());
  const Posted p = client.post(sample_message());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.channel, "C1");
  EXPECT_EQ(p.ts, "1700000000.000100");

  const auto reqs = fake.requests("/api/chat.postMessage");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.at("authorization"), std::string("Bearer ") + kBotToken);
  EXPECT_NE(reqs[0].headers.at("content-type").find("application/json"), std::string::npos);
  const json body = json::parse(reqs[0].body);
  EXPECT_EQ(body["channel"], "#ops-approvals");
  EXPECT_FALSE(body["text"].get<std::string>().empty());
  const json* actions = find_block(body, "actions");
  ASSERT_NE(actions, nullptr);
  EXPECT_EQ((*actions)["elements"][0]["action_id"], "opspilot_approve");
  EXPECT_EQ((*actions)["elements"][1]["action_id"], "opspilot_deny");
  const std::string dumped = body.dump();
  EXPECT_NE(dumped.find("large-step-needs-approval"), std::string::npos);
  EXPECT_NE(dumped.find("*Forecast:*"), std::string::npos);
}

TEST(SlackClient, OkFalseIsAFailureThatQuotesSlacksErrorAndNeverTheToken) {
  FakeSlack fake;
  Posted p = SlackClient(bot_spec(fake, "#missing"), fast_retry()).post(sample_message());
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("Slack chat.postMessage refused: channel_not_found"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("#missing"), std::string::npos) << p.error;
  EXPECT_EQ(fake.requests("/api/chat.postMessage").size(), 1u);  // a refusal is final: no retry

  p = SlackClient(bot_spec(fake, "#noscope"), fast_retry()).post(sample_message());
  EXPECT_NE(p.error.find("missing_scope (the token needs scope chat:write)"), std::string::npos) << p.error;

  SlackSpec wrong = bot_spec(fake);
  wrong.bot_token = "xoxb-wrong-token-secret";
  p = SlackClient(wrong, fast_retry()).post(sample_message());
  EXPECT_NE(p.error.find("invalid_auth"), std::string::npos) << p.error;
  EXPECT_EQ(p.error.find("xoxb-wrong-token-secret"), std::string::npos) << p.error;

  // Even when a server echoes the token back, the error shows "[bot token]" instead.
  p = SlackClient(bot_spec(fake, "#echo"), fast_retry()).post(sample_message());
  EXPECT_NE(p.error.find("HTTP 400"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("Bearer [bot token]"), std::string::npos) << p.error;
  EXPECT_EQ(p.error.find(kBotToken), std::string::npos) << p.error;

  // Nothing listening: a transport error after every attempt, without the token.
  SlackSpec dead = bot_spec(fake);
  dead.api_url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/api";
  p = SlackClient(dead, fast_retry()).post(sample_message());
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("failed after 3 attempts"), std::string::npos) << p.error;
  EXPECT_EQ(p.error.find(kBotToken), std::string::npos) << p.error;

  SlackSpec no_channel = bot_spec(fake, "");
  p = SlackClient(no_channel, fast_retry()).post(sample_message());
  EXPECT_NE(p.error.find("approvals.slack.channel is not set"), std::string::npos) << p.error;
}

TEST(SlackClient, RetriesA429AfterRetryAfterThenSucceeds) {
  FakeSlack fake;
  fake.throttle_next = 1;
  SlackClient client(bot_spec(fake), fast_retry());
  const auto t0 = std::chrono::steady_clock::now();
  const Posted p = client.post(sample_message());
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.ts, "1700000000.000100");
  EXPECT_EQ(fake.requests("/api/chat.postMessage").size(), 2u);
  // Retry-After: 1 was honoured (the policy's own backoff is at most 10 ms here).
  EXPECT_GE(waited, 950ms);

  // Rate-limited on every attempt: a failure that says so.
  fake.throttle_next = 5;
  actuators::RetryPolicy two = fast_retry();
  two.attempts = 2;
  two.cap = 50ms;  // caps the Retry-After wait
  const Posted q = SlackClient(bot_spec(fake), two).post(sample_message());
  EXPECT_FALSE(q.ok);
  EXPECT_NE(q.error.find("answered HTTP 429 after 2 attempts"), std::string::npos) << q.error;
  fake.throttle_next = 0;
}

TEST(SlackClient, UpdatesThroughChatUpdateOrTheResponseUrl) {
  FakeSlack fake;
  SlackClient client(bot_spec(fake), fast_retry());
  ApprovalMessage m = sample_message();
  m.state = ApprovalState::Approved;
  m.decided_by = "U024BE7LH";
  m.decided_at = 1700000100;

  Posted p = client.update(m, "C1", "1700000000.000100", "");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.ts, "1700000000.000100");
  auto updates = fake.requests("/api/chat.update");
  ASSERT_EQ(updates.size(), 1u);
  json body = json::parse(updates[0].body);
  EXPECT_EQ(body["channel"], "C1");
  EXPECT_EQ(body["ts"], "1700000000.000100");
  EXPECT_EQ(find_block(body, "actions"), nullptr);
  EXPECT_NE(body.dump().find("*Approved* by <@U024BE7LH>"), std::string::npos);
  EXPECT_EQ(updates[0].headers.at("authorization"), std::string("Bearer ") + kBotToken);

  // chat.update cannot find the message: the response_url still can.
  const std::string response_url = fake.base() + "/actions/T1/42/secret-response-token";
  p = client.update(m, "C1", "1.000000", response_url);
  ASSERT_TRUE(p.ok) << p.error;
  auto via_url = fake.requests("/actions/T1/42/secret-response-token");
  ASSERT_EQ(via_url.size(), 1u);
  body = json::parse(via_url[0].body);
  EXPECT_EQ(body["replace_original"], true);
  EXPECT_EQ(find_block(body, "actions"), nullptr);
  EXPECT_EQ(via_url[0].headers.count("authorization"), 0u);  // the token goes only to the API

  // Neither a ts nor a response_url: impossible, and the error says why.
  p = client.update(m, "C1", "", "");
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("its ts is unknown (chat.update needs it) and no response_url was given"), std::string::npos)
      << p.error;
}

TEST(SlackClient, WebhookModePostsThePayloadUpdatesThroughResponseUrlAndHidesTheUrl) {
  FakeSlack fake;
  SlackSpec spec;
  spec.webhook_url = fake.base() + "/services/T0/B0/webhook-secret-path";
  spec.timeout = Duration(3000);
  SlackClient client(spec, fast_retry());
  Posted p = client.post(sample_message());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(p.ts.empty());
  const auto posted = fake.requests("/services/T0/B0/webhook-secret-path");
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].headers.count("authorization"), 0u);
  const json body = json::parse(posted[0].body);
  ASSERT_NE(find_block(body, "actions"), nullptr);
  EXPECT_FALSE(body.contains("channel"));

  ApprovalMessage m = sample_message();
  m.state = ApprovalState::Denied;
  m.decided_by = "U1";
  p = client.update(m, "", "", fake.base() + "/actions/T1/7/tok");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(json::parse(fake.requests("/actions/T1/7/tok").at(0).body)["replace_original"], true);

  p = client.update(m, "C1", "1700000000.000100", "");  // a ts is no use without a token
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("without a bot token only a callback's response_url can"), std::string::npos) << p.error;

  // A webhook error quotes Slack's text but not the URL's secret path.
  spec.webhook_url = fake.base() + "/services/T0/B0/archived-secret-path";
  p = SlackClient(spec, fast_retry()).post(sample_message());
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("HTTP 410"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("channel_is_archived"), std::string::npos) << p.error;
  EXPECT_EQ(p.error.find("archived-secret-path"), std::string::npos) << p.error;

  spec.webhook_url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/services/T0/B0/dead-secret-path";
  p = SlackClient(spec, fast_retry()).post(sample_message());
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error.find("dead-secret-path"), std::string::npos) << p.error;
}

TEST(SlackClient, GroupMembersAreReadWithTheTokenAndCachedFor60Seconds) {
  FakeSlack fake;
  ManualClock clock;
  SlackClient client(bot_spec(fake), fast_retry(), &clock);
  std::string error;
  auto members = client.group_members("S1", &error);
  ASSERT_TRUE(members.has_value()) << error;
  EXPECT_EQ(*members, (std::vector<std::string>{"U1", "U2", "W3"}));
  clock.advance(std::chrono::seconds(59));
  EXPECT_TRUE(client.group_members("S1", &error).has_value());
  EXPECT_EQ(fake.requests("/api/usergroups.users.list").size(), 1u);
  clock.advance(std::chrono::seconds(2));
  EXPECT_TRUE(client.group_members("S1", &error).has_value());
  const auto reqs = fake.requests("/api/usergroups.users.list");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].query.at("usergroup"), "S1");
  EXPECT_EQ(reqs[1].headers.at("authorization"), std::string("Bearer ") + kBotToken);

  EXPECT_FALSE(client.group_members("S404", &error).has_value());
  EXPECT_NE(error.find("refused: no_such_subteam"), std::string::npos) << error;
  SlackSpec hook;
  hook.webhook_url = fake.base() + "/services/T0/B0/webhook-secret-path";
  EXPECT_FALSE(SlackClient(hook).group_members("S1", &error).has_value());
  EXPECT_NE(error.find("needs a bot token"), std::string::npos) << error;
}

TEST(SlackClient, IsSafeToShareBetweenThreads) {
  FakeSlack fake;
  SlackClient client(bot_spec(fake), fast_retry());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        ok += client.post(sample_message()).ok ? 1 : 0;
        std::string e;
        ok += client.group_members("S1", &e).has_value() ? 1 : 0;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 36);
  EXPECT_EQ(fake.requests("/api/chat.postMessage").size(), 18u);
}

// The callback path end to end over HTTP: a route like the agent's /slack/interactions that
// verifies, then parses; headers arrive through a real server (lower-cased names).
TEST(SlackCallback, SignedClickIsAcceptedOnceAndEveryBadRequestRefusedOverHttp) {
  FakeSlack fake;
  ReplayGuard guard;
  std::mutex mu;
  std::vector<Interaction> clicks;
  fake.server().route("POST", "/slack/interactions", [&](const Request& r) {
    auto header = [&](const char* name) {
      const auto it = r.headers.find(name);
      return it == r.headers.end() ? std::string() : it->second;
    };
    const auto check = verify_request(kSecret, header("x-slack-request-timestamp"), header("x-slack-signature"), r.body,
                                      static_cast<std::int64_t>(std::time(nullptr)), &guard);
    if (!check.ok) return json_error(check.http_status, check.reason);
    std::string error;
    auto in = parse_interaction(r.body, &error);
    if (!in) return json_error(400, error);
    std::lock_guard lock(mu);
    clicks.push_back(*in);
    return Response{};
  });
  auto send = [&](const std::string& ts, const std::string& sig, const std::string& body) {
    actuators::HttpRequest req;
    req.method = "POST";
    req.url = fake.base() + "/slack/interactions";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    if (!ts.empty()) req.headers.push_back({"X-Slack-Request-Timestamp", ts});
    if (!sig.empty()) req.headers.push_back({"X-Slack-Signature", sig});
    req.body = body;
    actuators::HttpClient c;
    return c.send(req);
  };
  const std::string ts = std::to_string(std::time(nullptr));
  const std::string body = interaction_body("apr-7f3a", "opspilot_approve", 5);
  const std::string sig = sign_request(kSecret, ts, body);

  EXPECT_EQ(send(ts, sig, body).status, 200);
  const auto replay = send(ts, sig, body);
  EXPECT_EQ(replay.status, 401);
  EXPECT_NE(replay.body.find("replayed"), std::string::npos) << replay.body;
  EXPECT_EQ(send(ts, sig, body + "&extra=1").status, 401);
  EXPECT_EQ(send(ts, sign_request("another-secret", ts, body), body).status, 401);
  EXPECT_EQ(send("", sig, body).status, 400);
  EXPECT_EQ(send(ts, "", body).status, 400);
  const std::string old = std::to_string(std::time(nullptr) - 301);
  const auto expired = send(old, sign_request(kSecret, old, body), body);
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("s old; Slack requests are accepted for 300 s"), std::string::npos) << expired.body;
  // Signed correctly but not one of our buttons: authentic, yet refused in words.
  const std::string other = interaction_body("x", "some_other_button", 1);
  const auto unknown = send(ts, sign_request(kSecret, ts, other), other);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("not an opspilot button"), std::string::npos) << unknown.body;

  std::lock_guard lock(mu);
  ASSERT_EQ(clicks.size(), 1u);
  EXPECT_EQ(clicks[0].approval_id, "apr-7f3a");
  EXPECT_EQ(clicks[0].action, "approve");
  EXPECT_EQ(clicks[0].user_id, "U05");
}

}  // namespace
}  // namespace opspilot::agent::slack
