#pragma once
// The policy interface: every proposed action is checked before anything acts.
// Evaluation is pure: no network, no actuators, no clocks other than the context's `now`.
#include <chrono>
#include <map>
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
  // Added for the policy language (policies/engine.h); defaults keep older callers compiling.
  std::map<std::string, std::string> labels;  // the target's labels, for selectors
  std::string environment;  // e.g. "production"; empty = unknown
  int pods_affected = 0;    // restart: pods restarted at once (0 = all current_replicas)
  int total_pods = 0;       // pods of the target (0 = current_replicas)
};

/// One earlier action on the target, for cooldowns, rate limits and blast radius.
struct ActionRecord {
  std::string kind;  // scale_up | scale_down | restart | rollback | resize_up | resize_down
  std::chrono::system_clock::time_point at;
  int pods = 0;      // pods restarted (restart only)
};

/// What was true when the proposal was made.
struct Context {
  std::chrono::system_clock::time_point now;
  double data_age_seconds = 0;  // age of the oldest signal the proposal relies on
  bool data_complete = true;
  /// When the last action of each direction was taken on this target (absent = never).
  std::optional<std::chrono::system_clock::time_point> last_scale_up;
  std::optional<std::chrono::system_clock::time_point> last_scale_down;
  // Added for the policy language; defaults mean "nothing known, nothing happened".
  std::vector<ActionRecord> history;   // recent actions on this target, any order
  double error_budget_burn_rate = 0;   // 1 = burning exactly the budget over the SLO window
  std::optional<double> predictor_mase;      // measured forecast error (lower is better)
  std::optional<double> predictor_coverage;  // measured interval coverage in [0, 1]
  int slo_min_replicas = 0;            // fewest replicas the SLO needs (0 = unknown)
  int rollbacks_this_deploy = 0;       // rollbacks already done for the current deploy
};

struct RuleResult {
  std::string rule;     // e.g. "bounds.max_replicas"
  Verdict verdict = Verdict::Allow;
  std::string reason;   // in words
  /// When set, the rule allows a modified proposal (e.g. clamped to the largest step).
  std::optional<int> adjusted_replicas;
};

/// Who must approve a needs_approval verdict, and for how long the request lives.
struct ApprovalRequirement {
  std::vector<std::string> rules;         // the approval rules that asked
  std::vector<std::string> slack_users;   // Slack user IDs allowed to approve
  std::vector<std::string> slack_groups;  // Slack user-group IDs
  std::vector<std::string> tokens;        // API token names
  std::chrono::seconds ttl{std::chrono::minutes(30)};
  Verdict on_expiry = Verdict::Deny;      // what an unanswered request becomes
};

struct Evaluation {
  Verdict verdict = Verdict::Allow;
  int replicas = 0;  // the replica count allowed after adjustments
  std::vector<RuleResult> rules;
  /// Set when verdict is needs_approval and the rules said who may approve.
  std::optional<ApprovalRequirement> approval;
};

/// Thread-safety: evaluate() is const and may run concurrently.
class PolicyEvaluator {
 public:
  virtual ~PolicyEvaluator() = default;
  virtual Evaluation evaluate(const Proposal& proposal, const Context& context) const = 0;
};

}  // namespace opspilot::policies
