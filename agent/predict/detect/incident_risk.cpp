#include <algorithm>
#include <cstdio>

#include "agent/predict/detect/detect_internal.h"
#include "agent/predict/detect/detector.h"

namespace opspilot::agent::detect {

IncidentRiskModel::IncidentRiskModel(IncidentRiskOptions o) : o_(o) {}

IncidentRisk IncidentRiskModel::assess(const std::vector<Signal>& signals) const {
  IncidentRisk r;
  struct Weighted {
    double p;
    const Signal* s;
  };
  std::vector<Weighted> parts;
  double keep = 1.0;  // probability that none of the signals means an incident (noisy-OR)
  for (const Signal& s : signals) {
    if (s.learning || !(s.score > 0)) continue;
    const double w = s.detector == "burn-rate" ? o_.burn_weight : o_.anomaly_weight;
    const double p = std::clamp(w * s.score, 0.0, 1.0);
    keep *= 1.0 - p;
    parts.push_back({p, &s});
  }
  r.risk = std::clamp(1.0 - keep, 0.0, 1.0);
  r.level = r.risk >= o_.incident ? "incident" : r.risk >= o_.warning ? "warning" : r.risk >= o_.watch ? "watch" : "none";
  std::stable_sort(parts.begin(), parts.end(), [](const Weighted& a, const Weighted& b) { return a.p > b.p; });
  for (const Weighted& w : parts) {
    if (r.drivers.size() >= o_.max_drivers) break;
    if (w.s->score < 0.3 && !w.s->anomalous) break;
    r.drivers.push_back(*w.s);
  }
  char head[96];
  std::snprintf(head, sizeof head, "incident risk %.2f (%s)", r.risk, r.level.c_str());
  r.summary = head;
  if (r.drivers.empty()) {
    r.summary += ": no signal above normal";
  } else {
    r.summary += ": ";
    for (std::size_t i = 0; i < r.drivers.size(); ++i) {
      if (i) r.summary += "; ";
      r.summary += r.drivers[i].explanation;
    }
  }
  return r;
}

}  // namespace opspilot::agent::detect
