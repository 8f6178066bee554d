// Prediction intervals calibrated on the rolling-origin errors of the chosen model.
//
// Per horizon step h, the error scale s_h is the RMS of the validation errors at that step
// (smoothed across neighbouring steps). Errors divided by their s_h are pooled over all origins
// and steps, and the band at level L spans the (1-L)/2 and (1+L)/2 empirical quantiles of that
// pool, times s_h: asymmetric where the errors are, wider where the horizon is longer, with no
// normality assumed. The coverage reported is leave-one-origin-out: each origin's errors are
// checked against bands calibrated without that origin.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "agent/predict/forecast_internal.h"

namespace opspilot::agent::forecast::detail {
namespace {

// Below this many pooled errors, empirical quantiles at 95% are noise: use a normal band.
constexpr std::size_t kMinPooled = 40;
// The conformal widening is capped: past this, the errors are not exchangeable across origins
// and a wider band would only hide it.
constexpr double kWidenMax = 3;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

struct Offsets {
  std::vector<std::vector<double>> lower, upper;  // [level][step]
};

Offsets offsets_from(const std::vector<std::vector<double>>& errors, std::size_t skip,
                     const std::vector<double>& levels, std::size_t h) {
  std::vector<double> scale(h, 0.0), count(h, 0.0);
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (r == skip) continue;
    for (std::size_t j = 0; j < h; ++j)
      if (std::isfinite(errors[r][j])) { scale[j] += errors[r][j] * errors[r][j]; count[j] += 1; }
  }
  double overall = 0, total = 0;
  for (std::size_t j = 0; j < h; ++j) { overall += scale[j]; total += count[j]; }
  overall = total > 0 ? std::sqrt(overall / total) : 0;
  std::vector<double> raw(h);
  for (std::size_t j = 0; j < h; ++j) raw[j] = count[j] > 0 ? std::sqrt(scale[j] / count[j]) : overall;
  // Neighbouring steps share their evidence: a centred average over about h/8 steps.
  const std::size_t half = h / 16;
  for (std::size_t j = 0; j < h; ++j) {
    const std::size_t a = j > half ? j - half : 0, b = std::min(h - 1, j + half);
    double sum = 0;
    for (std::size_t i = a; i <= b; ++i) sum += raw[i];
    scale[j] = std::max(sum / static_cast<double>(b - a + 1), 1e-12 * (overall + 1e-300));
  }
  std::vector<double> pool;
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (r == skip) continue;
    for (std::size_t j = 0; j < h; ++j)
      if (std::isfinite(errors[r][j]) && scale[j] > 0) pool.push_back(errors[r][j] / scale[j]);
  }
  Offsets off;
  for (double level : levels) {
    double ql, qu;
    if (pool.size() >= kMinPooled) {
      ql = quantile(pool, (1 - level) / 2);
      qu = quantile(pool, (1 + level) / 2);
    } else {
      qu = z_quantile((1 + level) / 2);
      ql = -qu;
    }
    ql = std::min(ql, 0.0);
    qu = std::max(qu, 0.0);
    std::vector<double> lo(h), up(h);
    for (std::size_t j = 0; j < h; ++j) { lo[j] = ql * scale[j]; up[j] = qu * scale[j]; }
    off.lower.push_back(std::move(lo));
    off.upper.push_back(std::move(up));
  }
  return off;
}

}  // namespace

void calibrate(const Validation& v, Selection* s) {
  const std::size_t h = s->horizon, k = v.errors.size(), nl = s->levels.size();
  const Offsets all = offsets_from(v.errors, kNone, s->levels, h);
  s->lower_off = all.lower;
  s->upper_off = all.upper;
  double sum = 0;
  for (double e : v.one_step_abs) sum += e;
  s->sigma_at_fit = v.one_step_abs.empty() ? 0 : sum / static_cast<double>(v.one_step_abs.size());
  if (nl == 0) return;
  if (k < 3) {
    s->notes.push_back("interval coverage not measured: " + std::to_string(k) + " validation origins");
    return;
  }
  // Leave one origin out: how far each of its errors reaches into the band built without it
  // (1 = on the edge). Pooled per-step quantiles from a handful of origins are too narrow when
  // whole origins shift together; the band is widened until the left-out origins are covered
  // at the requested level (a conformal correction on top of the empirical band).
  std::vector<std::vector<std::vector<double>>> reach(nl, std::vector<std::vector<double>>(k));  // [level][origin]
  for (std::size_t r = 0; r < k; ++r) {
    const Offsets loo = offsets_from(v.errors, r, s->levels, h);
    for (std::size_t l = 0; l < nl; ++l)
      for (std::size_t j = 0; j < h; ++j) {
        const double e = v.errors[r][j];
        if (!std::isfinite(e)) continue;
        const double edge = e >= 0 ? loo.upper[l][j] : loo.lower[l][j];
        reach[l][r].push_back(edge != 0 ? e / edge : (e == 0 ? 0.0 : kWidenMax));
      }
  }
  auto widen = [&](std::size_t l, std::size_t skip) {
    std::vector<double> pool;
    for (std::size_t r = 0; r < k; ++r)
      if (r != skip) pool.insert(pool.end(), reach[l][r].begin(), reach[l][r].end());
    return pool.empty() ? 1.0 : std::clamp(quantile(pool, s->levels[l]), 1.0, kWidenMax);
  };
  for (std::size_t l = 0; l < nl; ++l) {
    const double factor = widen(l, kNone);
    for (double& o : s->lower_off[l]) o *= factor;
    for (double& o : s->upper_off[l]) o *= factor;
  }
  // Reported coverage of the widest band, out of sample twice over: each origin is checked
  // against a band built and widened without it.
  const std::size_t w = static_cast<std::size_t>(std::max_element(s->levels.begin(), s->levels.end()) - s->levels.begin());
  double inside = 0, checked = 0;
  for (std::size_t r = 0; r < k; ++r) {
    const double factor = widen(w, r);
    for (double x : reach[w][r]) { checked += 1; inside += x <= factor ? 1 : 0; }
  }
  s->validation_coverage = checked > 0 ? inside / checked : kNaN;
}

void calibrate_naive(std::span<const double> y, std::size_t period, Selection* s) {
  double sum = 0, count = 0;
  const std::size_t m = std::max<std::size_t>(1, std::min(period, y.size() - 1));
  for (std::size_t t = m; t < y.size(); ++t)
    if (std::isfinite(y[t]) && std::isfinite(y[t - m])) { sum += std::abs(y[t] - y[t - m]); count += 1; }
  const double mae = count > 0 ? sum / count : 0;
  s->sigma_at_fit = mae;
  s->lower_off.clear();
  s->upper_off.clear();
  for (double level : s->levels) {
    const double z = z_quantile((1 + level) / 2);
    std::vector<double> lo(s->horizon), up(s->horizon);
    for (std::size_t j = 0; j < s->horizon; ++j) {
      // The seasonal naive error accumulates once per cycle ahead.
      const double cycles = std::ceil(static_cast<double>(j + 1) / static_cast<double>(m));
      up[j] = z * 1.2533 * mae * std::sqrt(cycles);
      lo[j] = -up[j];
    }
    s->lower_off.push_back(std::move(lo));
    s->upper_off.push_back(std::move(up));
  }
}

Forecast make_forecast(const Selection& s, std::span<const double> mean, double sigma_now) {
  Forecast f;
  f.model = s.model ? s.model->describe() : "none";
  f.seasons = s.seasons;
  f.notes = s.notes;
  f.validation_mase = s.validation_mase;
  f.validation_coverage = s.validation_coverage;
  const std::size_t h = mean.size();
  f.mean.assign(mean.begin(), mean.end());
  // Never hand out NaN/inf: a non-finite step (it should not happen) holds the last good value.
  const double range = std::max(s.hi - s.lo, 1e-9);
  double last = s.hi;
  bool repaired = false, clamped = false;
  for (double& v : f.mean) {
    if (!std::isfinite(v)) { v = last; repaired = true; }
    const double bounded = std::clamp(v, s.lo - 10 * range, s.hi + 10 * range);
    clamped = clamped || bounded != v;
    v = last = bounded;
  }
  if (repaired) f.notes.push_back("non-finite forecast steps replaced by the previous step");
  if (clamped) f.notes.push_back("forecast steps beyond 10x the history's range clamped (the model ran away)");
  const double ratio = s.sigma_at_fit > 0 && std::isfinite(sigma_now) ? std::clamp(sigma_now / s.sigma_at_fit, 0.5, 4.0) : 1.0;
  const std::size_t hc = std::max<std::size_t>(1, s.horizon);
  for (std::size_t l = 0; l < s.levels.size(); ++l) {
    Band b;
    b.level = s.levels[l];
    b.lower.resize(h);
    b.upper.resize(h);
    const double z = z_quantile((1 + b.level) / 2);
    for (std::size_t j = 0; j < h; ++j) {
      double lo, up;
      if (s.sigma_at_fit <= 0) {
        // Calibrated on a perfectly predictable history: zero width until errors appear.
        up = std::isfinite(sigma_now) ? z * 1.2533 * sigma_now * std::sqrt(static_cast<double>(j + 1)) : 0;
        lo = -up;
      } else if (j < hc && l < s.lower_off.size() && j < s.lower_off[l].size()) {
        lo = s.lower_off[l][j] * ratio;
        up = s.upper_off[l][j] * ratio;
      } else {
        // Beyond the calibrated horizon the spread keeps growing like a random walk's.
        const double grow = std::sqrt(static_cast<double>(j + 1) / static_cast<double>(hc));
        lo = (l < s.lower_off.size() && !s.lower_off[l].empty() ? s.lower_off[l].back() : -z * s.sigma_at_fit) * ratio * grow;
        up = (l < s.upper_off.size() && !s.upper_off[l].empty() ? s.upper_off[l].back() : z * s.sigma_at_fit) * ratio * grow;
      }
      b.lower[j] = f.mean[j] + std::min(lo, 0.0);
      b.upper[j] = f.mean[j] + std::max(up, 0.0);
    }
    f.bands.push_back(std::move(b));
  }
  // Offsets on values near the limits of double can overflow: such a band is cut to what a
  // double holds, never infinity.
  constexpr double kMax = std::numeric_limits<double>::max();
  for (Band& b : f.bands)
    for (std::size_t j = 0; j < h; ++j) {
      b.lower[j] = std::isnan(b.lower[j]) ? f.mean[j] : std::clamp(b.lower[j], -kMax, f.mean[j]);
      b.upper[j] = std::isnan(b.upper[j]) ? f.mean[j] : std::clamp(b.upper[j], f.mean[j], kMax);
    }
  if (s.non_negative) {
    for (double& v : f.mean) v = std::max(v, 0.0);
    for (Band& b : f.bands)
      for (std::size_t j = 0; j < h; ++j) {
        b.lower[j] = std::max(b.lower[j], 0.0);
        b.upper[j] = std::max(b.upper[j], f.mean[j]);
      }
  }
  return f;
}

}  // namespace opspilot::agent::forecast::detail
