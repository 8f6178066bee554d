#include "agent/config/duration.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace opspilot::agent {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
// Largest first: the order parse_duration requires and format_duration writes.
constexpr std::array<Unit, 5> kUnits{{{"d", 86'400'000},
                                      {"h", 3'600'000},
                                      {"m", 60'000},
                                      {"s", 1'000},
                                      {"ms", 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// Reads the digits at `text[i..]` into `value`; false on overflow of the 18 digits int64 holds.
bool read_digits(std::string_view text, std::size_t& i, std::int64_t& value, int& count) {
  value = 0;
  count = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (count >= 18) return false;
    value = value * 10 + (text[i] - '0');
    ++count;
    ++i;
  }
  return true;
}

bool parse_duration_impl(std::string_view text, std::int64_t& total, std::string* error) {
  const std::string generic =
      quoted(text) + " is not a duration; expected e.g. \"15s\", \"500ms\" or \"1h30m\"";
  if (text.empty()) return fail(error, "empty duration; expected e.g. \"15s\", \"500ms\" or \"1h30m\"");
  if (text.front() == '-') return fail(error, quoted(text) + " is negative; durations must be zero or more");
  total = 0;
  std::size_t i = 0;
  int previous_unit = -1;
  bool bare_number = false;
  for (char c : text) {
    if (is_digit(c)) bare_number = true;
    else if (c != '.') { bare_number = false; break; }
  }
  if (bare_number) {
    return fail(error, quoted(text) + " has no unit; write " + quoted(std::string(text) + "s") +
                           " (units: ms, s, m, h, d)");
  }
  while (i < text.size()) {
    std::int64_t whole = 0, fraction = 0;
    int whole_digits = 0, fraction_digits = 0;
    if (!read_digits(text, i, whole, whole_digits)) return fail(error, quoted(text) + " is too large");
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (!read_digits(text, i, fraction, fraction_digits) || fraction_digits > 9) {
        return fail(error, quoted(text) + " has too many decimal places");
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) return fail(error, generic);
    const std::size_t unit_start = i;
    while (i < text.size() && is_alpha(text[i])) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) return fail(error, generic);
    int index = -1;
    for (std::size_t u = 0; u < kUnits.size(); ++u) {
      if (kUnits[u].name == unit) index = static_cast<int>(u);
    }
    if (index < 0) {
      return fail(error, quoted(text) + " has unknown unit " + quoted(unit) +
                             "; expected ms, s, m, h or d");
    }
    if (index <= previous_unit) {
      return fail(error, quoted(text) +
                             ": units must go from largest to smallest, each at most once "
                             "(e.g. \"1h30m\")");
    }
    previous_unit = index;
    const std::int64_t unit_ms = kUnits[static_cast<std::size_t>(index)].ms;
    std::int64_t scale = 1;
    for (int k = 0; k < fraction_digits; ++k) scale *= 10;
    // fraction < 1e9 and unit_ms < 1e8, so the product fits in int64.
    if ((fraction * unit_ms) % scale != 0) {
      return fail(error, quoted(text) + " is not a whole number of milliseconds");
    }
    const std::int64_t max = std::numeric_limits<std::int64_t>::max();
    if (whole > (max - total) / unit_ms) return fail(error, quoted(text) + " is too large");
    total += whole * unit_ms;
    const std::int64_t part = fraction * unit_ms / scale;
    if (part > max - total) return fail(error, quoted(text) + " is too large");
    total += part;
  }
  return true;
}

// Parses exactly `n` digits at text[i..]; advances i.
bool fixed_digits(std::string_view text, std::size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= text.size() || !is_digit(text[i])) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool expect_char(std::string_view text, std::size_t& i, char a, char b = '\0') {
  if (i >= text.size() || (text[i] != a && (b == '\0' || text[i] != b))) return false;
  ++i;
  return true;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
  std::int64_t total = 0;
  if (!parse_duration_impl(text, total, error)) return std::nullopt;
  return Duration(total);
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    // -(INT64_MIN) overflows; a duration that large never reaches output, so cap it.
    ms = ms == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max() : -ms;
  }
  for (const Unit& unit : kUnits) {
    const std::int64_t n = ms / unit.ms;
    if (n == 0) continue;
    out += std::to_string(n);
    out += unit.name;
    ms -= n * unit.ms;
  }
  return out;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  std::size_t i = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!fixed_digits(text, i, 4, year) || !expect_char(text, i, '-') ||
      !fixed_digits(text, i, 2, month) || !expect_char(text, i, '-') ||
      !fixed_digits(text, i, 2, day) || !expect_char(text, i, 'T', 't') ||
      !fixed_digits(text, i, 2, hour) || !expect_char(text, i, ':') ||
      !fixed_digits(text, i, 2, minute) || !expect_char(text, i, ':') ||
      !fixed_digits(text, i, 2, second)) {
    return std::nullopt;
  }
  std::int64_t millis = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (digits < 3) millis = millis * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) millis *= 10;
  }
  int offset_minutes = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const int sign = text[i] == '-' ? -1 : 1;
    ++i;
    int oh = 0, om = 0;
    if (!fixed_digits(text, i, 2, oh) || !expect_char(text, i, ':') || !fixed_digits(text, i, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const auto midnight = time_point_cast<Duration>(sys_days(date));
  return midnight + hours(hour) + minutes(minute) + seconds(second) + Duration(millis) -
         minutes(offset_minutes);
}

std::string format_rfc3339(TimePoint t) {
  using namespace std::chrono;
  const auto day_start = floor<days>(t);
  const year_month_day date{day_start};
  std::int64_t ms = (t - day_start).count();
  const int hour = static_cast<int>(ms / 3'600'000);
  ms %= 3'600'000;
  const int minute = static_cast<int>(ms / 60'000);
  ms %= 60'000;
  const int second = static_cast<int>(ms / 1000);
  ms %= 1000;
  char buffer[40];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), hour,
                        minute, second);
  std::string out(buffer, static_cast<std::size_t>(n));
  if (ms != 0) {
    std::snprintf(buffer, sizeof buffer, ".%03d", static_cast<int>(ms));
    out += buffer;
  }
  return out + "Z";
}

}  // namespace opspilot::agent
