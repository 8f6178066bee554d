#include "examples/backtest/baselines.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agent/format.h"

namespace opspilot::backtest {

using agent::fmt;

int HpaController::sync(double now_s, int current, int ready, double cpu) {
  const double target = spec_.target_utilization;
  int recommendation = current;
  if (ready <= 0) {
    // No pod reports a metric: the HPA cannot compute a ratio and keeps the scale.
    reason_ = "no ready pod reports a metric; keep " + std::to_string(current);
  } else {
    const double ratio = cpu / target;
    const int unready = std::max(0, current - ready);
    if (unready == 0) {
      if (std::abs(ratio - 1.0) > spec_.tolerance) recommendation = static_cast<int>(std::ceil(ratio * ready));
      reason_ = fmt("usage ratio %.3f over %.0f ready pods", ratio, ready);
    } else if (ratio > 1.0) {
      // Scale-up with pods still starting: they count as using nothing, which damps the step;
      // if that flips the direction or lands within tolerance, nothing changes.
      const double rebalanced = cpu * ready / (target * (ready + unready));
      if (rebalanced > 1.0 + spec_.tolerance)
        recommendation = static_cast<int>(std::ceil(rebalanced * (ready + unready)));
      reason_ = fmt("usage ratio %.3f, %.3f counting %.0f unready pods at 0%%", ratio, rebalanced, unready);
    } else {
      // Scale-down: unready pods are left out of the ratio.
      if (std::abs(ratio - 1.0) > spec_.tolerance) recommendation = static_cast<int>(std::ceil(ratio * ready));
      reason_ = fmt("usage ratio %.3f over %.0f ready pods (%.0f unready ignored)", ratio, ready, unready);
    }
  }
  recommendation = std::clamp(recommendation, spec_.min_replicas, spec_.max_replicas);

  // Scale-down stabilisation: the largest recommendation within the window (this one included).
  recommendations_.push_back({now_s, recommendation});
  while (!recommendations_.empty() && recommendations_.front().at_s <= now_s - spec_.downscale_stabilization_s)
    recommendations_.pop_front();
  int desired = recommendation;
  if (desired < current) {
    int stabilized = desired;
    for (const auto& r : recommendations_) stabilized = std::max(stabilized, r.replicas);
    desired = std::min(stabilized, current);
  }
  // Default behaviour: up by at most max(100%, 4 pods) per period; down by at most 100%.
  const int up_limit = std::max(current * 2, current + 4);
  desired = std::clamp(std::min(desired, up_limit), spec_.min_replicas, spec_.max_replicas);
  if (desired != current) reason_ += "; " + std::to_string(current) + " -> " + std::to_string(desired);
  return desired;
}

int Oracle::need(double rps) const {
  const double unit = spec_.per_replica * spec_.target_utilization;
  const int n = unit > 0 ? static_cast<int>(std::ceil(rps / unit - 1e-9)) : spec_.max_replicas;
  return std::clamp(n, spec_.min_replicas, spec_.max_replicas);
}

int Oracle::desired(double now_s) const {
  const double from = (now_s - offset_s_) / step_s_;
  const double to = (now_s + spec_.lead_s - offset_s_) / step_s_;
  double peak = 0;
  const auto first = static_cast<long long>(std::floor(std::max(0.0, from)));
  const auto last = static_cast<long long>(std::ceil(to));
  for (long long k = first; k < last && k < static_cast<long long>(rps_.size()); ++k)
    if (k >= 0) peak = std::max(peak, rps_[static_cast<std::size_t>(k)]);
  return need(peak);
}

std::vector<double> TrendOracle::sized(const TrendOracleSpec& spec, const std::vector<double>& rps) {
  const std::size_t n = rps.size();
  std::vector<double> trend(n), window, out(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t a = k > spec.trend_half_window ? k - spec.trend_half_window : 0;
    const std::size_t b = std::min(n, k + spec.trend_half_window + 1);
    window.assign(rps.begin() + static_cast<std::ptrdiff_t>(a), rps.begin() + static_cast<std::ptrdiff_t>(b));
    const auto mid = window.begin() + static_cast<std::ptrdiff_t>(window.size() / 2);
    std::nth_element(window.begin(), mid, window.end());
    trend[k] = *mid;
  }
  // Centred mean absolute deviation from the trend, from a running sum.
  std::vector<double> sum(n + 1, 0.0);
  for (std::size_t k = 0; k < n; ++k) sum[k + 1] = sum[k] + std::abs(rps[k] - trend[k]);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t a = k > spec.noise_half_window ? k - spec.noise_half_window : 0;
    const std::size_t b = std::min(n, k + spec.noise_half_window + 1);
    out[k] = trend[k] + spec.noise_k * (sum[b] - sum[a]) / static_cast<double>(b - a);
  }
  return out;
}

}  // namespace opspilot::backtest
