#pragma once
// The decision record: everything needed to explain one decision. Journaled before anything
// acts, updated as it progresses, served over the API and rendered by `opspilot explain`.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actuators/actuator.h"
#include "agent/clock.h"
#include "policies/policy.h"

namespace opspilot::agent {

/// Lifecycle of a decision. Terminal states: Held, Planned, Denied, Verified, Failed.
enum class DecisionState {
  Proposed,   // written before policy check / action
  Held,       // no action: nothing to do, or data stale/missing
  Planned,    // dry-run: would act
  Denied,     // a policy rule refused it
  PendingApproval,
  Acting,     // written before the actuator is called
  Applied,    // actuator accepted; awaiting verification
  Verified,
  Failed,
};
const char* to_string(DecisionState s);
DecisionState decision_state_from_string(const std::string& s);
bool is_terminal(DecisionState s);

struct ObservedSignal {
  std::string role;
  std::string query;
  std::string status;  // ok | missing | stale | error
  double value = 0;
  double age_seconds = 0;
  std::string error;
};

struct Prediction {
  std::string model;            // e.g. "linear-trend(30m)"; empty when none
  bool enough_data = false;
  double horizon_seconds = 0;
  double mean = 0;
  double lower = 0;
  double upper = 0;
  double level = 0.95;          // interval level
  double confidence = 0;        // [0, 1]
  std::string note;             // e.g. "not enough data: 12 points, need 20"
};

struct Decision {
  std::string id;
  std::string target;
  std::string namespace_;
  std::string target_kind;
  TimePoint created{};
  TimePoint updated{};
  std::string mode;             // dry-run | active
  DecisionState state = DecisionState::Proposed;
  std::string action = "hold";  // hold | scale | restart | rollback
  int current_replicas = 0;
  int desired_replicas = 0;
  std::string reason;           // why, in words
  std::vector<ObservedSignal> observed;
  Prediction prediction;
  policies::Evaluation policy;  // every rule checked and its verdict
  bool policy_checked = false;
  std::string approval;         // who, when, how — empty when none needed
  std::vector<actuators::ApiCall> calls;  // what the actuator did or would do
  std::string outcome;          // verification result in words
  std::string error;
};

nlohmann::json to_json(const Decision& d);
/// Lenient: missing fields keep their defaults. Returns false and sets `error` on a wrong type.
bool from_json(const nlohmann::json& j, Decision& d, std::string* error);

/// A short one-line summary ("scale checkout 3 -> 5: allowed, applied").
std::string summarize(const Decision& d);
/// The whole record in words, for `opspilot explain`.
std::string explain(const Decision& d);

}  // namespace opspilot::agent
