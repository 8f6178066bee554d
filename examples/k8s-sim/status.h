#pragma once
// API results and the `Status` objects the real API server sends for failures, shaped exactly
// like kube-apiserver's (k8s.io/apimachinery/pkg/api/errors): kind/apiVersion/metadata/status/
// message/reason/details/code, with the same message wording so clients' error matching works.
// Thread-safety: value types and pure functions.
#include <string>
#include <utility>
#include <vector>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

/// What an API operation produced: a status code, a JSON body (an object, a list or a Status)
/// and extra headers (Retry-After, Warning).
struct ApiResult {
  int code = 200;
  Json body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool ok() const { return code >= 200 && code < 300; }
};

/// One field-level problem, as StatusCause.
struct Cause {
  std::string reason;   // "FieldValueInvalid", "FieldValueRequired", "DisruptionBudget", ...
  std::string message;  // "Invalid value: -1: must be greater than or equal to 0"
  std::string field;    // "spec.replicas"
};

/// A Status body with everything given; `details` may be null.
Json status_body(int code, const std::string& reason, const std::string& message, Json details = nullptr);
/// 200/201 `{"status":"Success"}` (delete of some kinds, eviction).
ApiResult success_status(int code, const ResourceType* type = nullptr, const std::string& name = "",
                         const std::string& uid = "");

ApiResult not_found(const ResourceType& type, const std::string& name);
ApiResult namespace_not_found(const std::string& ns);
ApiResult already_exists(const ResourceType& type, const std::string& name);
/// 409 for a stale resourceVersion (the wording clients match on).
ApiResult conflict(const ResourceType& type, const std::string& name, const std::string& why =
    "the object has been modified; please apply your changes to the latest version and try again");
/// 422 with one cause per field problem.
ApiResult invalid(const ResourceType& type, const std::string& name, const std::vector<Cause>& causes);
ApiResult bad_request(const std::string& message);
ApiResult unauthorized();
/// 403 as the RBAC authorizer words it.
ApiResult forbidden(const std::string& user, const std::string& verb, const ResourceType& type,
                    const std::string& subresource, const std::string& ns, const std::string& name);
ApiResult forbidden_path(const std::string& user, const std::string& verb, const std::string& path);
/// 429; `retry_after_seconds` > 0 adds Retry-After and details.retryAfterSeconds.
ApiResult too_many_requests(const std::string& message, int retry_after_seconds, const std::vector<Cause>& causes = {});
ApiResult internal_error(const std::string& message);
ApiResult service_unavailable(const std::string& message, int retry_after_seconds);
ApiResult method_not_allowed();
ApiResult unsupported_media_type(const std::string& content_type, const std::vector<std::string>& accepted);
ApiResult not_acceptable(const std::string& accept);
/// 410 Expired for a watch/list from a resourceVersion older than the retained history.
ApiResult gone(const std::string& message);
/// The page-not-found answer for paths that are no resource at all.
ApiResult path_not_found();

}  // namespace opspilot::k8s_sim
