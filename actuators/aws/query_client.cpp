#include "actuators/aws/query_client.h"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <thread>

#include "actuators/aws/sigv4.h"

namespace opspilot::actuators::aws {
namespace pt = boost::property_tree;
namespace {

std::shared_ptr<pt::ptree> parse_xml(const std::string& body) {
  if (body.find('<') == std::string::npos) return nullptr;
  auto tree = std::make_shared<pt::ptree>();
  try {
    std::istringstream in(body);
    pt::read_xml(in, *tree, pt::xml_parser::no_comments);
  } catch (const std::exception&) {
    return nullptr;  // not XML: the caller reports the body itself
  }
  return tree;
}

/// The <Error> element of an AWS error document, in each shape the Query services use:
/// ErrorResponse/Error (Auto Scaling, STS), Response/Errors/Error (EC2) and
/// ErrorResponse/Errors/Error (what moto's IAM authentication layer sends).
const pt::ptree* error_element(const pt::ptree& doc) {
  for (const char* path : {"ErrorResponse.Error", "Response.Errors.Error", "ErrorResponse.Errors.Error"})
    if (auto e = doc.get_child_optional(path); e && e->get_child_optional("Code")) return &*e;
  return nullptr;
}

bool not_implemented_code(const std::string& code) {
  static const std::set<std::string> kCodes{"InvalidAction", "NotImplemented", "UnknownOperation",
                                            "UnknownOperationException", "UnsupportedOperation",
                                            "OperationNotSupported"};
  return kCodes.count(code) != 0;
}

}  // namespace

const char* to_string(ErrorKind k) {
  switch (k) {
    case ErrorKind::None: return "none";
    case ErrorKind::Transport: return "transport";
    case ErrorKind::Service: return "service";
    case ErrorKind::Unparseable: return "unparseable";
    case ErrorKind::Credentials: return "credentials";
    case ErrorKind::Request: return "request";
  }
  return "none";
}

std::string AwsError::describe() const {
  switch (kind) {
    case ErrorKind::None: return "no error";
    case ErrorKind::Service:
      return code + " (HTTP " + std::to_string(status) + "): " + (message.empty() ? "(no message)" : message);
    case ErrorKind::Unparseable:
      return "HTTP " + std::to_string(status) + " without an AWS XML document: " + message;
    default: return message;
  }
}

bool is_retryable_aws_error(long status, const std::string& code) {
  // The throttling codes the AWS SDKs retry (botocore's _retry.json "throttling" set), plus the
  // transient server-side ones; they arrive with HTTP 400 as often as with 429/503.
  static const std::set<std::string> kRetryCodes{
      "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
      "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
      "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
      "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "InternalFailure", "InternalError",
      "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException", "IDPCommunicationError"};
  if (status == 429 || status >= 500) return true;
  return kRetryCodes.count(code) != 0;
}

std::string default_endpoint(const std::string& host_prefix, const std::string& region) {
  const bool china = region.rfind("cn-", 0) == 0;
  return "https://" + host_prefix + "." + region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

std::string xml_text(const pt::ptree& node, const std::string& path) {
  auto v = node.get_optional<std::string>(pt::ptree::path_type(path, '.'));
  return v ? trim_space(*v) : std::string();
}

QueryClient::QueryClient(QueryOptions options, CredentialsSource credentials)
    : options_(std::move(options)), credentials_(std::move(credentials)) {
  url_ = options_.endpoint;
  const auto scheme_end = url_.find("://");
  const auto path_start = scheme_end == std::string::npos ? std::string::npos : url_.find('/', scheme_end + 3);
  if (path_start == std::string::npos) url_ += "/";
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
  if (options_.retry.attempts < 1) options_.retry.attempts = 1;
}

std::string QueryClient::form_body(const std::string& action, const QueryParams& params) const {
  std::string body = "Action=" + uri_encode(action) + "&Version=" + uri_encode(options_.version);
  for (const auto& [k, v] : params) body += "&" + uri_encode(k) + "=" + uri_encode(v);
  return body;
}

std::string QueryClient::recorded_body(const std::string& action, const QueryParams& params) const {
  // Redacted values are written as a plain "(redacted)", unencoded, so nobody mistakes the record
  // for a request that could be replayed as is.
  std::string body = "Action=" + uri_encode(action) + "&Version=" + uri_encode(options_.version);
  for (const auto& [k, v] : params) {
    const bool redact = std::find(options_.redacted_params.begin(), options_.redacted_params.end(), k) !=
                        options_.redacted_params.end();
    body += "&" + uri_encode(k) + "=" + (redact ? std::string("(redacted)") : uri_encode(v));
  }
  return body;
}

ApiCall QueryClient::planned(const std::string& action, const QueryParams& params) const {
  return ApiCall{"POST", url_, recorded_body(action, params), 0, ""};
}

QueryResponse QueryClient::call(const std::string& action, const QueryParams& params) const {
  QueryResponse out;
  const std::string body = form_body(action, params);
  const std::string shown_body = recorded_body(action, params);
  const int attempts = std::max(1, options_.retry.attempts);

  for (int attempt = 1; attempt <= attempts; ++attempt) {
    out.attempts = attempt;
    out.error = AwsError{};
    HttpRequest req;
    req.method = "POST";
    req.url = url_;
    req.body = body;
    req.timeout = options_.timeout;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");

    if (options_.sign) {
      // Resolved per attempt: a refresh between retries must not leave us signing with expired keys.
      CredentialsResult creds = credentials_ ? credentials_() : CredentialsResult{std::nullopt, "no credentials source", false, {}};
      for (auto& c : creds.calls) out.calls.push_back(std::move(c));
      if (!creds.ok()) {
        out.error.kind = ErrorKind::Credentials;
        out.error.message = creds.error;
        out.error.retryable = creds.retryable;
        return out;
      }
      SigningInput in;
      in.method = req.method;
      in.url = req.url;
      in.headers = req.headers;
      in.body = req.body;
      in.region = options_.region;
      in.service = options_.service;
      in.time = options_.now();
      SignedRequest signed_req = sign_v4(in, *creds.credentials);
      if (!signed_req.ok) {
        out.error.kind = ErrorKind::Request;
        out.error.message = signed_req.error;
        return out;
      }
      for (auto& h : signed_req.headers) req.headers.push_back(std::move(h));
    }

    HttpResponse resp = HttpClient::for_this_thread().send(req);
    out.calls.push_back(ApiCall{"POST", url_, shown_body, resp.status,
                                options_.withhold_response ? std::string("(withheld)") : body_excerpt(resp.body)});
    AwsError& err = out.error;
    err.status = resp.status;
    if (!resp.transport_ok()) {
      err.kind = ErrorKind::Transport;
      err.message = "could not reach " + url_ + " after " + std::to_string(attempt) + " attempt(s): " + resp.error;
      err.retryable = true;
    } else {
      auto doc = parse_xml(resp.body);
      if (resp.ok()) {
        if (!doc) {
          err.kind = ErrorKind::Unparseable;
          err.message = action + " answered HTTP " + std::to_string(resp.status) + " with a body that is not XML: " +
                        body_excerpt(resp.body, 200);
          return out;
        }
        out.ok = true;
        if (auto r = doc->get_child_optional(action + "Response." + action + "Result")) out.result = &*r;
        out.document = std::move(doc);
        return out;
      }
      const pt::ptree* e = doc ? error_element(*doc) : nullptr;
      if (e != nullptr) {
        err.kind = ErrorKind::Service;
        err.type = xml_text(*e, "Type");
        err.code = xml_text(*e, "Code");
        err.message = xml_text(*e, "Message");
        err.request_id = xml_text(*doc, "ErrorResponse.RequestId");
        if (err.request_id.empty()) err.request_id = xml_text(*doc, "Response.RequestID");
        err.retryable = is_retryable_aws_error(resp.status, err.code);
        err.not_implemented = not_implemented_code(err.code);
      } else {
        err.kind = ErrorKind::Unparseable;
        err.message = body_excerpt(resp.body, 200);
        err.retryable = is_retryable_aws_error(resp.status, "");
        err.not_implemented = resp.status == 500 || resp.status == 501;
      }
    }
    if (!err.retryable || attempt == attempts) break;
    std::this_thread::sleep_for(wait_before_retry(options_.retry, attempt, resp));
  }
  return out;
}

}  // namespace opspilot::actuators::aws
