#pragma once
// The engine behind SeriesDetector and the single-component detectors: one bounded baseline per
// series (a robust window of recent normal values, an optional seasonal profile) feeding robust z,
// IQR fences, a seasonal residual and two CUSUMs (level, variance), then a combined score with
// smoothing and hysteresis. Not part of the public API.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "agent/predict/detect/detect_internal.h"

namespace opspilot::agent::detect::internal {

enum Component : unsigned {
  kRobustZ = 0,
  kIqr = 1,
  kSeasonal = 2,
  kCusumLevel = 3,
  kCusumVariance = 4,
  kEwma = 5,
  kComponentCount = 6,
};
constexpr unsigned bit(Component c) { return 1u << c; }
constexpr unsigned kAllComponents = (1u << kComponentCount) - 1;

/// The detector name and unit a component's Signal carries ("robust-z", "robust z", ...).
const char* component_name(Component c);
const char* component_unit(Component c);

/// Robust statistics of the baseline window, recomputed once per accepted point.
struct BaselineStats {
  double median = 0, q1 = 0, q3 = 0;
  double scale = 1;  // robust sigma, floored
  double iqr = 1;    // floored
  double mean = 0;   // mean of the values within 4 scales of the median (CUSUM reference)
};

/// Thread-safety: none; one owner (SeriesDetector or a registered single-component detector).
class SeriesCore {
 public:
  /// `components`: a mask of bit(Component); the seasonal one also needs o.season_seconds > 0.
  /// `name` must outlive the core (a string literal).
  SeriesCore(std::string series, const DetectorOptions& o, unsigned components, const char* name);

  Signal update(double t, double x);
  /// One Signal per enabled component for the last accepted point.
  std::vector<Signal> component_signals() const;
  const std::string& series() const { return series_; }
  bool learning() const { return warming(); }
  /// Strength of the changepoint event at the last accepted point, 0 if none.
  double last_change() const { return change_score_; }
  std::size_t state_bytes() const;
  const InputCounts& input_counts() const { return gate_.counts(); }

 private:
  struct Part {
    double deviation = 0;  // signed, in the component's unit
    double expected = 0;
    double ratio = 0;  // |deviation| / threshold: 1 scores 0.5
    double score() const { return deviation_score(ratio, 1.0); }
    double since = std::numeric_limits<double>::quiet_NaN();  // when its score reached 0.5; NaN below
    bool active() const { return !std::isnan(since); }
  };
  void compute_stats();
  std::size_t bucket(double t) const;
  /// The smallest spread taken seriously for a series at `level` (constant series).
  double scale_floor(double level) const;
  void compute_base(double t, double x);
  void score_components(double t, double x);
  void learn(double t, double x, bool normal);
  Signal make_signal(Component c, const char* detector_name) const;
  void relearn();
  bool warming() const;
  bool season_covered() const;
  void finish_warmup();
  void track_change(double t, double x);
  Signal change_signal() const;

  std::string series_;
  const char* name_;  // a string literal: "combined", "robust-z", ...
  DetectorOptions o_;
  unsigned mask_;
  std::size_t warmup_;
  InputGate gate_;
  RobustWindow window_;
  BaselineStats stats_;
  // Seasonal profile: per phase bucket a level (NaN until first seen), plus a local offset and
  // residual scale shared by all buckets.
  std::vector<float> season_level_;
  double season_offset_ = 0, season_scale_ = 0, local_level_ = 0, season_t_ = 0;
  bool has_level_ = false, season_ready_ = false;
  double first_t_ = 0;
  bool has_first_ = false;
  long first_visit_ = -1;  // the bucket in its first visit (not yet an expectation), if any
  std::uint32_t first_visit_n_ = 0;
  // The expectation removed before the windowed statistics (0 without a season) and the residual.
  double base_ = 0, r_ = 0;
  std::size_t bucket_ = 0;  // phase bucket of the current point
  // EWMA weights, computed once (the time-based ones again only when the sampling step changes).
  struct Alphas {
    double ewma = 0, baseline = 0, smooth = 0;
    double dt = -1, offset = 0, local = 0;
  } a_;
  double cusum_hi_ = 0, cusum_lo_ = 0, cusum_var_ = 0;
  double cusum_hi_since_ = 0, cusum_lo_since_ = 0, cusum_var_since_ = 0;
  // EWMA chart: the smoothed value, its baseline mean and spread (Welford sums during warm-up).
  double ewma_ = 0, ewma_mean_ = 0, ewma_sigma_ = 0, ewma_m2_ = 0;
  std::uint32_t ewma_n_ = 0;
  // Changepoint events: the last 2m raw values, the raw spread learned in warm-up, and whether
  // the two-window statistic is armed (below the re-arm level since the last event).
  std::array<double, 24> recent_{};
  std::uint32_t recent_n_ = 0, recent_head_ = 0, since_resum_ = 0;
  double sum_before_ = 0, sum_after_ = 0;
  double raw_mean_ = 0, raw_m2_ = 0, raw_sigma_ = 0;
  bool change_armed_ = true;
  double change_z_ = 0, change_before_ = 0, change_after_ = 0, change_score_ = 0, change_since_ = 0;
  double smooth_ = 0;
  bool alarm_ = false;
  double alarm_since_ = 0;
  std::uint32_t alarm_run_ = 0;
  std::uint64_t learned_ = 0;  // points admitted to the window
  std::uint64_t stats_n_ = 0;  // warm-up points that taught the spreads
  std::array<Part, kComponentCount> parts_{};
  double last_t_ = 0, last_x_ = 0;
  int top_ = -1;  // component that drove the last combined score
};

}  // namespace opspilot::agent::detect::internal
