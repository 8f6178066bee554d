#include "agent/source/prometheus_client.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "agent/source/prometheus_internal.h"

namespace opspilot::agent {

const char* to_string(PromErrorKind k) {
  switch (k) {
    case PromErrorKind::InvalidArgument: return "invalid_argument";
    case PromErrorKind::Transport: return "transport";
    case PromErrorKind::HttpStatus: return "http_status";
    case PromErrorKind::Rejected: return "rejected";
    case PromErrorKind::Decode: return "decode";
  }
  return "?";
}

namespace {

using prometheus_internal::quote_text;

// Unix seconds with millisecond precision, as Prometheus accepts them: "1700000000.123".
std::string format_seconds(std::int64_t ms) {
  const bool negative = ms < 0;
  const std::uint64_t abs_ms = negative ? static_cast<std::uint64_t>(-(ms + 1)) + 1 : static_cast<std::uint64_t>(ms);
  std::string out = (negative ? "-" : "") + std::to_string(abs_ms / 1000);
  const unsigned frac = static_cast<unsigned>(abs_ms % 1000);
  if (frac != 0) {
    char buf[5] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                   static_cast<char>('0' + frac % 10), 0};
    out += buf;
  }
  return out;
}

std::string attempts_text(int attempts, double backoff_seconds) {
  std::string s = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  if (backoff_seconds > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, ", %.2f s of backoff", backoff_seconds);
    s += buf;
  }
  return s;
}

}  // namespace

PrometheusClientOptions PrometheusClientOptions::from_spec(const PrometheusSpec& spec) {
  PrometheusClientOptions o;
  o.url = spec.url;
  for (const auto& [k, v] : spec.headers) o.headers.emplace_back(k, v);
  o.timeout = spec.timeout;
  o.retry.attempts = std::max(0, spec.retries) + 1;
  o.retry.base = spec.backoff;
  o.retry.cap = spec.backoff * 16;
  return o;
}

PrometheusClient::PrometheusClient(const PrometheusSpec& spec)
    : PrometheusClient(PrometheusClientOptions::from_spec(spec)) {}

PrometheusClient::PrometheusClient(PrometheusClientOptions options) : options_(std::move(options)) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

PrometheusClient::~PrometheusClient() = default;

PrometheusClientStats PrometheusClient::stats() const {
  return {queries_.load(std::memory_order_relaxed), query_errors_.load(std::memory_order_relaxed),
          retries_.load(std::memory_order_relaxed)};
}

std::unique_ptr<actuators::HttpClient> PrometheusClient::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return c;
    }
  }
  return std::make_unique<actuators::HttpClient>();
}

void PrometheusClient::release(std::unique_ptr<actuators::HttpClient> client) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(client));
}

PromQueryResult PrometheusClient::query(std::string_view promql, std::optional<TimePoint> at) {
  std::string params;
  if (at) params = "&time=" + format_seconds(at->time_since_epoch().count());
  return run("/api/v1/query", promql, params);
}

PromQueryResult PrometheusClient::query_range(std::string_view promql, TimePoint start, TimePoint end,
                                              Duration step) {
  if (step.count() <= 0 || end < start) {
    queries_.fetch_add(1, std::memory_order_relaxed);
    query_errors_.fetch_add(1, std::memory_order_relaxed);
    PromQueryResult r;
    PromError e;
    e.kind = PromErrorKind::InvalidArgument;
    e.detail = step.count() <= 0 ? "step " + std::to_string(step.count()) + " ms is not positive"
                                 : "end " + format_seconds(end.time_since_epoch().count()) +
                                       " is before start " + format_seconds(start.time_since_epoch().count());
    e.message = "range query " + quote_text(promql) + " not sent: " + e.detail;
    r.error = std::move(e);
    return r;
  }
  const std::string params = "&start=" + format_seconds(start.time_since_epoch().count()) +
                             "&end=" + format_seconds(end.time_since_epoch().count()) +
                             "&step=" + format_seconds(step.count());
  return run("/api/v1/query_range", promql, params);
}

PromQueryResult PrometheusClient::run(std::string_view endpoint, std::string_view promql,
                                      const std::string& extra_params) {
  queries_.fetch_add(1, std::memory_order_relaxed);
  PromQueryResult out;
  auto failed = [&](PromErrorKind kind, std::string message, std::string detail, long status) {
    query_errors_.fetch_add(1, std::memory_order_relaxed);
    out.error = PromError{kind, std::move(message), status, {}, std::move(detail)};
    return std::move(out);
  };
  if (options_.url.empty()) {
    return failed(PromErrorKind::InvalidArgument,
                  "query " + quote_text(promql) + " not sent: no prometheus url is configured",
                  "empty url", 0);
  }

  actuators::HttpRequest req;
  req.timeout = options_.timeout;
  req.headers = options_.headers;
  req.headers.emplace_back("Accept", "application/json");
  const std::string form = "query=" + actuators::HttpClient::url_encode(std::string(promql)) + extra_params;
  const std::string base = options_.url + std::string(endpoint);
  if (base.size() + 1 + form.size() > options_.max_get_url_bytes) {
    out.used_post = true;
    req.method = "POST";
    req.url = base;
    req.body = form;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  } else {
    req.url = base + "?" + form;
  }

  // The retry loop is ours rather than HttpClient::send_with_retry so that retries and the time
  // slept are counted, and so that waits have a floor (equal jitter; see PrometheusClientOptions).
  const actuators::RetryPolicy& policy = options_.retry;
  const actuators::RetryPolicy half{policy.attempts, policy.base / 2, policy.cap / 2};
  const int attempts = std::max(1, policy.attempts);
  actuators::HttpResponse resp;
  auto client = acquire();
  for (int i = 1; i <= attempts; ++i) {
    out.attempts = i;
    resp = client->send(req);
    if (!actuators::is_retryable(resp) || i == attempts) break;
    const auto ceiling = std::min<std::chrono::milliseconds>(
        policy.cap, policy.base * (std::int64_t{1} << std::min(i - 1, 30)));
    auto wait = ceiling / 2 + half.delay(i);
    const std::string retry_after = resp.header("retry-after");
    if (!retry_after.empty() && retry_after.size() < 8 &&
        std::all_of(retry_after.begin(), retry_after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      wait = std::min(policy.cap, std::chrono::milliseconds(std::stol(retry_after) * 1000));
    }
    const auto slept_from = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(wait);
    out.backoff_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - slept_from).count();
  }
  release(std::move(client));
  retries_.fetch_add(static_cast<std::uint64_t>(out.attempts - 1), std::memory_order_relaxed);
  const std::string tries = attempts_text(out.attempts, out.backoff_seconds);

  if (!resp.transport_ok()) {
    return failed(PromErrorKind::Transport,
                  "cannot reach prometheus at " + options_.url + " for query " + quote_text(promql) + ": " +
                      resp.error + " (" + tries + ")",
                  resp.error, 0);
  }
  PromResponse decoded;
  const std::string decode_error = decode_prometheus_response(resp.body, decoded);
  const std::string status = "HTTP " + std::to_string(resp.status);
  if (decode_error.empty() && decoded.status == "error") {
    query_errors_.fetch_add(1, std::memory_order_relaxed);
    PromError e;
    e.kind = PromErrorKind::Rejected;
    e.http_status = resp.status;
    e.error_type = decoded.error_type;
    e.detail = decoded.error;
    e.message = "prometheus rejected query " + quote_text(promql) + ": " + decoded.error_type + ": " +
                decoded.error + " (" + status + ", " + tries + ")";
    out.error = std::move(e);
    return out;
  }
  if (resp.status < 200 || resp.status >= 300) {
    std::string snippet = resp.body.substr(0, 200);
    std::replace(snippet.begin(), snippet.end(), '\n', ' ');
    return failed(PromErrorKind::HttpStatus,
                  "prometheus at " + options_.url + " answered " + status + " to query " + quote_text(promql) +
                      " (" + tries + "): " + quote_text(snippet),
                  snippet, resp.status);
  }
  if (!decode_error.empty()) {
    return failed(PromErrorKind::Decode,
                  "prometheus at " + options_.url + " sent an unreadable answer to query " + quote_text(promql) +
                      ": " + decode_error,
                  decode_error, resp.status);
  }
  out.result = std::move(decoded.result);
  return out;
}

}  // namespace opspilot::agent
