#pragma once
// How opspilot signs the webhooks it sends, and how a receiver checks them. The scheme is the
// one Slack and Stripe use: an HMAC-SHA256, under a shared secret, of a version tag, the send
// time and the exact body bytes, so a receiver can reject forged, altered and replayed requests:
//
//   X-Opspilot-Timestamp: 1767571200
//   X-Opspilot-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + body)>
//
// Thread-safety: pure functions, safe from any thread.
#include <cstdint>
#include <string>
#include <string_view>

namespace opspilot::actuators {

inline constexpr const char* kSignatureHeader = "X-Opspilot-Signature";
inline constexpr const char* kTimestampHeader = "X-Opspilot-Timestamp";
/// How far a receiver lets the timestamp stray from its own clock, either way.
inline constexpr std::int64_t kSignatureMaxSkewSeconds = 300;

/// "v1=<64 hex digits>" for `body` sent at `unix_seconds`.
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

/// Checks a received request; "" when it is authentic and fresh, else why not in words
/// (missing header, malformed or stale timestamp, signature mismatch). Constant-time compare.
std::string check_webhook_signature(std::string_view secret, std::string_view timestamp_header,
                                    std::string_view signature_header, std::string_view body,
                                    std::int64_t now_unix_seconds);

}  // namespace opspilot::actuators
