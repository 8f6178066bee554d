#include "policies/timezone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace opspilot::policies {
namespace {

using namespace std::chrono;

std::int64_t be(std::string_view b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

// Parses "[+-]hh[:mm[:ss]]" at s[i..]; POSIX offsets are west-positive, so callers negate.
bool posix_time(std::string_view s, std::size_t& i, long& out) {
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  long parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    if (p > 0) {
      if (i >= s.size() || s[i] != ':') break;
      ++i;
    }
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) parts[p] = parts[p] * 10 + (s[i++] - '0');
    if (i == start) return false;
  }
  out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool posix_name(std::string_view s, std::size_t& i) {
  if (i < s.size() && s[i] == '<') {
    const std::size_t close = s.find('>', i);
    if (close == std::string_view::npos) return false;
    i = close + 1;
    return true;
  }
  const std::size_t start = i;
  while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) ++i;
  return i - start >= 3;
}

std::mutex g_cache_mutex;
std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> g_cache;

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::utc() {
  static const std::shared_ptr<const TimeZone> zone = [] {
    auto z = std::shared_ptr<TimeZone>(new TimeZone());
    z->name_ = "UTC";
    return z;
  }();
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::from_tzif(std::string name, std::string_view b, std::string* error) {
  auto fail = [&](const char* why) -> std::shared_ptr<const TimeZone> {
    if (error) *error = why;
    return nullptr;
  };
  if (b.size() < 44 || b.substr(0, 4) != "TZif") return fail("not a TZif file");
  auto z = std::shared_ptr<TimeZone>(new TimeZone());
  z->name_ = std::move(name);
  const char version = b[4];
  std::size_t at = 0;
  int time_size = 4;
  // Version 1 data first; for v2+ skip it and read the 64-bit block that follows.
  for (int pass = 0; pass < 2; ++pass) {
    if (at + 44 > b.size()) return fail("truncated header");
    const auto isutcnt = be(b, at + 20, 4), isstdcnt = be(b, at + 24, 4), leapcnt = be(b, at + 28, 4);
    const auto timecnt = be(b, at + 32, 4), typecnt = be(b, at + 36, 4), charcnt = be(b, at + 40, 4);
    if (isutcnt < 0 || isstdcnt < 0 || leapcnt < 0 || timecnt < 0 || typecnt <= 0 || charcnt < 0 ||
        timecnt > 100000 || typecnt > 256 || charcnt > 100000 || leapcnt > 100000)
      return fail("bad header counts");
    const std::size_t body = static_cast<std::size_t>(timecnt) * time_size + timecnt + typecnt * 6 + charcnt +
                             leapcnt * (time_size + 4) + isstdcnt + isutcnt;
    if (at + 44 + body > b.size()) return fail("truncated data");
    if (pass == 0 && version >= '2') {
      at += 44 + body;
      time_size = 8;
      continue;
    }
    std::size_t p = at + 44;
    std::vector<std::int64_t> times(timecnt);
    for (auto& t : times) { t = be(b, p, time_size); p += time_size; }
    std::vector<int> idx(timecnt);
    for (auto& x : idx) x = static_cast<unsigned char>(b[p++]);
    std::vector<long> offs(typecnt);
    std::vector<bool> dst(typecnt);
    for (long i = 0; i < typecnt; ++i) {
      offs[i] = static_cast<long>(be(b, p, 4));
      dst[i] = b[p + 4] != 0;
      p += 6;
    }
    for (int x : idx)
      if (x >= typecnt) return fail("bad type index");
    z->transitions_ = std::move(times);
    for (int x : idx) z->offsets_after_.push_back(offs[x]);
    // RFC 8536: before the first transition, the first non-DST type (or type 0).
    z->initial_offset_ = offs[0];
    for (long i = 0; i < typecnt; ++i)
      if (!dst[i]) { z->initial_offset_ = offs[i]; break; }
    p += charcnt + leapcnt * (time_size + 4) + isstdcnt + isutcnt;
    if (time_size == 8 && p < b.size() && b[p] == '\n') {
      const std::size_t end = b.find('\n', p + 1);
      if (end != std::string_view::npos) parse_posix(b.substr(p + 1, end - p - 1), z->footer_);
    }
    break;
  }
  return z;
}

bool TimeZone::parse_posix(std::string_view s, Posix& out) {
  std::size_t i = 0;
  long off = 0;
  if (!posix_name(s, i) || !posix_time(s, i, off)) return false;
  out.std_offset = -off;
  out.has_dst = false;
  if (i < s.size()) {
    if (!posix_name(s, i)) return false;
    out.dst_offset = out.std_offset + 3600;
    if (i < s.size() && s[i] != ',') {
      if (!posix_time(s, i, off)) return false;
      out.dst_offset = -off;
    }
    auto rule = [&](Rule& r) {
      if (i >= s.size() || s[i] != ',') return false;
      ++i;
      auto num = [&](int& v) {
        const std::size_t st = i;
        v = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - st < 3) v = v * 10 + (s[i++] - '0');
        return i > st;
      };
      if (i < s.size() && s[i] == 'M') {
        ++i;
        r.form = 'M';
        if (!num(r.month) || i >= s.size() || s[i++] != '.' || !num(r.week) || i >= s.size() || s[i++] != '.' ||
            !num(r.weekday))
          return false;
        if (r.month < 1 || r.month > 12 || r.week < 1 || r.week > 5 || r.weekday > 6) return false;
      } else if (i < s.size() && s[i] == 'J') {
        ++i;
        r.form = 'J';
        if (!num(r.day) || r.day < 1 || r.day > 365) return false;
      } else {
        r.form = 'N';
        if (!num(r.day) || r.day > 365) return false;
      }
      r.time = 7200;
      if (i < s.size() && s[i] == '/') {
        ++i;
        if (!posix_time(s, i, r.time)) return false;
      }
      return true;
    };
    if (!rule(out.start) || !rule(out.end)) return false;
    out.has_dst = true;
  }
  out.valid = true;
  return true;
}

// Local seconds since the epoch at which rule `r` fires in `year`.
std::int64_t TimeZone::rule_local_time(const Rule& r, int year) {
  sys_days day;
  const auto y = std::chrono::year(year);
  if (r.form == 'M') {
    const auto m = std::chrono::month(static_cast<unsigned>(r.month));
    const auto wd = weekday(static_cast<unsigned>(r.weekday));
    if (r.week == 5) {
      day = sys_days(year_month_weekday_last(y, m, weekday_last(wd)));
    } else {
      day = sys_days(year_month_weekday(y, m, weekday_indexed(wd, static_cast<unsigned>(r.week))));
    }
  } else if (r.form == 'J') {
    // Day 1..365, February 29 never counted.
    int d = r.day;
    if (d >= 60 && y.is_leap()) ++d;
    day = sys_days(y / January / 1) + days(d - 1);
  } else {
    day = sys_days(y / January / 1) + days(r.day);
  }
  return day.time_since_epoch().count() * 86400LL + r.time;
}

long TimeZone::posix_offset(sys_seconds t) const {
  if (!footer_.has_dst) return footer_.std_offset;
  const auto local_std = t + seconds(footer_.std_offset);
  const int year = static_cast<int>(year_month_day(floor<days>(local_std)).year());
  const std::int64_t utc = t.time_since_epoch().count();
  // Start is given in standard time, end in daylight time.
  const std::int64_t start = rule_local_time(footer_.start, year) - footer_.std_offset;
  const std::int64_t end = rule_local_time(footer_.end, year) - footer_.dst_offset;
  const bool in_dst = start < end ? (utc >= start && utc < end) : (utc >= start || utc < end);
  return in_dst ? footer_.dst_offset : footer_.std_offset;
}

seconds TimeZone::offset_at(sys_seconds t) const {
  const std::int64_t s = t.time_since_epoch().count();
  if (transitions_.empty() || s < transitions_.front()) {
    if (transitions_.empty() && footer_.valid) return seconds(posix_offset(t));
    return seconds(initial_offset_);
  }
  if (s >= transitions_.back() && footer_.valid) return seconds(posix_offset(t));
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  return seconds(offsets_after_[static_cast<std::size_t>(it - transitions_.begin()) - 1]);
}

std::shared_ptr<const TimeZone> locate_time_zone(std::string_view name, std::string* error) {
  auto fail = [&](std::string why) -> std::shared_ptr<const TimeZone> {
    if (error) *error = std::move(why);
    return nullptr;
  };
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return TimeZone::utc();
  if (name.empty() || name.size() > 128 || name.front() == '/' || name.find("..") != std::string_view::npos)
    return fail("not a zone name");
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
          c == '+' || c == '-'))
      return fail("not a zone name");
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    if (auto it = g_cache.find(name); it != g_cache.end()) return it->second;
  }
  const char* dir = std::getenv("TZDIR");
  const std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("no such zone file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string why;
  auto zone = TimeZone::from_tzif(std::string(name), ss.str(), &why);
  if (!zone) return fail(path + ": " + why);
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  g_cache.emplace(std::string(name), zone);
  return zone;
}

LocalTime to_local(const TimeZone& zone, system_clock::time_point t) {
  const auto s = floor<seconds>(t);
  const auto local = s + zone.offset_at(s);
  LocalTime out;
  out.day = floor<days>(local);
  const auto since_midnight = duration_cast<minutes>(local - out.day);
  out.minute_of_day = static_cast<int>(since_midnight.count());
  const year_month_day ymd(out.day);
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day_of_month = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.weekday = static_cast<int>(weekday(out.day).c_encoding());
  out.local_minutes = duration_cast<minutes>(local.time_since_epoch()).count();
  return out;
}

}  // namespace opspilot::policies
