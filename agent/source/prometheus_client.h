#pragma once
// Controller mode's window on Prometheus: instant and range queries over the HTTP API
// (/api/v1/query, /api/v1/query_range), with retries, and a decoder that reads the JSON answer
// as a stream of SAX events instead of building a DOM — range queries over many series return
// millions of samples, and a DOM would allocate one node per number.
//
// Failures are values (PromQueryResult::error), never exceptions. Messages quote the query and,
// when Prometheus refused it, Prometheus' own `errorType` and `error` fields verbatim.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actuators/common/http_client.h"
#include "agent/clock.h"
#include "agent/config/config.h"

namespace opspilot::agent {

/// Prometheus' `data.resultType`. None: no result (an error response).
enum class PromResultType { None, Vector, Matrix, Scalar, String };
const char* to_string(PromResultType t);

/// One sample: unix time in seconds (Prometheus sends millisecond precision) and its value.
/// Values may be NaN or ±Inf: Prometheus sends them as the strings "NaN", "+Inf", "-Inf".
struct PromSample {
  double time = 0;
  double value = 0;
};

struct PromSeries {
  std::map<std::string, std::string> labels;  // includes __name__ when Prometheus sends it
  std::vector<PromSample> samples;            // vector: exactly one; matrix: in time order
};

/// A decoded `data` section. A scalar result is one series with no labels and one sample, so
/// callers that reduce to a number need not branch on it; a string result sets string_value
/// (and its evaluation time as series[0].samples[0].time with a NaN value).
struct PromResult {
  PromResultType type = PromResultType::None;
  std::vector<PromSeries> series;
  std::string string_value;
  std::vector<std::string> warnings;  // Prometheus' `warnings`, verbatim

  std::size_t sample_count() const;
};

enum class PromErrorKind {
  InvalidArgument,  // we refused to send it (empty URL, step <= 0, end before start)
  Transport,        // no HTTP answer: connection refused, timeout, DNS...
  HttpStatus,       // an HTTP error that is not a Prometheus error document (a proxy's 502)
  Rejected,         // Prometheus answered {"status":"error", "errorType": ..., "error": ...}
  Decode,           // a 2xx answer that is not a valid Prometheus response
};
const char* to_string(PromErrorKind k);

struct PromError {
  PromErrorKind kind = PromErrorKind::Transport;
  std::string message;     // one sentence for logs and SignalValue::error; quotes the query
  long http_status = 0;    // 0 when no HTTP answer arrived
  std::string error_type;  // Prometheus' `errorType` (Rejected only), e.g. "bad_data"
  std::string detail;      // Prometheus' `error`, the transport error, or the decode error
};

/// The outcome of one query() / query_range() call, including its retries.
struct PromQueryResult {
  PromResult result;               // meaningful when ok()
  std::optional<PromError> error;  // set when the query failed
  int attempts = 0;                // HTTP requests made (1 + retries)
  double backoff_seconds = 0;      // time slept between attempts
  bool used_post = false;          // the query was sent as a POST form (it was long)

  bool ok() const { return !error.has_value(); }
};

/// A decoded Prometheus API response body, success or error.
struct PromResponse {
  std::string status;      // "success" | "error"
  std::string error_type;  // set when status == "error"
  std::string error;       // set when status == "error"
  PromResult result;       // set when status == "success"
};

/// Decodes a Prometheus query response body into `out` (cleared first). Returns an empty string
/// on success, otherwise why `body` is not a Prometheus response, naming where (for example
/// `data.result[2].values[7]: sample value "abc" is not a number`, or the JSON parser's line and
/// column). Never throws. Thread-safe (no shared state).
std::string decode_prometheus_response(std::string_view body, PromResponse& out);

/// Parses a Prometheus sample value: a decimal number, "NaN", "+Inf" or "-Inf". False if `text`
/// is anything else. Uses std::from_chars (locale-independent, no allocation).
bool parse_prometheus_value(std::string_view text, double& value);

struct PrometheusClientOptions {
  std::string url;  // base URL, e.g. http://prometheus:9090 or http://host/prometheus
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request
  std::chrono::milliseconds timeout{5000};                   // per HTTP request
  /// attempts = total tries. Delays use "equal jitter": half of min(cap, base * 2^(n-1)) plus a
  /// uniform random share of the other half. Full jitter (RetryPolicy::delay alone) can draw
  /// ~0 ms several times in a row and hammer a Prometheus that is already struggling.
  actuators::RetryPolicy retry;
  /// A query whose GET URL would be longer than this is sent as a POST form instead: proxies
  /// and Prometheus' own HTTP server cap request-line length (often 8 KiB).
  std::size_t max_get_url_bytes = 2048;

  /// From the config: `retries` counts RE-tries, so attempts = retries + 1; backoff is the base
  /// delay and the cap is 16 times it.
  static PrometheusClientOptions from_spec(const PrometheusSpec& spec);
};

/// Counters for the agent's /metrics. Monotonic.
struct PrometheusClientStats {
  std::uint64_t queries = 0;       // query() + query_range() calls
  std::uint64_t query_errors = 0;  // calls that ended with an error
  std::uint64_t retries = 0;       // extra HTTP attempts made across all calls
};

/// A client for one Prometheus server.
/// Thread-safety: query() and query_range() may be called from any number of threads at once.
/// libcurl handles are not thread-safe, so each call borrows an HttpClient from a
/// mutex-guarded pool (one per concurrently querying thread; connections are reused).
class PrometheusClient {
 public:
  explicit PrometheusClient(const PrometheusSpec& spec);
  explicit PrometheusClient(PrometheusClientOptions options);
  ~PrometheusClient();
  PrometheusClient(const PrometheusClient&) = delete;
  PrometheusClient& operator=(const PrometheusClient&) = delete;

  /// Instant query. Without `at`, Prometheus evaluates at its own current time (no time=).
  PromQueryResult query(std::string_view promql, std::optional<TimePoint> at = std::nullopt);
  /// Range query over [start, end] every `step` (> 0).
  PromQueryResult query_range(std::string_view promql, TimePoint start, TimePoint end,
                              Duration step);

  PrometheusClientStats stats() const;
  const std::string& url() const { return options_.url; }

 private:
  PromQueryResult run(std::string_view endpoint, std::string_view promql,
                      const std::string& extra_params);
  std::unique_ptr<actuators::HttpClient> acquire();
  void release(std::unique_ptr<actuators::HttpClient> client);

  PrometheusClientOptions options_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<actuators::HttpClient>> pool_;  // guarded by pool_mu_
  std::atomic<std::uint64_t> queries_{0};
  std::atomic<std::uint64_t> query_errors_{0};
  std::atomic<std::uint64_t> retries_{0};
};

}  // namespace opspilot::agent
