#pragma once
// Internal to the Kubernetes actuator: which API object an Action names, the paths of its
// resources, and one helper that makes a request and records it as an ApiCall.
// Thread-safety: plain values and free functions; safe for concurrent use.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actuators/actuator.h"
#include "actuators/kubernetes/kube_client.h"

namespace opspilot::actuators::kube {

inline constexpr const char* kDecisionIdAnnotation = "opspilot.io/decision-id";
inline constexpr const char* kRestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";
inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";

/// A Deployment or StatefulSet in a namespace.
struct Workload {
  std::string kind;      // "Deployment" | "StatefulSet"
  std::string resource;  // "deployments" | "statefulsets"
  std::string ns;
  std::string name;

  std::string collection() const { return "/apis/apps/v1/namespaces/" + ns + "/" + resource; }
  std::string path() const { return collection() + "/" + name; }
  /// "Deployment prod/web", as messages name it.
  std::string display() const { return kind + " " + ns + "/" + name; }
};

/// The workload an action targets (kind case-insensitive; namespace defaulted), or nullopt and
/// *error saying what was expected.
std::optional<Workload> resolve_workload(const TargetRef& target, const std::string& default_ns, std::string* error);

/// `r` marked failed with `error` (and whether retrying may help).
inline ApplyResult failed(ApplyResult r, std::string error, bool retryable) {
  r.ok = false;
  r.error = std::move(error);
  r.retryable = retryable;
  return r;
}

/// "?fieldManager=..." for writes, so the API records who changed what.
std::string field_manager_query(const std::string& field_manager);

/// Makes one request through `client` and appends it (method, full URL, body, status, trimmed
/// response) to `calls`.
KubeResponse call(KubeClient& client, std::vector<ApiCall>* calls, const std::string& method, const std::string& path,
                  const nlohmann::json* body = nullptr, const std::string& content_type = "application/json");

/// Whether a failure may succeed if the same action is tried again later (transport, 429, 5xx).
bool retryable(const KubeResponse& r);

/// An integer field at a JSON pointer, `fallback` when absent or not an integer.
long long int_at(const nlohmann::json& j, const char* pointer, long long fallback = 0);
/// A string field at a JSON pointer, "" when absent or not a string.
std::string string_at(const nlohmann::json& j, const char* pointer);

/// Now in UTC, RFC 3339 ("2025-01-02T03:04:05Z"), as kubectl writes restartedAt.
std::string rfc3339_now();

}  // namespace opspilot::actuators::kube
