#pragma once
// The machinery shared by every loader that reports file:line:col diagnostics (the policy loader
// here, the agent's config loader in agent/config/diagnostics.h): severity, the diagnostic record,
// the sink that attaches source lines, human and JSON formatting, and typo suggestions. What
// differs between loaders is only the code enum (and its names and message texts), so the record
// and the sink are templates over it. A code enum must have a `WrongType` value (the default) and
// a `std::string_view code_name(Code)` in its own namespace, found by argument-dependent lookup.
// It lives in policies/ because policies/ is the lower layer: agent/ may include it, not the reverse.
// Thread-safety: plain values and pure functions; a sink belongs to one load on one thread.
#include <algorithm>
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace opspilot::policies {

enum class Severity { Error, Warning };

std::string_view severity_name(Severity severity);  // "error" | "warning"

template <class Code>
struct BasicDiagnostic {
  Severity severity = Severity::Error;
  Code code = Code::WrongType;
  std::string file;
  int line = 0;    // 1-based; 0 = no position (e.g. the file could not be read)
  int column = 0;  // 1-based, in bytes
  std::string path;  // breadcrumb such as "targets[1].limits.max_replicas"; empty = the whole document
  std::string message;
  std::string source_line;  // the text of `line`, for the caret; empty when unknown

  bool is_error() const { return severity == Severity::Error; }
};

/// The lines of `text` without their '\n' (or "\r\n"); index 0 is line 1.
std::vector<std::string> split_source_lines(std::string_view text);

/// Collects the diagnostics for one file and attaches the source line each one points at.
/// Thread-safety: none; one per load.
template <class Code>
class BasicDiagnosticSink {
 public:
  BasicDiagnosticSink(std::string file, std::string_view text)
      : file_(std::move(file)), lines_(split_source_lines(text)) {}
  /// `line`, `column`: 1-based; 0 = no position.
  void add(Severity severity, Code code, int line, int column, std::string path, std::string message) {
    BasicDiagnostic<Code> d{severity, code, file_, line, column, std::move(path), std::move(message), ""};
    if (line > 0 && static_cast<std::size_t>(line) <= lines_.size()) d.source_line = lines_[line - 1];
    diagnostics_.push_back(std::move(d));
  }
  const std::string& file() const { return file_; }
  const std::vector<BasicDiagnostic<Code>>& diagnostics() const { return diagnostics_; }
  /// The diagnostics in file order (those without a position first); empties the sink.
  std::vector<BasicDiagnostic<Code>> take_sorted() {
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [](const BasicDiagnostic<Code>& a, const BasicDiagnostic<Code>& b) {
                       return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                     });
    std::vector<BasicDiagnostic<Code>> out = std::move(diagnostics_);
    diagnostics_.clear();
    return out;
  }

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<BasicDiagnostic<Code>> diagnostics_;
};

/// A diagnostic with its code already named: what formatting and JSON need, whatever the code
/// enum. Views into the diagnostic it was made from; use it within the same expression.
struct DiagnosticFields {
  Severity severity;
  std::string_view code;
  std::string_view file;
  int line;
  int column;
  std::string_view path;
  std::string_view message;
  std::string_view source_line;
};

template <class Code>
DiagnosticFields diagnostic_fields(const BasicDiagnostic<Code>& d) {
  return {d.severity, code_name(d.code), d.file, d.line, d.column, d.path, d.message, d.source_line};
}
template <class Code>
std::vector<DiagnosticFields> diagnostic_fields(const std::vector<BasicDiagnostic<Code>>& ds) {
  std::vector<DiagnosticFields> out;
  out.reserve(ds.size());
  for (const BasicDiagnostic<Code>& d : ds) out.push_back(diagnostic_fields(d));
  return out;
}

std::string format_diagnostic(const DiagnosticFields& d);
std::string format_diagnostics(const std::vector<DiagnosticFields>& ds);
nlohmann::json diagnostic_to_json(const DiagnosticFields& d);
nlohmann::json diagnostics_to_json(const std::vector<DiagnosticFields>& ds);

/// `FILE:LINE:COL: error: MESSAGE (at PATH)`, then the source line and a caret under the column:
///
///     opspilot.yaml:3:1: error: unknown key "intreval"; did you mean "interval"? (at intreval)
///       intreval: 15s
///       ^
///
/// Without a position: `FILE: error: MESSAGE`. Ends with a newline.
template <class Code>
std::string format_diagnostic(const BasicDiagnostic<Code>& d) {
  return format_diagnostic(diagnostic_fields(d));
}
/// All diagnostics, then a summary line such as "2 errors, 1 warning". Empty input -> "".
template <class Code>
std::string format_diagnostics(const std::vector<BasicDiagnostic<Code>>& ds) {
  return format_diagnostics(diagnostic_fields(ds));
}
// The JSON functions return nlohmann::json; the return type is spelled through decltype so this
// header needs only json_fwd.hpp (a template's return type must otherwise be complete here).
/// {"severity","code","file","line","column","path","message","source_line"}.
template <class Code>
auto diagnostic_to_json(const BasicDiagnostic<Code>& d) -> decltype(diagnostic_to_json(diagnostic_fields(d))) {
  return diagnostic_to_json(diagnostic_fields(d));
}
/// {"ok": bool, "errors": N, "warnings": N, "diagnostics": [...]}.
template <class Code>
auto diagnostics_to_json(const std::vector<BasicDiagnostic<Code>>& ds)
    -> decltype(diagnostics_to_json(diagnostic_fields(ds))) {
  return diagnostics_to_json(diagnostic_fields(ds));
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions, so "intreval" is
/// 1 away from "interval").
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word`, if it is close enough to be a plausible typo (distance at
/// most 1 for words up to 4 characters, 2 up to 8, 3 beyond); ties go to the first candidate.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

/// Message texts every YAML loader words alike; each loader's own message namespace pulls these
/// in with using-declarations next to its specific texts.
namespace diagnostic_messages {

inline std::string q(std::string_view s) { return "\"" + std::string(s) + "\""; }

inline std::string yaml_syntax(std::string_view parser_message) {
  return "YAML syntax error: " + std::string(parser_message);
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
/// `expected`: "a map", "an integer"...; `got`: from describe(node).
inline std::string wrong_type(std::string_view expected, std::string_view got) {
  return "expected " + std::string(expected) + ", got " + std::string(got);
}
inline std::string missing_key(std::string_view key) { return "missing required key " + q(key); }
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
/// e.g. out_of_range("target_utilization", "1.5", "a number in (0, 1]").
inline std::string out_of_range(std::string_view field, std::string_view value, std::string_view expected) {
  return std::string(field) + " is " + std::string(value) + "; expected " + std::string(expected);
}
inline std::string empty_value(std::string_view field) { return std::string(field) + " must not be empty"; }

}  // namespace diagnostic_messages
}  // namespace opspilot::policies
