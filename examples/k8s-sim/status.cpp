#include "examples/k8s-sim/status.h"

namespace opspilot::k8s_sim {

namespace {

Json details_of(const ResourceType& type, const std::string& name) {
  Json d = Json::object();
  if (!name.empty()) d["name"] = name;
  d["group"] = type.group;
  d["kind"] = type.plural;
  return d;
}

ApiResult result(int code, Json body) { return ApiResult{code, std::move(body), {}}; }

}  // namespace

Json status_body(int code, const std::string& reason, const std::string& message, Json details) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Failure"},
            {"message", message}, {"reason", reason}, {"code", code}};
  if (!details.is_null()) s["details"] = std::move(details);
  return s;
}

ApiResult success_status(int code, const ResourceType* type, const std::string& name, const std::string& uid) {
  Json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()}, {"status", "Success"}};
  if (type) {
    Json d = details_of(*type, name);
    if (!uid.empty()) d["uid"] = uid;
    s["details"] = d;
  } else {
    s["code"] = code;
  }
  return result(code, std::move(s));
}

ApiResult not_found(const ResourceType& type, const std::string& name) {
  return result(404, status_body(404, "NotFound", type.group_resource() + " \"" + name + "\" not found",
                                 details_of(type, name)));
}

ApiResult namespace_not_found(const std::string& ns) {
  return result(404, status_body(404, "NotFound", "namespaces \"" + ns + "\" not found",
                                 Json{{"name", ns}, {"kind", "namespaces"}}));
}

ApiResult already_exists(const ResourceType& type, const std::string& name) {
  return result(409, status_body(409, "AlreadyExists", type.group_resource() + " \"" + name + "\" already exists",
                                 details_of(type, name)));
}

ApiResult conflict(const ResourceType& type, const std::string& name, const std::string& why) {
  return result(409, status_body(409, "Conflict",
                                 "Operation cannot be fulfilled on " + type.group_resource() + " \"" + name + "\": " + why,
                                 details_of(type, name)));
}

ApiResult invalid(const ResourceType& type, const std::string& name, const std::vector<Cause>& causes) {
  std::string list;
  Json jc = Json::array();
  for (const auto& c : causes) {
    const std::string one = c.field + ": " + c.message;
    list += (list.empty() ? "" : ", ") + one;
    jc.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
  }
  const std::string msg = type.group_kind() + " \"" + name + "\" is invalid: " +
                          (causes.size() == 1 ? list : "[" + list + "]");
  Json d = {{"name", name}, {"group", type.group}, {"kind", type.kind}, {"causes", jc}};
  return result(422, status_body(422, "Invalid", msg, d));
}

ApiResult bad_request(const std::string& message) { return result(400, status_body(400, "BadRequest", message)); }

ApiResult unauthorized() { return result(401, status_body(401, "Unauthorized", "Unauthorized")); }

ApiResult forbidden(const std::string& user, const std::string& verb, const ResourceType& type,
                    const std::string& subresource, const std::string& ns, const std::string& name) {
  const std::string what = name.empty() ? type.group_resource() : type.group_resource() + " \"" + name + "\"";
  const std::string resource = subresource.empty() ? type.plural : type.plural + "/" + subresource;
  const std::string scope = ns.empty() ? "at the cluster scope" : "in the namespace \"" + ns + "\"";
  const std::string msg = what + " is forbidden: User \"" + user + "\" cannot " + verb + " resource \"" + resource +
                          "\" in API group \"" + type.group + "\" " + scope;
  return result(403, status_body(403, "Forbidden", msg, details_of(type, name)));
}

ApiResult forbidden_path(const std::string& user, const std::string& verb, const std::string& path) {
  return result(403, status_body(403, "Forbidden",
                                 "forbidden: User \"" + user + "\" cannot " + verb + " path \"" + path + "\"",
                                 Json::object()));
}

ApiResult too_many_requests(const std::string& message, int retry_after_seconds, const std::vector<Cause>& causes) {
  Json d = Json::object();
  if (!causes.empty()) {
    d["causes"] = Json::array();
    for (const auto& c : causes) d["causes"].push_back({{"reason", c.reason}, {"message", c.message}});
  }
  if (retry_after_seconds > 0) d["retryAfterSeconds"] = retry_after_seconds;
  ApiResult r = result(429, status_body(429, "TooManyRequests", message, d.empty() ? Json() : d));
  if (retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

ApiResult internal_error(const std::string& message) {
  return result(500, status_body(500, "InternalError", "Internal error occurred: " + message,
                                 Json{{"causes", Json::array({{{"message", message}}})}}));
}

ApiResult service_unavailable(const std::string& message, int retry_after_seconds) {
  Json d = Json::object();
  if (retry_after_seconds > 0) d["retryAfterSeconds"] = retry_after_seconds;
  ApiResult r = result(503, status_body(503, "ServiceUnavailable", message, d.empty() ? Json() : d));
  if (retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

ApiResult method_not_allowed() {
  return result(405, status_body(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
}

ApiResult unsupported_media_type(const std::string& content_type, const std::vector<std::string>& accepted) {
  std::string list;
  for (const auto& a : accepted) list += (list.empty() ? "" : ", ") + a;
  return result(415, status_body(415, "UnsupportedMediaType",
                                 "the body of the request was in an unknown format (Content-Type \"" + content_type +
                                     "\") - accepted media types include: " + list));
}

ApiResult not_acceptable(const std::string& accept) {
  return result(406, status_body(406, "NotAcceptable",
                                 "only the following media types are accepted: application/json (Accept was \"" +
                                     accept + "\")"));
}

ApiResult gone(const std::string& message) { return result(410, status_body(410, "Expired", message)); }

ApiResult path_not_found() {
  return result(404, status_body(404, "NotFound", "the server could not find the requested resource",
                                 Json::object()));
}

}  // namespace opspilot::k8s_sim
