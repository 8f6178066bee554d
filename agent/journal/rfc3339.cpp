#include "agent/journal/rfc3339.h"

#include "agent/config/duration.h"

namespace opspilot::agent {

// The journal always writes milliseconds, so every record's times have one fixed width.
std::string format_rfc3339_ms(TimePoint t) {
  std::string s = format_rfc3339(t);
  if (s.find('.') == std::string::npos && !s.empty() && s.back() == 'Z') s.insert(s.size() - 1, ".000");
  return s;
}

bool parse_rfc3339(const std::string& text, TimePoint* out) {
  const auto t = parse_rfc3339(std::string_view(text));
  if (!t) return false;
  *out = *t;
  return true;
}

}  // namespace opspilot::agent
