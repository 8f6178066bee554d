#pragma once
// A small client of the Kubernetes API: where the credentials come from (kubeconfig or the
// in-cluster service account), one blocking request with retries, and failures described in the
// API's own terms (which RBAC permission is missing, which object was not found). Used by the
// Kubernetes actuator and by the agent's leader election (Lease objects).
// Failures are values (KubeResponse::error / status), never exceptions.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actuators/common/http_client.h"

namespace opspilot::actuators::kube {

/// Where credentials come from. Empty fields mean "discover": explicit kubeconfig path, else
/// $KUBECONFIG (first file), else in-cluster (KUBERNETES_SERVICE_HOST/PORT + the service-account
/// dir /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}), else ~/.kube/config.
struct KubeConfigOptions {
  std::string kubeconfig;      // path; "" = discover
  std::string context;         // "" = current-context
  std::string server;          // overrides the server URL (tests)
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  bool in_cluster = false;     // force in-cluster
};

/// Private copies of credentials given inline (`*-data` in a kubeconfig), written 0600 into a
/// 0700 temporary directory that is removed when the last KubeConfig copy holding it goes away.
/// Thread-safety: immutable after creation.
class OwnedFiles {
 public:
  explicit OwnedFiles(std::string dir) : dir_(std::move(dir)) {}
  ~OwnedFiles();
  OwnedFiles(const OwnedFiles&) = delete;
  OwnedFiles& operator=(const OwnedFiles&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

struct KubeConfig {
  std::string server;                  // https://host:port (no trailing slash)
  std::string token;                   // bearer token (literal), or
  std::string token_file;              // re-read on every request (projected tokens rotate)
  std::string ca_file;                 // PEM; certificate-authority-data is written to a private temp file
  std::string client_cert_file, client_key_file;  // client certificate auth (also from *-data)
  bool insecure_skip_tls_verify = false;
  std::string namespace_ = "default";
  std::string source;                  // "in-cluster" or "<kubeconfig path> context <name>", for messages
  std::string user;                    // the kubeconfig user name, or the service account, for messages
  std::shared_ptr<const OwnedFiles> owned_files;  // keeps the decoded *-data files alive
};

/// nullopt and *error set (naming the file, the context and what is missing) on failure.
std::optional<KubeConfig> load_kube_config(const KubeConfigOptions& options, std::string* error);

struct KubeResponse {
  long status = 0;              // 0 = no response (transport/TLS error, see error)
  nlohmann::json body;          // parsed JSON (discarded value when not JSON)
  std::string raw;              // the body as received (trimmed to 4 KiB)
  std::string error;            // transport error in words ("" when a response arrived)
  int attempts = 1;
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  /// The API's Status.message, else the transport error, else "HTTP <status>".
  std::string message() const;
};

/// Blocking client of the Kubernetes API over libcurl (actuators/common/http_client.h).
/// Retries transport errors, 429 and 5xx per RetryPolicy, honouring Retry-After; never retries
/// other 4xx. Thread-safety: safe for concurrent calls (one libcurl handle per thread).
class KubeClient {
 public:
  KubeClient(KubeConfig config, RetryPolicy retry = {}, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// path starts with "/" (e.g. "/apis/coordination.k8s.io/v1/namespaces/ns/leases/x").
  KubeResponse request(const std::string& method, const std::string& path,
                       const nlohmann::json* body = nullptr,
                       const std::string& content_type = "application/json");
  const KubeConfig& config() const;
  std::string url(const std::string& path) const;
  const RetryPolicy& retry_policy() const { return retry_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  KubeConfig config_;
  RetryPolicy retry_;
  std::chrono::milliseconds timeout_;
};

/// One sentence for a failed response, in the API's terms: 401 (token rejected or expired),
/// 403 (names the missing RBAC permission: verb, resource[/subresource], API group, namespace),
/// 404 (names the object), 409, 422 (quotes the server's causes), 429/5xx (after N attempts),
/// transport and TLS errors.
std::string describe_failure(const KubeResponse& r, const std::string& verb, const std::string& group,
                             const std::string& resource, const std::string& ns, const std::string& name);

}  // namespace opspilot::actuators::kube
