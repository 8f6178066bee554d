#pragma once
// AWS Signature Version 4 for header-signed requests (the Query API's form-encoded POSTs, and any
// other request with its payload in hand). Follows the published algorithm step by step and
// exposes each intermediate (canonical request, string to sign, signing key) so the tests can hold
// every step against AWS's own test suite, not only the final signature.
//
// Signed headers: host (from the URL, default ports dropped), x-amz-date, every header the caller
// passes (e.g. content-type) and, for session credentials, x-amz-security-token unless
// `sign_session_token` is off (AWS's "post-sts-header-after" variant). The payload is hashed into
// the canonical request; x-amz-content-sha256 is S3's business and is not added.
//
// Thread-safety: pure functions, safe from any thread.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opspilot::actuators::aws {

/// One set of AWS credentials. `source` says where they came from, in words, for error messages
/// and logs (never the secret itself).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // temporary credentials only
  std::string source;
};

struct SigningInput {
  std::string method = "POST";
  std::string url;  // absolute: scheme://host[:port]/path[?query]
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers to sign and send
  std::string body;
  std::string region;
  std::string service;  // signing name, e.g. "autoscaling", "sts", "iam"
  std::chrono::system_clock::time_point time;
  bool sign_session_token = true;
};

struct SignedRequest {
  bool ok = false;
  std::string error;  // why the input could not be signed (a malformed URL)

  std::string amz_date;           // 20150830T123600Z
  std::string host;               // the Host header value that was signed
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;     // host;x-amz-date
  std::string signature;          // 64 hex digits
  std::string authorization;      // the Authorization header value
  /// Headers to add to the request as sent: Host, X-Amz-Date, X-Amz-Security-Token (session
  /// credentials) and Authorization. The caller's own headers are not repeated here.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// "YYYYMMDDTHHMMSSZ" in UTC.
std::string amz_date(std::chrono::system_clock::time_point t);

/// The derived signing key (raw 32 bytes): HMAC chain over "AWS4"+secret, date (YYYYMMDD),
/// region, service and "aws4_request".
std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service);

/// RFC 3986 percent-encoding of every byte outside A-Z a-z 0-9 - _ . ~ (uppercase hex), as SigV4
/// and the Query API's form bodies both require. `keep_slash` leaves '/' as is (URI paths).
std::string uri_encode(std::string_view s, bool keep_slash = false);

/// Signs `in` with `creds`. Never throws; a URL that cannot be parsed gives ok=false and `error`.
SignedRequest sign_v4(const SigningInput& in, const Credentials& creds);

}  // namespace opspilot::actuators::aws
