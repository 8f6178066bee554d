#pragma once
// HMAC-SHA256 and a constant-time comparison, over OpenSSL's libcrypto. Used to verify Slack's
// signed callbacks (agent/approve/slack.h) and to sign outgoing webhooks.
// Thread-safety: pure functions, safe from any thread (OpenSSL 3 needs no locking setup).
#include <string>
#include <string_view>

namespace opspilot::actuators {

/// HMAC-SHA256 of `message` under `key`, as 64 lowercase hex digits. An empty key is allowed
/// (RFC 2104 pads it with zeros). Returns an empty string only if libcrypto itself fails, which a
/// caller comparing against it treats as "no match".
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// Whether `a` and `b` are equal, taking time that depends only on their lengths, never on where
/// they first differ, so a remote caller cannot find a signature byte by byte from timings.
/// Lengths are not secret (a signature's length is public), so unequal lengths return at once.
bool constant_time_equal(std::string_view a, std::string_view b);

/// SHA-256 of `data`, as 64 lowercase hex digits (AWS SigV4 hashes payloads and canonical
/// requests this way). Empty only if libcrypto itself fails.
std::string sha256_hex(std::string_view data);

/// HMAC-SHA256 of `message` under `key` as the 32 raw digest bytes, for key chains where one
/// MAC is the next one's key (AWS SigV4's derived signing key). Empty only if libcrypto fails.
std::string hmac_sha256_raw(std::string_view key, std::string_view message);

/// Lowercase hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

}  // namespace opspilot::actuators
