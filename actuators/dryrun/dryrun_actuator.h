#pragma once
// The dry-run recorder: plans like a real backend would and records what it would have done,
// but never calls anything. Thread-safety: apply/verify are guarded by a mutex.
#include <mutex>
#include <vector>

#include "actuators/actuator.h"

namespace opspilot::actuators {

class DryRunActuator final : public Actuator {
 public:
  explicit DryRunActuator(const ActuatorSettings& settings = {});
  std::string name() const override { return "dry-run"; }
  std::vector<ApiCall> plan(const Action& action) const override;
  ApplyResult apply(const Action& action) override;
  VerifyResult verify(const Action& action) override;
  /// Every action "applied" so far, in order.
  std::vector<Action> recorded() const;

 private:
  mutable std::mutex mu_;
  std::vector<Action> recorded_;
};

/// The JSON body of the generic action protocol (shared by the webhook backend and dry-run plans).
nlohmann::json action_to_json(const Action& action);

}  // namespace opspilot::actuators
