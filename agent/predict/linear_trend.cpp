#include <algorithm>
#include <cmath>
#include <cstdio>

#include <Eigen/Dense>

#include "agent/predict/predictor.h"

namespace opspilot::agent {

double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  const double plow = 0.02425;
  if (p < plow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - plow) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

std::string LinearTrendPredictor::name() const {
  return "linear-trend(" + std::to_string(window_.count() / 60000) + "m)";
}

Prediction LinearTrendPredictor::forecast(const std::vector<Point>& history, TimePoint now,
                                          Duration horizon, double level) const {
  Prediction p;
  p.model = name();
  p.level = level;
  p.horizon_seconds = to_seconds(horizon);
  const TimePoint from = now - window_;
  // Time in seconds relative to now keeps the least-squares problem well conditioned.
  std::vector<double> xs, ys;
  xs.reserve(history.size());
  ys.reserve(history.size());
  for (const auto& pt : history) {
    if (pt.t < from || pt.t > now || !std::isfinite(pt.v)) continue;
    xs.push_back(to_seconds(pt.t - now));
    ys.push_back(pt.v);
  }
  const double n = static_cast<double>(xs.size());
  const double span = xs.empty() ? 0 : xs.back() - xs.front();
  if (xs.size() < min_points_ || span < to_seconds(window_) / 4) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "not enough data: %.0f points over %.0fs, need %zu over %.0fs",
                  n, span, min_points_, to_seconds(window_) / 4);
    p.note = buf;
    return p;
  }
  Eigen::MatrixXd X(xs.size(), 2);
  Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(ys.data(), static_cast<Eigen::Index>(ys.size()));
  X.col(0).setOnes();
  X.col(1) = Eigen::Map<const Eigen::VectorXd>(xs.data(), static_cast<Eigen::Index>(xs.size()));
  const Eigen::Vector2d beta = X.colPivHouseholderQr().solve(y);
  const double intercept = beta(0), slope = beta(1);
  const double sse = (y - X * beta).squaredNorm();
  const double mx = X.col(1).mean();
  const double sxx_c = (X.col(1).array() - mx).square().sum();
  const double s = std::sqrt(sse / std::max(1.0, n - 2));
  const double x0 = p.horizon_seconds;
  const double se = s * std::sqrt(1 + 1 / n + (sxx_c > 0 ? (x0 - mx) * (x0 - mx) / sxx_c : 0));
  const double z = normal_quantile(0.5 + level / 2);
  p.enough_data = true;
  p.mean = std::max(0.0, intercept + slope * x0);
  p.lower = std::max(0.0, p.mean - z * se);
  p.upper = p.mean + z * se;
  const double scale = std::max(std::abs(p.mean), 1e-9);
  p.confidence = std::clamp(1.0 - (p.upper - p.lower) / (2 * scale), 0.0, 1.0);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.0f points over %.0fs, slope %.4g/s, residual sd %.3g", n, span,
                slope, s);
  p.note = buf;
  return p;
}

}  // namespace opspilot::agent
