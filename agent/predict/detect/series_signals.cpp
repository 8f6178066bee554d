// SeriesCore's changepoint events and the sentences its signals say.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agent/predict/detect/series_core.h"

namespace opspilot::agent::detect::internal {

const char* component_name(Component c) {
  switch (c) {
    case kRobustZ: return "robust-z";
    case kIqr: return "iqr";
    case kSeasonal: return "seasonal-residual";
    case kCusumLevel: return "cusum";
    case kCusumVariance: return "cusum";
    case kEwma: return "ewma";
    case kComponentCount: break;
  }
  return "?";
}

const char* component_unit(Component c) {
  switch (c) {
    case kRobustZ: return "robust z";
    case kIqr: return "IQRs";
    case kSeasonal: return "seasonal z";
    case kCusumLevel: return "cumulative sigmas";
    case kCusumVariance: return "log-likelihood (spread tripled)";
    case kEwma: return "sigmas (EWMA)";
    case kComponentCount: break;
  }
  return "";
}

void SeriesCore::track_change(double t, double x) {
  change_score_ = 0;
  const std::size_t m = std::min<std::size_t>(o_.change_window_points, recent_.size() / 2);
  if (m == 0 || !(o_.change_threshold > 0)) return;
  // Running sums of the older ("before") and newer ("after") halves of the last 2m values; the
  // ring's head is the oldest value once it is full.
  const std::size_t n2 = 2 * m;
  if (recent_n_ < n2) {
    (recent_n_ < m ? sum_before_ : sum_after_) += x;
    ++recent_n_;
  } else {
    const double moving = recent_[(recent_head_ + m) % n2];
    sum_before_ += moving - recent_[recent_head_];
    sum_after_ += x - moving;
  }
  recent_[recent_head_] = x;
  recent_head_ = static_cast<std::uint32_t>((recent_head_ + 1) % n2);
  if (recent_n_ == n2 && ++since_resum_ >= 4096) {
    // Recompute now and then, so rounding in the running sums cannot accumulate.
    since_resum_ = 0;
    sum_before_ = sum_after_ = 0;
    for (std::size_t k = 0; k < m; ++k) sum_before_ += recent_[(recent_head_ + k) % n2];
    for (std::size_t k = m; k < n2; ++k) sum_after_ += recent_[(recent_head_ + k) % n2];
  }
  if (warming() || recent_n_ < n2) return;
  const double before = sum_before_ / static_cast<double>(m), after = sum_after_ / static_cast<double>(m);
  const double floor_scale = scale_floor(base_ + raw_mean_);
  const double z = std::fabs(after - before) /
                   (std::max(raw_sigma_, floor_scale) * std::sqrt(2.0 / static_cast<double>(m)));
  const double level = o_.change_threshold;
  if (change_armed_ && z >= level) {
    // Reported when the statistic first crosses the threshold: the earliest causal moment.
    change_armed_ = false;
    change_z_ = z, change_before_ = before, change_after_ = after, change_since_ = t;
    change_score_ = std::max(1e-6, deviation_score(z, level));
  } else if (!change_armed_ && z < level * o_.change_rearm) {
    change_armed_ = true;  // the excursion is over: the next one is a new changepoint
  }
}

Signal SeriesCore::change_signal() const {
  Signal s;
  s.detector = "changepoint";
  s.series = series_;
  s.score = change_score_;
  s.anomalous = false;
  s.value = change_after_;
  s.expected = change_before_;
  s.deviation = change_z_;
  s.unit = "sigmas of mean difference";
  s.since = change_since_;
  char buf[200];
  const std::size_t m = std::min<std::size_t>(o_.change_window_points, recent_.size() / 2);
  std::snprintf(buf, sizeof buf, "%s stepped %s from %s to %s (mean of the last %zu points against the %zu before, %.1f sigmas) at %s",
                series_.c_str(), change_after_ >= change_before_ ? "up" : "down", num(change_before_).c_str(),
                num(change_after_).c_str(), m, m, change_z_, clock_time(change_since_).c_str());
  s.explanation = buf;
  return s;
}

Signal SeriesCore::make_signal(Component c, const char* detector_name) const {
  const Part& p = parts_[c];
  Signal s;
  s.detector = detector_name ? detector_name : component_name(c);
  s.series = series_;
  s.score = p.score();
  s.anomalous = p.ratio >= 1;
  s.value = last_x_;
  s.expected = p.expected;
  s.deviation = p.deviation;
  s.unit = component_unit(c);
  if (p.active()) s.since = p.since;
  char buf[160];
  switch (c) {
    case kRobustZ:
      s.explanation = describe(series_, last_x_, p.expected, "median", p.deviation, "robust z", s.since);
      break;
    case kIqr:
      s.explanation = describe(series_, last_x_, p.expected, p.deviation >= 0 ? "upper quartile" : "lower quartile",
                               p.deviation, "IQRs", s.since);
      break;
    case kSeasonal:
      s.explanation = describe(series_, last_x_, p.expected, "seasonal expectation", p.deviation,
                               "seasonal z", s.since);
      break;
    case kCusumLevel:
      std::snprintf(buf, sizeof buf, "%s has run %s the baseline mean %s: %.1f cumulative sigmas (now %s)",
                    series_.c_str(), p.deviation >= 0 ? "above" : "below", num(p.expected).c_str(),
                    std::fabs(p.deviation), num(last_x_).c_str());
      s.explanation = buf;
      if (s.since) s.explanation += " since " + clock_time(*s.since);
      break;
    case kCusumVariance:
      std::snprintf(buf, sizeof buf, "%s spread has grown: %.1f log-likelihood for a tripled spread (baseline sigma %s, now %s)",
                    series_.c_str(), p.deviation, num(stats_.scale).c_str(), num(last_x_).c_str());
      s.explanation = buf;
      if (s.since) s.explanation += " since " + clock_time(*s.since);
      break;
    case kEwma:
      s.explanation = describe(series_, last_x_, p.expected, "baseline", p.deviation, "sigmas (smoothed)", s.since);
      break;
    case kComponentCount: break;
  }
  return s;
}

std::vector<Signal> SeriesCore::component_signals() const {
  std::vector<Signal> out;
  if (warming()) return out;
  for (unsigned c = 0; c < kComponentCount; ++c)
    if (mask_ & (1u << c)) out.push_back(make_signal(static_cast<Component>(c), nullptr));
  if (change_score_ > 0) out.push_back(change_signal());
  return out;
}

}  // namespace opspilot::agent::detect::internal
