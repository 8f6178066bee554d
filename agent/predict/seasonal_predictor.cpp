#include "agent/predict/seasonal_predictor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agent/config/duration.h"

namespace opspilot::agent {
namespace {

/// Bucket means of `points` at `step` over [from, to): one value per bucket, NaN where empty.
std::vector<double> bucket_means(const std::vector<SeriesPoint>& points, TimePoint from,
                                 TimePoint to, Duration step) {
  const auto n = static_cast<std::size_t>((to - from) / step);
  std::vector<double> sum(n, 0.0), count(n, 0.0);
  for (const SeriesPoint& p : points) {
    if (p.t < from || p.t >= to || !std::isfinite(p.value)) continue;
    const auto i = static_cast<std::size_t>((p.t - from) / step);
    if (i >= n) continue;
    sum[i] += p.value;
    count[i] += 1;
  }
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = count[i] > 0 ? sum[i] / count[i] : std::nan("");
  return y;
}

}  // namespace

TimePoint SeasonalPredictor::bucket_start(TimePoint t) const {
  const auto since_epoch = t.time_since_epoch();
  return TimePoint(since_epoch - since_epoch % step_);
}

// A bucket is complete once the last tick that falls inside it has happened: with one tick per
// `interval`, when now + interval reaches the next bucket. (With step == interval, the bucket of
// this very tick's sample is complete: the forecaster sees the latest value, as naive does.)
TimePoint SeasonalPredictor::complete_end(TimePoint now) const { return bucket_start(now + interval_); }

std::string SeasonalPredictor::model() const { return fc_ ? fc_->model() : std::string(); }

bool SeasonalPredictor::refit(const SeriesStore& store, const std::string& series, TimePoint now,
                              Duration horizon) {
  last_attempt_ = now;
  const Duration want = spec_.step > Duration(0) ? spec_.step : interval_;
  const auto hist = store.range(series, now - spec_.history, now, want);
  if (!hist || hist->points.empty()) {
    last_error_ = "no history stored yet";
    return false;
  }
  step_ = std::max(want, hist->step);
  const TimePoint end = complete_end(now);
  const TimePoint from = bucket_start(std::max(hist->points.front().t, now - spec_.history));
  if (end <= from) {
    last_error_ = "less than one whole " + format_duration(step_) + " step of history";
    return false;
  }
  const std::vector<double> y = bucket_means(hist->points, from, end, step_);
  forecast::Options o;
  // Validated and calibrated at the farthest step the loop will ask for: the bucket holding
  // now + horizon, counted from the first bucket not yet observed.
  o.horizon = static_cast<std::size_t>(std::max<std::int64_t>(0, (now + horizon - end) / step_)) + 1;
  o.levels = {spec_.level};
  o.step_seconds = to_seconds(step_);
  // Below this, validation has nothing to stand on and the library would fall back to naive: the
  // loop says "not enough data" instead (and its short-window trend takes over).
  const std::size_t need = std::max<std::size_t>(30, 3 * o.horizon);
  const auto finite = static_cast<std::size_t>(std::count_if(y.begin(), y.end(), [](double v) { return std::isfinite(v); }));
  if (finite < need) {
    last_error_ = std::to_string(finite) + " points of " + format_duration(step_) + " stored, need " +
                  std::to_string(need) + " (3 horizons, at least 30)";
    return false;
  }
  std::string error;
  auto fc = forecast::OnlineForecaster::fit(y, o, &error);
  if (!fc) {
    last_error_ = error;
    return false;
  }
  fc_ = std::move(fc);
  next_bucket_ = end;
  fitted_at_ = now;
  last_error_.clear();
  ++fits_;
  return true;
}

void SeasonalPredictor::catch_up(const SeriesStore& store, const std::string& series, TimePoint now) {
  const TimePoint end = complete_end(now);
  if (end <= next_bucket_) return;
  const auto hist = store.range(series, next_bucket_, now, step_);
  static const std::vector<SeriesPoint> kNone;
  const std::vector<double> y = bucket_means(hist ? hist->points : kNone, next_bucket_, end, step_);
  for (double v : y) fc_->update(v);
  next_bucket_ = end;
}

Prediction SeasonalPredictor::forecast(const SeriesStore& store, const std::string& series,
                                       TimePoint now, Duration horizon) {
  Prediction p;
  p.level = spec_.level;
  p.horizon_seconds = to_seconds(horizon);
  // Refit every `refit_every`; before the first successful fit, try again each step (not on
  // every tick: a failed fit costs as much as a good one).
  const bool first = last_attempt_ == TimePoint{};
  const bool due = fc_ ? now - last_attempt_ >= spec_.refit_every
                       : first || now - last_attempt_ >= std::max(step_, interval_);
  if (due) refit(store, series, now, horizon);
  if (!fc_) {
    p.model = "seasonal";
    p.note = "not enough data: " + last_error_;
    return p;
  }
  catch_up(store, series, now);

  // The bucket holding now + horizon, counted from the first bucket not yet observed.
  const auto ahead = (now + horizon - next_bucket_) / step_;
  const std::size_t steps = static_cast<std::size_t>(std::max<std::int64_t>(0, ahead)) + 1;
  const forecast::Forecast f = fc_->predict(steps);
  p.model = f.model;
  if (f.mean.size() < steps || f.bands.empty() || f.bands[0].upper.size() < steps) {
    p.note = "the forecaster returned " + std::to_string(f.mean.size()) + " of " +
             std::to_string(steps) + " steps";
    return p;
  }
  p.enough_data = true;
  p.mean = f.mean[steps - 1];
  p.lower = f.bands[0].lower[steps - 1];
  p.upper = f.bands[0].upper[steps - 1];
  const double scale = std::max(std::abs(p.mean), 1e-9);
  p.confidence = std::clamp(1.0 - (p.upper - p.lower) / (2 * scale), 0.0, 1.0);
  char buf[200];
  std::snprintf(buf, sizeof buf, "step %s, %zu step(s) ahead, refitted %s ago%s",
                format_duration(step_).c_str(), steps, format_duration(now - fitted_at_).c_str(),
                std::isfinite(f.validation_mase)
                    ? (", validation MASE " + std::to_string(f.validation_mase).substr(0, 4)).c_str()
                    : "");
  p.note = buf;
  for (const auto& n : f.notes) p.note += "; " + n;
  return p;
}

}  // namespace opspilot::agent
