#pragma once
// Problems found while loading opspilot.yaml, with where they are (file:line:col, 1-based, and a
// breadcrumb such as `targets[1].limits.max_replicas`), printable for humans (with the source line
// and a caret, like a compiler) and as JSON for tools. Codes and every message text live here, in
// one place, so tests assert on the same text the loader produces. The record, the sink, the
// formatting, the JSON and the typo suggestions are shared with the policy loader and live in
// policies/diagnostic_core.h; this header names them for agent code.
// Thread-safety: plain values and pure functions, safe from any thread; a DiagnosticSink belongs
// to one load on one thread.
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
  DuplicateName,   // two targets with one name
  BadUrl,          // not an http:// or https:// URL
  BadAddress,      // not host:port
  EmptyValue,      // an empty string where text is required
  Inconsistent,    // fields that contradict each other (min_replicas > max_replicas)
  MissingScrape,   // a target with no scrape URL while prometheus.url is unset
  ScrapeIgnored,   // warning: a scrape URL that controller mode will not use
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
inline std::string missing_scrape(std::string_view target) {
  return "target " + q(target) +
         " has no scrape URL and prometheus.url is not set; set \"scrape\" (sidecar mode) or "
         "prometheus.url (controller mode)";
}
inline std::string scrape_ignored(std::string_view target) {
  return "target " + q(target) +
         " sets \"scrape\" but prometheus.url is set too; its signals are read from Prometheus "
         "and the scrape URL is ignored";
}

}  // namespace config_messages
}  // namespace opspilot::agent
