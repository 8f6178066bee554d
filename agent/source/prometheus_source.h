#pragma once
// Controller mode's MetricSource: each signal of a target is one PromQL instant query, reduced to
// one number.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/source/observation.h"
#include "agent/source/prometheus_client.h"

namespace opspilot::agent {

/// Which time an instant query is evaluated at.
enum class QueryTime {
  /// No time= parameter: Prometheus evaluates at its own "now". Right when the agent runs on the
  /// system clock — sending our own now would only add the two hosts' clock skew, and a time ahead
  /// of Prometheus' is in its future, where there are no samples yet (and which newer versions
  /// reject).
  ServerNow,
  /// time=<the agent's now>. Needed when the agent's clock is not the system clock (ScaledClock in
  /// the sandbox, backtests): the values must be the ones at the agent's simulated time. Such a
  /// clock must not run ahead of real time, for the reason above.
  AgentClock,
};

/// ServerNow for a SystemClock, AgentClock for any other clock (scaled, manual).
QueryTime query_time_for(const Clock& clock);

struct PrometheusSourceOptions {
  QueryTime query_time = QueryTime::ServerNow;
  /// A value whose sample is older than this (relative to the observation's `now`) is Stale.
  Duration stale_after{std::chrono::minutes(2)};
};

/// Counters for the agent's /metrics. Monotonic.
struct PrometheusSourceStats {
  std::uint64_t queries = 0;       // instant queries sent (one per signal per observation)
  std::uint64_t query_errors = 0;  // queries that failed (transport, HTTP, rejected, undecodable)
  std::uint64_t retries = 0;       // extra HTTP attempts made
  std::uint64_t non_finite = 0;    // values that were NaN or ±Inf, reported as Error, never used
  std::uint64_t missing = 0;       // queries that returned no series
  std::uint64_t stale = 0;         // values older than stale_after
};

/// Reduces one instant query's result to one signal value:
///  - error → Error with the client's message (which quotes Prometheus' errorType and error);
///  - no series → Missing "no data: query returned no series";
///  - one series, or a scalar → its value; several series → their SUM (a signal is one number,
///    and PromQL users usually want `sum(...)` anyway; write `max(...)` etc. to choose otherwise);
///    its time is the oldest of their sample times;
///  - NaN or ±Inf → Error "not a finite number: NaN" (never used as a value);
///  - a sample older than `stale_after` at `now` → Stale (value kept for display; not ok()).
///    Note Prometheus stamps an instant vector with the evaluation time, so this catches a
///    Prometheus whose clock or evaluation lags the agent's; a series that stopped reporting
///    vanishes after Prometheus' lookback (5 min by default) and then reads as Missing;
///  - a string or range-vector (matrix) result → Error saying what was expected.
/// `non_finite`, when given, is set to whether the value was NaN or ±Inf.
/// Pure function; thread-safe.
SignalValue reduce_to_signal(const PromQueryResult& result, const std::string& query, TimePoint now,
                             Duration stale_after, bool* non_finite = nullptr);

/// Observes targets through a Prometheus server. Signals are queried one after another; an error
/// in one signal is recorded in its SignalValue and the others are still evaluated.
/// Thread-safety: observe() and stats() may be called concurrently (the client is thread-safe
/// and the counters are atomic).
class PrometheusSource final : public MetricSource {
 public:
  PrometheusSource(std::shared_ptr<PrometheusClient> client, PrometheusSourceOptions options);
  /// Client from config.prometheus, staleness bound from config.stale_after.
  PrometheusSource(const Config& config, QueryTime query_time);

  Observation observe(const TargetSpec& target, TimePoint now) override;

  PrometheusSourceStats stats() const;
  SourceStats source_stats() const override;
  PrometheusClient& client() { return *client_; }

 private:
  std::shared_ptr<PrometheusClient> client_;
  PrometheusSourceOptions options_;
  std::atomic<std::uint64_t> non_finite_{0};
  std::atomic<std::uint64_t> missing_{0};
  std::atomic<std::uint64_t> stale_{0};
};

}  // namespace opspilot::agent
