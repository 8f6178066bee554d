#include "agent/source/observation.h"

namespace opspilot::agent {

const char* to_string(SignalStatus s) {
  switch (s) {
    case SignalStatus::Ok: return "ok";
    case SignalStatus::Missing: return "missing";
    case SignalStatus::Stale: return "stale";
    case SignalStatus::Error: return "error";
  }
  return "unknown";
}

}  // namespace opspilot::agent
