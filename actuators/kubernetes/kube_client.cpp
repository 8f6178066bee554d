// The Kubernetes API client: one request with retries, and failures in the API's words.
// Loading credentials (kubeconfig, in-cluster) is in kube_config.cpp.
#include "actuators/kubernetes/kube_client.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace opspilot::actuators::kube {
namespace {

constexpr std::size_t kRawLimit = 4096;

/// A 429 carrying a DisruptionBudget cause is the eviction API refusing on a budget's behalf,
/// not throttling: retrying within milliseconds cannot help, so it is final for this request.
bool is_budget_refusal(const KubeResponse& r) {
  if (r.status != 429 || !r.body.is_object()) return false;
  const auto details = r.body.find("details");
  if (details == r.body.end() || !details->is_object()) return false;
  const auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array()) return false;
  return std::any_of(causes->begin(), causes->end(), [](const nlohmann::json& c) {
    return c.is_object() && c.value("reason", "") == "DisruptionBudget";
  });
}

bool looks_like_tls_error(const std::string& e) {
  return e.find("SSL") != std::string::npos || e.find("certificate") != std::string::npos ||
         e.find("TLS") != std::string::npos;
}

std::string kind_of(const std::string& resource) {
  const std::string base = resource.substr(0, resource.find('/'));
  if (base == "deployments") return "Deployment";
  if (base == "statefulsets") return "StatefulSet";
  if (base == "replicasets") return "ReplicaSet";
  if (base == "pods") return "Pod";
  if (base == "leases") return "Lease";
  if (base == "poddisruptionbudgets") return "PodDisruptionBudget";
  if (base == "namespaces") return "Namespace";
  return base;
}

/// "deployments.apps/scale" — the way RBAC rules and kubectl auth can-i name a resource.
std::string rbac_resource(const std::string& group, const std::string& resource) {
  const auto slash = resource.find('/');
  const std::string base = resource.substr(0, slash);
  const std::string sub = slash == std::string::npos ? "" : resource.substr(slash);
  return base + (group.empty() ? "" : "." + group) + sub;
}

std::string object_name(const std::string& ns, const std::string& name) {
  if (name.empty()) return ns.empty() ? "(cluster)" : "in namespace " + ns;
  return ns.empty() ? name : ns + "/" + name;
}

/// The user the server names in a 403 ("User \"system:serviceaccount:prod:opspilot\" cannot ...").
std::string user_in(const std::string& message) {
  static const std::string kUser = "User \"";
  const auto b = message.find(kUser);
  if (b == std::string::npos) return {};
  const auto e = message.find('"', b + kUser.size());
  if (e == std::string::npos) return {};
  return message.substr(b + kUser.size(), e - b - kUser.size());
}

std::string causes_of(const KubeResponse& r) {
  if (!r.body.is_object()) return {};
  const auto details = r.body.find("details");
  if (details == r.body.end() || !details->is_object()) return {};
  const auto causes = details->find("causes");
  if (causes == details->end() || !causes->is_array()) return {};
  std::string out;
  for (const auto& c : *causes) {
    if (!c.is_object()) continue;
    std::string one = c.value("field", "");
    const std::string msg = c.value("message", "");
    one += (one.empty() ? "" : ": ") + msg;
    if (!one.empty()) out += (out.empty() ? "" : "; ") + one;
  }
  return out;
}

std::string attempts_text(int n) { return std::to_string(n) + (n == 1 ? " attempt" : " attempts"); }

}  // namespace

OwnedFiles::~OwnedFiles() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string KubeResponse::message() const {
  if (body.is_object()) {
    const auto m = body.find("message");
    if (m != body.end() && m->is_string() && !m->get<std::string>().empty()) return m->get<std::string>();
  }
  if (!error.empty()) return error;
  return "HTTP " + std::to_string(status);
}

KubeClient::KubeClient(KubeConfig config, RetryPolicy retry, std::chrono::milliseconds timeout)
    : config_(std::move(config)), retry_(retry), timeout_(timeout) {
  while (!config_.server.empty() && config_.server.back() == '/') config_.server.pop_back();
  retry_.attempts = std::max(1, retry_.attempts);
}

const KubeConfig& KubeClient::config() const { return config_; }

std::string KubeClient::url(const std::string& path) const { return config_.server + path; }

KubeResponse KubeClient::request(const std::string& method, const std::string& path, const nlohmann::json* body,
                                 const std::string& content_type) {
  HttpRequest req;
  req.method = method;
  req.url = url(path);
  req.timeout = timeout_;
  req.ca_file = config_.ca_file;
  req.client_cert_file = config_.client_cert_file;
  req.client_key_file = config_.client_key_file;
  req.insecure_skip_verify = config_.insecure_skip_tls_verify;
  req.headers.emplace_back("Accept", "application/json");
  if (body) {
    req.body = body->dump();
    req.headers.emplace_back("Content-Type", content_type);
  }

  KubeResponse out;
  for (int attempt = 1;; ++attempt) {
    // Re-read on every attempt: projected service-account tokens are rotated by the kubelet.
    std::string token = config_.token;
    if (token.empty() && !config_.token_file.empty()) {
      std::ifstream in(config_.token_file);
      if (!in) {
        out = KubeResponse{};
        out.attempts = attempt;
        out.error = "cannot read the token file " + config_.token_file + " (" + config_.source + ")";
        return out;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      token = trim_space(ss.str());
    }
    HttpRequest sent = req;
    if (!token.empty()) sent.headers.emplace_back("Authorization", "Bearer " + token);

    const HttpResponse resp = HttpClient::for_this_thread().send(sent);
    out = KubeResponse{};
    out.attempts = attempt;
    out.status = resp.status;
    out.error = resp.error;
    out.raw = body_excerpt(resp.body, kRawLimit);
    out.body = nlohmann::json::parse(resp.body, nullptr, false);

    const bool retryable = is_retryable(resp) && !is_budget_refusal(out);
    if (!retryable || attempt >= retry_.attempts) return out;
    std::this_thread::sleep_for(wait_before_retry(retry_, attempt, resp));
  }
}

std::string describe_failure(const KubeResponse& r, const std::string& verb, const std::string& group,
                             const std::string& resource, const std::string& ns, const std::string& name) {
  const std::string what = kind_of(resource) + " " + object_name(ns, name);
  const std::string msg = r.message();
  if (r.status == 0) {
    if (looks_like_tls_error(r.error)) {
      return "TLS error talking to the Kubernetes API (is certificate-authority the cluster's CA?): " + r.error;
    }
    return "Kubernetes API unreachable after " + attempts_text(r.attempts) + ": " + r.error;
  }
  switch (r.status) {
    case 401:
      return "the Kubernetes API rejected the credentials (401 Unauthorized): the bearer token is missing, "
             "wrong or expired; server said: " + msg;
    case 403: {
      const std::string user = user_in(msg);
      return "missing RBAC permission: " + verb + " " + rbac_resource(group, resource) +
             (ns.empty() ? " (cluster-wide)" : " in namespace " + ns) +
             (user.empty() ? "" : " (user \"" + user + "\")") + "; server said: " + msg;
    }
    case 404:
      // A missing namespace also answers 404; then the server's own words say which.
      if (msg.rfind("namespaces ", 0) == 0) return what + " not found: " + msg;
      return what + " not found";
    case 409:
      return "conflict writing " + what + " (409): " + msg;
    case 422: {
      const std::string causes = causes_of(r);
      return what + " rejected as invalid (422): " + msg +
             (causes.empty() || msg.find(causes) != std::string::npos ? "" : " [" + causes + "]");
    }
    case 429: {
      const std::string causes = causes_of(r);
      if (is_budget_refusal(r)) return "refused by a PodDisruptionBudget (429): " + msg + " " + causes;
      return "the Kubernetes API throttled " + verb + " " + what + " (429 Too Many Requests) after " +
             attempts_text(r.attempts) + ": " + msg;
    }
    default:
      break;
  }
  if (r.status >= 500) {
    return "the Kubernetes API failed " + verb + " " + what + " with HTTP " + std::to_string(r.status) + " after " +
           attempts_text(r.attempts) + ": " + msg;
  }
  return verb + " " + what + " failed with HTTP " + std::to_string(r.status) + ": " + msg;
}

}  // namespace opspilot::actuators::kube
