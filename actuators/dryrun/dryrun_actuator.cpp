#include "actuators/dryrun/dryrun_actuator.h"

#include <algorithm>

namespace opspilot::actuators {

nlohmann::json action_to_json(const Action& a) {
  nlohmann::json j;
  j["decision_id"] = a.decision_id;
  j["kind"] = to_string(a.kind);
  j["target"] = {{"kind", a.target.kind}, {"namespace", a.target.namespace_}, {"name", a.target.name}};
  if (a.kind == ActionKind::Scale) {
    j["replicas"] = a.replicas;
    j["from_replicas"] = a.from_replicas;
  }
  if (!a.params.empty()) j["params"] = a.params;
  return j;
}

DryRunActuator::DryRunActuator(const ActuatorSettings&) {}

std::vector<ApiCall> DryRunActuator::plan(const Action& action) const {
  return {ApiCall{"NONE", "dry-run://" + action.target.namespace_ + "/" + action.target.name,
                  action_to_json(action).dump(), 0, ""}};
}

ApplyResult DryRunActuator::apply(const Action& action) {
  std::lock_guard lock(mu_);
  ApplyResult r;
  r.ok = true;
  r.calls = plan(action);
  r.already_applied = std::any_of(recorded_.begin(), recorded_.end(), [&](const Action& a) {
    return a.decision_id == action.decision_id;
  });
  if (!r.already_applied) recorded_.push_back(action);
  return r;
}

VerifyResult DryRunActuator::verify(const Action& action) {
  VerifyResult v;
  v.state = VerifyState::Done;
  v.detail = "dry-run: nothing was changed, so there is nothing to verify for " + action.decision_id;
  return v;
}

std::vector<Action> DryRunActuator::recorded() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

}  // namespace opspilot::actuators
