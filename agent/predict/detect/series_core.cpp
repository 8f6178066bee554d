#include "agent/predict/detect/series_core.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace opspilot::agent::detect::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A CUSUM input beyond 4 sigmas counts as 4: one wild point must not decide a change on its own.
constexpr double kCusumClamp = 4.0;
// log-likelihood ratio per point of "spread tripled" against "spread as learned", for a
// standardized residual r: ln(1/3) + r^2/2 * (1 - 1/9). Tripled rather than doubled: a busy
// period's spread routinely runs well above a quiet one's, and that is not an incident.
constexpr double kVarLlrSlope = 0.4444444444444444, kVarLlrOffset = 1.0986122886681098;
// Seasonal profile: each phase bucket's level halves its memory every 8 updates after its first
// visit; the residual scale every 200 points. Both learn only from normal points.
constexpr double kBucketHalflife = 8, kScaleHalflife = 200;
const double kBucketAlpha = ewma_alpha(kBucketHalflife), kScaleAlpha = ewma_alpha(kScaleHalflife);
// The local offset (how far today runs above or below the profile) and, before a phase bucket has
// a level, the local level itself follow the data in every state, alarm or not, with a half-life
// of 1/48 of the season (30 min for a daily one): frozen through a long alarm they would drift
// away from the season and make the alarm hold itself. Each step moves them by at most 3
// residual sigmas, so one spike barely moves them.
constexpr double kOffsetSeasonFraction = 1.0 / 48, kOffsetClamp = 3.0;
// The local level stands in for phases not learned yet, so it must follow the data closely:
// half-life 1/288 of the season (5 min for a daily one).
constexpr double kLocalLevelSeasonFraction = 1.0 / 288;

// Components that read the robust window's statistics (the EWMA chart alone does not).
constexpr unsigned kWindowed =
    bit(kRobustZ) | bit(kIqr) | bit(kSeasonal) | bit(kCusumLevel) | bit(kCusumVariance);

}  // namespace

SeriesCore::SeriesCore(std::string series, const DetectorOptions& o, unsigned components,
                       const char* name)
    : series_(std::move(series)), name_(name), o_(o), mask_(components),
      warmup_(std::max<std::size_t>(o.warmup_points, 8)) {
  if (!(o_.season_seconds > 0) || o_.season_buckets == 0 || !(o_.seasonal_z_threshold > 0)) mask_ &= ~bit(kSeasonal);
  if (!(o_.robust_z_threshold > 0)) mask_ &= ~bit(kRobustZ);
  if (!(o_.iqr_k > 0)) mask_ &= ~bit(kIqr);
  if (!(o_.cusum_h > 0)) mask_ &= ~(bit(kCusumLevel) | bit(kCusumVariance));
  if (!(o_.ewma_threshold > 0)) mask_ &= ~bit(kEwma);
  a_.ewma = ewma_alpha(o_.ewma_halflife_points);
  a_.baseline = ewma_alpha(o_.baseline_halflife_points);
  a_.smooth = ewma_alpha(o_.smooth_halflife_points);
  if (mask_ & bit(kSeasonal)) {
    season_level_.assign(std::min<std::size_t>(o_.season_buckets, 1024),
                         std::numeric_limits<float>::quiet_NaN());
    season_level_.shrink_to_fit();
  }
}

std::size_t SeriesCore::state_bytes() const {
  auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  return sizeof(*this) + heap(series_) + season_level_.capacity() * sizeof(float);
}

void SeriesCore::compute_stats() {
  BaselineStats& s = stats_;
  s.median = window_.median();
  s.q1 = window_.quantile(0.25);
  s.q3 = window_.quantile(0.75);
  // The floor is relative to the series' level, not to the residual's (which is ~0 with a season).
  const double floor_scale = scale_floor(base_ + s.median);
  // MAD is 0 for quantized or mostly constant data; the mean absolute deviation and a winsorized
  // standard deviation keep the scale honest there (a counter stepping 31/32/33 has a real spread).
  const double mad_sigma = 1.4826 * window_.mad(s.median);
  const std::size_t n = window_.size();
  double s0 = std::max(mad_sigma, floor_scale);
  if (mad_sigma == 0) {
    double abs_sum = 0;
    for (std::size_t i = 0; i < n; ++i) abs_sum += std::fabs(window_.sorted(i) - s.median);
    s0 = std::max(s0, 1.2533 * abs_sum / static_cast<double>(n));
  }
  double sum = 0, sq = 0, kept = 0;
  const double clip = 3.5 * s0, keep_within = 4 * s0;
  for (std::size_t i = 0; i < n; ++i) {  // branch-free: the compiler can vectorize it
    const double v = window_.sorted(i), d = v - s.median;
    const double c = std::clamp(d, -clip, clip);
    sq += c * c;
    const double keep = std::fabs(d) <= keep_within ? 1.0 : 0.0;
    sum += keep * v;
    kept += keep;
  }
  s.scale = std::max(s0, std::sqrt(sq / static_cast<double>(n)));
  s.mean = kept > 0 ? sum / kept : s.median;
  s.iqr = std::max(s.q3 - s.q1, 1.349 * s.scale * 0.5);
}

bool SeriesCore::season_covered() const {
  return !(mask_ & bit(kSeasonal)) || last_t_ - first_t_ >= o_.season_seconds;
}

bool SeriesCore::warming() const {
  // With a season, learning lasts one whole season (so every phase has a level before anything
  // is judged against it) and then warmup_points more (the spreads of the residuals from it).
  return !season_covered() || stats_n_ < warmup_;
}

void SeriesCore::finish_warmup() {
  raw_sigma_ = std::sqrt(raw_m2_ / static_cast<double>(std::max<std::uint64_t>(stats_n_, 1)));
  ewma_sigma_ = std::sqrt(ewma_m2_ / std::max<std::uint32_t>(ewma_n_, 1));
}

double SeriesCore::scale_floor(double level) const {
  return std::max(o_.min_scale_abs, o_.min_scale_rel * std::fabs(level));
}

std::size_t SeriesCore::bucket(double t) const {
  const double period = o_.season_seconds;
  const double phase = t - std::floor(t / period) * period;  // in [0, period), also for t < 0
  return std::min(season_level_.size() - 1,
                  static_cast<std::size_t>(phase / period * static_cast<double>(season_level_.size())));
}

void SeriesCore::compute_base(double t, double x) {
  // With a season, every windowed statistic works on the residual from the seasonal expectation
  // (or, for a phase not seen yet, from a fast local level), so a daily cycle is not an anomaly.
  season_ready_ = false;
  base_ = 0;
  if (mask_ & bit(kSeasonal)) {
    const std::size_t b = bucket_ = bucket(t);
    const double level = season_level_[b];
    if (!std::isnan(level) && static_cast<long>(b) != first_visit_) {
      base_ = level + season_offset_;
      season_ready_ = true;
    } else {
      base_ = has_level_ ? local_level_ : x;
    }
  }
  r_ = x - base_;
}

void SeriesCore::score_components(double t, double x) {
  auto set = [&](Component c, double dev, double expected, double threshold) {
    Part& p = parts_[c];
    p.deviation = dev;
    p.expected = expected;
    p.ratio = std::fabs(dev) / threshold;
    if (p.ratio >= 1) {  // score >= 0.5
      if (!p.active()) p.since = t;
    } else {
      p.since = kNaN;
    }
  };
  const BaselineStats& s = stats_;
  const double r = r_;
  if (mask_ & bit(kRobustZ)) set(kRobustZ, (r - s.median) / s.scale, base_ + s.median, o_.robust_z_threshold);
  if (mask_ & bit(kIqr)) {
    const double dev = r > s.q3 ? (r - s.q3) / s.iqr : r < s.q1 ? -(s.q1 - r) / s.iqr : 0.0;
    set(kIqr, dev, base_ + (r > s.q3 ? s.q3 : r < s.q1 ? s.q1 : s.median), o_.iqr_k);
  }
  if (mask_ & bit(kSeasonal)) {
    if (!season_ready_) {
      set(kSeasonal, 0, base_, o_.seasonal_z_threshold);
    } else {
      if (!(season_scale_ > 0)) season_scale_ = s.scale;
      set(kSeasonal, r / std::max(season_scale_, scale_floor(base_)), base_, o_.seasonal_z_threshold);
    }
  }
  // With a season the CUSUMs standardize by the larger of the recent and the season-long residual
  // spread: a quiet night's small spread must not make the morning look like a variance shift.
  const double cusum_scale = season_ready_ ? std::max(s.scale, season_scale_) : s.scale;
  const double z = std::clamp((r - s.mean) / cusum_scale, -kCusumClamp, kCusumClamp);
  const double cap = 2 * o_.cusum_h;
  if (mask_ & bit(kCusumLevel)) {
    const double hi = std::min(cap, std::max(0.0, cusum_hi_ + z - o_.cusum_k));
    const double lo = std::min(cap, std::max(0.0, cusum_lo_ - z - o_.cusum_k));
    // The classic CUSUM change-time estimate: when the sum last left zero.
    if (cusum_hi_ == 0 && hi > 0) cusum_hi_since_ = t;
    if (cusum_lo_ == 0 && lo > 0) cusum_lo_since_ = t;
    cusum_hi_ = hi, cusum_lo_ = lo;
    set(kCusumLevel, hi >= lo ? hi : -lo, base_ + s.mean, o_.cusum_h);
    if (parts_[kCusumLevel].active()) parts_[kCusumLevel].since = hi >= lo ? cusum_hi_since_ : cusum_lo_since_;
  }
  if (mask_ & bit(kCusumVariance)) {
    const double v = std::min(cap, std::max(0.0, cusum_var_ + kVarLlrSlope * z * z - kVarLlrOffset));
    if (cusum_var_ == 0 && v > 0) cusum_var_since_ = t;
    cusum_var_ = v;
    set(kCusumVariance, v, s.scale, o_.cusum_h);
    if (parts_[kCusumVariance].active()) parts_[kCusumVariance].since = cusum_var_since_;
  }
  if (mask_ & bit(kEwma)) {
    ewma_ += a_.ewma * (r - ewma_);
    set(kEwma, (ewma_ - ewma_mean_) / std::max(ewma_sigma_, scale_floor(base_ + ewma_mean_)), base_ + ewma_mean_,
        o_.ewma_threshold);
  }
  (void)x;
}

void SeriesCore::learn(double t, double x, bool normal) {
  const double r = r_;
  // The spreads are learned once the residuals are the ones that will be scored: with a season,
  // only after the whole season has been seen (before that they are residuals from a local level).
  const bool warm = warming();
  const bool stats_phase = warm && season_covered();
  if (stats_phase) {
    // The residuals' raw spread, for the changepoint statistic.
    const double d = r - raw_mean_;
    raw_mean_ += d / static_cast<double>(stats_n_ + 1);
    raw_m2_ += d * (r - raw_mean_);
  }
  if (mask_ & bit(kEwma)) {
    if (warm) {
      // Warm-up: the smoothed series and, once it has settled (after a quarter of the warm-up
      // points), the mean and spread of its values: the chart's baseline.
      ewma_ = stats_n_ == 0 ? r : ewma_ + a_.ewma * (r - ewma_);
      if (stats_phase && stats_n_ >= warmup_ / 4) {
        ++ewma_n_;
        const double d = ewma_ - ewma_mean_;
        ewma_mean_ += d / ewma_n_;
        ewma_m2_ += d * (ewma_ - ewma_mean_);
      }
    } else if (normal) {
      ewma_mean_ += a_.baseline * (ewma_ - ewma_mean_);
    }
  }
  if (mask_ & bit(kSeasonal)) {
    // Offset and local level: every state (see kOffsetSeasonFraction), time-based, clamped.
    const double dt = has_level_ ? std::max(0.0, t - season_t_) : 0.0;
    if (dt != a_.dt) {  // steady sampling: the time-based weights are computed once
      a_.dt = dt;
      a_.offset = 1.0 - std::exp2(-dt / (kOffsetSeasonFraction * o_.season_seconds));
      a_.local = 1.0 - std::exp2(-dt / (kLocalLevelSeasonFraction * o_.season_seconds));
    }
    const double a = a_.offset, a_local = a_.local;
    const double spread = std::max({season_scale_, stats_.scale, scale_floor(x)});
    const double lim = kOffsetClamp * spread;
    const std::size_t b = bucket_;
    float& level = season_level_[b];
    if (!std::isnan(level) && static_cast<long>(b) != first_visit_)
      season_offset_ += a * std::clamp(x - level - season_offset_, -lim, lim);
    local_level_ = has_level_ ? local_level_ + a_local * std::clamp(x - local_level_, -lim, lim) : x;
    has_level_ = true;
    season_t_ = t;
    // A phase's first visit forms its level whatever the state (without it there is no
    // expectation at all); afterwards the profile learns only from normal points.
    if (normal || std::isnan(level) || static_cast<long>(b) == first_visit_) {
      if (std::isnan(level)) {
        // First visit of this phase: its level is the mean over the whole visit, and it is not
        // used as an expectation until the visit is over (one noisy point would bias it).
        level = static_cast<float>(x - season_offset_);
        first_visit_ = static_cast<long>(b);
        first_visit_n_ = 1;
      } else if (static_cast<long>(b) == first_visit_) {
        ++first_visit_n_;
        level = static_cast<float>(level + (x - season_offset_ - level) / first_visit_n_);
      } else {
        const double resid = x - (level + season_offset_);
        if (season_scale_ > 0)
          season_scale_ += kScaleAlpha * (1.2533 * std::fabs(resid) - season_scale_);
        level = static_cast<float>(level + kBucketAlpha * (x - season_offset_ - level));
      }
    }
  }
  if (stats_phase) ++stats_n_;
  if (!normal) return;
  if (mask_ & kWindowed) window_.push(r);
  ++learned_;
}

void SeriesCore::relearn() {
  window_.clear();
  learned_ = stats_n_ = 0;
  cusum_hi_ = cusum_lo_ = cusum_var_ = 0;
  ewma_mean_ = ewma_sigma_ = ewma_m2_ = 0;
  ewma_n_ = 0;
  raw_mean_ = raw_m2_ = raw_sigma_ = 0;
  recent_n_ = recent_head_ = since_resum_ = 0;
  sum_before_ = sum_after_ = 0;
  change_armed_ = true, change_score_ = 0;
  smooth_ = 0;
  alarm_ = false;
  alarm_run_ = 0;
  for (Part& p : parts_) p = Part{};
  top_ = -1;
  // A new regime: the seasonal expectation starts over too.
  std::fill(season_level_.begin(), season_level_.end(), std::numeric_limits<float>::quiet_NaN());
  season_offset_ = season_scale_ = local_level_ = 0;
  has_level_ = false;
  first_visit_ = -1;
  has_first_ = false;
}

Signal SeriesCore::update(double t, double x) {
  if (const Refusal r = gate_.check(t, x); r != Refusal::kNone)
    return refused_signal(name_, series_, t, x, r, gate_.last_t());
  last_t_ = t, last_x_ = x;
  if (!has_first_) first_t_ = t, has_first_ = true;
  compute_base(t, x);
  track_change(t, r_);
  if (warming()) {
    learn(t, x, true);
    if (!warming()) finish_warmup();
    Signal s;
    s.detector = name_;
    s.series = series_;
    s.value = x;
    s.expected = base_ + window_.median();
    s.learning = true;
    s.explanation = "learning";
    return s;
  }
  if (mask_ & kWindowed) compute_stats();
  score_components(t, x);
  double top_ratio = 0;
  top_ = -1;
  for (unsigned c = 0; c < kComponentCount; ++c)
    if ((mask_ & (1u << c)) && parts_[c].ratio > top_ratio) top_ratio = parts_[c].ratio, top_ = static_cast<int>(c);
  const double raw = deviation_score(top_ratio, 1.0);  // scores are monotone in the ratio
  // Smoothing only adds persistence: the score never rises later than the raw one, but falls
  // back slowly, so one quiet point inside a long excursion does not end the alarm.
  smooth_ += a_.smooth * (raw - smooth_);
  const double score = std::max(raw, smooth_);
  const bool was = alarm_;
  alarm_ = alarm_ ? score >= o_.alarm_off : score >= o_.alarm_on;
  if (alarm_ && !was) alarm_since_ = (top_ >= 0 && parts_[top_].active()) ? parts_[top_].since : t;
  alarm_run_ = alarm_ ? alarm_run_ + 1 : 0;

  Signal s;
  s.detector = name_;
  s.series = series_;
  s.score = std::clamp(score, 0.0, 1.0);
  s.anomalous = alarm_;
  s.value = x;
  if (top_ >= 0) {
    const Part& p = parts_[top_];
    s.expected = p.expected;
    s.deviation = p.deviation;
    s.unit = component_unit(static_cast<Component>(top_));
  } else {
    s.expected = base_ + stats_.median;
    s.unit = component_unit(kRobustZ);
  }
  if (alarm_) s.since = alarm_since_;
  if (alarm_ || score >= 0.3) {
    Signal c = make_signal(top_ >= 0 ? static_cast<Component>(top_) : kRobustZ, name_);
    s.explanation = c.explanation;
  } else {
    s.explanation = "normal";
  }
  if (o_.relearn_after_points > 0 && alarm_run_ >= o_.relearn_after_points) {
    s.explanation += "; lasted " + std::to_string(alarm_run_) +
                     " points, taken as the new normal: learning again";
    relearn();
    return s;
  }
  // Only normal points teach the baseline, so a long excursion stays an excursion.
  learn(t, x, !alarm_ && raw < 0.5);
  return s;
}

}  // namespace opspilot::agent::detect::internal
