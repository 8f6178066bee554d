#pragma once
// The live load forecaster of one target: seasonal models chosen by rolling-origin validation
// (predict/forecast.h), fitted on the target's stored history, then updated incrementally as
// each step's bucket completes, and refitted (and re-selected) every `refit_every`.
#include <optional>
#include <string>

#include "agent/config/config.h"
#include "agent/journal/decision.h"
#include "agent/predict/forecast.h"
#include "agent/store/series_store.h"

namespace opspilot::agent {

/// Thread-safety: none; owned by one target's strand.
class SeasonalPredictor {
 public:
  /// `interval`: the loop's tick period (the step, when spec.step is 0).
  SeasonalPredictor(ForecastSpec spec, Duration interval)
      : spec_(std::move(spec)), interval_(interval), step_(spec_.step > Duration(0) ? spec_.step : interval) {}

  /// The forecast of `series` at now + horizon, with the band at spec.level. Reads only what is
  /// new in `store` since the last call (whole buckets of `spec.step`).
  Prediction forecast(const SeriesStore& store, const std::string& series, TimePoint now,
                      Duration horizon);

  /// The model in use ("" before the first successful fit).
  std::string model() const;
  std::size_t fits() const { return fits_; }

 private:
  bool refit(const SeriesStore& store, const std::string& series, TimePoint now, Duration horizon);
  void catch_up(const SeriesStore& store, const std::string& series, TimePoint now);
  TimePoint bucket_start(TimePoint t) const;
  TimePoint complete_end(TimePoint now) const;

  ForecastSpec spec_;
  Duration interval_;
  std::optional<forecast::OnlineForecaster> fc_;
  Duration step_;                  // the step actually used (the store may hold only coarser)
  TimePoint next_bucket_{};        // start of the first bucket not yet given to the forecaster
  TimePoint fitted_at_{};
  TimePoint last_attempt_{};
  std::string last_error_;
  std::size_t fits_ = 0;
};

}  // namespace opspilot::agent
