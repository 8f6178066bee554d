// RFC 3339 times for decision records and the journal. Calendar arithmetic via <chrono> (no
// time zone database, no locale, no TZ environment): the same text on every machine.
#include "agent/journal/rfc3339.h"

#include <chrono>
#include <cstdio>

namespace opspilot::agent {
namespace {

// Rounds towards minus infinity, so times before 1970 format correctly.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::string format_rfc3339_ms(TimePoint t) {
  using namespace std::chrono;
  const std::int64_t ms = t.time_since_epoch().count();
  const std::int64_t secs = floor_div(ms, 1000);
  const std::int64_t day = floor_div(secs, 86400);
  const std::int64_t sod = secs - day * 86400;
  const year_month_day ymd{sys_days{days{day}}};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(sod / 3600), int(sod / 60 % 60),
                int(sod % 60), int(ms - secs * 1000));
  return buf;
}

bool parse_rfc3339(const std::string& s, TimePoint* out) {
  using namespace std::chrono;
  auto digits = [&s](std::size_t pos, std::size_t n, int* v) {
    if (pos + n > s.size()) return false;
    int x = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, &Y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, &M) || s[7] != '-' ||
      !digits(8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, &h) ||
      s[13] != ':' || !digits(14, 2, &m) || s[16] != ':' || !digits(17, 2, &sec))
    return false;
  const year_month_day ymd{year{Y}, month{unsigned(M)}, day{unsigned(D)}};
  if (!ymd.ok() || h > 23 || m > 59 || sec > 60) return false;
  std::size_t i = 19;
  std::int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    std::size_t n = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n)
      if (n < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
    if (n == 0) return false;
    for (; n < 3; ++n) frac_ms *= 10;
  }
  std::int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(i + 4, 2, &om) ||
        oh > 23 || om > 59)
      return false;
    offset_s = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;
  const std::int64_t days_since = sys_days{ymd}.time_since_epoch().count();
  const std::int64_t secs = days_since * 86400 + h * 3600 + m * 60 + sec - offset_s;
  *out = TimePoint(Duration(secs * 1000 + frac_ms));
  return true;
}

}  // namespace opspilot::agent
