#pragma once
// Guardrails: the built-in rules every scaling proposal passes through, configured per target
// (bounds, largest step, cooldowns, data freshness). Rules are evaluated in a fixed order and
// all of them are reported; deny wins over needs_approval, which wins over allow.
#include <chrono>

#include "policies/policy.h"

namespace opspilot::policies {

struct GuardrailSpec {
  int min_replicas = 1;
  int max_replicas = 10;
  int max_step_up = 0;    // 0 = unlimited
  int max_step_down = 0;  // 0 = unlimited
  std::chrono::milliseconds cooldown_up{std::chrono::minutes(1)};
  std::chrono::milliseconds cooldown_down{std::chrono::minutes(5)};
  double max_data_age_seconds = 120;
};

/// Thread-safety: immutable after construction; evaluate() may run concurrently.
class Guardrails final : public PolicyEvaluator {
 public:
  explicit Guardrails(GuardrailSpec spec) : spec_(spec) {}
  Evaluation evaluate(const Proposal& proposal, const Context& context) const override;
  const GuardrailSpec& spec() const { return spec_; }

 private:
  GuardrailSpec spec_;
};

/// Combines rule verdicts: any deny → deny; else any needs_approval → needs_approval; else allow.
Verdict combine(const std::vector<RuleResult>& rules);

}  // namespace opspilot::policies
