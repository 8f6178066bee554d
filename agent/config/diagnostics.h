#pragma once
// Problems found while loading opspilot.yaml, with where they are (file:line:col, 1-based, and a
// breadcrumb such as `targets[1].limits.max_replicas`), printable for humans (with the source line
// and a caret, like a compiler) and as JSON for tools. Codes and every message text live here, in
// one place, so tests assert on the same text the loader produces. The record, the sink, the
// formatting, the JSON and the typo suggestions are shared with the policy loader and live in
// policies/diagnostic_core.h; this header names them for agent code.
// Thread-safety: plain values and pure functions, safe from any thread; a DiagnosticSink belongs
// to one load on one thread.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "policies/diagnostic_core.h"

namespace opspilot::agent {

using DiagnosticSeverity = policies::Severity;

/// What kind of problem. Short names (code_name) appear in JSON output; keep them stable.
enum class DiagnosticCode {
  FileUnreadable,  // the file is missing, a directory, or cannot be read
  YamlSyntax,      // the YAML parser rejected the text
  UnknownKey,      // a key the schema does not have (usually a typo)
  DuplicateKey,    // the same key twice in one map
  WrongType,       // e.g. a map where a scalar is expected, or "abc" where an integer is
  MissingKey,      // a required key is absent
  BadEnum,         // a value outside a fixed set (mode, kind, actuator type)
  BadDuration,     // not a duration such as "15s"
  BadTime,         // not an RFC 3339 timestamp
  OutOfRange,      // a number or duration outside its allowed range
  BadName,         // not a DNS-1123 label (target names, namespaces)
  DuplicateName,   // two targets (or two API tokens) with one name
  BadUrl,          // not an http:// or https:// URL
  BadAddress,      // not host:port
  EmptyValue,      // an empty string where text is required
  Inconsistent,    // fields that contradict each other (min_replicas > max_replicas)
  MissingScrape,   // a target with no scrape URL while prometheus.url is unset
  ScrapeIgnored,   // warning: a scrape URL that controller mode will not use
  MissingPath,     // a policy file or directory the config names does not exist
  SecretUnavailable,  // a secret's file is unreadable or empty, or its variable unset or empty
  ConflictingKeys,    // keys that exclude each other, e.g. token_file and token_env together
  LiteralSecret,      // warning: a secret written into the config file itself
  DuplicateSecret,    // two API tokens with one secret
  ApprovalsIncomplete,  // warning: Slack settings that cannot do everything they seem to
  CannotScale,          // warning: a target without the signals or capacity the planner sizes from
};

std::string_view code_name(DiagnosticCode code);         // "unknown-key"
std::string_view code_description(DiagnosticCode code);  // one line, for docs and --explain

using Diagnostic = policies::BasicDiagnostic<DiagnosticCode>;
/// Collects the diagnostics for one file. Thread-safety: none; one per load.
using DiagnosticSink = policies::BasicDiagnosticSink<DiagnosticCode>;

using policies::closest_match;
using policies::diagnostic_to_json;
using policies::diagnostics_to_json;
using policies::edit_distance;
using policies::format_diagnostic;
using policies::format_diagnostics;
using policies::severity_name;

/// Every message text the config loader produces. Tests build expected messages with these.
namespace config_messages {

using policies::diagnostic_messages::bad_enum;
using policies::diagnostic_messages::duplicate_key;
using policies::diagnostic_messages::empty_value;
using policies::diagnostic_messages::join_allowed;
using policies::diagnostic_messages::misplaced_key;
using policies::diagnostic_messages::missing_key;
using policies::diagnostic_messages::out_of_range;
using policies::diagnostic_messages::q;
using policies::diagnostic_messages::unknown_key;
using policies::diagnostic_messages::wrong_type;
using policies::diagnostic_messages::yaml_syntax;

inline std::string file_unreadable(std::string_view path, std::string_view reason) {
  return "cannot read config file " + q(path) + ": " + std::string(reason);
}
inline std::string empty_document() {
  return "the file is empty; expected a map of settings with at least \"targets\"";
}
// What policies::yaml::describe says a node is, for tests that build expected messages.
inline std::string got_map() { return "a map"; }
inline std::string got_list() { return "a list"; }
inline std::string got_null() { return "nothing (null)"; }
inline std::string got_scalar(std::string_view text) { return q(text); }

// What was expected, for wrong_type and out_of_range.
inline std::string expect_map() { return "a map"; }
inline std::string expect_list() { return "a list"; }
inline std::string expect_string() { return "a string"; }
inline std::string expect_integer() { return "an integer"; }
inline std::string expect_number() { return "a number"; }
inline std::string expect_bool() { return "true or false"; }
inline std::string expect_duration() { return "a duration such as \"15s\""; }
inline std::string expect_time() { return "a time such as \"2026-01-05T00:00:00Z\""; }
inline std::string expect_key() { return "a plain text key"; }
inline std::string int_between(long long lo, long long hi) {
  return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}
inline std::string int_at_least(long long lo) { return "an integer of at least " + std::to_string(lo); }
inline std::string duration_at_least(std::string_view min) {
  return "a duration of at least " + std::string(min);
}
inline std::string number_positive_at_most_one() { return "a number in (0, 1]"; }
inline std::string number_positive() { return "a number greater than 0"; }
inline std::string number_non_negative() { return "a number of at least 0"; }
inline std::string number_level() { return "a number in (0, 1), e.g. 0.95"; }
inline std::string number_ratio() { return "a number in [0, 1]"; }
inline std::string number_percent() { return "a percentage in (0, 100), e.g. 99.9"; }

inline std::string missing_key_for(std::string_view key, std::string_view why) {
  return "missing required key " + q(key) + " (" + std::string(why) + ")";
}
/// `reason` comes from parse_duration and already quotes the value.
inline std::string bad_duration(std::string_view reason) { return "bad duration: " + std::string(reason); }
inline std::string bad_time(std::string_view value) {
  return "bad time " + q(value) + "; expected RFC 3339 such as \"2026-01-05T00:00:00Z\"";
}
inline std::string bad_name(std::string_view what, std::string_view value) {
  return "bad " + std::string(what) + " " + q(value) +
         "; expected a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and "
         "ending with a letter or digit";
}
inline std::string duplicate_target(std::string_view name, int first_line) {
  return "duplicate target name " + q(name) + " (first used at line " + std::to_string(first_line) + ")";
}
inline std::string bad_url(std::string_view value) {
  return "bad URL " + q(value) + "; expected http://HOST[:PORT][/PATH] or https://...";
}
inline std::string bad_address(std::string_view value) {
  return "bad listen address " + q(value) + "; expected HOST:PORT with a port from 0 to 65535";
}
inline std::string no_targets() { return "targets is empty; at least one target is needed"; }
inline std::string min_above_max(long long min, long long max) {
  return "min_replicas (" + std::to_string(min) + ") is greater than max_replicas (" +
         std::to_string(max) + ")";
}
inline std::string stale_below_interval(std::string_view stale_after, std::string_view interval) {
  return "stale_after (" + std::string(stale_after) + ") is shorter than interval (" +
         std::string(interval) + "); every sample would be stale before the next tick";
}
/// `max` and `target` as written (or the start value of `auto`).
inline std::string max_below_target_utilization(std::string_view max, std::string_view target) {
  return "capacity.max_utilization (" + std::string(max) + ") is below capacity.target_utilization (" +
         std::string(target) + "); expected max_utilization >= target_utilization";
}
inline std::string max_below_auto_start(std::string_view max, std::string_view start) {
  return "capacity.max_utilization (" + std::string(max) + ") is below " + std::string(start) +
         ", the utilisation target_utilization: auto starts from; raise max_utilization to at least " +
         std::string(start) + " or pin target_utilization to a number";
}
/// A target the planner can never size: `no_replicas` (no current count), `no_capacity` (neither
/// capacity.per_replica nor a saturation signal to estimate it from). One message for both.
inline std::string cannot_scale(std::string_view target, bool no_replicas, bool no_capacity) {
  std::string m = "target " + q(target) + " can never scale: it has ";
  if (no_replicas)
    m += "no \"replicas\" metric, so the agent does not know the current count (add metrics.replicas, e.g. "
         "kube_deployment_spec_replicas{deployment=\"" + std::string(target) + "\"})";
  if (no_replicas && no_capacity) m += ", and ";
  if (no_capacity)
    m += "neither capacity.per_replica nor a \"saturation\" metric, so the agent cannot tell how much load one "
         "replica carries (add capacity.per_replica, the load one replica serves at 100% utilisation, or "
         "metrics.saturation, a utilisation from 0 to 1)";
  return m;
}
inline std::string missing_scrape(std::string_view target) {
  return "target " + q(target) +
         " has no scrape URL and prometheus.url is not set; set \"scrape\" (sidecar mode) or "
         "prometheus.url (controller mode)";
}
// ---- policies, approvals and API tokens ----
// None of these texts ever contains a secret's value: secrets are named by their key, file or
// environment variable only.

inline std::string expect_paths() { return "a path or a list of paths"; }
/// `resolved` is where `written` was looked for (relative paths start at the config's directory).
inline std::string policy_path_missing(std::string_view written, std::string_view resolved) {
  std::string m = "policy path " + q(written) + " does not exist";
  if (written != resolved) m += " (looked for " + q(resolved) + ")";
  return m;
}
inline std::string policy_path_unusable(std::string_view written, std::string_view reason) {
  return "cannot use policy path " + q(written) + ": " + std::string(reason);
}
/// `choices`: e.g. join_allowed({"token_file", "token_env", "token"}).
inline std::string conflicting_keys(std::string_view key, std::string_view first, std::string_view choices) {
  return q(key) + " and " + q(first) + " are both set; set exactly one of " + std::string(choices);
}
inline std::string missing_secret(std::string_view choices) {
  return "missing the secret; set one of " + std::string(choices);
}
inline std::string secret_file_unreadable(std::string_view key, std::string_view file, std::string_view reason) {
  return "cannot read " + std::string(key) + " " + q(file) + ": " + std::string(reason);
}
inline std::string secret_file_empty(std::string_view key, std::string_view file) {
  return std::string(key) + " " + q(file) + " is empty; expected the secret";
}
inline std::string secret_file_too_large(std::string_view key, std::string_view file, std::size_t max_bytes) {
  return std::string(key) + " " + q(file) + " is larger than " + std::to_string(max_bytes) +
         " bytes; expected a file holding only the secret";
}
inline std::string secret_env_unset(std::string_view key, std::string_view variable) {
  return "environment variable " + q(variable) + " (" + std::string(key) + ") is not set";
}
inline std::string secret_env_empty(std::string_view key, std::string_view variable) {
  return "environment variable " + q(variable) + " (" + std::string(key) + ") is empty; expected the secret";
}
// The value is not quoted: a value that is no variable name is likely the secret pasted in.
inline std::string bad_env_name(std::string_view key) {
  return std::string(key) +
         " is not an environment variable name; expected letters, digits and '_', not starting with "
         "a digit (the value is not shown: it may be the secret itself)";
}
inline std::string literal_secret(std::string_view key, std::string_view file_key, std::string_view env_key) {
  return "the secret is written in the config file (" + q(key) + "); prefer " + q(file_key) +
         " (a mounted Secret) or " + q(env_key);
}
inline std::string duplicate_token_name(std::string_view name, int first_line) {
  return "duplicate api token name " + q(name) + " (first used at line " + std::to_string(first_line) + ")";
}
inline std::string duplicate_token_secret(std::string_view name, std::string_view other, int other_line) {
  return "api token " + q(name) + " has the same secret as " + q(other) + " (line " + std::to_string(other_line) +
         "); every token must be different, or the API cannot tell who acted";
}
inline std::string bot_token_needs_channel() {
  return missing_key_for("channel", "a bot token posts approval requests to a channel");
}
inline std::string signing_secret_unused() {
  return "a signing secret is set but neither webhook_url nor a bot token is: approval callbacks "
         "can be verified, but no approval request is ever posted";
}
inline std::string no_signing_secret() {
  return "Approve/Deny buttons will be refused: no signing secret (set signing_secret_file or "
         "signing_secret_env); approvals are then possible only through the API";
}

inline std::string scrape_ignored(std::string_view target) {
  return "target " + q(target) +
         " sets \"scrape\" but prometheus.url is set too; its signals are read from Prometheus "
         "and the scrape URL is ignored";
}

}  // namespace config_messages
}  // namespace opspilot::agent
