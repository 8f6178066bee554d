// Names of actuator enums as they appear in decision records, the journal and the webhook
// protocol. snake_case, matching the rest of the wire format ("in_progress", "needs_approval").
#include "actuators/actuator.h"

namespace opspilot::actuators {

const char* to_string(ActionKind k) {
  switch (k) {
    case ActionKind::Scale: return "scale";
    case ActionKind::Restart: return "restart";
    case ActionKind::Rollback: return "rollback";
    case ActionKind::None: return "none";
  }
  return "none";
}

// "hold" is what a decision record calls doing nothing, so it maps to None as well. Anything
// unknown is None too: the caller decides whether that is an error (the header gives no error
// channel; callers that must reject bad names compare to_string(kind) with the input).
ActionKind action_kind_from_string(const std::string& s) {
  if (s == "scale") return ActionKind::Scale;
  if (s == "restart") return ActionKind::Restart;
  if (s == "rollback") return ActionKind::Rollback;
  return ActionKind::None;
}

const char* to_string(VerifyState s) {
  switch (s) {
    case VerifyState::Done: return "done";
    case VerifyState::InProgress: return "in_progress";
    case VerifyState::Failed: return "failed";
    case VerifyState::Unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace opspilot::actuators
