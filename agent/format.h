#pragma once
// Numbers into words: the printf-style formatting every reason, note and report line uses.
// Thread-safety: a pure function.
#include <cstdio>
#include <string>

namespace opspilot::agent {

/// snprintf(f, a, b, c) as a string (at most 255 characters). Every argument is a double, so an
/// int passed for a `%f` is converted, never misread; unused trailing arguments are ignored.
inline std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

}  // namespace opspilot::agent
