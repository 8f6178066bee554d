#pragma once
// The time format of decision records and the journal: RFC 3339, UTC, milliseconds.
#include <string>

#include "agent/clock.h"

namespace opspilot::agent {

/// "2024-05-01T10:00:00.123Z". Thread-safe (no shared state).
std::string format_rfc3339_ms(TimePoint t);
/// Parses RFC 3339 ("2024-05-01T10:00:00Z", fractions and +hh:mm offsets accepted); false for
/// anything else, leaving `out` untouched.
bool parse_rfc3339(const std::string& text, TimePoint* out);

}  // namespace opspilot::agent
