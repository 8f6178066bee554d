#pragma once
// Where AWS credentials come from, in the order the AWS SDKs look (botocore, SDK for Java v2):
//
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]
//   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME], traded
//      at STS (AssumeRoleWithWebIdentity, an unsigned Query call) for temporary credentials,
//      cached until five minutes before they expire (EKS IRSA sets exactly these variables)
//   3. shared credentials file: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile from
//      the `profile` option, else AWS_PROFILE, else "default"
//
// An explicitly configured profile means "use that profile": sources 1 and 2 are skipped, so a
// stray AWS_ACCESS_KEY_ID cannot silently act as someone else. A source that is configured but
// broken (a key without its secret, a malformed file, STS refusing the token) is an error, not a
// reason to fall through to the next identity; when nothing is configured the error lists every
// source tried and why it did not apply.
//
// Thread-safety: CredentialChain::resolve() may be called from any thread; the web identity
// cache is behind a mutex (one STS call at a time).
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actuators/actuator.h"
#include "actuators/aws/sigv4.h"
#include "actuators/common/http_client.h"

namespace opspilot::actuators::aws {

/// Reads an environment variable; std::nullopt when unset. Injectable so tests never touch the
/// process environment.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment process_environment();
Environment environment_from(std::map<std::string, std::string> vars);

using WallClock = std::function<std::chrono::system_clock::time_point()>;

struct CredentialsResult {
  std::optional<Credentials> credentials;
  std::string error;       // in words: which sources were tried and what went wrong
  bool retryable = false;  // a transient failure (STS unreachable, throttled, 5xx)
  /// HTTP exchanges made while resolving (STS), token redacted and response withheld, so a
  /// decision record shows them too.
  std::vector<ApiCall> calls;
  bool ok() const { return credentials.has_value(); }
};

struct CredentialOptions {
  std::string profile;       // explicit profile; empty: AWS_PROFILE, else "default"
  std::string region;        // selects the regional STS endpoint
  std::string sts_endpoint;  // empty: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, https://sts.<region>.amazonaws.com
  std::chrono::milliseconds timeout{5000};
  RetryPolicy retry;
  Environment env;           // empty: process_environment()
  WallClock now;             // empty: the system clock
};

/// One profile of a shared credentials file, with the line each key was read from.
struct IniProfile {
  std::string name;
  int line = 0;  // of its [header], 1-based
  std::map<std::string, std::string> values;
  std::map<std::string, int> value_lines;
};

struct IniFile {
  std::vector<IniProfile> profiles;
  std::vector<std::string> errors;  // every problem, each "file:line: what was wrong", 1-based
  const IniProfile* find(const std::string& name) const;
};

/// Parses the INI dialect of ~/.aws/credentials: [section] headers, `key = value` lines, '#' and
/// ';' comment lines, indented continuation lines (nested sub-settings, kept verbatim). A repeated
/// section merges into the first, later keys winning, as botocore's parser does. `file_label`
/// prefixes every error.
IniFile parse_ini(std::string_view text, const std::string& file_label);

/// ISO 8601 UTC timestamps as STS writes them: 2026-11-22T04:47:33Z, with optional fractional
/// seconds and a Z or ±hh:mm offset.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);

class CredentialChain {
 public:
  explicit CredentialChain(CredentialOptions options);
  CredentialChain(const CredentialChain&) = delete;
  CredentialChain& operator=(const CredentialChain&) = delete;

  /// Credentials to sign the next request with. Static sources are re-read each call (a rotated
  /// file takes effect at once); web identity credentials are reused until five minutes before
  /// they expire, then refreshed (and still reused, if STS is briefly unreachable, until expiry).
  CredentialsResult resolve();

  /// The STS endpoint web identity would use.
  std::string sts_endpoint() const;
  /// How many times STS has been asked (for the cache tests and the agent's metrics).
  int sts_calls() const;

  static constexpr std::chrono::minutes kRefreshBeforeExpiry{5};

 private:
  enum class Found { No, Yes, Broken };
  struct Attempt {
    Found found = Found::No;
    Credentials creds;
    std::string note;  // why not (No) or what is wrong (Broken)
    bool retryable = false;
    std::vector<ApiCall> calls;
  };
  Attempt from_environment() const;
  Attempt from_web_identity();
  Attempt from_shared_file() const;
  std::optional<std::string> env(const std::string& name) const;
  std::chrono::system_clock::time_point now() const;

  CredentialOptions options_;
  mutable std::mutex mu_;
  std::optional<Credentials> web_identity_cache_;
  int sts_calls_ = 0;
};

}  // namespace opspilot::actuators::aws
