#pragma once
// The predict stage: a load forecast with an interval, or an honest "not enough data".
#include <string>
#include <vector>

#include "agent/clock.h"
#include "agent/journal/decision.h"

namespace opspilot::agent {

struct Point {
  TimePoint t;
  double v;
};

/// Thread-safety: implementations are stateless across calls or document otherwise.
class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual std::string name() const = 0;
  /// Forecast of the value at now + horizon from `history` (oldest first, finite values only),
  /// with a two-sided prediction interval at `level` (e.g. 0.95).
  virtual Prediction forecast(const std::vector<Point>& history, TimePoint now, Duration horizon,
                              double level) const = 0;
};

/// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double p);

/// Ordinary least squares on the recent window, extrapolated to the horizon, with the classical
/// OLS prediction interval. The baseline until seasonal models take over.
class LinearTrendPredictor final : public Predictor {
 public:
  LinearTrendPredictor(Duration window = std::chrono::minutes(30), std::size_t min_points = 8)
      : window_(window), min_points_(min_points) {}
  std::string name() const override;
  Prediction forecast(const std::vector<Point>& history, TimePoint now, Duration horizon,
                      double level) const override;

 private:
  Duration window_;
  std::size_t min_points_;
};

}  // namespace opspilot::agent
