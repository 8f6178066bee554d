// Slack approvals without the network: HMAC known answers, request signatures (Slack's documented
// example, then a corpus of forged, tampered, replayed, expired, future and malformed requests),
// the replay guard, interaction parsing and the Block Kit message. SlackClient against a real
// HTTP server is in slack_client_test.cpp.
#include "agent/approve/slack.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "actuators/common/hmac.h"
#include "tests/slack_test_support.h"

namespace opspilot::agent::slack {
namespace {

using nlohmann::json;
using namespace slack_test;

// ------------------------------------------------------------------------------------- HMAC

TEST(Hmac, MatchesRfc4231KnownAnswersAndComparesInConstantTime) {
  // RFC 4231 test cases 1 and 2, HMAC-SHA-256.
  EXPECT_EQ(actuators::hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(actuators::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Empty key and message (checked against Python's hmac module).
  EXPECT_EQ(actuators::hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // A key longer than the block size is hashed first (RFC 4231 case 6).
  EXPECT_EQ(actuators::hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

  EXPECT_TRUE(actuators::constant_time_equal("", ""));
  EXPECT_TRUE(actuators::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(actuators::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(actuators::constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(actuators::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

// ------------------------------------------------------------------------------------- signatures

// The worked example on Slack's "Verifying requests from Slack" page.
constexpr const char* kDocSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* kDocTimestamp = "1531420618";
constexpr const char* kDocBody =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
    "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
    "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
constexpr const char* kDocSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

TEST(SlackSignature, SlacksDocumentedExampleVerifies) {
  EXPECT_EQ(sign_request(kDocSecret, kDocTimestamp, kDocBody), kDocSignature);
  ReplayGuard guard;
  const auto check = verify_request(kDocSecret, kDocTimestamp, kDocSignature, kDocBody, 1531420618 + 42, &guard);
  EXPECT_TRUE(check.ok) << check.reason;
  EXPECT_EQ(check.http_status, 200);
  // One changed byte in the body, the timestamp, the secret or the signature: refused.
  std::string body = kDocBody;
  body[body.find("roadrunner")] = 'R';
  EXPECT_EQ(verify_request(kDocSecret, kDocTimestamp, kDocSignature, body, 1531420618, nullptr).http_status, 401);
  EXPECT_EQ(verify_request(kDocSecret, "1531420619", kDocSignature, kDocBody, 1531420618, nullptr).http_status, 401);
  EXPECT_EQ(verify_request("8f742231b10e8888abcd99yyyzzz85a6", kDocTimestamp, kDocSignature, kDocBody, 1531420618, nullptr)
                .http_status,
            401);
}

TEST(SlackSignature, ReasonsSayWhatWasWrongAndQuoteTheValue) {
  const std::string body = "payload=%7B%7D";
  const auto sig = sign_request(kSecret, "1700000000", body);
  auto old = verify_request(kSecret, "1700000000", sig, body, 1700000412, nullptr);
  EXPECT_EQ(old.http_status, 401);
  EXPECT_EQ(old.reason, "request timestamp 1700000000 is 412 s old; Slack requests are accepted for 300 s");
  auto future = verify_request(kSecret, "1700000000", sig, body, 1700000000 - 301, nullptr);
  EXPECT_EQ(future.http_status, 401);
  EXPECT_NE(future.reason.find("is 301 s in the future"), std::string::npos) << future.reason;

  auto no_secret = verify_request("", "1700000000", sig, body, 1700000000, nullptr);
  EXPECT_EQ(no_secret.http_status, 500);
  EXPECT_EQ(no_secret.refusal, Refusal::NotConfigured);
  EXPECT_NE(no_secret.reason.find("signing secret is not configured"), std::string::npos) << no_secret.reason;

  auto nan = verify_request(kSecret, "17000o0000", sig, body, 1700000000, nullptr);
  EXPECT_EQ(nan.http_status, 400);
  EXPECT_NE(nan.reason.find("\"17000o0000\" is not a whole number of seconds"), std::string::npos) << nan.reason;

  auto v1 = verify_request(kSecret, "1700000000", "v1=" + sig.substr(3), body, 1700000000, nullptr);
  EXPECT_EQ(v1.http_status, 400);
  EXPECT_NE(v1.reason.find("does not start with \"v0=\""), std::string::npos) << v1.reason;

  auto short_sig = verify_request(kSecret, "1700000000", sig.substr(0, 40), body, 1700000000, nullptr);
  EXPECT_NE(short_sig.reason.find("37 characters after \"v0=\"; expected 64"), std::string::npos) << short_sig.reason;

  std::string bad_hex = sig;
  bad_hex[10] = 'g';
  auto hex = verify_request(kSecret, "1700000000", bad_hex, body, 1700000000, nullptr);
  EXPECT_NE(hex.reason.find("\"g\" at position 10"), std::string::npos) << hex.reason;

  auto missing = verify_request(kSecret, "", sig, body, 1700000000, nullptr);
  EXPECT_EQ(missing.http_status, 400);
  EXPECT_NE(missing.reason.find("missing X-Slack-Request-Timestamp"), std::string::npos);

  // Control characters in an attacker's header never reach the reason.
  auto ctl = verify_request(kSecret, "17\x1b[31m", sig, body, 1700000000, nullptr);
  EXPECT_EQ(ctl.reason.find('\x1b'), std::string::npos);
  // The secret never appears in any reason.
  for (const auto& c : {old, future, nan, v1, short_sig, hex, missing, ctl})
    EXPECT_EQ(c.reason.find(kSecret), std::string::npos);
}

TEST(SlackSignature, TheWindowIs300SecondsEitherWayInclusive) {
  const std::string body = "payload=x";
  const auto sig = sign_request(kSecret, "1700000000", body);
  EXPECT_TRUE(verify_request(kSecret, "1700000000", sig, body, 1700000300, nullptr).ok);
  EXPECT_TRUE(verify_request(kSecret, "1700000000", sig, body, 1699999700, nullptr).ok);
  EXPECT_FALSE(verify_request(kSecret, "1700000000", sig, body, 1700000301, nullptr).ok);
  EXPECT_FALSE(verify_request(kSecret, "1700000000", sig, body, 1699999699, nullptr).ok);
}

struct Signed {
  std::string timestamp, signature, body;
};

// Every kind of bad request Slack callbacks must survive, generated around valid requests that
// must all pass.
TEST(SlackSignature, RefusesEveryForgedTamperedReplayedExpiredFutureAndMalformedRequest) {
  const std::int64_t now = 1700000000;
  std::mt19937 rng(7);
  std::vector<Signed> valid;
  for (int i = 0; i < 200; ++i) {
    const std::string ts = std::to_string(now - static_cast<int>(rng() % 290));
    const std::string body = interaction_body("apr-" + std::to_string(i), i % 2 ? "opspilot_deny" : "opspilot_approve", i);
    valid.push_back({ts, sign_request(kSecret, ts, body), body});
  }
  std::vector<std::pair<std::string, Signed>> attacks;  // (kind, request)
  for (int i = 0; i < 200; ++i) {
    const Signed& v = valid[static_cast<std::size_t>(i)];
    attacks.push_back({"forged", {v.timestamp, sign_request("wrong-secret-" + std::to_string(i), v.timestamp, v.body), v.body}});
    Signed tb = v;
    tb.body[tb.body.size() / 2 + static_cast<std::size_t>(i % 7)] ^= 0x01;
    attacks.push_back({"tampered-body", tb});
    attacks.push_back({"tampered-body", {v.timestamp, v.signature, v.body + "&x=1"}});
    attacks.push_back({"tampered-timestamp", {std::to_string(std::stoll(v.timestamp) + 1 + i % 5), v.signature, v.body}});
    const std::string old_ts = std::to_string(now - 301 - i * 17);
    attacks.push_back({"expired", {old_ts, sign_request(kSecret, old_ts, v.body), v.body}});
    const std::string new_ts = std::to_string(now + 301 + i * 13);
    attacks.push_back({"future", {new_ts, sign_request(kSecret, new_ts, v.body), v.body}});
    attacks.push_back({"malformed", {v.timestamp, "", v.body}});
    attacks.push_back({"malformed", {"", v.signature, v.body}});
    attacks.push_back({"malformed", {v.timestamp, "v1=" + v.signature.substr(3), v.body}});
    std::string nonhex = v.signature;
    nonhex[3 + static_cast<std::size_t>(i % 64)] = "zGx-"[i % 4];
    attacks.push_back({"malformed", {v.timestamp, nonhex, v.body}});
    attacks.push_back({"malformed", {v.timestamp, v.signature.substr(0, 3 + static_cast<std::size_t>(i % 64)), v.body}});
    attacks.push_back({"malformed", {v.timestamp, v.signature + "0", v.body}});
    attacks.push_back({"malformed", {v.timestamp + "a", v.signature, v.body}});
    attacks.push_back({"malformed", {"-" + v.timestamp, v.signature, v.body}});
    attacks.push_back({"replayed", v});  // sent after the original was accepted
  }

  ReplayGuard guard;
  int valid_refused = 0;
  for (const auto& v : valid) {
    const auto c = verify_request(kSecret, v.timestamp, v.signature, v.body, now, &guard);
    if (!c.ok) {
      ++valid_refused;
      ADD_FAILURE() << "valid request refused: " << c.reason;
    }
  }
  std::map<std::string, std::pair<int, int>> by_kind;  // kind -> (sent, refused)
  int refused = 0;
  for (const auto& [kind, a] : attacks) {
    const auto c = verify_request(kSecret, a.timestamp, a.signature, a.body, now, &guard);
    ++by_kind[kind].first;
    if (!c.ok) {
      ++refused;
      ++by_kind[kind].second;
      EXPECT_TRUE(c.http_status == 400 || c.http_status == 401) << kind << ": " << c.http_status;
      EXPECT_EQ(c.http_status, kind == "malformed" ? 400 : 401) << kind << ": " << c.reason;
      const std::map<std::string, Refusal> expected = {
          {"forged", Refusal::BadSignature},         {"tampered-body", Refusal::BadSignature},
          {"tampered-timestamp", Refusal::BadSignature}, {"expired", Refusal::Expired},
          {"future", Refusal::Future},               {"malformed", Refusal::Malformed},
          {"replayed", Refusal::Replay}};
      EXPECT_EQ(refusal_name(c.refusal), refusal_name(expected.at(kind))) << kind << ": " << c.reason;
      if (kind == "replayed") {
        EXPECT_NE(c.reason.find("replayed"), std::string::npos) << c.reason;
      }
    } else {
      ADD_FAILURE() << kind << " request accepted: ts=" << a.timestamp << " sig=" << a.signature;
    }
  }
  for (const auto& [kind, counts] : by_kind)
    std::printf("  %-20s %4d sent, %4d refused\n", kind.c_str(), counts.first, counts.second);
  std::printf("  attacks refused: %d / %zu (%.1f %%); valid refused: %d / %zu\n", refused, attacks.size(),
              100.0 * refused / static_cast<double>(attacks.size()), valid_refused, valid.size());
  EXPECT_GE(attacks.size(), 2000u);
  EXPECT_EQ(refused, static_cast<int>(attacks.size()));
  EXPECT_EQ(valid_refused, 0);
  EXPECT_EQ(guard.size(), valid.size());  // only accepted signatures are remembered
}

TEST(ReplayGuard, ForgetsSignaturesThatLeftTheWindowAndIsBounded) {
  ReplayGuard guard(3, 300);
  EXPECT_EQ(guard.remember("a", 1000, 1000), ReplayGuard::Outcome::Fresh);
  EXPECT_EQ(guard.remember("b", 1100, 1100), ReplayGuard::Outcome::Fresh);
  EXPECT_EQ(guard.remember("c", 1200, 1200), ReplayGuard::Outcome::Fresh);
  EXPECT_EQ(guard.remember("a", 1000, 1200), ReplayGuard::Outcome::Replay);
  EXPECT_EQ(guard.remember("d", 1200, 1200), ReplayGuard::Outcome::Full);
  EXPECT_EQ(guard.size(), 3u);
  // At 1301 "a" (stamped 1000) is out of the window, so the guard forgets it and has room.
  EXPECT_EQ(guard.remember("d", 1300, 1301), ReplayGuard::Outcome::Fresh);
  EXPECT_EQ(guard.size(), 3u);
  EXPECT_EQ(guard.remember("b", 1100, 1399), ReplayGuard::Outcome::Replay);

  // Through verify_request: a full guard is a 503 that says so, and a valid request is not lost.
  ReplayGuard tiny(1);
  const std::string b1 = "payload=1", b2 = "payload=2";
  EXPECT_TRUE(verify_request(kSecret, "1700000000", sign_request(kSecret, "1700000000", b1), b1, 1700000000, &tiny).ok);
  const auto full = verify_request(kSecret, "1700000000", sign_request(kSecret, "1700000000", b2), b2, 1700000000, &tiny);
  EXPECT_EQ(full.http_status, 503);
  EXPECT_EQ(full.refusal, Refusal::GuardFull);
  EXPECT_NE(full.reason.find("replay guard is full"), std::string::npos);
}

TEST(ReplayGuard, ConcurrentCopiesOfOneRequestAreAcceptedExactlyOnce) {
  ReplayGuard guard;
  const std::string body = interaction_body("apr-1", "opspilot_approve", 1);
  const std::string sig = sign_request(kSecret, "1700000000", body);
  std::atomic<int> accepted{0}, replays{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto c = verify_request(kSecret, "1700000000", sig, body, 1700000000, &guard);
        (c.ok ? accepted : replays)++;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(replays.load(), 399);
}

// ------------------------------------------------------------------------------------- interactions

TEST(SlackInteraction, ReadsWhoPressedWhichButtonOnWhichApproval) {
  std::string error;
  auto in = parse_interaction(interaction_body("apr-7f3a", "opspilot_approve", 42), &error);
  ASSERT_TRUE(in.has_value()) << error;
  EXPECT_EQ(in->action, "approve");
  EXPECT_EQ(in->approval_id, "apr-7f3a");
  EXPECT_EQ(in->user_id, "U042");
  EXPECT_EQ(in->user_name, "alice");
  EXPECT_EQ(in->team_id, "T1");
  EXPECT_EQ(in->channel_id, "C1");
  EXPECT_EQ(in->message_ts, "1700000000.000100");
  EXPECT_EQ(in->response_url, "https://hooks.slack.com/actions/T1/1/abc");

  auto deny = parse_interaction("token=x&payload=" + interaction_body("apr-2", "opspilot_deny", 1).substr(8) + "&z=1", &error);
  ASSERT_TRUE(deny.has_value()) << error;
  EXPECT_EQ(deny->action, "deny");
  EXPECT_EQ(deny->approval_id, "apr-2");

  // '+' is a space in form encoding; fields may come from container/message/user fallbacks.
  const std::string p = R"({"type":"block_actions","user":{"id":"U9","name":"bob+smith","team_id":"T7"},)"
                        R"("container":{"channel_id":"C9"},"message":{"ts":"5.5"},)"
                        R"("actions":[{"action_id":"opspilot_deny","value":"apr 3"}]})";
  std::string form = "payload=" + actuators::HttpClient::url_encode(p);
  auto alt = parse_interaction(form, &error);
  ASSERT_TRUE(alt.has_value()) << error;
  EXPECT_EQ(alt->user_name, "bob+smith");
  EXPECT_EQ(alt->team_id, "T7");
  EXPECT_EQ(alt->channel_id, "C9");
  EXPECT_EQ(alt->message_ts, "5.5");
  EXPECT_EQ(alt->approval_id, "apr 3");
  EXPECT_TRUE(parse_interaction("payload=" + p.substr(0, 0) + "%7B%22type%22:%22block_actions%22,%22user%22:%7B%22id%22:"
                                "%22U1%22%7D,%22actions%22:%5B%7B%22action_id%22:%22opspilot_approve%22,%22value%22:"
                                "%22a+b%22%7D%5D%7D", &error)
                  .has_value());
}

TEST(SlackInteraction, RefusesAnythingElseInWords) {
  auto reason = [](const std::string& body) {
    std::string error;
    EXPECT_FALSE(parse_interaction(body, &error).has_value()) << body;
    return error;
  };
  auto form = [](const json& p) { return "payload=" + actuators::HttpClient::url_encode(p.dump()); };
  EXPECT_NE(reason("").find("no \"payload\" field"), std::string::npos);
  EXPECT_NE(reason("token=abc&text=hi").find("no \"payload\" field"), std::string::npos);
  EXPECT_NE(reason("payload=%7Bnot-json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(reason("payload=%7").find("percent-encoding"), std::string::npos);
  EXPECT_NE(reason("payload=%zz").find("percent-encoding"), std::string::npos);
  EXPECT_NE(reason(form(json::array())).find("not an object"), std::string::npos);
  EXPECT_NE(reason(form({{"type", "view_submission"}})).find("\"view_submission\" is not handled"), std::string::npos);
  EXPECT_NE(reason(form({{"type", "block_actions"}})).find("has no actions"), std::string::npos);
  EXPECT_NE(reason(form({{"type", "block_actions"}, {"actions", {{{"action_id", "launch_rockets"}, {"value", "x"}}}}}))
                .find("action_id \"launch_rockets\" is not an opspilot button"),
            std::string::npos);
  EXPECT_NE(reason(form({{"type", "block_actions"}, {"user", {{"id", "U1"}}}, {"actions", {{{"action_id", "opspilot_approve"}}}}}))
                .find("carries no approval id"),
            std::string::npos);
  EXPECT_NE(reason(form({{"type", "block_actions"}, {"actions", {{{"action_id", "opspilot_approve"}, {"value", "a"}}}}}))
                .find("names no user"),
            std::string::npos);
  // Fields of the wrong type are treated as missing, not thrown on.
  EXPECT_NE(reason(form({{"type", 7}, {"actions", 3}})).find("is not handled"), std::string::npos);
  EXPECT_NE(reason(form({{"type", "block_actions"}, {"user", "U1"}, {"actions", {{{"action_id", "opspilot_deny"}, {"value", 5}}}}}))
                .find("carries no approval id"),
            std::string::npos);
}

TEST(SlackInteraction, GarbageNeverThrows) {
  std::mt19937 rng(11);
  const std::string alphabet = "payload=%7B%7D%5B%5D%22:,&+abc\\u0000\xff\xfe{}[]\"0123456789";
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = i % 3 == 0 ? "payload=" : "";
    const std::size_t len = rng() % 200;
    for (std::size_t k = 0; k < len; ++k) body.push_back(alphabet[rng() % alphabet.size()]);
    std::string error;
    std::optional<Interaction> in;
    EXPECT_NO_THROW(in = parse_interaction(body, &error));
    if (!in) {
      ++refused;
      EXPECT_FALSE(error.empty());
    }
  }
  EXPECT_GT(refused, 2900);
  // Deep nesting, a huge payload, embedded NULs.
  std::string deep = "payload=" + std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NO_THROW(parse_interaction(deep, nullptr));
  EXPECT_NO_THROW(parse_interaction(std::string("payload=\0\0\0", 11), nullptr));
  EXPECT_NO_THROW(parse_interaction("payload=" + std::string(1 << 20, 'a'), nullptr));
}

// ------------------------------------------------------------------------------------- message

TEST(SlackMessage, PendingShowsWhatWhyForecastRulesAndTheTwoButtons) {
  const json p = message_payload(sample_message());
  const std::string all = p.dump();
  ASSERT_TRUE(p.contains("text"));
  EXPECT_NE(p["text"].get<std::string>().find("scale `prod/web-frontend` from 6 to 14 replicas"), std::string::npos) << p["text"];
  const json* header = find_block(p, "header");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ((*header)["text"]["type"], "plain_text");
  EXPECT_EQ((*header)["text"]["text"], "Approval needed: scale prod/web-frontend from 6 to 14 replicas");
  EXPECT_NE(all.find("*Why:* forecast p95 load 1840 rps"), std::string::npos);
  EXPECT_NE(all.find("*Forecast:* 1840 rps in 10 min (95% interval 1610-2070)"), std::string::npos);
  EXPECT_NE(all.find("`large-step-needs-approval`"), std::string::npos);
  EXPECT_NE(all.find("step of +8 replicas exceeds 4"), std::string::npos);
  EXPECT_NE(all.find("`business-hours-prod`"), std::string::npos);
  EXPECT_NE(all.find("Confidence *82%*"), std::string::npos);
  EXPECT_NE(all.find("<!date^1700001800^{date_short_pretty} {time}|2023-11-14T22:43:20Z>"), std::string::npos) << all;
  EXPECT_NE(all.find("Approvers: @sre-oncall"), std::string::npos);

  const json* actions = find_block(p, "actions");
  ASSERT_NE(actions, nullptr);
  ASSERT_EQ((*actions)["elements"].size(), 2u);
  const json& approve = (*actions)["elements"][0];
  const json& deny = (*actions)["elements"][1];
  EXPECT_EQ(approve["type"], "button");
  EXPECT_EQ(approve["text"]["text"], "Approve");
  EXPECT_EQ(approve["style"], "primary");
  EXPECT_EQ(approve["action_id"], "opspilot_approve");
  EXPECT_EQ(approve["value"], "apr-7f3a");
  EXPECT_EQ(deny["text"]["text"], "Deny");
  EXPECT_EQ(deny["style"], "danger");
  EXPECT_EQ(deny["action_id"], "opspilot_deny");
  EXPECT_EQ(deny["value"], "apr-7f3a");
}

TEST(SlackMessage, DecidedMessagesHaveNoButtonsAndSayWhoAndWhen) {
  ApprovalMessage m = sample_message();
  m.state = ApprovalState::Approved;
  m.decided_by = "U024BE7LH";
  m.decided_at = 1700000100;
  json p = message_payload(m);
  EXPECT_EQ(find_block(p, "actions"), nullptr);
  EXPECT_EQ((*find_block(p, "header"))["text"]["text"], "Approved: scale prod/web-frontend from 6 to 14 replicas");
  std::string all = p.dump();
  EXPECT_NE(all.find(":white_check_mark: *Approved* by <@U024BE7LH> at <!date^1700000100^"), std::string::npos) << all;
  EXPECT_EQ(all.find("Expires"), std::string::npos);

  m.state = ApprovalState::Denied;
  m.decided_by = "carol <ops>";
  m.note = "not during the sale";
  all = message_payload(m).dump();
  EXPECT_NE(all.find(":no_entry: *Denied* by carol &lt;ops&gt; at"), std::string::npos) << all;
  EXPECT_NE(all.find(">not during the sale"), std::string::npos);

  m = sample_message();
  m.state = ApprovalState::Expired;
  all = message_payload(m).dump();
  EXPECT_NE(all.find(":hourglass: *Expired* at <!date^1700001800^"), std::string::npos) << all;
  EXPECT_EQ(all.find("opspilot_approve"), std::string::npos);

  m.state = ApprovalState::Superseded;
  m.note = "a newer proposal (apr-8000) replaced it";
  all = message_payload(m).dump();
  EXPECT_NE(all.find(":arrows_counterclockwise: *Superseded*"), std::string::npos);
  EXPECT_NE(all.find("a newer proposal (apr-8000) replaced it"), std::string::npos);
  EXPECT_EQ(state_name(ApprovalState::Superseded), "superseded");

  m = sample_message();
  m.action = "restart";
  m.to_replicas = m.from_replicas;
  EXPECT_EQ((*find_block(message_payload(m), "header"))["text"]["text"], "Approval needed: restart prod/web-frontend (6 replicas)");
}

TEST(SlackMessage, EscapesControlCharactersCutsToSlacksLimitsAndSurvivesBadUtf8) {
  EXPECT_EQ(escape_mrkdwn("a & b <!channel> c>d"), "a &amp; b &lt;!channel&gt; c&gt;d");
  ApprovalMessage m = sample_message();
  m.why = "load spike <!channel> & <https://evil.example|click me>";
  m.rules = {{"r<1>", "x & y"}};
  m.approvers = "<!here>";
  json p = message_payload(m);
  std::string all = p.dump();
  EXPECT_EQ(all.find("<!channel>"), std::string::npos);
  EXPECT_EQ(all.find("<!here>"), std::string::npos);
  EXPECT_EQ(all.find("<https://evil"), std::string::npos);
  EXPECT_NE(all.find("load spike &lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt;"), std::string::npos);
  EXPECT_NE(all.find("`r&lt;1&gt;` \xE2\x80\x94 x &amp; y"), std::string::npos);

  // Oversized free text is cut (never inside an entity or a UTF-8 character), 40 rules shown as 10.
  m.why = std::string(5000, '&') + "tail";
  m.forecast = std::string(2000, '\xC3') ;  // invalid UTF-8 (lead bytes only)
  m.target = std::string(400, 'x') + "\xE2\x82";  // truncated character
  m.rules.clear();
  for (int i = 0; i < 40; ++i) m.rules.push_back({"rule-" + std::to_string(i), std::string(500, '<')});
  p = message_payload(m);
  std::string dumped;
  ASSERT_NO_THROW(dumped = p.dump());  // would throw on invalid UTF-8
  EXPECT_LE((*find_block(p, "header"))["text"]["text"].get<std::string>().size(), 150u);
  int sections = 0;
  for (const auto& b : p["blocks"]) {
    if (b["type"] != "section") continue;
    ++sections;
    const std::string t = b["text"]["text"];
    EXPECT_LE(t.size(), 3000u);
    const auto last_amp = t.rfind('&');
    if (last_amp != std::string::npos) {
      EXPECT_NE(t.find(';', last_amp), std::string::npos) << "cut inside an entity";
    }
  }
  EXPECT_GE(sections, 2);
  EXPECT_NE(dumped.find("and 30 more"), std::string::npos);
  EXPECT_LE(p["text"].get<std::string>().size(), 1000u);
}

TEST(SlackMessage, ApproverMentionsStayMentionsButBroadcastsAreEscaped) {
  ApprovalMessage m = sample_message();
  m.approvers = "<@U024BE7LH>, <!subteam^S0614TZR7|@sre>, <!channel>, <@bogus>, a<b";
  const std::string all = message_payload(m).dump();
  EXPECT_NE(all.find("Approvers: <@U024BE7LH>, <!subteam^S0614TZR7|@sre>, &lt;!channel&gt;, &lt;@bogus&gt;, a&lt;b"),
            std::string::npos)
      << all;
}

}  // namespace
}  // namespace opspilot::agent::slack
