#pragma once
// The policy interface: every proposed action is checked before anything acts.
// Evaluation is pure: no network, no actuators, no clocks other than the context's `now`.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace opspilot::policies {

enum class Verdict { Allow, Deny, NeedsApproval };
const char* to_string(Verdict v);

/// What the agent wants to do, in the terms rules speak of.
struct Proposal {
  std::string target;       // target name
  std::string namespace_;
  std::string action;       // scale | restart | rollback | hold
  int current_replicas = 0;
  int desired_replicas = 0;
  double confidence = 0;    // [0, 1]
};

/// What was true when the proposal was made.
struct Context {
  std::chrono::system_clock::time_point now;
  double data_age_seconds = 0;  // age of the oldest signal the proposal relies on
  bool data_complete = true;
  /// When the last action of each direction was taken on this target (absent = never).
  std::optional<std::chrono::system_clock::time_point> last_scale_up;
  std::optional<std::chrono::system_clock::time_point> last_scale_down;
};

struct RuleResult {
  std::string rule;     // e.g. "bounds.max_replicas"
  Verdict verdict = Verdict::Allow;
  std::string reason;   // in words
  /// When set, the rule allows a modified proposal (e.g. clamped to the largest step).
  std::optional<int> adjusted_replicas;
};

struct Evaluation {
  Verdict verdict = Verdict::Allow;
  int replicas = 0;  // the replica count allowed after adjustments
  std::vector<RuleResult> rules;
};

/// Thread-safety: evaluate() is const and may run concurrently.
class PolicyEvaluator {
 public:
  virtual ~PolicyEvaluator() = default;
  virtual Evaluation evaluate(const Proposal& proposal, const Context& context) const = 0;
};

}  // namespace opspilot::policies
