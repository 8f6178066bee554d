#pragma once
// The queueing model behind the sandbox's latency: each ready replica runs `workers` concurrent
// workers that together serve μ req/s, so a service is an M/M/c queue with c = ready × workers.
// Response time = service time (lognormal from the configured p50/p99, times any incident factor)
// + queueing wait (Erlang C: with probability C a request waits, and the wait is exponential with
// rate ready·μ·(1 − ρ)). Latency distributions are kept as lognormals fitted to their p50 and
// p99, mixed by the share of traffic each kind of replica serves, and capped at the timeout.
// The sandbox *reports* quantiles the way Prometheus reads them from its exported histogram
// (bucket_quantile), so the agent, scraping, sees the same p99 the sandbox records.
// Thread-safety: plain functions and values.
#include <vector>

namespace opspilot::sandbox {

/// Probability that an arrival waits in an M/M/c queue with `servers` servers offered `erlangs`
/// of load (Erlang C). 1 when erlangs >= servers (the queue grows without bound).
double erlang_c(int servers, double erlangs);

struct QueueState {
  double utilization = 0;      // ρ = λ / (ready·μ), may exceed 1; +inf with load and no replica
  double wait_probability = 0; // Erlang C at min(ρ, kMaxQueueUtilization)
  double wait_rate = 0;        // 1/s: rate of the exponential wait
};

/// Above this utilisation the excess is shed (503) rather than queued, as a proxy with a bounded
/// queue would; latency is computed at this utilisation.
inline constexpr double kMaxQueueUtilization = 0.98;

QueueState queue_state(double lambda, int ready, double per_replica, int workers);

/// The q-quantile (0 < q < 1) of the waiting time in seconds; 0 when fewer than 1 − q wait.
double wait_quantile(const QueueState& q, double quantile);

/// Standard normal CDF.
double normal_cdf(double z);
/// z such that Φ(z) = 0.99.
inline constexpr double kZ99 = 2.3263478740408408;

/// A mixture of capped lognormal latency distributions, each given by its median and p99.
class LatencyMix {
 public:
  explicit LatencyMix(double cap_s) : cap_(cap_s) {}
  /// Adds a component carrying `weight` of the requests (weights need not sum to 1).
  void add(double weight, double p50_s, double p99_s);
  bool empty() const { return total_weight_ <= 0; }
  /// P(latency <= t).
  double cdf(double t) const;
  /// Mean latency (each component's lognormal mean, truncated at the cap).
  double mean() const;
  double cap() const { return cap_; }

 private:
  struct Component {
    double weight;
    double mu;     // ln(median)
    double sigma;  // 0 = all at the median
  };
  double cap_;
  double total_weight_ = 0;
  std::vector<Component> parts_;
};

/// The q-quantile as Prometheus' histogram_quantile() reads it from cumulative fractions
/// `cdf[i]` = P(latency <= bounds[i]) (bounds ascending, without +Inf): linear inside the bucket
/// that holds it (from 0 in the first), the largest bound when it lies beyond them all.
double bucket_quantile(double q, const double* bounds, const double* cdf, std::size_t n);

}  // namespace opspilot::sandbox
