#include "policies/time_rules.h"

#include <array>
#include <charconv>
#include <cctype>
#include <vector>

namespace opspilot::policies {
namespace {

using namespace std::chrono;

bool digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads exactly `n` digits at s[i..].
bool fixed(std::string_view s, std::size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !digit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

constexpr std::array<std::string_view, 7> kDays{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};

// One cron field into `bits` (indices lo..hi); names map to numbers via `names` (index + name_base).
template <std::size_t N>
bool cron_field(std::string_view f, int lo, int hi, const std::string_view* names, int name_count, int name_base,
                std::bitset<N>& bits, bool& restricted, std::string& why) {
  auto number = [&](std::string_view t, int& v) {
    if (t.empty()) return false;
    if (digit(t[0])) {
      if (t.size() > 2) return false;
      v = 0;
      for (char c : t) {
        if (!digit(c)) return false;
        v = v * 10 + (c - '0');
      }
      return true;
    }
    const std::string l = lower(t);
    for (int k = 0; k < name_count; ++k)
      if (names[k] == l) { v = k + name_base; return true; }
    return false;
  };
  restricted = f != "*";
  std::size_t start = 0;
  while (start <= f.size()) {
    std::size_t comma = f.find(',', start);
    if (comma == std::string_view::npos) comma = f.size();
    std::string_view part = f.substr(start, comma - start);
    int step = 1;
    if (const std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      if (!number(part.substr(slash + 1), step) || step <= 0 || !digit(part[slash + 1])) {
        why = "bad step in \"" + std::string(part) + "\"";
        return false;
      }
      part = part.substr(0, slash);
    }
    int a = lo, b = hi;
    if (part != "*") {
      const std::size_t dash = part.find('-');
      if (dash == std::string_view::npos) {
        if (!number(part, a)) { why = "\"" + std::string(part) + "\" is not a value"; return false; }
        b = step > 1 ? hi : a;
      } else if (!number(part.substr(0, dash), a) || !number(part.substr(dash + 1), b)) {
        why = "\"" + std::string(part) + "\" is not a range";
        return false;
      }
    }
    if (a < lo || b > hi || a > b) {
      why = "\"" + std::string(f) + "\" is outside " + std::to_string(lo) + "-" + std::to_string(hi);
      return false;
    }
    for (int v = a; v <= b; v += step) bits.set(static_cast<std::size_t>(v % static_cast<int>(N)));
    start = comma + 1;
  }
  return true;
}

}  // namespace

std::optional<seconds> parse_policy_duration(std::string_view t) {
  if (t.empty() || t.size() > 40) return std::nullopt;
  static constexpr std::array<std::pair<char, long long>, 5> units{
      {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};
  long long total = 0;
  std::size_t i = 0, next_unit = 0;
  while (i < t.size()) {
    long long v = 0;
    const std::size_t start = i;
    while (i < t.size() && digit(t[i])) {
      if (i - start >= 9) return std::nullopt;
      v = v * 10 + (t[i++] - '0');
    }
    if (i == start || i >= t.size()) return std::nullopt;
    std::size_t u = next_unit;
    while (u < units.size() && units[u].first != t[i]) ++u;
    if (u == units.size()) return std::nullopt;
    total += v * units[u].second;
    next_unit = u + 1;
    ++i;
  }
  return seconds(total);
}

char* write_policy_duration(char* out, seconds d) {
  long long s = d.count();
  if (s == 0) {
    *out++ = '0';
    *out++ = 's';
    return out;
  }
  // Negative durations write nothing: nothing formats one (the evaluator only formats ages).
  for (auto [c, n] : std::array<std::pair<char, long long>, 4>{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}}) {
    if (s >= n) {
      out = std::to_chars(out, out + 24, s / n).ptr;
      *out++ = c;
      s %= n;
    }
  }
  return out;
}

std::string format_policy_duration(seconds d) {
  char b[kMaxPolicyDuration];
  return std::string(b, write_policy_duration(b, d));
}

std::optional<int> parse_time_of_day(std::string_view t) {
  std::size_t i = 0;
  int h = 0, m = 0;
  if (!fixed(t, i, t.find(':') == 1 ? 1 : 2, h)) return std::nullopt;  // "8:00" or "08:00"
  if (i >= t.size() || t[i++] != ':' || !fixed(t, i, 2, m) || i != t.size()) return std::nullopt;
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

char* write_time_of_day(char* out, int minutes) {
  // "%02d:%02d" without printf: the evaluator formats times for many rules per proposal.
  auto two = [&out](int v) {
    if (v >= 0 && v < 10) *out++ = '0';
    out = std::to_chars(out, out + 12, v).ptr;
  };
  two(minutes / 60 % 100);
  *out++ = ':';
  two(minutes % 60);
  return out;
}

std::string format_time_of_day(int minutes) {
  char b[kMaxTimeOfDay];
  return std::string(b, write_time_of_day(b, minutes));
}

std::optional<std::int64_t> parse_local_date(std::string_view t, bool* date_only) {
  std::size_t i = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  if (!fixed(t, i, 4, y) || i >= t.size() || t[i++] != '-' || !fixed(t, i, 2, mo) || i >= t.size() ||
      t[i++] != '-' || !fixed(t, i, 2, d))
    return std::nullopt;
  const bool only = i == t.size();
  if (!only) {
    if (t[i] != 'T' && t[i] != ' ') return std::nullopt;
    ++i;
    if (!fixed(t, i, 2, h) || i >= t.size() || t[i++] != ':' || !fixed(t, i, 2, mi) || i != t.size())
      return std::nullopt;
    if (h > 23 || mi > 59) return std::nullopt;
  }
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  if (date_only) *date_only = only;
  return sys_days(ymd).time_since_epoch().count() * 1440LL + h * 60 + mi;
}

std::optional<int> parse_weekday(std::string_view text) {
  const std::string l = lower(text);
  static constexpr std::array<std::string_view, 7> full{"sunday", "monday", "tuesday", "wednesday",
                                                        "thursday", "friday", "saturday"};
  for (int k = 0; k < 7; ++k)
    if (kDays[k] == l || full[k] == l) return k;
  return std::nullopt;
}

std::optional<CronSchedule> CronSchedule::parse(std::string_view text, std::string* error) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  std::string why;
  auto fail = [&](std::string w) -> std::optional<CronSchedule> {
    if (error) *error = std::move(w);
    return std::nullopt;
  };
  if (fields.size() != 5) return fail("it has " + std::to_string(fields.size()) + " fields");
  CronSchedule c;
  bool r = false;
  std::bitset<8> dow;
  if (!cron_field(fields[0], 0, 59, nullptr, 0, 0, c.minute, r, why)) return fail("minute " + why);
  if (!cron_field(fields[1], 0, 23, nullptr, 0, 0, c.hour, r, why)) return fail("hour " + why);
  if (!cron_field(fields[2], 1, 31, nullptr, 0, 0, c.day_of_month, c.dom_restricted, why))
    return fail("day-of-month " + why);
  if (!cron_field(fields[3], 1, 12, kMonths.data(), 12, 1, c.month, r, why)) return fail("month " + why);
  if (!cron_field(fields[4], 0, 7, kDays.data(), 7, 0, dow, c.dow_restricted, why)) return fail("day-of-week " + why);
  for (int k = 0; k < 8; ++k)
    if (dow.test(static_cast<std::size_t>(k))) c.day_of_week.set(static_cast<std::size_t>(k % 7));
  return c;
}

bool CronSchedule::day_matches(int dom, int mon, int wd) const {
  if (!month.test(static_cast<std::size_t>(mon))) return false;
  const bool d = day_of_month.test(static_cast<std::size_t>(dom));
  const bool w = day_of_week.test(static_cast<std::size_t>(wd));
  if (dom_restricted && dow_restricted) return d || w;
  return d && w;
}

bool CronSchedule::fired_within(std::int64_t now, std::int64_t span) const {
  if (span <= 0) return false;
  const std::int64_t earliest = now - span + 1;
  auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
  for (std::int64_t dnum = floor_div(now, 1440); dnum >= floor_div(earliest, 1440); --dnum) {
    const sys_days sd{days(dnum)};
    const year_month_day ymd(sd);
    if (!day_matches(static_cast<int>(static_cast<unsigned>(ymd.day())),
                     static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(weekday(sd).c_encoding())))
      continue;
    // Latest firing minute of this day not after `now`: is it within the span?
    for (int h = 23; h >= 0; --h) {
      if (!hour.test(static_cast<std::size_t>(h))) continue;
      for (int m = 59; m >= 0; --m) {
        if (!minute.test(static_cast<std::size_t>(m))) continue;
        const std::int64_t t = dnum * 1440 + h * 60 + m;
        if (t > now) continue;
        return t >= earliest;
      }
    }
  }
  return false;
}

bool CronSchedule::can_fire() const {
  // 2024 is a leap year, so Feb 29 counts; any weekday occurs in any month.
  static constexpr int kDaysIn[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (hour.none() || minute.none() || day_of_week.none()) return false;
  for (int m = 1; m <= 12; ++m) {
    if (!month.test(static_cast<std::size_t>(m))) continue;
    if (dom_restricted && dow_restricted) return true;
    for (int d = 1; d <= kDaysIn[m]; ++d)
      if (day_of_month.test(static_cast<std::size_t>(d))) return true;
  }
  return false;
}

}  // namespace opspilot::policies
