// Diagnostics for policy files: formatting, JSON and the typo-suggestion distance.
#include "policies/diagnostics.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

namespace opspilot::policies {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::FileUnreadable: return "file-unreadable";
    case Code::YamlSyntax: return "yaml-syntax";
    case Code::UnknownKey: return "unknown-key";
    case Code::DuplicateKey: return "duplicate-key";
    case Code::WrongType: return "wrong-type";
    case Code::MissingKey: return "missing-key";
    case Code::BadEnum: return "bad-enum";
    case Code::BadVersion: return "bad-version";
    case Code::BadDuration: return "bad-duration";
    case Code::BadTime: return "bad-time";
    case Code::OutOfRange: return "out-of-range";
    case Code::EmptyValue: return "empty-value";
    case Code::UnknownActionKind: return "unknown-action-kind";
    case Code::BadTimeZone: return "bad-time-zone";
    case Code::BadCron: return "bad-cron";
    case Code::DuplicateName: return "duplicate-name";
    case Code::Conflict: return "conflict";
    case Code::NeverMatches: return "never-matches";
  }
  return "unknown";
}

std::string_view code_description(Code code) {
  switch (code) {
    case Code::FileUnreadable: return "The policy file or directory is missing or unreadable.";
    case Code::YamlSyntax: return "The text is not valid YAML.";
    case Code::UnknownKey: return "A key the policy schema does not define, usually a typo.";
    case Code::DuplicateKey: return "The same key appears twice in one map.";
    case Code::WrongType: return "A value of the wrong type.";
    case Code::MissingKey: return "A required key is absent.";
    case Code::BadEnum: return "A value outside its fixed set of allowed values.";
    case Code::BadVersion: return "apiVersion or kind is not opspilot.dev/v1 Policy.";
    case Code::BadDuration: return "Not a duration such as 30s, 15m, 1h30m or 2d.";
    case Code::BadTime: return "Not a date (YYYY-MM-DD) or time of day (HH:MM).";
    case Code::OutOfRange: return "A number outside its allowed range.";
    case Code::EmptyValue: return "An empty string where text is required.";
    case Code::UnknownActionKind: return "An action kind the agent never proposes.";
    case Code::BadTimeZone: return "Not an IANA time zone of the system tz database.";
    case Code::BadCron: return "Not a 5-field cron expression.";
    case Code::DuplicateName: return "Two policies or rules share one name.";
    case Code::Conflict: return "Rules that contradict each other or can never allow anything.";
    case Code::NeverMatches: return "A selector or rule that can never apply.";
  }
  return "";
}

std::string_view severity_name(Severity severity) {
  return severity == Severity::Error ? "error" : "warning";
}

DiagnosticSink::DiagnosticSink(std::string file, std::string_view text) : file_(std::move(file)) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines_.emplace_back(line);
    start = end + 1;
  }
}

void DiagnosticSink::add(Severity severity, Code code, int line, int column,
                         std::string path, std::string message) {
  Diagnostic d{severity, code, file_, line, column, std::move(path), std::move(message), ""};
  if (line > 0 && static_cast<std::size_t>(line) <= lines_.size()) d.source_line = lines_[line - 1];
  diagnostics_.push_back(std::move(d));
}

std::vector<Diagnostic> DiagnosticSink::take_sorted() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<Diagnostic> out = std::move(diagnostics_);
  diagnostics_.clear();
  return out;
}

std::string format_diagnostic(const Diagnostic& d) {
  std::string out = d.file;
  if (d.line > 0) {
    out += ":" + std::to_string(d.line);
    if (d.column > 0) out += ":" + std::to_string(d.column);
  }
  out += ": ";
  out += severity_name(d.severity);
  out += ": " + d.message;
  if (!d.path.empty()) out += " (at " + d.path + ")";
  out += "\n";
  if (d.line > 0 && d.column > 0 && !d.source_line.empty()) {
    out += "  " + d.source_line + "\n  ";
    // Copy tabs from the source so the caret lines up however the terminal renders them.
    const auto width = std::min<std::size_t>(static_cast<std::size_t>(d.column - 1), d.source_line.size());
    for (std::size_t i = 0; i < width; ++i) out += d.source_line[i] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

std::string format_diagnostics(const std::vector<Diagnostic>& ds) {
  if (ds.empty()) return "";
  std::string out;
  std::size_t errors = 0;
  for (const Diagnostic& d : ds) {
    out += format_diagnostic(d);
    if (d.is_error()) ++errors;
  }
  const std::size_t warnings = ds.size() - errors;
  out += std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") + std::to_string(warnings) +
         (warnings == 1 ? " warning\n" : " warnings\n");
  return out;
}

nlohmann::json diagnostic_to_json(const Diagnostic& d) {
  return nlohmann::json{{"severity", severity_name(d.severity)},
                        {"code", code_name(d.code)},
                        {"file", d.file},
                        {"line", d.line},
                        {"column", d.column},
                        {"path", d.path},
                        {"message", d.message},
                        {"source_line", d.source_line}};
}

nlohmann::json diagnostics_to_json(const std::vector<Diagnostic>& ds) {
  nlohmann::json list = nlohmann::json::array();
  int errors = 0;
  for (const Diagnostic& d : ds) {
    list.push_back(diagnostic_to_json(d));
    if (d.is_error()) ++errors;
  }
  return nlohmann::json{{"ok", errors == 0},
                        {"errors", errors},
                        {"warnings", static_cast<int>(ds.size()) - errors},
                        {"diagnostics", std::move(list)}};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: the transposition step looks two rows back.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string_view>& candidates) {
  const std::size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    // A suggestion must keep something of the word: "ab" -> "cd" is 2 edits but no hint.
    if (distance < best_distance && distance < std::max(word.size(), candidate.size())) {
      best = std::string(candidate);
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace opspilot::policies
