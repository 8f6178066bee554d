#pragma once
// Loads and checks sandbox.yaml. Every problem is reported (not just the first), each as
// `file:line:col: in <where>: <what was wrong, quoting it>, expected <what>`, with 1-based
// positions. Thread-safety: free functions without shared state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "examples/sandbox/spec.h"

namespace opspilot::sandbox {

struct ConfigResult {
  std::optional<SandboxSpec> spec;  // set only when `errors` is empty
  std::vector<std::string> errors;
  bool ok() const { return errors.empty() && spec.has_value(); }
  /// All errors, one a line.
  std::string message() const;
};

ConfigResult load_config_file(const std::string& path);
ConfigResult parse_config(const std::string& yaml_text, const std::string& file_name = "<inline>");

/// "500ms", "90s", "2m", "1h30m", "1d14h", "1w", or a bare number of seconds. nullopt when the
/// text is not one of those or is negative.
std::optional<double> parse_duration(std::string_view text);
/// Seconds as the shortest duration text parse_duration() reads back ("2m", "1h30m", "45s").
std::string format_duration(double seconds);

/// "2026-01-05T00:00:00Z" (UTC, 'Z' or "+00:00", optional fractional seconds dropped).
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
std::string format_rfc3339(std::int64_t unix_seconds);

/// "14:00" or "14:00:30" as seconds after midnight; nullopt when out of range or malformed.
std::optional<double> parse_time_of_day(std::string_view text);

}  // namespace opspilot::sandbox
