#include "agent/predict/incident_monitor.h"

#include <algorithm>
#include <cmath>

namespace opspilot::agent {
namespace {

detect::BurnRateOptions burn_options(const SloSpec& slo) {
  detect::BurnRateOptions o;
  o.objective = slo.objective / 100.0;
  o.budget_period_seconds = to_seconds(slo.window);
  return o;
}

}  // namespace

const std::vector<std::string>& IncidentMonitor::monitored_roles() {
  static const std::vector<std::string> roles{"load", "latency", "errors", "saturation"};
  return roles;
}

IncidentMonitor::IncidentMonitor(const TargetSpec& spec, Duration interval) {
  detect::DetectorOptions o;
  o.warmup_points = std::max<std::size_t>(
      o.warmup_points, static_cast<std::size_t>(std::chrono::minutes(30) / std::max(interval, Duration(1))));
  for (const auto& role : monitored_roles()) {
    if (!spec.signals.count(role)) continue;
    roles_.push_back(role);
    // Load follows the day: it is judged against its learned daily profile (which takes a day
    // of data to learn; until then that detector says "learning"). The other signals are judged
    // against their recent baseline.
    detect::DetectorOptions ro = o;
    ro.season_seconds = role == "load" ? 86400 : 0;
    series_.emplace(role, detect::SeriesDetector(spec.name + "/" + role, ro));
  }
  if (roles_.size() >= 2) {
    detect::MultivariateOptions mo;
    mo.warmup_points = o.warmup_points;
    // A tick every few seconds for months: one false warning a day at most needs a far tail, and
    // sustained shifts (smoothed inputs) rather than single-tick noise.
    mo.threshold = 0.99999;
    mo.input_halflife_points = 2;
    std::vector<std::string> names;
    for (const auto& r : roles_) names.push_back(spec.name + "/" + r);
    multivariate_.emplace(std::move(names), mo);
  }
  if (spec.slo.objective > 0) {
    if (spec.signals.count("errors") && spec.signals.count("load"))
      availability_.emplace(spec.name + "/availability", burn_options(spec.slo));
    if (spec.slo.latency_seconds > 0 && spec.signals.count("latency")) {
      latency_.emplace(spec.name + "/latency-slo", burn_options(spec.slo));
      latency_threshold_ = spec.slo.latency_seconds;
    }
  }
  has_incident_signal_ = spec.signals.count("incident") > 0;
}

IncidentAssessment IncidentMonitor::assess(TimePoint now, const Observation& obs) {
  const double t = to_unix_seconds(now);
  std::vector<detect::Signal> signals;
  std::vector<double> row;
  row.reserve(roles_.size());
  auto value = [&](const std::string& role) {
    const SignalValue* s = obs.get(role);
    return (s && s->ok()) ? s->value : std::nan("");
  };
  for (const auto& role : roles_) {
    const double x = value(role);
    row.push_back(x);
    signals.push_back(series_.at(role).update(t, x));
  }
  if (multivariate_) signals.push_back(multivariate_->update(t, row));
  const double load = value("load"), errors = value("errors");
  if (availability_ && std::isfinite(load) && std::isfinite(errors) && load > 0)
    signals.push_back(availability_->update_ratio(t, std::clamp(errors / load, 0.0, 1.0)));
  if (latency_) {
    const double latency = value("latency");
    if (std::isfinite(latency)) signals.push_back(latency_->update_ratio(t, latency > latency_threshold_ ? 1.0 : 0.0));
  }

  const detect::IncidentRisk r = risk_.assess(signals);
  IncidentAssessment a;
  if (availability_) a.burn_rate = std::max(a.burn_rate, availability_->burn_rate(3600));
  if (latency_) a.burn_rate = std::max(a.burn_rate, latency_->burn_rate(3600));
  a.assessed = true;
  a.risk = r.risk;
  a.level = r.level.empty() ? "none" : r.level;
  a.summary = r.summary;
  for (const auto& s : r.drivers) a.drivers.push_back(to_driver(s));

  std::optional<bool> confirmed;
  if (has_incident_signal_) {
    const double inc = value("incident");
    if (std::isfinite(inc)) confirmed = inc > 0;
  }
  scorer_.observe(now, a.level == "warning" || a.level == "incident", confirmed);
  a.detection_precision = scorer_.precision();
  a.detection_recall = scorer_.recall();
  return a;
}

std::size_t IncidentMonitor::state_bytes() const {
  std::size_t n = sizeof(*this);
  for (const auto& [role, d] : series_) n += d.state_bytes();
  if (multivariate_) n += multivariate_->state_bytes();
  if (availability_) n += availability_->state_bytes();
  if (latency_) n += latency_->state_bytes();
  return n;
}

RiskDriver to_driver(const detect::Signal& s) {
  RiskDriver d;
  d.detector = s.detector;
  d.series = s.series;
  d.score = s.score;
  d.value = s.value;
  d.expected = s.expected;
  d.deviation = s.deviation;
  d.unit = s.unit;
  if (s.since) d.since = from_unix_seconds(*s.since);
  d.explanation = s.explanation;
  return d;
}

}  // namespace opspilot::agent
