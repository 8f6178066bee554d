#include "examples/sandbox/load.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

namespace opspilot::sandbox {
namespace {

constexpr double kDay = 86400.0;
// Correlation between successive noise knots: load does not jump independently every minute.
constexpr double kNoiseAr = 0.6;
// Weekend transitions are blended over this many hours, centred on midnight.
constexpr double kWeekendBlendHours = 3.0;

// Weight of "weekend" at `hour_of_week` (0 = Monday 00:00 UTC, 120 = Saturday 00:00).
double weekend_weight(double hour_of_week) {
  auto ramp = [](double hours_past) { return std::clamp(hours_past / kWeekendBlendHours + 0.5, 0.0, 1.0); };
  if (hour_of_week < 84) return 1.0 - ramp(hour_of_week);          // Sunday night → Monday
  if (hour_of_week > 150) return 1.0 - ramp(hour_of_week - 168.0);  // the same, from the other side
  return ramp(hour_of_week - 120.0);                                // Friday night → Saturday
}

}  // namespace

LoadGenerator::LoadGenerator(const LoadSpec& spec, std::int64_t start_unix, std::uint64_t seed)
    : spec_(spec),
      start_unix_(start_unix),
      noise_rng_(derive_seed(seed, 1)),
      burst_rng_(derive_seed(seed, 2)),
      next_burst_s_(std::numeric_limits<double>::infinity()) {
  if (spec_.bursts.per_day > 0) next_burst_s_ = burst_rng_.exponential(kDay / spec_.bursts.per_day);
}

double LoadGenerator::daily_factor(double elapsed_s) const {
  const double unix_s = static_cast<double>(start_unix_) + elapsed_s;
  const double hour = std::fmod(unix_s, kDay) / 3600.0;
  return 1.0 + spec_.daily_amplitude * std::cos(2.0 * std::numbers::pi * (hour - spec_.peak_hour) / 24.0);
}

double LoadGenerator::weekly_factor(double elapsed_s) const {
  const double unix_s = static_cast<double>(start_unix_) + elapsed_s;
  // 1970-01-01 was a Thursday, so the first Monday 00:00 came 4 days later.
  const double hour_of_week = std::fmod(unix_s - 4 * kDay + 7 * kDay * 1000, 7 * kDay) / 3600.0;
  return 1.0 - (1.0 - spec_.weekend_factor) * weekend_weight(hour_of_week);
}

double LoadGenerator::seasonal(double elapsed_s) const {
  const double trend = std::max(0.0, 1.0 + spec_.trend_per_day * elapsed_s / kDay);
  return spec_.base * daily_factor(elapsed_s) * weekly_factor(elapsed_s) * trend;
}

double LoadGenerator::knot(std::int64_t k) {
  if (knots_.empty()) {
    first_knot_ = k;
    knots_.push_back(noise_rng_.normal());
  }
  if (k < first_knot_) k = first_knot_;  // the model never looks further back than we keep
  while (first_knot_ + static_cast<std::int64_t>(knots_.size()) <= k) {
    const double prev = knots_.back();
    knots_.push_back(kNoiseAr * prev + std::sqrt(1.0 - kNoiseAr * kNoiseAr) * noise_rng_.normal());
  }
  while (knots_.size() > 4 && first_knot_ + 2 < k) {
    knots_.pop_front();
    ++first_knot_;
  }
  return knots_[static_cast<std::size_t>(k - first_knot_)];
}

double LoadGenerator::noise(double elapsed_s) {
  const double sigma = spec_.noise_sigma;
  if (sigma <= 0) return 1.0;
  const double x = std::max(0.0, elapsed_s) / spec_.noise_interval_s;
  const auto k = static_cast<std::int64_t>(std::floor(x));
  const double frac = x - static_cast<double>(k);
  const double z0 = knot(k);
  const double z1 = knot(k + 1);
  // Interpolating two unit normals shrinks the variance; rescale so σ means what it says.
  const double scale = 1.0 / std::sqrt((1 - frac) * (1 - frac) + frac * frac + 2 * frac * (1 - frac) * kNoiseAr);
  const double z = ((1 - frac) * z0 + frac * z1) * scale;
  return std::exp(sigma * z - 0.5 * sigma * sigma);
}

double LoadGenerator::burst_load(double elapsed_s) {
  const BurstSpec& b = spec_.bursts;
  while (next_burst_s_ <= elapsed_s) {
    const double sz = b.size * std::exp(b.size_sigma * burst_rng_.normal() - 0.5 * b.size_sigma * b.size_sigma);
    bursts_.push_back(Burst{next_burst_s_, sz * spec_.base});
    next_burst_s_ += burst_rng_.exponential(kDay / b.per_day);
  }
  // A burst counts for exactly ramp + 12 decays (then it is under 1e-5 of its peak), so the sum
  // does not depend on when the caller last asked.
  const double lifetime = b.ramp_s + 12 * b.decay_s;
  double total = 0;
  for (const Burst& burst : bursts_) {
    const double age = elapsed_s - burst.start_s;
    if (age < 0 || age > lifetime) continue;
    const double rise = b.ramp_s > 0 ? std::min(1.0, age / b.ramp_s) : 1.0;
    const double fall = std::exp(-std::max(0.0, age - b.ramp_s) / b.decay_s);
    total += burst.peak * rise * fall;
  }
  // Forget bursts that have decayed to nothing (bounded state).
  std::erase_if(bursts_, [&](const Burst& burst) { return elapsed_s - burst.start_s > lifetime; });
  return total;
}

void LoadGenerator::replay(std::vector<double> rps, double step_s, double offset_s) {
  trace_ = std::move(rps);
  trace_step_s_ = step_s > 0 ? step_s : 60;
  trace_offset_s_ = offset_s;
}

double LoadGenerator::trace_rate(double elapsed_s) const {
  const double k = std::floor((elapsed_s - trace_offset_s_) / trace_step_s_);
  if (k < 0 || k >= static_cast<double>(trace_.size())) return 0;
  return std::max(0.0, trace_[static_cast<std::size_t>(k)]);
}

double LoadGenerator::rate(double elapsed_s) {
  if (!trace_.empty()) return trace_rate(elapsed_s);
  return std::max(0.0, seasonal(elapsed_s) * noise(elapsed_s) + burst_load(elapsed_s));
}

}  // namespace opspilot::sandbox
