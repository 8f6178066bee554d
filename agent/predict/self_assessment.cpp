#include "agent/predict/self_assessment.h"

#include <algorithm>
#include <cmath>

namespace opspilot::agent {

void ForecastScorer::remember(TimePoint due, const Prediction& p, double last_actual) {
  if (!p.enough_data || !std::isfinite(last_actual)) return;
  if (pending_.size() >= 256) pending_.erase(pending_.begin());  // bounded
  pending_.push_back({due, p.mean, p.lower, p.upper, last_actual});
}

void ForecastScorer::score(TimePoint now, double actual) {
  if (!std::isfinite(actual)) return;
  auto it = pending_.begin();
  while (it != pending_.end() && it->due <= now) {
    Scored s;
    s.abs_error = std::abs(actual - it->mean);
    s.naive_abs_error = std::abs(actual - it->naive);
    s.pct_error = s.abs_error / std::max(std::abs(actual), 1e-9);
    s.covered = actual >= it->lower && actual <= it->upper;
    if (ring_.size() < window_) {
      ring_.push_back(s);
    } else {
      ring_[next_] = s;
      next_ = (next_ + 1) % window_;
    }
    ++scored_;
    it = pending_.erase(it);
  }
}

double ForecastScorer::mase() const {
  double e = 0, n = 0;
  for (const Scored& s : ring_) {
    e += s.abs_error;
    n += s.naive_abs_error;
  }
  if (ring_.empty() || n <= 0) return std::nan("");
  return e / n;
}

double ForecastScorer::coverage() const {
  if (ring_.empty()) return std::nan("");
  const auto c = std::count_if(ring_.begin(), ring_.end(), [](const Scored& s) { return s.covered; });
  return static_cast<double>(c) / static_cast<double>(ring_.size());
}

double ForecastScorer::abs_pct_error() const {
  if (ring_.empty()) return std::nan("");
  double sum = 0;
  for (const Scored& s : ring_) sum += s.pct_error;
  return sum / static_cast<double>(ring_.size());
}

ForecastAccuracy ForecastScorer::accuracy() const {
  ForecastAccuracy a;
  a.scored = scored_;
  a.window = ring_.size();
  a.mase = mase();
  a.coverage = coverage();
  a.abs_pct_error = abs_pct_error();
  return a;
}

void DetectionScorer::judge_alarm(bool is_true) {
  ++alarms_;
  if (is_true) ++true_alarms_;
  alarm_pending_ = false;
}

void DetectionScorer::observe(TimePoint now, bool alarm, std::optional<bool> confirmed) {
  const bool incident = confirmed.value_or(false);
  // An ended alarm waits out the grace period for an incident to be confirmed after it.
  if (alarm_pending_ && last_alarm_start_ && now - *last_alarm_start_ > grace_ && !incident)
    judge_alarm(alarm_overlapped_);

  if (alarm && !alarm_on_) {
    if (alarm_pending_) judge_alarm(alarm_overlapped_);
    alarm_on_ = true;
    alarm_start_ = last_alarm_start_ = now;
    alarm_overlapped_ = false;
  }
  if (incident && !incident_on_) {
    incident_on_ = true;
    incident_start_ = now;
    incident_detected_ = false;
    // An alarm that began shortly before counts for this incident.
    if (last_alarm_start_ && (alarm_on_ || alarm_pending_) && now - *last_alarm_start_ <= grace_) {
      incident_detected_ = true;
      ++detected_;
      ++incidents_;
    }
  }
  if (incident && (alarm_on_ || alarm_pending_)) {
    alarm_overlapped_ = true;
    if (alarm_pending_) judge_alarm(true);
  }
  if (incident && alarm && !incident_detected_) {
    incident_detected_ = true;
    ++detected_;
    ++incidents_;
    delay_sum_ += std::max(0.0, to_seconds(now - *incident_start_));
  }
  if (!incident && incident_on_) {
    incident_on_ = false;
    if (!incident_detected_) ++incidents_;  // ended undetected
  }
  if (!alarm && alarm_on_) {
    alarm_on_ = false;
    if (alarm_overlapped_) {
      judge_alarm(true);
    } else {
      alarm_pending_ = true;
    }
  }
}

double DetectionScorer::precision() const {
  return alarms_ == 0 ? std::nan("") : static_cast<double>(true_alarms_) / static_cast<double>(alarms_);
}
double DetectionScorer::recall() const {
  return incidents_ == 0 ? std::nan("") : static_cast<double>(detected_) / static_cast<double>(incidents_);
}
double DetectionScorer::mean_delay_seconds() const {
  return detected_ == 0 ? std::nan("") : delay_sum_ / static_cast<double>(detected_);
}

}  // namespace opspilot::agent
