// Season detection: only the periods that mean something to an operator are considered — a day
// and a week, at whatever sampling interval — each confirmed by the autocorrelation of the series
// with its trend (and, for the week, the daily profile) removed.
#include <algorithm>
#include <cmath>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast {
namespace {

using detail::kNaN;

// Autocorrelation at `lag` over the pairs where both ends are finite.
double acf(std::span<const double> x, std::size_t lag) {
  if (lag >= x.size()) return kNaN;
  double mean = 0, n = 0;
  for (double v : x)
    if (std::isfinite(v)) { mean += v; n += 1; }
  if (n < 2) return kNaN;
  mean /= n;
  double var = 0, cov = 0;
  for (std::size_t t = 0; t < x.size(); ++t) {
    if (!std::isfinite(x[t])) continue;
    var += (x[t] - mean) * (x[t] - mean);
    if (t + lag < x.size() && std::isfinite(x[t + lag])) cov += (x[t] - mean) * (x[t + lag] - mean);
  }
  return var > 0 ? cov / var : kNaN;
}

// x minus its centred moving average of window w (NaN at the ends): removes the trend and
// anything slower than w, keeps cycles of period w.
std::vector<double> detrend(std::span<const double> x, std::size_t w) {
  const std::size_t n = x.size(), half = w / 2;
  std::vector<double> prefix(n + 1, 0.0), out(n, kNaN);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + x[i];
  for (std::size_t t = half; t + half < n; ++t) {
    const double a = prefix[t + half] - prefix[t - half];
    const double b = prefix[std::min(n, t + half + 1)] - prefix[t - half + 1];
    out[t] = x[t] - (w % 2 ? (prefix[t + half + 1] - prefix[t - half]) / static_cast<double>(w)
                           : (a + b) / (2.0 * static_cast<double>(w)));
  }
  return out;
}

// x minus the per-phase mean of period m.
std::vector<double> remove_profile(std::span<const double> x, std::size_t m, double* profile_var) {
  std::vector<double> sum(m, 0.0), count(m, 0.0), out(x.begin(), x.end());
  for (std::size_t t = 0; t < x.size(); ++t)
    if (std::isfinite(x[t])) { sum[t % m] += x[t]; count[t % m] += 1; }
  double mean = 0, var = 0;
  for (std::size_t p = 0; p < m; ++p) { sum[p] = count[p] > 0 ? sum[p] / count[p] : 0.0; mean += sum[p]; }
  mean /= static_cast<double>(m);
  for (std::size_t p = 0; p < m; ++p) var += (sum[p] - mean) * (sum[p] - mean);
  if (profile_var) *profile_var = var / static_cast<double>(m);
  for (std::size_t t = 0; t < x.size(); ++t)
    if (std::isfinite(out[t])) out[t] -= sum[t % m];
  return out;
}

double variance(std::span<const double> x) {
  double mean = 0, n = 0, var = 0;
  for (double v : x)
    if (std::isfinite(v)) { mean += v; n += 1; }
  if (n < 2) return 0;
  mean /= n;
  for (double v : x)
    if (std::isfinite(v)) var += (v - mean) * (v - mean);
  return var / n;
}

// The lag near `nominal` (within 1%) with the highest autocorrelation. The nominal period wins
// unless another lag is clearly better: sampling jitter should not turn 168 into 166, but a
// step_seconds that is slightly off (a 61 s scrape called 60 s) still finds its cycle.
std::size_t best_lag_near(std::span<const double> x, std::size_t nominal, double* r) {
  const std::size_t slack = nominal / 100;
  double best_r = acf(x, nominal);
  if (!std::isfinite(best_r)) best_r = -2;
  const double at_nominal = best_r;
  std::size_t best = nominal;
  for (std::size_t lag = nominal - slack; lag <= nominal + slack; ++lag) {
    const double v = acf(x, lag);
    if (lag != nominal && std::isfinite(v) && v > best_r && v > at_nominal + 0.05) { best_r = v; best = lag; }
  }
  *r = best_r;
  return best;
}

}  // namespace

std::vector<std::size_t> detect_seasons(const std::vector<double>& y, double step_seconds) {
  if (!(step_seconds > 0) || !std::isfinite(step_seconds)) return {};
  std::size_t finite = 0;
  for (double v : y) finite += std::isfinite(v) ? 1 : 0;
  if (finite < 8) return {};
  // Interpolate gaps so the moving averages are defined; the ACF below skips them again.
  const std::vector<double> filled = detail::fill_gaps(y, 0);
  std::vector<double> x = filled;
  for (std::size_t t = 0; t < y.size(); ++t)
    if (!std::isfinite(y[t])) x[t] = kNaN;
  const double n = static_cast<double>(y.size());
  const double threshold = std::max(0.2, 2.5 / std::sqrt(n));

  struct Found { std::size_t period; double strength; };
  std::vector<Found> found;
  const auto daily = static_cast<std::size_t>(std::llround(86400.0 / step_seconds));
  const auto weekly = static_cast<std::size_t>(std::llround(604800.0 / step_seconds));
  std::size_t day = 0;
  if (daily >= 2 && y.size() >= 2 * daily + daily / 2) {
    std::vector<double> d = detrend(filled, daily);
    for (std::size_t t = 0; t < d.size(); ++t)
      if (!std::isfinite(x[t])) d[t] = kNaN;
    double r = 0;
    const std::size_t lag = best_lag_near(d, daily, &r);
    if (r >= threshold) {
      double pv = 0;
      remove_profile(d, lag, &pv);
      const double total = variance(d);
      found.push_back({lag, total > 0 ? pv / total : 0});
      day = lag;
    }
  }
  if (weekly >= 2 && weekly != daily && y.size() >= 2 * weekly + weekly / 2 && (!day || y.size() >= 2 * 7 * day + 7 * day / 2)) {
    std::vector<double> w = detrend(filled, weekly);
    for (std::size_t t = 0; t < w.size(); ++t)
      if (!std::isfinite(x[t])) w[t] = kNaN;
    const double total = variance(w);
    // With a daily cycle, lag 7 days correlates through it alone: test what the daily profile
    // leaves behind.
    if (day) w = remove_profile(w, day, nullptr);
    double r = 0;
    // A week is seven of the days found, exactly (else the two profiles drift apart).
    const std::size_t lag = day ? 7 * day : best_lag_near(w, weekly, &r);
    if (day) r = acf(w, lag);
    if (r >= threshold) {
      double pv = 0;
      remove_profile(w, lag, &pv);
      found.push_back({lag, total > 0 ? pv / total : 0});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.strength > b.strength; });
  std::vector<std::size_t> out;
  for (const Found& f : found) out.push_back(f.period);
  return out;
}

}  // namespace opspilot::agent::forecast
