#include "examples/sandbox/queueing.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace opspilot::sandbox {

double erlang_c(int servers, double erlangs) {
  if (servers <= 0) return 1.0;
  if (erlangs <= 0) return 0.0;
  const double c = static_cast<double>(servers);
  if (erlangs >= c) return 1.0;
  // Erlang B by its stable recursion, then C from B.
  double b = 1.0;
  for (int i = 1; i <= servers; ++i) b = erlangs * b / (static_cast<double>(i) + erlangs * b);
  return c * b / (c - erlangs * (1.0 - b));
}

QueueState queue_state(double lambda, int ready, double per_replica, int workers) {
  QueueState q;
  if (ready <= 0 || per_replica <= 0) {
    q.utilization = lambda > 0 ? std::numeric_limits<double>::infinity() : 0;
    q.wait_probability = 1;
    return q;
  }
  const double capacity = ready * per_replica;
  q.utilization = lambda / capacity;
  const double rho = std::min(q.utilization, kMaxQueueUtilization);
  const int servers = ready * std::max(1, workers);
  q.wait_probability = erlang_c(servers, rho * servers);
  // Waiting requests leave at the rate the c servers free up beyond the arrivals: cν − λ.
  q.wait_rate = capacity * (1.0 - rho);
  return q;
}

double wait_quantile(const QueueState& q, double quantile) {
  const double tail = 1.0 - quantile;
  if (q.wait_probability <= tail || q.wait_rate <= 0) return 0.0;
  return std::log(q.wait_probability / tail) / q.wait_rate;
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

void LatencyMix::add(double weight, double p50_s, double p99_s) {
  if (weight <= 0) return;
  p50_s = std::clamp(p50_s, 1e-6, cap_);
  p99_s = std::clamp(p99_s, p50_s, cap_);
  const double sigma = std::log(p99_s / p50_s) / kZ99;
  parts_.push_back(Component{weight, std::log(p50_s), sigma > 1e-9 ? sigma : 0.0});
  total_weight_ += weight;
}

double LatencyMix::cdf(double t) const {
  if (total_weight_ <= 0) return t >= 0 ? 1.0 : 0.0;
  if (t >= cap_) return 1.0;
  if (t <= 0) return 0.0;
  const double lt = std::log(t);
  double acc = 0;
  for (const Component& c : parts_) {
    const double f = c.sigma > 0 ? normal_cdf((lt - c.mu) / c.sigma) : (lt >= c.mu ? 1.0 : 0.0);
    acc += c.weight * f;
  }
  return acc / total_weight_;
}

double LatencyMix::mean() const {
  if (total_weight_ <= 0) return 0.0;
  const double lcap = std::log(cap_);
  double acc = 0;
  for (const Component& c : parts_) {
    double m = 0;
    if (c.sigma <= 0) {
      m = std::min(std::exp(c.mu), cap_);
    } else {
      // E[min(X, cap)] for X lognormal(mu, sigma).
      const double below = std::exp(c.mu + 0.5 * c.sigma * c.sigma) *
                           normal_cdf((lcap - c.mu - c.sigma * c.sigma) / c.sigma);
      const double above = cap_ * (1.0 - normal_cdf((lcap - c.mu) / c.sigma));
      m = below + above;
    }
    acc += c.weight * m;
  }
  return acc / total_weight_;
}

double bucket_quantile(double q, const double* bounds, const double* cdf, std::size_t n) {
  double prev_bound = 0, prev_cdf = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (cdf[i] >= q) {
      const double width = cdf[i] - prev_cdf;
      if (width <= 0) return bounds[i];
      return prev_bound + (bounds[i] - prev_bound) * (q - prev_cdf) / width;
    }
    prev_bound = bounds[i];
    prev_cdf = cdf[i];
  }
  return n > 0 ? bounds[n - 1] : 0.0;
}

}  // namespace opspilot::sandbox
