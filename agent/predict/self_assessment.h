#pragma once
// Live self-assessment: every forecast is scored when its time comes against what was then
// observed, and every alarm against the incidents that were confirmed. The figures are exported
// on /metrics, copied into decision records, and gate autonomy (the forecast accuracy floor).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "agent/clock.h"
#include "agent/journal/decision.h"

namespace opspilot::agent {

/// Rolling forecast accuracy over the last `window` scored forecasts: MASE against the naive
/// forecast (the value seen when the forecast was made, carried to the same horizon), the
/// coverage of the interval, and the mean absolute percentage error. Bounded state.
/// Thread-safety: none; owned by one target's strand.
class ForecastScorer {
 public:
  explicit ForecastScorer(std::size_t window = 288) : window_(window) {}
  /// Remembers a forecast for `due`, made when the last observed value was `last_actual`.
  void remember(TimePoint due, const Prediction& p, double last_actual);
  /// Scores every remembered forecast that is due at `now` against `actual`.
  void score(TimePoint now, double actual);

  std::size_t scored() const { return scored_; }
  /// Sum of |actual - forecast| over sum of |actual - naive| in the window; NaN until scored,
  /// or when the naive forecast was perfect every time (nothing to compare against).
  double mase() const;
  /// Share of actual values inside the interval, in the window; NaN before any.
  double coverage() const;
  /// Mean |actual - forecast| / |actual| in the window; NaN before any.
  double abs_pct_error() const;
  /// The figures above as they go into a decision record.
  ForecastAccuracy accuracy() const;

 private:
  struct Pending {
    TimePoint due;
    double mean, lower, upper, naive;
  };
  struct Scored {
    double abs_error, naive_abs_error, pct_error;
    bool covered;
  };
  std::size_t window_;
  std::vector<Pending> pending_;  // at most 256
  std::vector<Scored> ring_;      // at most window_
  std::size_t next_ = 0;
  std::size_t scored_ = 0;
};

/// Scores alarms (incident risk at "warning" or above) against confirmed incidents (a signal
/// that is > 0 while an incident is confirmed). An alarm is true when it overlaps a confirmed
/// incident or one starts within `grace` after the alarm began; an incident is detected when an
/// alarm was on during it or began within `grace` before it. Counters only: bounded state.
/// Thread-safety: none; owned by one target's strand.
class DetectionScorer {
 public:
  explicit DetectionScorer(Duration grace = std::chrono::minutes(10)) : grace_(grace) {}
  /// One tick. `confirmed` is nullopt when no incident signal is configured or it is missing.
  void observe(TimePoint now, bool alarm, std::optional<bool> confirmed);

  std::uint64_t alarms() const { return alarms_; }           // judged alarm episodes
  std::uint64_t true_alarms() const { return true_alarms_; }
  std::uint64_t incidents() const { return incidents_; }     // ended or detected incidents
  std::uint64_t detected() const { return detected_; }
  /// NaN until there is something to divide by.
  double precision() const;
  double recall() const;
  /// Mean seconds from an incident's start to the first alarm on it (0 when the alarm came
  /// first); NaN before any detection.
  double mean_delay_seconds() const;

 private:
  void judge_alarm(bool is_true);
  Duration grace_;
  bool alarm_on_ = false, incident_on_ = false;
  std::optional<TimePoint> alarm_start_, incident_start_;
  bool alarm_overlapped_ = false;      // the current / pending alarm episode met an incident
  bool alarm_pending_ = false;         // an ended alarm episode waiting out the grace period
  std::optional<TimePoint> last_alarm_start_;
  bool incident_detected_ = false;
  std::uint64_t alarms_ = 0, true_alarms_ = 0, incidents_ = 0, detected_ = 0;
  double delay_sum_ = 0;
};

}  // namespace opspilot::agent
