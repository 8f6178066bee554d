#pragma once
// Problems found while loading opspilot.yaml, with where they are (file:line:col, 1-based, and a
// breadcrumb such as `targets[1].limits.max_replicas`), printable for humans (with the source line
// and a caret, like a compiler) and as JSON for tools. Codes and every message text live here, in
// one place, so tests assert on the same text the loader produces.
// Thread-safety: plain values and pure functions, safe from any thread; a DiagnosticSink belongs
// to one load on one thread.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opspilot::agent {

enum class DiagnosticSeverity { Error, Warning };

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
std::string_view severity_name(DiagnosticSeverity severity);  // "error" | "warning"

struct Diagnostic {
  DiagnosticSeverity severity = DiagnosticSeverity::Error;
  DiagnosticCode code = DiagnosticCode::WrongType;
  std::string file;
  int line = 0;    // 1-based; 0 = no position (e.g. the file could not be read)
  int column = 0;  // 1-based, in bytes
  std::string path;  // breadcrumb: "targets[1].limits.max_replicas"; empty = the whole document
  std::string message;
  std::string source_line;  // the text of `line`, for the caret; empty when unknown

  bool is_error() const { return severity == DiagnosticSeverity::Error; }
};

/// Collects the diagnostics for one file and attaches the source line each one points at.
/// Thread-safety: none; one per load.
class DiagnosticSink {
 public:
  DiagnosticSink(std::string file, std::string_view text);
  /// `line`, `column`: 1-based; 0 = no position.
  void add(DiagnosticSeverity severity, DiagnosticCode code, int line, int column, std::string path,
           std::string message);
  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  /// The diagnostics in file order (those without a position first); empties the sink.
  std::vector<Diagnostic> take_sorted();

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic> diagnostics_;
};

/// `FILE:LINE:COL: error: MESSAGE (at PATH)`, then the source line and a caret under the column:
///
///     opspilot.yaml:3:1: error: unknown key "intreval"; did you mean "interval"? (at intreval)
///       intreval: 15s
///       ^
///
/// Without a position: `FILE: error: MESSAGE`. Ends with a newline.
std::string format_diagnostic(const Diagnostic& d);
/// All diagnostics, then a summary line such as "2 errors, 1 warning". Empty input -> "".
std::string format_diagnostics(const std::vector<Diagnostic>& ds);

/// {"severity","code","file","line","column","path","message","source_line"}.
nlohmann::json diagnostic_to_json(const Diagnostic& d);
/// {"ok": bool, "errors": N, "warnings": N, "diagnostics": [...]}.
nlohmann::json diagnostics_to_json(const std::vector<Diagnostic>& ds);

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions, so "intreval" is
/// 1 away from "interval").
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word`, if it is close enough to be a plausible typo (distance at
/// most 1 for words up to 4 characters, 2 up to 8, 3 beyond); ties go to the first candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates);

/// Every message text the config loader produces. Tests build expected messages with these.
namespace config_messages {

inline std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

inline std::string file_unreadable(std::string_view path, std::string_view reason) {
  return "cannot read config file " + q(path) + ": " + std::string(reason);
}
inline std::string yaml_syntax(std::string_view parser_message) {
  return "YAML syntax error: " + std::string(parser_message);
}
inline std::string empty_document() {
  return "the file is empty; expected a map of settings with at least \"targets\"";
}
/// `suggestion` empty: no key is close enough to suggest.
inline std::string unknown_key(std::string_view key, std::string_view suggestion) {
  std::string m = "unknown key " + q(key);
  if (!suggestion.empty()) m += "; did you mean " + q(suggestion) + "?";
  return m;
}
/// A key that exists one level down, e.g. `max_replicas` written directly under a target.
inline std::string misplaced_key(std::string_view key, std::string_view parent) {
  return "unknown key " + q(key) + " here; it belongs under " + q(parent);
}
inline std::string duplicate_key(std::string_view key, int first_line) {
  return "duplicate key " + q(key) + " (first at line " + std::to_string(first_line) + ")";
}
/// `expected`: "a map", "an integer", "a duration such as \"15s\""...; `got`: from describe_node.
inline std::string wrong_type(std::string_view expected, std::string_view got) {
  return "expected " + std::string(expected) + ", got " + std::string(got);
}
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

inline std::string missing_key(std::string_view key) { return "missing required key " + q(key); }
inline std::string missing_key_for(std::string_view key, std::string_view why) {
  return "missing required key " + q(key) + " (" + std::string(why) + ")";
}
/// "a", "b", "c" — each allowed value quoted.
inline std::string join_allowed(const std::vector<std::string_view>& allowed) {
  std::string out;
  for (std::size_t i = 0; i < allowed.size(); ++i) out += (i ? ", " : "") + q(allowed[i]);
  return out;
}
inline std::string bad_enum(std::string_view field, std::string_view value,
                            const std::vector<std::string_view>& allowed) {
  return "bad " + std::string(field) + " " + q(value) + "; expected one of " + join_allowed(allowed);
}
/// `reason` comes from parse_duration and already quotes the value.
inline std::string bad_duration(std::string_view reason) { return "bad duration: " + std::string(reason); }
inline std::string bad_time(std::string_view value) {
  return "bad time " + q(value) + "; expected RFC 3339 such as \"2026-01-05T00:00:00Z\"";
}
/// e.g. out_of_range("target_utilization", "1.5", "a number in (0, 1]").
inline std::string out_of_range(std::string_view field, std::string_view value,
                                std::string_view expected) {
  return std::string(field) + " is " + std::string(value) + "; expected " + std::string(expected);
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
inline std::string empty_value(std::string_view field) { return std::string(field) + " must not be empty"; }
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
