#pragma once
// The predict stage: a load forecast with an interval, or an honest "not enough data".
#include <limits>
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

/// Live self-assessment: every forecast is scored when its time comes, against what was then
/// observed. Bounded state. Thread-safety: none; owned by one target's strand.
class ForecastScorer {
 public:
  void remember(TimePoint due, const Prediction& p);
  /// Scores every remembered forecast that is due at `now` against `actual`.
  void score(TimePoint now, double actual);
  std::size_t scored() const { return scored_; }
  /// Mean absolute percentage error over the scored forecasts (EWMA, alpha 0.05); NaN before any.
  double abs_pct_error() const { return ape_; }
  /// Share of actual values that fell inside the interval (EWMA); NaN before any.
  double coverage() const { return coverage_; }

 private:
  struct Pending {
    TimePoint due;
    double mean, lower, upper;
  };
  std::vector<Pending> pending_;
  std::size_t scored_ = 0;
  double ape_ = std::numeric_limits<double>::quiet_NaN();
  double coverage_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace opspilot::agent
