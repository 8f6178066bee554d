#pragma once
// Problems found while loading and validating policy files: where (file:line:col, 1-based, and a
// breadcrumb such as `spec.rules.bounds.max_replicas`), how bad (error | warning), what kind
// (a stable code) and a message that quotes the offending value and says what was expected.
// Codes and every message text live here so tests assert on the text the loader produces; the
// record, sink, formatting and JSON are shared with the agent's config (policies/diagnostic_core.h).
// Thread-safety: plain values and pure functions; a DiagnosticSink belongs to one load.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "policies/diagnostic_core.h"

namespace opspilot::policies {

/// Short names (code_name) appear in JSON output; keep them stable.
enum class Code {
  FileUnreadable,     // missing file, unreadable, or a directory with no policy files
  YamlSyntax,         // the YAML parser rejected the text
  UnknownKey,         // a key the schema does not have
  DuplicateKey,       // the same key twice in one map
  WrongType,          // a map where a scalar is expected, "abc" where an integer is...
  MissingKey,         // a required key is absent
  BadEnum,            // a value outside a fixed set (verdicts, days, directions)
  BadVersion,         // apiVersion or kind is not one this loader reads
  BadDuration,        // not a duration such as "15m"
  BadTime,            // not a date, time of day or timestamp
  OutOfRange,         // a number outside its allowed range
  EmptyValue,         // an empty string where text is required
  UnknownActionKind,  // an action kind the agent never proposes
  BadTimeZone,        // not an IANA time zone in the system tz database
  BadCron,            // not a 5-field cron expression
  DuplicateName,      // two policies (or two rules in one list) share a name
  Conflict,           // rules that contradict each other (min > max, an empty window)
  NeverMatches,       // warning: a selector or rule that can never apply
};

std::string_view code_name(Code code);         // "unknown-key"
std::string_view code_description(Code code);  // one line, for docs

using Diagnostic = BasicDiagnostic<Code>;
/// Collects the diagnostics for one file. Thread-safety: none; one per load.
using DiagnosticSink = BasicDiagnosticSink<Code>;

/// Every message text of the policy loader and validator.
namespace messages {

using diagnostic_messages::bad_enum;
using diagnostic_messages::duplicate_key;
using diagnostic_messages::empty_value;
using diagnostic_messages::join_allowed;
using diagnostic_messages::misplaced_key;
using diagnostic_messages::missing_key;
using diagnostic_messages::out_of_range;
using diagnostic_messages::q;
using diagnostic_messages::unknown_key;
using diagnostic_messages::wrong_type;
using diagnostic_messages::yaml_syntax;

inline std::string file_unreadable(std::string_view path, std::string_view reason) {
  return "cannot read policy file " + q(path) + ": " + std::string(reason);
}
inline std::string no_policy_files(std::string_view dir) {
  return "directory " + q(dir) + " holds no policy files (*.yaml, *.yml; *_test.yaml are tests)";
}
inline std::string bad_api_version(std::string_view value) {
  return "unsupported apiVersion " + q(value) + "; expected \"opspilot.dev/v1\"";
}
inline std::string bad_kind(std::string_view value) {
  return "unsupported kind " + q(value) + "; expected \"Policy\"";
}
inline std::string bad_duration(std::string_view value) {
  return "bad duration " + q(value) + "; expected e.g. \"30s\", \"15m\", \"1h30m\" or \"2d\"";
}
inline std::string bad_time_of_day(std::string_view value) {
  return "bad time of day " + q(value) + "; expected HH:MM from \"00:00\" to \"24:00\"";
}
inline std::string bad_date(std::string_view value) {
  return "bad date " + q(value) + "; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM such as \"2026-12-24\"";
}
inline std::string unknown_action_kind(std::string_view value, const std::vector<std::string_view>& known,
                                       std::string_view suggestion) {
  std::string m = "unknown action kind " + q(value);
  if (!suggestion.empty()) m += "; did you mean " + q(suggestion) + "?";
  return m + " (known: " + join_allowed(known) + ")";
}
inline std::string bad_time_zone(std::string_view value, std::string_view reason) {
  return "unknown time zone " + q(value) + " (" + std::string(reason) +
         "); expected an IANA name such as \"Europe/Berlin\" or \"UTC\"";
}
inline std::string bad_cron(std::string_view value, std::string_view reason) {
  return "bad cron expression " + q(value) + ": " + std::string(reason) +
         "; expected 5 fields \"MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK\" such as \"0 18 * * fri\"";
}
inline std::string duplicate_policy(std::string_view name, std::string_view first) {
  return "duplicate policy name " + q(name) + " (first defined at " + std::string(first) + ")";
}
inline std::string duplicate_rule(std::string_view name, int first_line) {
  return "duplicate rule name " + q(name) + " (first at line " + std::to_string(first_line) + ")";
}
inline std::string min_above_max(std::string_view what, long long min, long long max) {
  return "min_" + std::string(what) + " (" + std::to_string(min) + ") is greater than max_" +
         std::string(what) + " (" + std::to_string(max) + ")";
}
inline std::string min_above_max_across(std::string_view min_policy, long long min, std::string_view max_policy,
                                        long long max) {
  return "policy " + q(min_policy) + " sets min_replicas " + std::to_string(min) + " but policy " +
         q(max_policy) + ", which selects the same targets, sets max_replicas " + std::to_string(max) +
         "; no replica count satisfies both";
}
inline std::string empty_window(std::string_view from, std::string_view to) {
  return "allowed-hours window from " + q(from) + " to " + q(to) + " is empty; it never allows anything";
}
inline std::string empty_days() { return "days is empty; the window never opens"; }
inline std::string freeze_ends_before_start(std::string_view from, std::string_view to) {
  return "freeze ends (" + std::string(to) + ") before it starts (" + std::string(from) + ")";
}
inline std::string freeze_needs_dates_or_cron() {
  return "a freeze needs either \"from\" and \"to\" (calendar dates) or \"cron\" and \"duration\" (recurring)";
}
inline std::string selector_matches_nothing(std::string_view selector) {
  return "selector " + std::string(selector) + " matches none of the known targets; this policy never applies";
}
inline std::string rule_never_applies(std::string_view rule, std::string_view actions) {
  return std::string(rule) + " never applies: its action kinds are not among the permitted actions (" +
         std::string(actions) + ")";
}
inline std::string approvers_missing() {
  return "approval rule names no approvers (slack_users, slack_groups or tokens); nobody could approve";
}
inline std::string cron_never_fires(std::string_view value) {
  return "cron expression " + q(value) + " never fires (no such day of the month in those months)";
}

}  // namespace messages
}  // namespace opspilot::policies
