#pragma once
// The one actuator interface. An actuator does exactly what a decision says, idempotently: the
// decision id is the idempotency key, so a retried apply never acts twice. It decides nothing.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace opspilot::actuators {

enum class ActionKind { Scale, Restart, Rollback, None };
const char* to_string(ActionKind k);
ActionKind action_kind_from_string(const std::string& s);

struct TargetRef {
  std::string kind;  // Deployment, StatefulSet, AutoScalingGroup, ...
  std::string namespace_;
  std::string name;
};

struct Action {
  std::string decision_id;  // idempotency key
  ActionKind kind = ActionKind::None;
  TargetRef target;
  int replicas = 0;         // Scale: the desired count
  int from_replicas = 0;    // Scale: the count the decision saw
  std::map<std::string, std::string> params;

  /// params[key], or "" when absent.
  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

/// One API call an actuator makes or would make: enough to repeat it by hand.
struct ApiCall {
  std::string method;
  std::string url;
  std::string body;
  long status = 0;           // 0 when not (yet) sent
  std::string response;      // trimmed response body
};

struct ApplyResult {
  bool ok = false;
  bool already_applied = false;  // idempotent replay: the action had been applied before
  bool retryable = false;
  std::string error;             // in words, quoting the API's own message
  std::vector<ApiCall> calls;
};

enum class VerifyState { Done, InProgress, Failed, Unknown };
const char* to_string(VerifyState s);

struct VerifyResult {
  VerifyState state = VerifyState::Unknown;
  std::string detail;         // observed state in words
  nlohmann::json observed;    // observed state as data
  std::vector<ApiCall> calls;
};

/// Thread-safety: implementations must allow concurrent calls for different targets.
class Actuator {
 public:
  virtual ~Actuator() = default;
  virtual std::string name() const = 0;
  /// The exact calls apply() would make, without making them.
  virtual std::vector<ApiCall> plan(const Action& action) const = 0;
  virtual ApplyResult apply(const Action& action) = 0;
  virtual VerifyResult verify(const Action& action) = 0;
};

using ActuatorSettings = std::map<std::string, std::string>;
using ActuatorFactory = std::function<std::unique_ptr<Actuator>(const ActuatorSettings&)>;

/// Name-keyed registry of actuator backends. Registering a name twice is refused unless
/// `replace` is set (tests only).
class ActuatorRegistry {
 public:
  static ActuatorRegistry& instance();
  bool add(const std::string& name, ActuatorFactory factory, bool replace = false);
  /// nullptr and `error` set when the name is unknown or the settings are rejected.
  std::unique_ptr<Actuator> create(const std::string& name, const ActuatorSettings& settings,
                                   std::string* error) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, ActuatorFactory> factories_;
};

/// Registers every built-in backend once (explicit, so static linking cannot drop one).
void register_builtin_actuators();

}  // namespace opspilot::actuators
