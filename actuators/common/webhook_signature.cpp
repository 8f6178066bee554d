#include "actuators/common/webhook_signature.h"

#include <charconv>
#include <string>

#include "actuators/common/hmac.h"

namespace opspilot::actuators {

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  std::string message = "v1:" + std::to_string(unix_seconds) + ":";
  message.append(body);
  return "v1=" + hmac_sha256_hex(secret, message);
}

std::string check_webhook_signature(std::string_view secret, std::string_view timestamp_header,
                                    std::string_view signature_header, std::string_view body,
                                    std::int64_t now_unix_seconds) {
  if (timestamp_header.empty()) return std::string("missing ") + kTimestampHeader + " header";
  if (signature_header.empty()) return std::string("missing ") + kSignatureHeader + " header";
  std::int64_t ts = 0;
  const auto* end = timestamp_header.data() + timestamp_header.size();
  const auto [ptr, ec] = std::from_chars(timestamp_header.data(), end, ts);
  if (ec != std::errc() || ptr != end)
    return std::string(kTimestampHeader) + " is not a Unix time in seconds: \"" + std::string(timestamp_header) + "\"";
  const std::int64_t skew = now_unix_seconds - ts;
  if (skew > kSignatureMaxSkewSeconds || skew < -kSignatureMaxSkewSeconds)
    return "the request was signed " + std::to_string(skew) + " s from now (allowed: ±" +
           std::to_string(kSignatureMaxSkewSeconds) + " s); a replay or a wrong clock";
  if (!constant_time_equal(webhook_signature(secret, ts, body), signature_header))
    return "signature mismatch (wrong secret, or the body was altered)";
  return {};
}

}  // namespace opspilot::actuators
