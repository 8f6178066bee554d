// Helpers shared by the Kubernetes actuator's files: target resolution, recorded calls, JSON access.
#include "actuators/kubernetes/workload.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace opspilot::actuators::kube {

using json = nlohmann::json;

namespace {

constexpr std::size_t kResponseLimit = 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// DNS-1123 label/subdomain characters: names go into URL paths unescaped, so anything else
/// (a '/', '?', '..') is refused rather than sent.
bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-' || c == '.';
  }) && s != "." && s != "..";
}

const json* at(const json& j, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!j.is_object() || !j.contains(p)) return nullptr;
  return &j.at(p);
}

}  // namespace

std::optional<Workload> resolve_workload(const TargetRef& target, const std::string& default_ns, std::string* error) {
  Workload w;
  const std::string kind = lower(target.kind);
  if (kind == "deployment") {
    w.kind = "Deployment";
    w.resource = "deployments";
  } else if (kind == "statefulset") {
    w.kind = "StatefulSet";
    w.resource = "statefulsets";
  } else {
    *error = "target kind \"" + target.kind + "\" is not supported by the kubernetes actuator; expected Deployment or StatefulSet";
    return std::nullopt;
  }
  w.ns = target.namespace_.empty() ? default_ns : target.namespace_;
  w.name = target.name;
  if (!valid_name(w.name)) {
    *error = "target name \"" + w.name + "\" is not a valid Kubernetes object name (lower-case letters, digits, '-', '.')";
    return std::nullopt;
  }
  if (!valid_name(w.ns)) {
    *error = "target namespace \"" + w.ns + "\" is not a valid Kubernetes namespace name";
    return std::nullopt;
  }
  return w;
}

std::string field_manager_query(const std::string& field_manager) {
  return "?fieldManager=" + HttpClient::url_encode(field_manager);
}

KubeResponse call(KubeClient& client, std::vector<ApiCall>* calls, const std::string& method, const std::string& path,
                  const json* body, const std::string& content_type) {
  KubeResponse r = client.request(method, path, body, content_type);
  std::string response = r.status == 0 ? r.error : r.raw;
  if (response.size() > kResponseLimit) response = response.substr(0, kResponseLimit) + "…";
  calls->push_back(ApiCall{method, client.url(path), body ? body->dump() : std::string(), r.status, response});
  return r;
}

bool retryable(const KubeResponse& r) { return r.status == 0 || r.status == 429 || r.status >= 500; }

long long int_at(const json& j, const char* pointer, long long fallback) {
  const json* v = at(j, pointer);
  return v && v->is_number_integer() ? v->get<long long>() : fallback;
}

std::string string_at(const json& j, const char* pointer) {
  const json* v = at(j, pointer);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::string rfc3339_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace opspilot::actuators::kube
