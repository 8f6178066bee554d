// Small numeric helpers of the forecasting library: Nelder–Mead, quantiles, gap filling, the
// MASE scale. Pure functions; reentrant.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {

std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                std::vector<double> x0, double step, int max_evals,
                                double* best_value) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> p(n + 1, x0);
  std::vector<double> v(n + 1);
  for (std::size_t i = 0; i < n; ++i) p[i + 1][i] += step;
  int evals = 0;
  auto eval = [&](const std::vector<double>& x) {
    ++evals;
    const double r = f(x);
    // A non-finite objective (a diverging trial) must lose every comparison.
    return std::isfinite(r) ? r : std::numeric_limits<double>::max();
  };
  for (std::size_t i = 0; i <= n; ++i) v[i] = eval(p[i]);
  std::vector<std::size_t> order(n + 1);
  std::vector<double> centroid(n), xr(n), xe(n), xc(n);
  while (evals < max_evals) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    const std::size_t best = order.front(), worst = order.back(), second = order[n - 1];
    // Converged: the simplex has collapsed in value.
    if (std::abs(v[worst] - v[best]) <= 1e-10 * (std::abs(v[best]) + 1e-12)) break;
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (std::size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (std::size_t j = 0; j < n; ++j) centroid[j] += p[i][j] / static_cast<double>(n);
    for (std::size_t j = 0; j < n; ++j) xr[j] = centroid[j] + (centroid[j] - p[worst][j]);
    const double vr = eval(xr);
    if (vr < v[best]) {
      for (std::size_t j = 0; j < n; ++j) xe[j] = centroid[j] + 2 * (centroid[j] - p[worst][j]);
      const double ve = eval(xe);
      if (ve < vr) { p[worst] = xe; v[worst] = ve; } else { p[worst] = xr; v[worst] = vr; }
    } else if (vr < v[second]) {
      p[worst] = xr;
      v[worst] = vr;
    } else {
      const bool outside = vr < v[worst];
      for (std::size_t j = 0; j < n; ++j)
        xc[j] = outside ? centroid[j] + 0.5 * (xr[j] - centroid[j])
                        : centroid[j] + 0.5 * (p[worst][j] - centroid[j]);
      const double vc = eval(xc);
      if (vc < (outside ? vr : v[worst])) {
        p[worst] = xc;
        v[worst] = vc;
      } else {
        for (std::size_t i = 0; i <= n; ++i) {
          if (i == best) continue;
          for (std::size_t j = 0; j < n; ++j) p[i][j] = p[best][j] + 0.5 * (p[i][j] - p[best][j]);
          v[i] = eval(p[i]);
        }
      }
    }
  }
  const std::size_t best = static_cast<std::size_t>(std::min_element(v.begin(), v.end()) - v.begin());
  if (best_value) *best_value = v[best];
  return p[best];
}

double median(std::vector<double> v) { return v.empty() ? kNaN : quantile(std::move(v), 0.5); }

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

std::vector<double> fill_gaps(std::span<const double> y, std::size_t season) {
  std::vector<double> out(y.begin(), y.end());
  const std::size_t n = out.size();
  std::size_t i = 0;
  while (i < n) {
    if (std::isfinite(out[i])) { ++i; continue; }
    std::size_t j = i;
    while (j < n && !std::isfinite(out[j])) ++j;  // gap is [i, j)
    const bool has_left = i > 0, has_right = j < n;
    const std::size_t len = j - i;
    for (std::size_t k = i; k < j; ++k) {
      // Long gaps inside a seasonal series repeat the previous cycle (already filled, so a gap
      // longer than a cycle repeats the last complete one); short ones are interpolated.
      if (season > 1 && len > 2 && k >= season) {
        out[k] = out[k - season];
      } else if (has_left && has_right) {
        const double w = static_cast<double>(k - i + 1) / static_cast<double>(len + 1);
        out[k] = out[i - 1] + w * (out[j] - out[i - 1]);
      } else {
        out[k] = has_left ? out[i - 1] : (has_right ? out[j] : 0.0);
      }
    }
    i = j;
  }
  return out;
}

double mase_scale(std::span<const double> y, std::size_t m) {
  if (m == 0 || m >= y.size()) m = 1;
  double sum = 0, level = 0;
  std::size_t count = 0, finite = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (std::isfinite(y[i])) { level += std::abs(y[i]); ++finite; }
    if (i >= m && std::isfinite(y[i]) && std::isfinite(y[i - m])) {
      sum += std::abs(y[i] - y[i - m]);
      ++count;
    }
  }
  const double mae = count ? sum / static_cast<double>(count) : 0.0;
  const double floor = 1e-6 * (finite ? level / static_cast<double>(finite) : 0.0) + 1e-12;
  return std::max(mae, floor);
}

}  // namespace opspilot::agent::forecast::detail
