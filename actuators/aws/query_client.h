#pragma once
// A client for the AWS Query protocol (Auto Scaling, STS, IAM, ...): form-encoded POSTs of
// Action=...&Version=...&params, signed with SigV4, answered in XML. Responses are parsed with
// Boost.PropertyTree's XML parser; AWS error documents (<ErrorResponse><Error><Type/><Code/>
// <Message/></Error></ErrorResponse>) become AwsError values.
//
// Retries (per `retry`, total tries): transport errors, HTTP 5xx and 429, and the throttling
// codes AWS sends with HTTP 400 (Throttling, RequestLimitExceeded, ...). Everything else
// (ValidationError, AccessDenied, SignatureDoesNotMatch, ...) is final at once. Every attempt is
// recorded as an ApiCall: method, URL, form body, status and trimmed response, never a header (so
// never the Authorization header or a session token) and, with `withhold_response`, never the
// response either (STS answers with secrets).
// Exchanges made while resolving credentials (the STS call of web identity) come first in
// QueryResponse::calls, so a decision record shows every request the actuator caused.
//
// Thread-safety: call() is const and may run concurrently from any thread (one libcurl handle per
// thread; the credentials source must be thread-safe, as CredentialChain is).
#include <boost/property_tree/ptree_fwd.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actuators/actuator.h"
#include "actuators/aws/credentials.h"
#include "actuators/common/http_client.h"

namespace opspilot::actuators::aws {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

enum class ErrorKind {
  None,
  Transport,    // no HTTP response (connection refused, timeout, DNS)
  Service,      // an AWS error document
  Unparseable,  // a response that is not the XML the Query protocol promises
  Credentials,  // no credentials to sign with
  Request,      // the request itself could not be built or signed
};
const char* to_string(ErrorKind k);

struct AwsError {
  ErrorKind kind = ErrorKind::None;
  long status = 0;          // HTTP status, 0 without a response
  std::string type;         // Sender / Receiver
  std::string code;         // ValidationError, Throttling, ...
  std::string message;      // AWS's own words, or the transport error
  std::string request_id;
  bool retryable = false;
  /// The endpoint does not implement the action: an InvalidAction / NotImplemented-style code,
  /// or HTTP 500/501 without an AWS error document (moto answers that way for actions it lacks).
  bool not_implemented = false;
  /// One line: "ValidationError (HTTP 400): <message>".
  std::string describe() const;
};

struct QueryResponse {
  bool ok = false;
  AwsError error;
  /// The parsed document (success only) and its <ActionResult> element, or nullptr when the
  /// response has none (e.g. SetDesiredCapacity). `result` points into `document`.
  std::shared_ptr<const boost::property_tree::ptree> document;
  const boost::property_tree::ptree* result = nullptr;
  std::vector<ApiCall> calls;  // every attempt, in order
  int attempts = 0;
};

struct QueryOptions {
  std::string endpoint;  // https://autoscaling.us-east-1.amazonaws.com (a path is kept, else "/")
  std::string region;
  std::string service;   // signing name: autoscaling, sts, iam
  std::string version;   // API version: 2011-01-01 for Auto Scaling
  std::chrono::milliseconds timeout{5000};
  RetryPolicy retry;
  bool sign = true;      // false: unsigned (STS AssumeRoleWithWebIdentity)
  bool withhold_response = false;            // record "(withheld)" instead of response bodies
  std::vector<std::string> redacted_params;  // recorded as "(redacted)" in ApiCall bodies
  WallClock now;         // empty: the system clock (signing time)
};

/// Whether an AWS answer is worth retrying: HTTP 5xx or 429, or a throttling code.
bool is_retryable_aws_error(long status, const std::string& code);

/// https://<prefix>.<region>.amazonaws.com, or .amazonaws.com.cn in the China regions.
std::string default_endpoint(const std::string& host_prefix, const std::string& region);

class QueryClient {
 public:
  using CredentialsSource = std::function<CredentialsResult()>;
  /// `credentials` may be empty when options.sign is false.
  QueryClient(QueryOptions options, CredentialsSource credentials);

  QueryResponse call(const std::string& action, const QueryParams& params) const;

  /// The form body call() sends: Action, Version, then `params` in order, RFC 3986 encoded.
  std::string form_body(const std::string& action, const QueryParams& params) const;
  /// The call as plan() shows it: POST url and form body, unsent and unsigned.
  ApiCall planned(const std::string& action, const QueryParams& params) const;

  const std::string& url() const { return url_; }
  const QueryOptions& options() const { return options_; }

 private:
  std::string recorded_body(const std::string& action, const QueryParams& params) const;

  QueryOptions options_;
  CredentialsSource credentials_;
  std::string url_;
};

/// Text of the child at `path` ("Credentials.AccessKeyId"), trimmed; empty when absent.
std::string xml_text(const boost::property_tree::ptree& node, const std::string& path);

}  // namespace opspilot::actuators::aws
