#include "agent/loop/target_state.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace opspilot::agent {

policies::GuardrailSpec guardrails_for(const TargetSpec& t, Duration stale_after) {
  policies::GuardrailSpec g;
  g.min_replicas = t.limits.min_replicas;
  g.max_replicas = t.limits.max_replicas;
  g.max_step_up = t.limits.max_step_up;
  g.max_step_down = t.limits.max_step_down;
  g.cooldown_up = t.limits.cooldown_up;
  g.cooldown_down = t.limits.cooldown_down;
  g.max_data_age_seconds = to_seconds(stale_after);
  return g;
}

void ReadinessMeter::add(Duration took) {
  if (took < Duration(0)) return;
  samples_.push_back(took);
  while (samples_.size() > kKeep) samples_.pop_front();
}

std::optional<Duration> ReadinessMeter::p90() const {
  if (samples_.size() < kMinSamples) return std::nullopt;
  std::vector<Duration> v(samples_.begin(), samples_.end());
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

TargetState::TargetState(TargetSpec s, Duration stale_after)
    : spec(std::move(s)),
      planner(std::make_unique<ScalingPlanner>()),
      remediation(std::make_unique<RemediationPlanner>(spec.remediation)),
      guardrails(guardrails_for(spec, stale_after)) {}

}  // namespace opspilot::agent
