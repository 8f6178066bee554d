#include "agent/loop/target_state.h"

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

TargetState::TargetState(TargetSpec s, Duration stale_after)
    : spec(std::move(s)),
      planner(std::make_unique<ScalingPlanner>()),
      remediation(std::make_unique<RemediationPlanner>(spec.remediation)),
      guardrails(guardrails_for(spec, stale_after)) {}

}  // namespace opspilot::agent
