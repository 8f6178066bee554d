#include "agent/approve/slack.h"

#include <algorithm>
#include <exception>

#include "actuators/common/hmac.h"
#include "agent/server/http_server.h"

namespace opspilot::agent::slack {
namespace {

using nlohmann::json;

// An attacker-supplied value, fit for a log line: quoted, at most 48 bytes, and only printable
// ASCII (anything else becomes '?', so a reason can never carry escape sequences or bad UTF-8).
std::string shown(std::string_view v) {
  constexpr std::size_t kMax = 48;
  std::string out = "\"";
  for (std::size_t i = 0; i < v.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  out += v.size() > kMax ? "...\"" : "\"";
  return out;
}

SignatureCheck refuse(Refusal why, int status, std::string reason) {
  return {false, status, std::move(reason), why};
}

// Slack sends whole seconds; anything else (sign, spaces, exponent, 16+ digits) is malformed.
std::optional<std::int64_t> parse_unix_seconds(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

// ----------------------------------------------------------------------------- ReplayGuard

ReplayGuard::ReplayGuard(std::size_t capacity, std::int64_t window_seconds)
    : capacity_(std::max<std::size_t>(1, capacity)), window_(window_seconds) {}

void ReplayGuard::prune_locked(std::int64_t now_unix) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now_unix) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

ReplayGuard::Outcome ReplayGuard::remember(std::string_view signature, std::int64_t timestamp,
                                           std::int64_t now_unix) {
  std::lock_guard lock(mu_);
  prune_locked(now_unix);
  std::string key(signature);
  if (seen_.count(key) != 0) return Outcome::Replay;
  if (seen_.size() >= capacity_) return Outcome::Full;
  by_expiry_.emplace(timestamp + window_, key);
  seen_.insert(std::move(key));
  return Outcome::Fresh;
}

std::size_t ReplayGuard::size() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

// ----------------------------------------------------------------------------- verify_request

std::string_view refusal_name(Refusal r) {
  switch (r) {
    case Refusal::None: return "none";
    case Refusal::NotConfigured: return "not_configured";
    case Refusal::Malformed: return "malformed";
    case Refusal::Expired: return "expired";
    case Refusal::Future: return "future";
    case Refusal::BadSignature: return "bad_signature";
    case Refusal::Replay: return "replay";
    case Refusal::GuardFull: return "guard_full";
    case Refusal::Internal: return "internal";
  }
  return "unknown";
}

std::string sign_request(std::string_view signing_secret, std::string_view timestamp,
                         std::string_view raw_body) {
  std::string base;
  base.reserve(timestamp.size() + raw_body.size() + 4);
  base.append("v0:").append(timestamp).append(":").append(raw_body);
  return "v0=" + actuators::hmac_sha256_hex(signing_secret, base);
}

SignatureCheck verify_request(std::string_view signing_secret, std::string_view timestamp_header,
                              std::string_view signature_header, std::string_view raw_body,
                              std::int64_t now_unix, ReplayGuard* guard) {
  if (signing_secret.empty())
    return refuse(Refusal::NotConfigured, 500,
                  "the Slack signing secret is not configured (approvals.slack.signing_secret); every "
                  "callback is refused until it is");
  if (timestamp_header.empty())
    return refuse(Refusal::Malformed, 400, "missing X-Slack-Request-Timestamp header; Slack stamps every request it signs");
  if (signature_header.empty())
    return refuse(Refusal::Malformed, 400, "missing X-Slack-Signature header; Slack signs every request it sends");
  const auto ts = parse_unix_seconds(timestamp_header);
  if (!ts)
    return refuse(Refusal::Malformed, 400, "X-Slack-Request-Timestamp " + shown(timestamp_header) +
                           " is not a whole number of seconds since the Unix epoch");
  if (signature_header.substr(0, 3) != "v0=")
    return refuse(Refusal::Malformed, 400, "X-Slack-Signature " + shown(signature_header.substr(0, 8)) +
                           " does not start with \"v0=\"; only Slack's v0 signature scheme is accepted");
  const std::string_view hex = signature_header.substr(3);
  if (hex.size() != 64)
    return refuse(Refusal::Malformed, 400, "X-Slack-Signature has " + std::to_string(hex.size()) +
                           " characters after \"v0=\"; expected 64 hex digits (HMAC-SHA256)");
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return refuse(Refusal::Malformed, 400, "X-Slack-Signature has " + shown(std::string_view(&hex[i], 1)) +
                             " at position " + std::to_string(i + 3) + "; expected lowercase hex digits");
  }
  // The window is checked before the HMAC: it is cheaper, and a stale request is refused whatever
  // its signature.
  const std::int64_t age = now_unix - *ts;
  if (age > kSignatureWindowSeconds)
    return refuse(Refusal::Expired, 401, "request timestamp " + std::to_string(*ts) + " is " + std::to_string(age) +
                           " s old; Slack requests are accepted for " +
                           std::to_string(kSignatureWindowSeconds) + " s");
  if (-age > kSignatureWindowSeconds)
    return refuse(Refusal::Future, 401, "request timestamp " + std::to_string(*ts) + " is " + std::to_string(-age) +
                           " s in the future; Slack requests are accepted within " +
                           std::to_string(kSignatureWindowSeconds) +
                           " s of the agent's clock (is one of the clocks wrong?)");

  std::string base;
  base.reserve(timestamp_header.size() + raw_body.size() + 4);
  base.append("v0:").append(timestamp_header).append(":").append(raw_body);
  const std::string expected = actuators::hmac_sha256_hex(signing_secret, base);
  if (expected.empty()) return refuse(Refusal::Internal, 500, "HMAC-SHA256 could not be computed (libcrypto failed)");
  if (!actuators::constant_time_equal(hex, expected))
    return refuse(Refusal::BadSignature, 401, "X-Slack-Signature does not match the body and timestamp (signed with another "
                       "secret, or changed after signing)");

  if (guard != nullptr) {
    switch (guard->remember(hex, *ts, now_unix)) {
      case ReplayGuard::Outcome::Fresh:
        break;
      case ReplayGuard::Outcome::Replay:
        return refuse(Refusal::Replay, 401, "request replayed: a request with this signature (timestamp " +
                               std::to_string(*ts) + ") was already accepted; Slack sends each callback once");
      case ReplayGuard::Outcome::Full:
        return refuse(Refusal::GuardFull, 503, "replay guard is full (" + std::to_string(guard->capacity()) +
                               " signatures within the last " + std::to_string(kSignatureWindowSeconds) +
                               " s); refusing rather than forgetting one");
    }
  }
  return {true, 200, {}, Refusal::None};
}

// ----------------------------------------------------------------------------- parse_interaction

namespace {

std::optional<std::string> form_decode(std::string_view s) { return agent::form_decode(s, true); }

const json* member(const json& o, const char* key) {
  if (!o.is_object()) return nullptr;
  const auto it = o.find(key);
  return it == o.end() ? nullptr : &*it;
}

std::string text_at(const json& o, const char* key) {
  const json* v = member(o, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::string text_at(const json& o, const char* outer, const char* key) {
  const json* v = member(o, outer);
  return v == nullptr ? std::string() : text_at(*v, key);
}

std::optional<Interaction> parse_payload(const json& p, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Interaction> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  if (!p.is_object()) return fail("the payload is JSON but not an object");
  const std::string type = text_at(p, "type");
  if (type != "block_actions")
    return fail("payload type " + shown(type) + " is not handled; expected \"block_actions\" (a button press)");
  const json* actions = member(p, "actions");
  if (actions == nullptr || !actions->is_array() || actions->empty())
    return fail("the block_actions payload has no actions");
  const json& a = actions->front();
  const std::string action_id = text_at(a, "action_id");
  Interaction in;
  if (action_id == kApproveActionId) {
    in.action = "approve";
  } else if (action_id == kDenyActionId) {
    in.action = "deny";
  } else {
    return fail("action_id " + shown(action_id) + " is not an opspilot button; expected \"" +
                std::string(kApproveActionId) + "\" or \"" + std::string(kDenyActionId) + "\"");
  }
  in.approval_id = text_at(a, "value");
  if (in.approval_id.empty()) return fail("the " + action_id + " button carries no approval id (its value is empty)");
  if (in.approval_id.size() > 255)
    return fail("the approval id is " + std::to_string(in.approval_id.size()) + " bytes long; at most 255 expected");
  in.user_id = text_at(p, "user", "id");
  if (in.user_id.empty()) return fail("the payload names no user (user.id is missing)");
  in.user_name = text_at(p, "user", "username");
  if (in.user_name.empty()) in.user_name = text_at(p, "user", "name");
  in.team_id = text_at(p, "team", "id");
  if (in.team_id.empty()) in.team_id = text_at(p, "user", "team_id");
  in.channel_id = text_at(p, "channel", "id");
  if (in.channel_id.empty()) in.channel_id = text_at(p, "container", "channel_id");
  in.message_ts = text_at(p, "container", "message_ts");
  if (in.message_ts.empty()) in.message_ts = text_at(p, "message", "ts");
  in.response_url = text_at(p, "response_url");
  return in;
}

}  // namespace

std::optional<Interaction> parse_interaction(std::string_view form_body, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Interaction> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  try {
    std::optional<std::string> payload;
    std::size_t pos = 0;
    while (pos <= form_body.size()) {
      const std::size_t amp = std::min(form_body.find('&', pos), form_body.size());
      const std::string_view pair = form_body.substr(pos, amp - pos);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == "payload") {
        payload = form_decode(pair.substr(eq + 1));
        if (!payload) return fail("the payload field is not valid percent-encoding");
        break;
      }
      pos = amp + 1;
    }
    if (!payload)
      return fail("the form body has no \"payload\" field; Slack interactive callbacks send payload=<JSON>");
    const json p = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
    if (p.is_discarded()) return fail("the payload field is not valid JSON");
    return parse_payload(p, error);
  } catch (const std::exception& e) {
    // Not expected (the parse above does not throw), but a callback must never take the server down.
    return fail(std::string("the payload could not be read: ") + e.what());
  }
}

}  // namespace opspilot::agent::slack
