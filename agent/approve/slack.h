#pragma once
// The Slack side of approvals: the message a human approves from (Block Kit), posting and
// updating it (Web API with a bot token, or an incoming webhook), verifying Slack's signed
// interactive callbacks, and reading which button was pressed.
//
// The approval book, the `/slack/interactions` route and the reconcile loop live elsewhere; this
// module knows nothing about them. A callback is handled as:
//   verify_request(secret, headers..., raw body, now, &guard)  -> refuse with check.http_status
//   parse_interaction(raw body, &error)                          -> approval id, who, approve/deny
//   SlackClient::update(message with the new state, ...)         -> buttons replaced by the outcome
//
// The free functions are pure and safe from any thread; each class states its own thread-safety.
// Implemented in slack.cpp (signatures, callbacks), slack_message.cpp (Block Kit) and
// slack_client.cpp (HTTP), to keep each file small.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"
#include "agent/clock.h"
#include "agent/config/config.h"

namespace opspilot::agent::slack {

// ---------------------------------------------------------------------------------------------
// Request signatures (Slack's "v0" scheme: HMAC-SHA256 of "v0:{timestamp}:{raw body}").

/// How far a request's timestamp may be from the agent's clock, either way, as Slack recommends.
inline constexpr std::int64_t kSignatureWindowSeconds = 300;
/// The action_id of the buttons message_payload() builds; their value is the approval id.
inline constexpr std::string_view kApproveActionId = "opspilot_approve";
inline constexpr std::string_view kDenyActionId = "opspilot_deny";

/// Remembers the signatures of requests accepted within the signature window, so that a captured
/// request sent again is refused. An entry is forgotten once its timestamp has left the window
/// (the window check refuses such a request anyway), which bounds memory by the rate of genuine
/// callbacks; `capacity` bounds it absolutely. When full of unexpired entries the guard refuses
/// new requests rather than forget one (forgetting would reopen a replay); only correctly signed
/// requests are remembered, so only someone holding the signing secret can fill it.
/// Thread-safety: every member may be called from any thread at any time.
class ReplayGuard {
 public:
  enum class Outcome { Fresh, Replay, Full };

  explicit ReplayGuard(std::size_t capacity = 100'000,
                       std::int64_t window_seconds = kSignatureWindowSeconds);

  /// Records `signature` (of a request stamped `timestamp`) unless it was seen before. Expired
  /// entries (timestamp + window < now_unix) are dropped first.
  Outcome remember(std::string_view signature, std::int64_t timestamp, std::int64_t now_unix);
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  void prune_locked(std::int64_t now_unix);

  const std::size_t capacity_;
  const std::int64_t window_;
  mutable std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::set<std::pair<std::int64_t, std::string>> by_expiry_;  // (timestamp + window, signature)
};

/// Why verify_request() refused, as a bounded set (e.g. a metric label); see refusal_name().
enum class Refusal { None, NotConfigured, Malformed, Expired, Future, BadSignature, Replay, GuardFull, Internal };
/// "none", "not_configured", "malformed", "expired", "future", "bad_signature", "replay",
/// "guard_full", "internal".
std::string_view refusal_name(Refusal r);

/// The outcome of verify_request(). `reason` says what was wrong in words and quotes the
/// offending value (truncated, control characters replaced); it never contains the secret.
struct SignatureCheck {
  bool ok = false;
  int http_status = 200;  // 200 when ok; otherwise the status to answer with
  std::string reason;
  Refusal refusal = Refusal::None;
};

/// "v0=" + HMAC-SHA256(signing_secret, "v0:{timestamp}:{body}") in lowercase hex: what Slack
/// sends in X-Slack-Signature. For tests, benchmarks and anything that must sign like Slack.
std::string sign_request(std::string_view signing_secret, std::string_view timestamp,
                         std::string_view raw_body);

/// Verifies a callback from Slack. `timestamp_header` is X-Slack-Request-Timestamp and
/// `signature_header` X-Slack-Signature, as received (empty when absent); `raw_body` is the body
/// exactly as received, before any decoding. `guard` may be null (no replay protection).
///
/// Refuses, with the status:
///   500  the signing secret is empty (a configuration error, not the caller's);
///   400  a header is missing, the timestamp is not a whole number of seconds, the signature is
///        not "v0=" followed by 64 lowercase hex digits (wrong version, length or characters);
///   401  the timestamp is more than kSignatureWindowSeconds from `now_unix` (old or in the
///        future), the signature does not match, or the same signature was already accepted
///        (replay);
///   503  the replay guard is full;
///   500  libcrypto failed (internal).
/// The signature is compared in constant time; the replay guard is consulted only after the
/// signature matched, so forged requests cannot fill it.
SignatureCheck verify_request(std::string_view signing_secret, std::string_view timestamp_header,
                              std::string_view signature_header, std::string_view raw_body,
                              std::int64_t now_unix, ReplayGuard* guard);

// ---------------------------------------------------------------------------------------------
// Interaction callbacks (a button press).

/// Which button someone pressed on which approval message.
struct Interaction {
  std::string user_id;       // "U123ABC"
  std::string user_name;     // the Slack username (or name); may be empty
  std::string team_id;       // the workspace
  std::string action;        // "approve" | "deny"
  std::string approval_id;   // the button's value
  std::string response_url;  // where the message can be replaced for ~30 min; may be empty
  std::string channel_id;    // where the message is
  std::string message_ts;    // the message's ts (the key for chat.update)
};

/// Reads an interactive callback body: application/x-www-form-urlencoded with
/// `payload=<url-encoded JSON>` of type "block_actions" whose first action is one of our buttons.
/// Anything else (no payload field, JSON that does not parse, another payload type, an unknown
/// action_id, a missing user or approval id) gives nullopt and, if `error` is not null, a reason
/// in words. Never throws.
std::optional<Interaction> parse_interaction(std::string_view form_body, std::string* error);

// ---------------------------------------------------------------------------------------------
// The approval message.

enum class ApprovalState { Pending, Approved, Denied, Expired, Superseded };
/// "pending", "approved", "denied", "expired", "superseded".
std::string_view state_name(ApprovalState s);

/// A policy rule that asked for approval, and why.
struct ApprovalRule {
  std::string name;
  std::string reason;
};

/// Everything the approval message shows. Free text is escaped for Slack (&, <, >) and cut to
/// Slack's field limits when the message is built; invalid UTF-8 is replaced.
struct ApprovalMessage {
  std::string approval_id;
  std::string target;      // the workload: "web-frontend"
  std::string namespace_;  // "prod"
  std::string action;      // scale | restart | rollback
  int from_replicas = 0;
  int to_replicas = 0;
  std::string why;         // the planner's reason
  std::string forecast;    // one line: "p95 forecast 1,840 rps in 10 min (±12%)"; may be empty
  std::vector<ApprovalRule> rules;
  double confidence = -1;  // 0..1; negative when unknown (then not shown)
  std::int64_t expires_at = 0;  // unix seconds; 0 = not shown
  std::string approvers;        // who may approve, in words: "@sre-oncall"

  ApprovalState state = ApprovalState::Pending;
  std::string decided_by;       // a Slack user id ("U123") is shown as a mention
  std::int64_t decided_at = 0;  // unix seconds
  std::string note;             // e.g. why it was superseded
};

/// Escapes Slack's mrkdwn control characters: & -> &amp;, < -> &lt;, > -> &gt;.
std::string escape_mrkdwn(std::string_view text);

/// The chat.postMessage / webhook body: {"text": fallback, "blocks": [...]}. While pending, an
/// actions block carries Approve (primary) and Deny (danger) buttons whose value is the approval
/// id; otherwise no buttons, and a line says who decided and when (or that it expired or was
/// superseded). Every string in it is valid UTF-8.
nlohmann::json message_payload(const ApprovalMessage& m);

// ---------------------------------------------------------------------------------------------
// Posting and updating.

/// The result of posting or updating a message. `ts` is empty in webhook mode (Slack does not
/// return one). `error` says what failed and quotes Slack's error code; it never contains the bot
/// token or a webhook URL's secret path.
struct Posted {
  bool ok = false;
  std::string channel;
  std::string ts;
  std::string error;
};

/// Talks to Slack as `SlackSpec` says: with a bot token through the Web API at `api_url`
/// (chat.postMessage, chat.update, usergroups.users.list), otherwise through the incoming webhook.
/// 429 and 5xx answers and transport errors are retried per `retry`, honouring Retry-After (capped
/// by retry.cap). A retried chat.postMessage whose first try did reach Slack may post twice; both
/// messages carry the same approval id, so either button decides the same approval.
/// Thread-safety: every member may be called from any thread at any time (each call uses its own
/// HTTP client; the user-group cache is behind a mutex).
class SlackClient {
 public:
  /// `clock` (for the user-group cache) defaults to the system clock; if given it must outlive
  /// the client.
  explicit SlackClient(SlackSpec spec, actuators::RetryPolicy retry = {}, const Clock* clock = nullptr);
  ~SlackClient();
  SlackClient(const SlackClient&) = delete;
  SlackClient& operator=(const SlackClient&) = delete;

  /// Posts a new approval message to the configured channel (bot token) or webhook.
  Posted post(const ApprovalMessage& m);
  /// Replaces a posted message: chat.update when there is a bot token and a `ts` (`channel`
  /// defaults to the configured one); otherwise POST `response_url` with replace_original; with
  /// neither, fails and says why.
  Posted update(const ApprovalMessage& m, const std::string& channel, const std::string& ts,
                const std::string& response_url);
  /// The user ids in a user group (usergroups.users.list), cached for 60 s per group. Needs a
  /// bot token. On failure returns nullopt and, if `error` is not null, says why.
  std::optional<std::vector<std::string>> group_members(const std::string& group_id, std::string* error);

  static constexpr std::int64_t kGroupCacheSeconds = 60;

 private:
  Posted call_api(const std::string& method, const nlohmann::json& body);
  Posted post_json_url(const std::string& url, const std::string& what, const nlohmann::json& body);
  actuators::HttpResponse send(actuators::HttpRequest req, int* attempts);
  std::string scrub(std::string text, std::string_view extra_secret_url = {}) const;

  struct CachedGroup {
    std::int64_t fetched_at_ms = 0;
    std::vector<std::string> members;
  };

  const SlackSpec spec_;
  const actuators::RetryPolicy retry_;
  std::unique_ptr<Clock> own_clock_;
  const Clock* clock_;
  std::mutex cache_mu_;
  std::map<std::string, CachedGroup> groups_;
};

}  // namespace opspilot::agent::slack
