#pragma once
// The decision record: everything needed to explain one decision. Journaled before anything
// acts, updated as it progresses, served over the API and rendered by `opspilot explain`.
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actuators/actuator.h"
#include "agent/clock.h"
#include "policies/policy.h"

namespace opspilot::agent {

/// Lifecycle of a decision. Terminal states: Held, Planned, Denied, Superseded, Verified, Failed.
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
  Superseded,  // approved but re-decided at execution, or a scale replaced by a larger one mid-flight
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

/// The live, out-of-sample accuracy of the forecaster that made a prediction (see
/// predict/self_assessment.h). NaN fields mean "not measured yet".
struct ForecastAccuracy {
  std::size_t scored = 0;        // forecasts scored so far
  std::size_t window = 0;        // forecasts the figures below are over
  double mase = std::numeric_limits<double>::quiet_NaN();
  double coverage = std::numeric_limits<double>::quiet_NaN();
  double abs_pct_error = std::numeric_limits<double>::quiet_NaN();
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
  ForecastAccuracy accuracy;    // how this target's forecasts have fared so far
  bool trusted = true;          // false: below the accuracy floor, the planner ignored it
};

/// One detector's finding that contributed to the incident risk.
struct RiskDriver {
  std::string detector;     // robust-z | iqr | seasonal-residual | cusum | mahalanobis | burn-rate
  std::string series;       // which signal
  double score = 0;         // [0, 1]
  double value = 0;
  double expected = 0;
  double deviation = 0;
  std::string unit;
  std::optional<TimePoint> since;
  std::string explanation;  // one sentence
};

/// The target's incident risk at the time of the decision.
struct IncidentAssessment {
  bool assessed = false;
  double risk = 0;              // [0, 1]
  std::string level = "none";   // none | watch | warning | incident
  std::string summary;
  std::vector<RiskDriver> drivers;
  /// The fastest SLO error-budget burn rate over the last hour (1 = spending exactly the
  /// budget over the SLO window); 0 without an SLO.
  double burn_rate = 0;
  /// How this target's alarms have fared against confirmed incidents so far (NaN: not measured).
  double detection_precision = std::numeric_limits<double>::quiet_NaN();
  double detection_recall = std::numeric_limits<double>::quiet_NaN();
};

/// The human gate on a decision whose policy verdict was needs_approval.
struct ApprovalInfo {
  /// "" (none asked) | pending | approved | denied | expired
  std::string status;
  TimePoint requested{};
  TimePoint expires{};
  std::vector<std::string> rules;         // the policy rules that asked
  std::vector<std::string> slack_users;   // who may approve; all empty = any approver token
  std::vector<std::string> slack_groups;
  std::vector<std::string> tokens;
  std::string on_expiry = "deny";         // deny | allow
  std::string decided_by;                 // e.g. "slack:U024BE7LH (alice)", "token:oncall"
  std::string via;                        // slack | api | expiry
  TimePoint decided{};
  std::string note;                       // the reason the human gave
  std::string slack_channel;              // where the request was posted
  std::string slack_ts;
  std::string slack_response_url;         // from the first callback, to update a webhook message
  std::string notify_error;               // posting to Slack failed: why

  bool asked() const { return !status.empty(); }
};

/// One number the remediation planner based its classification on.
struct RemediationEvidence {
  std::string signal;   // latency | error_ratio | dependency_error_ratio | restarts | pod_latency | revision | ...
  double value = std::numeric_limits<double>::quiet_NaN();     // now
  double baseline = std::numeric_limits<double>::quiet_NaN();  // before the incident (NaN: unknown)
  std::string note;     // e.g. "pod web-7 vs median of 3 others"
};

/// What the remediation planner made of an incident (agent/decide/remediation.h), and — for an
/// action — whether the signal that triggered it recovered.
struct RemediationInfo {
  /// "" (not classified) | crash_loop | bad_deploy | saturation | dependency_outage | bad_pod |
  /// unknown
  std::string incident_class;
  /// rollback | restart | restart_pod | scale | escalate | none
  std::string proposed;
  double confidence = 0;         // [0, 1]
  std::string expected_effect;   // "p99 latency back under 0.30 s within 3m"
  std::vector<RemediationEvidence> evidence;
  std::string signal;            // the triggering signal recovery is judged on
  double threshold = std::numeric_limits<double>::quiet_NaN();  // its symptom threshold
  std::optional<TimePoint> onset;     // when the symptoms began
  std::optional<TimePoint> deadline;  // recovery must be verified by then
  std::optional<TimePoint> rolled_out;  // when the actuator reported the rollout done
  /// "" (no action) | pending | pass | fail | no_data — no_data is its own state, never a pass.
  std::string recovery;
  std::string recovery_detail;   // the judge's figures in words
  std::string follow_up_of;      // the decision whose failure led to this one
  std::string notify_error;      // escalation could not be posted: why

  bool classified() const { return !incident_class.empty(); }
};

struct Decision {
  std::string id;
  std::string target;
  std::string namespace_;
  std::string target_kind;
  TimePoint created{};
  TimePoint updated{};
  /// When the actuator accepted the action. Rollout deadlines and measured readiness run from
  /// here, not from `created`: a wait for a human's approval is not rollout time.
  std::optional<TimePoint> applied;
  std::string mode;             // dry-run | active
  DecisionState state = DecisionState::Proposed;
  std::string action = "hold";  // hold | scale | restart | rollback | escalate (no actuator call)
  int current_replicas = 0;
  int desired_replicas = 0;
  /// Carried to actuators::Action::params: restart {mode: evict, pod: NAME} for one pod,
  /// rollback {revision: N}.
  std::map<std::string, std::string> params;
  RemediationInfo remediation;  // incident class and recovery; empty class when none
  std::string reason;           // why, in words
  std::vector<ObservedSignal> observed;
  Prediction prediction;
  IncidentAssessment incident;
  policies::Evaluation policy;  // every rule checked and its verdict
  bool policy_checked = false;
  ApprovalInfo approval;        // who, when, how — status empty when none was needed
  std::vector<actuators::ApiCall> calls;  // what the actuator did or would do
  std::string outcome;          // verification result in words
  std::string error;
};

nlohmann::json to_json(const Decision& d);
nlohmann::json to_json(const ApprovalInfo& a);
/// Lenient: missing fields keep their defaults. Returns false and sets `error` on a wrong type.
bool from_json(const nlohmann::json& j, Decision& d, std::string* error);

/// "a, b, c": how records and messages list rules, approvers and namespaces.
std::string join_names(const std::vector<std::string>& names);

/// A short one-line summary ("scale checkout 3 -> 5: allowed, applied").
std::string summarize(const Decision& d);
/// The whole record in words, for `opspilot explain`.
std::string explain(const Decision& d);

}  // namespace opspilot::agent
