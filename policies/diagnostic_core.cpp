// The loader-independent half of diagnostics: source lines, formatting, JSON and the
// typo-suggestion distance (see diagnostic_core.h).
#include "policies/diagnostic_core.h"

#include <nlohmann/json.hpp>

namespace opspilot::policies {

std::string_view severity_name(Severity severity) {
  return severity == Severity::Error ? "error" : "warning";
}

std::vector<std::string> split_source_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

std::string format_diagnostic(const DiagnosticFields& d) {
  std::string out(d.file);
  if (d.line > 0) {
    out += ":" + std::to_string(d.line);
    if (d.column > 0) out += ":" + std::to_string(d.column);
  }
  out += ": ";
  out += severity_name(d.severity);
  out += ": ";
  out += d.message;
  if (!d.path.empty()) {
    out += " (at ";
    out += d.path;
    out += ")";
  }
  out += "\n";
  if (d.line > 0 && d.column > 0 && !d.source_line.empty()) {
    out += "  ";
    out += d.source_line;
    out += "\n  ";
    // Copy tabs from the source so the caret lines up however the terminal renders them.
    const auto width = std::min<std::size_t>(static_cast<std::size_t>(d.column - 1), d.source_line.size());
    for (std::size_t i = 0; i < width; ++i) out += d.source_line[i] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

std::string format_diagnostics(const std::vector<DiagnosticFields>& ds) {
  if (ds.empty()) return "";
  std::string out;
  std::size_t errors = 0;
  for (const DiagnosticFields& d : ds) {
    out += format_diagnostic(d);
    if (d.severity == Severity::Error) ++errors;
  }
  const std::size_t warnings = ds.size() - errors;
  out += std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") + std::to_string(warnings) +
         (warnings == 1 ? " warning\n" : " warnings\n");
  return out;
}

nlohmann::json diagnostic_to_json(const DiagnosticFields& d) {
  return nlohmann::json{{"severity", severity_name(d.severity)},
                        {"code", d.code},
                        {"file", d.file},
                        {"line", d.line},
                        {"column", d.column},
                        {"path", d.path},
                        {"message", d.message},
                        {"source_line", d.source_line}};
}

nlohmann::json diagnostics_to_json(const std::vector<DiagnosticFields>& ds) {
  nlohmann::json list = nlohmann::json::array();
  int errors = 0;
  for (const DiagnosticFields& d : ds) {
    list.push_back(diagnostic_to_json(d));
    if (d.severity == Severity::Error) ++errors;
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
