#include "actuators/common/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>

namespace opspilot::actuators {
namespace {

std::once_flag g_curl_init;

size_t write_body(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

size_t write_header(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(userdata);
  std::string line(buffer, size * nitems);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    (*headers)[name] = (b == std::string::npos) ? std::string() : value.substr(b, e - b + 1);
  }
  return size * nitems;
}

}  // namespace

struct HttpClient::Impl {
  CURL* curl = nullptr;
  Impl() {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl = curl_easy_init();
  }
  ~Impl() {
    if (curl) curl_easy_cleanup(curl);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

std::chrono::milliseconds RetryPolicy::delay(int attempt) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double exp = static_cast<double>(base.count()) * std::pow(2.0, std::max(0, attempt - 1));
  const double ceiling = std::min(static_cast<double>(cap.count()), exp);
  std::uniform_real_distribution<double> dist(0.0, ceiling);
  return std::chrono::milliseconds(static_cast<long>(dist(rng)));
}

bool is_retryable(const HttpResponse& r) {
  if (!r.transport_ok()) return true;
  return r.status == 429 || r.status >= 500;
}

HttpResponse HttpClient::send(const HttpRequest& req) {
  HttpResponse resp;
  CURL* c = impl_->curl;
  if (c == nullptr) {
    resp.error = "libcurl could not create a handle";
    return resp;
  }
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<long>(req.timeout.count(), 3000)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "opspilot/0.1");
  if (!req.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.client_cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, req.client_cert_file.c_str());
  if (!req.client_key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, req.client_key_file.c_str());
  if (req.insecure_skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }
  curl_slist* list = nullptr;
  for (const auto& [k, v] : req.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);

  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  double total = 0;
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &total);
  resp.elapsed_seconds = total;
  if (rc != CURLE_OK) {
    resp.error = std::string(curl_easy_strerror(rc)) + " (" + req.method + " " + req.url + ")";
    resp.status = 0;
    return resp;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

HttpResponse HttpClient::send_with_retry(const HttpRequest& req, const RetryPolicy& policy,
                                         int* attempts_made) {
  HttpResponse resp;
  const int attempts = std::max(1, policy.attempts);
  for (int i = 1; i <= attempts; ++i) {
    if (attempts_made) *attempts_made = i;
    resp = send(req);
    if (!is_retryable(resp) || i == attempts) break;
    std::this_thread::sleep_for(wait_before_retry(policy, i, resp));
  }
  return resp;
}

std::chrono::milliseconds wait_before_retry(const RetryPolicy& policy, int attempt, const HttpResponse& r) {
  auto wait = policy.delay(attempt);
  // The server knows how long it is overloaded for: wait at least what it asks, up to the cap
  // (an apply must not block for minutes; attempts run out and it is reported).
  const std::string after = r.header("retry-after");
  if (!after.empty() && after.size() <= 6 &&
      std::all_of(after.begin(), after.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
    wait = std::max(wait, std::min(policy.cap, std::chrono::milliseconds(std::stol(after) * 1000)));
  return wait;
}

HttpClient& HttpClient::for_this_thread() {
  thread_local HttpClient client;
  return client;
}

std::string trim_space(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string body_excerpt(const std::string& body, std::size_t max) {
  if (body.size() <= max) return body;
  return body.substr(0, max) + "…";
}

std::string HttpClient::url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 15]);
    }
  }
  return out;
}

}  // namespace opspilot::actuators
