#pragma once
// Load forecasting: seasonal models (Holt-Winters / ETS, seasonal AR, multi-seasonal
// decomposition, seasonal naive) chosen per series by rolling-origin validation, with prediction
// intervals calibrated on the validation errors, and an online form updated in O(1) per point.
//
// Errors are values: a forecast that cannot be made returns nullopt with the reason in words.
// Every fallback or cleaning step taken on the way is reported in Forecast::notes; the output
// never contains NaN or infinity.
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace opspilot::agent::forecast {

/// {0.80, 0.95}. Out of line on purpose: GCC 12 at -O2 reports a false "dangling pointer" when
/// an initializer list default member is inlined into callers (GCC bug 106199).
std::vector<double> default_levels();

struct Options {
  std::size_t horizon = 1;                   // steps ahead
  std::vector<double> levels = default_levels();  // two-sided interval levels, each in (0, 1)
  std::vector<std::size_t> seasons;          // periods in steps; empty = detect automatically
  double step_seconds = 3600;                // sampling interval, used to look for daily/weekly
  bool non_negative = true;                  // the quantity cannot be negative (load): floor at 0
};

struct Band {
  double level = 0;
  std::vector<double> lower, upper;
};

struct Forecast {
  std::string model;                  // chosen model in words, with its parameters
  std::vector<std::size_t> seasons;   // the periods used (steps)
  std::vector<double> mean;           // `horizon` values
  std::vector<Band> bands;            // one per requested level, same order
  std::vector<std::string> notes;     // every fallback / cleaning step, in words
  double validation_mase = std::numeric_limits<double>::quiet_NaN();      // rolling-origin MASE
  double validation_coverage = std::numeric_limits<double>::quiet_NaN();  // of the widest band
};

/// One-shot: clean, detect seasons, fit candidates, select by rolling origin, forecast.
/// `y` is at regular steps, oldest first; NaN (or infinity) marks a gap. Errors are values:
/// returns nullopt and sets *error (when non-null), e.g. "2 finite points; need at least 3".
/// Thread-safety: reentrant (no shared state).
std::optional<Forecast> forecast(const std::vector<double>& y, const Options& o, std::string* error);

/// Fitted once (with selection), then updated one observation at a time in O(1) per point: the
/// chosen model's state moves forward, nothing is refitted. Intervals keep the widths calibrated
/// at fit time, scaled by the running one-step error (so they widen if the series gets noisier).
/// Thread-safety: none; one owner. Movable, not copyable.
class OnlineForecaster {
 public:
  static std::optional<OnlineForecaster> fit(const std::vector<double>& y, const Options& o,
                                             std::string* error);
  OnlineForecaster(OnlineForecaster&&) noexcept;
  OnlineForecaster& operator=(OnlineForecaster&&) noexcept;
  OnlineForecaster(const OnlineForecaster&) = delete;
  OnlineForecaster& operator=(const OnlineForecaster&) = delete;
  ~OnlineForecaster();

  void update(double y);                        // one new observation; NaN/inf = gap
  Forecast predict(std::size_t horizon) const;  // from the current state, calibrated bands
  std::size_t updates_since_fit() const;
  const std::string& model() const;
  std::size_t state_bytes() const;              // memory held by this forecaster, approximately

 private:
  struct Impl;  // defined in forecast_online.cpp
  explicit OnlineForecaster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Periods (in steps) found in y, strongest first (e.g. {24, 168} for hourly data with daily and
/// weekly cycles; {96, 672} at 15 min). Empty when none is significant. Only the daily and weekly
/// periods implied by `step_seconds` are considered, each confirmed by the autocorrelation.
std::vector<std::size_t> detect_seasons(const std::vector<double>& y, double step_seconds);

}  // namespace opspilot::agent::forecast
