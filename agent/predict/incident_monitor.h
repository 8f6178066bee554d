#pragma once
// The detect stage of one target: a streaming detector per observed signal, one multivariate
// detector across them, SLO burn rates, and the incident risk that combines them — plus the live
// scoring of its alarms against confirmed incidents (the `incident` signal).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/decision.h"
#include "agent/predict/detect/detector.h"
#include "agent/predict/self_assessment.h"
#include "agent/source/observation.h"

namespace opspilot::agent {

/// Thread-safety: none; owned by one target's strand.
class IncidentMonitor {
 public:
  /// The roles scored by the univariate and multivariate detectors, in this order.
  static const std::vector<std::string>& monitored_roles();

  explicit IncidentMonitor(const TargetSpec& spec, Duration interval);
  IncidentMonitor(const IncidentMonitor&) = delete;
  IncidentMonitor& operator=(const IncidentMonitor&) = delete;

  /// Scores this tick's observation; signals that are not ok are gaps.
  IncidentAssessment assess(TimePoint now, const Observation& obs);

  const DetectionScorer& scorer() const { return scorer_; }
  std::size_t state_bytes() const;

 private:
  std::vector<std::string> roles_;  // monitored roles this target has
  std::map<std::string, detect::SeriesDetector> series_;
  std::optional<detect::MultivariateDetector> multivariate_;
  std::optional<detect::BurnRate> availability_;
  std::optional<detect::BurnRate> latency_;
  double latency_threshold_ = 0;
  detect::IncidentRiskModel risk_;
  DetectionScorer scorer_;
  bool has_incident_signal_ = false;
};

/// The decision-record form of a detector's signal.
RiskDriver to_driver(const detect::Signal& s);

}  // namespace opspilot::agent
