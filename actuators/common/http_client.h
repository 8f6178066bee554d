#pragma once
// A small blocking HTTP client over libcurl, shared by the actuators and the agent's sources.
// Failures are values (HttpResponse::error), never exceptions.
// Thread-safety: one HttpClient per thread; distinct instances are independent.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace opspilot::actuators {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};
  // TLS (https only). Empty = the system's CA bundle and no client certificate.
  std::string ca_file;            // PEM bundle that must have signed the server's certificate
  std::string client_cert_file;   // PEM client certificate (mutual TLS), with client_key_file
  std::string client_key_file;
  bool insecure_skip_verify = false;  // accept any server certificate (kubeconfig insecure-skip-tls-verify)
};

struct HttpResponse {
  long status = 0;            // 0 when no response was received
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string error;          // transport error in words; empty when a response arrived
  double elapsed_seconds = 0;

  bool transport_ok() const { return error.empty(); }
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// Retry schedule: exponential backoff with full jitter, as the AWS architecture blog describes.
struct RetryPolicy {
  int attempts = 3;  // total tries, >= 1
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{5000};
  /// Delay before try number `attempt` (1-based retry count), jittered in [0, min(cap, base*2^n)].
  std::chrono::milliseconds delay(int attempt) const;
};

/// How long to wait before retrying after `r`: the policy's delay(attempt), or longer when the
/// server said how long with Retry-After (seconds), up to the policy's cap.
std::chrono::milliseconds wait_before_retry(const RetryPolicy& policy, int attempt, const HttpResponse& r);

/// `s` without leading and trailing spaces, tabs, CR and LF (header values, token files).
std::string trim_space(std::string_view s);

/// The first `max` bytes of a body, marked "…" when cut: what decision records keep of a response.
std::string body_excerpt(const std::string& body, std::size_t max = 512);

/// Whether a response (or a transport failure) is worth retrying: timeouts, connection errors,
/// 429 and 5xx. A 4xx other than 429 is final.
bool is_retryable(const HttpResponse& r);

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  HttpResponse send(const HttpRequest& req);
  /// send() with retries per `policy`; honours Retry-After (seconds) on 429/503.
  HttpResponse send_with_retry(const HttpRequest& req, const RetryPolicy& policy,
                               int* attempts_made = nullptr);

  static std::string url_encode(const std::string& s);
  /// This thread's client (one libcurl handle per thread, reused across requests): how code
  /// that may be called from any thread shares connections without sharing a handle.
  static HttpClient& for_this_thread();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace opspilot::actuators
