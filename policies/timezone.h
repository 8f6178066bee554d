#pragma once
// IANA time zones read from the system tz database (TZif files under /usr/share/zoneinfo, or
// $TZDIR). Why not <chrono>: GCC 12's libstdc++ has no std::chrono::locate_zone / tzdb (they
// arrived in GCC 13/14), and no date library is among the project's Debian dependencies. TZif
// is a small, stable, documented format (RFC 8536), so a reader of ~200 lines keeps the real tz
// database (updated by the tzdata package) as the only source of truth, with no new dependency.
// Reads version 2+ files: 64-bit transitions, then the POSIX TZ footer for times after the last
// transition (Debian may ship "slim" files that rely on it).
//
// Thread-safety: a TimeZone is immutable; locate_time_zone() is safe from any thread (a mutex
// guards its cache). Evaluation keeps the shared_ptr and never touches the cache.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace opspilot::policies {

class TimeZone {
 public:
  /// The fixed UTC zone.
  static std::shared_ptr<const TimeZone> utc();
  /// Parses TZif bytes; nullptr and `error` set when they are not a TZif file.
  static std::shared_ptr<const TimeZone> from_tzif(std::string name, std::string_view bytes, std::string* error);

  const std::string& name() const { return name_; }
  /// Offset from UTC (local = utc + offset) in force at `t`.
  std::chrono::seconds offset_at(std::chrono::sys_seconds t) const;

 private:
  struct Rule {  // one POSIX "Mm.w.d/time" or "Jn/time" or "n/time" transition date
    char form = 'M';  // 'M', 'J' (1..365, no Feb 29) or 'N' (0..365)
    int month = 0, week = 0, weekday = 0, day = 0;
    long time = 7200;  // seconds after local midnight, in the time before the change
  };
  struct Posix {
    bool valid = false;
    long std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    long dst_offset = 0;
    Rule start, end;
  };
  static bool parse_posix(std::string_view s, Posix& out);
  static std::int64_t rule_local_time(const Rule& r, int year);
  long posix_offset(std::chrono::sys_seconds t) const;

  std::string name_;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<long> offsets_after_;        // offset in force from transitions_[i]
  long initial_offset_ = 0;                // before the first transition
  Posix footer_;
};

/// The zone named `name` ("Europe/Berlin", "UTC"); nullptr with `error` set ("no such zone file
/// /usr/share/zoneinfo/Europe/Berlinn") when unknown. Names with "..", a leading '/' or
/// characters outside [A-Za-z0-9/_+-] are refused without touching the file system.
std::shared_ptr<const TimeZone> locate_time_zone(std::string_view name, std::string* error = nullptr);

/// Local civil time split into the parts rules speak of.
struct LocalTime {
  std::chrono::sys_days day;  // local calendar day (as a sys_days value)
  int minute_of_day = 0;      // 0..1439
  int weekday = 0;            // 0 = Sunday .. 6 = Saturday
  int day_of_month = 1, month = 1, year = 1970;
  std::int64_t local_minutes = 0;  // minutes since 1970-01-01T00:00 local civil
};
LocalTime to_local(const TimeZone& zone, std::chrono::system_clock::time_point t);

}  // namespace opspilot::policies
