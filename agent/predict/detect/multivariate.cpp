// Streaming Mahalanobis distance against an exponentially weighted mean and covariance learned
// only from rows judged normal.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "agent/predict/detect/detect_internal.h"
#include "agent/predict/detect/detector.h"

namespace opspilot::agent::detect {
namespace {

using internal::ewma_alpha;

using internal::chi_square_quantile;

}  // namespace

struct MultivariateDetector::Impl {
  std::vector<std::string> names;
  MultivariateOptions o;
  std::size_t d;
  internal::InputGate gate;
  std::vector<double> smoothed, mean, cov, chol, diff, w, contrib;
  std::size_t seen = 0;  // accepted rows
  bool has_smoothed = false, chol_ok = false;
  double threshold_distance;  // sqrt of the chi-square quantile: scores 0.5
  double smooth = 0;
  bool alarm = false;
  double alarm_since = 0;
  double last_distance = 0;

  Impl(std::vector<std::string> n, const MultivariateOptions& opt)
      : names(std::move(n)), o(opt), d(names.size()), smoothed(d), mean(d), cov(d * d), chol(d * d),
        diff(d), w(d), contrib(d) {
    const double p = std::clamp(o.threshold, 0.5, 1 - 1e-12);
    threshold_distance = std::sqrt(chi_square_quantile(p, static_cast<double>(std::max<std::size_t>(d, 1))));
  }

  std::size_t warmup() const { return std::max<std::size_t>(o.warmup_points, d + 2); }

  /// Cholesky factor of cov + ridge; false if not positive definite even with the ridge.
  bool factor() {
    for (std::size_t i = 0; i < d; ++i) {
      for (std::size_t j = 0; j <= i; ++j) {
        double s = cov[i * d + j];
        if (i == j) {
          // Ridge relative to the variance, plus a floor for constant inputs.
          const double floor_var = std::pow(std::max(1e-9, 1e-3 * std::fabs(mean[i])), 2);
          s += o.ridge * cov[i * d + i] + floor_var;
        }
        for (std::size_t k = 0; k < j; ++k) s -= chol[i * d + k] * chol[j * d + k];
        if (i == j) {
          if (!(s > 0)) return false;
          chol[i * d + i] = std::sqrt(s);
        } else {
          chol[i * d + j] = s / chol[j * d + j];
        }
      }
    }
    return true;
  }

  /// Squared distance of `diff` and w = cov^-1 diff.
  double distance2() {
    // Forward then back substitution with the Cholesky factor.
    for (std::size_t i = 0; i < d; ++i) {
      double s = diff[i];
      for (std::size_t k = 0; k < i; ++k) s -= chol[i * d + k] * w[k];
      w[i] = s / chol[i * d + i];
    }
    for (std::size_t ii = d; ii-- > 0;) {
      double s = w[ii];
      for (std::size_t k = ii + 1; k < d; ++k) s -= chol[k * d + ii] * w[k];
      w[ii] = s / chol[ii * d + ii];
    }
    double d2 = 0;
    for (std::size_t i = 0; i < d; ++i) d2 += diff[i] * w[i];
    return std::max(0.0, d2);
  }

  void learn(double alpha) {
    // Exponentially weighted (or, in warm-up, running) mean and covariance.
    for (std::size_t i = 0; i < d; ++i) diff[i] = smoothed[i] - mean[i];
    for (std::size_t i = 0; i < d; ++i) mean[i] += alpha * diff[i];
    for (std::size_t i = 0; i < d; ++i)
      for (std::size_t j = 0; j <= i; ++j) {
        const double v = (1 - alpha) * (cov[i * d + j] + alpha * diff[i] * diff[j]);
        cov[i * d + j] = cov[j * d + i] = v;
      }
    chol_ok = factor();
  }
};

MultivariateDetector::MultivariateDetector(std::vector<std::string> series, MultivariateOptions o)
    : impl_(std::make_unique<Impl>(std::move(series), o)) {}
MultivariateDetector::~MultivariateDetector() = default;
MultivariateDetector::MultivariateDetector(MultivariateDetector&&) noexcept = default;
MultivariateDetector& MultivariateDetector::operator=(MultivariateDetector&&) noexcept = default;
std::size_t MultivariateDetector::dimension() const { return impl_->d; }
std::vector<double> MultivariateDetector::last_contributions() const { return impl_->contrib; }
bool MultivariateDetector::learning() const { return impl_->seen < impl_->warmup(); }
InputCounts MultivariateDetector::input_counts() const { return impl_->gate.counts(); }

std::size_t MultivariateDetector::state_bytes() const {
  const Impl& m = *impl_;
  std::size_t bytes = sizeof(*this) + sizeof(Impl);
  for (const auto& n : m.names) bytes += sizeof(n) + (n.capacity() > 15 ? n.capacity() + 1 : 0);
  bytes += (m.smoothed.capacity() + m.mean.capacity() + m.cov.capacity() + m.chol.capacity() +
            m.diff.capacity() + m.w.capacity() + m.contrib.capacity()) * sizeof(double);
  return bytes;
}

Signal MultivariateDetector::update(double t, const std::vector<double>& x) {
  Impl& m = *impl_;
  const std::string label = m.d == 1 ? m.names[0] : "multivariate";
  if (x.size() != m.d) {
    m.gate.refuse(internal::Refusal::kNonFinite);
    Signal s;
    s.detector = "mahalanobis";
    s.series = label;
    s.explanation = "row has " + std::to_string(x.size()) + " values, expected " + std::to_string(m.d) +
                    " (one per series); skipped";
    return s;
  }
  for (std::size_t i = 0; i < m.d; ++i) {
    if (std::isnan(x[i]) || !std::isfinite(x[i])) {
      const auto r = std::isnan(x[i]) ? internal::Refusal::kGap : internal::Refusal::kNonFinite;
      m.gate.refuse(r);
      return internal::refused_signal("mahalanobis", m.names[i], t, x[i], r, m.gate.last_t());
    }
  }
  if (m.gate.check_time(t) != internal::Refusal::kNone)
    return internal::refused_signal("mahalanobis", label, t, 0, internal::Refusal::kOutOfOrder, m.gate.last_t());

  const double a_in = ewma_alpha(m.o.input_halflife_points);
  for (std::size_t i = 0; i < m.d; ++i)
    m.smoothed[i] = m.has_smoothed ? m.smoothed[i] + a_in * (x[i] - m.smoothed[i]) : x[i];
  m.has_smoothed = true;

  Signal s;
  s.detector = "mahalanobis";
  s.series = label;
  if (m.seen < m.warmup()) {
    // Running mean/covariance: weight 1/n makes the warm-up estimate the sample one.
    ++m.seen;
    m.learn(1.0 / static_cast<double>(m.seen));
    s.learning = true;
    s.explanation = "learning";
    return s;
  }
  for (std::size_t i = 0; i < m.d; ++i) m.diff[i] = m.smoothed[i] - m.mean[i];
  if (!m.chol_ok) m.chol_ok = m.factor();
  const double d2 = m.chol_ok ? m.distance2() : 0;
  const double dist = std::sqrt(d2);
  m.last_distance = dist;
  std::size_t top = 0;
  double total = 0;
  for (std::size_t i = 0; i < m.d; ++i) total += m.contrib[i] = std::max(0.0, m.diff[i] * m.w[i]);
  for (std::size_t i = 0; i < m.d; ++i) {
    m.contrib[i] = total > 0 ? m.contrib[i] / total : 0;
    if (m.contrib[i] > m.contrib[top]) top = i;
  }
  const double raw = internal::deviation_score(dist, m.threshold_distance);
  m.smooth += ewma_alpha(m.o.smooth_halflife_points) * (raw - m.smooth);
  const double score = std::max(raw, m.smooth);
  const bool was = m.alarm;
  m.alarm = m.alarm ? score >= m.o.alarm_off : score >= m.o.alarm_on;
  if (m.alarm && !was) m.alarm_since = t;

  s.series = m.names[top];
  s.score = std::clamp(score, 0.0, 1.0);
  s.anomalous = m.alarm;
  s.value = m.smoothed[top];
  s.expected = m.mean[top];
  s.deviation = dist;
  s.unit = "Mahalanobis distance";
  if (m.alarm) s.since = m.alarm_since;
  if (m.alarm || score >= 0.3) {
    char buf[240];
    std::snprintf(buf, sizeof buf,
                  "the %zu series together are %.1f Mahalanobis units from normal (threshold %.1f); "
                  "%s contributes %.0f%% (%s against %s)",
                  m.d, dist, m.threshold_distance, m.names[top].c_str(), 100 * m.contrib[top],
                  internal::num(m.smoothed[top]).c_str(), internal::num(m.mean[top]).c_str());
    s.explanation = buf;
    if (s.since) s.explanation += " since " + internal::clock_time(*s.since);
  } else {
    s.explanation = "normal";
  }
  if (!m.alarm && raw < 0.5) m.learn(ewma_alpha(m.o.halflife_points));
  return s;
}

}  // namespace opspilot::agent::detect
