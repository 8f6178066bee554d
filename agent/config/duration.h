#pragma once
// Durations and times as operators write them in opspilot.yaml: "500ms", "15s", "1h30m", "1d",
// and RFC 3339 UTC timestamps. Used by the config loader and anywhere a duration is printed, so
// what the agent prints can be pasted back into the file.
// Thread-safety: pure functions, safe from any thread.
#include <optional>
#include <string>
#include <string_view>

#include "agent/clock.h"

namespace opspilot::agent {

/// Parses a duration: one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`
/// (a day is 24h), largest unit first, each unit at most once, e.g. "500ms", "1h30m", "1.5s".
/// The total must be a whole number of milliseconds and fit in Duration. Bare numbers ("15") are
/// rejected: the unit is ambiguous, and the error says how to write it ("15s"). Negative durations
/// are rejected. On failure returns nullopt and, if `error` is not null, stores a reason that
/// quotes the text, e.g. `"15" has no unit; write "15s" (units: ms, s, m, h, d)`.
std::optional<Duration> parse_duration(std::string_view text, std::string* error = nullptr);

/// The shortest text parse_duration reads back as `d`: "0s", "500ms", "1m30s", "1d2h", "1s250ms".
/// Negative durations get a leading '-' (they cannot be parsed back; they only appear in output).
std::string format_duration(Duration d);

/// Parses an RFC 3339 timestamp: "2026-01-05T00:00:00Z", with optional fractional seconds
/// (kept to the millisecond, extra digits truncated) and either `Z` or a numeric offset
/// ("+02:00"), which is converted to UTC. Calendar fields are checked (no February 30th).
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// Formats `t` as RFC 3339 UTC: "2026-01-05T00:00:00Z", or "2026-01-05T00:00:00.250Z" when it
/// has milliseconds. parse_rfc3339 reads it back exactly.
std::string format_rfc3339(TimePoint t);

}  // namespace opspilot::agent
