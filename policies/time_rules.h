#pragma once
// The time vocabulary of policy files: durations ("15m", "1h30m", "2d", "1w"), times of day
// ("08:00"), dates ("2026-12-24", "2026-12-24T18:00"), weekday names and 5-field cron
// expressions ("0 18 * * fri") for recurring freezes. All work in local civil time of the zone a
// rule names (policies/timezone.h).
// Thread-safety: pure functions and immutable values.
#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policies/timezone.h"

namespace opspilot::policies {

/// "30s", "15m", "1h30m", "2d", "1w": parts largest unit first, units s m h d w. Bare numbers and
/// negative values are refused (the unit would be a guess).
std::optional<std::chrono::seconds> parse_policy_duration(std::string_view text);
/// The shortest text parse_policy_duration reads back: "0s", "90s" -> "1m30s", "2d".
std::string format_policy_duration(std::chrono::seconds d);
/// format_policy_duration written at `out` (room for kMaxPolicyDuration characters), without a
/// temporary string (the evaluator's hot path); returns the end.
inline constexpr std::size_t kMaxPolicyDuration = 48;
char* write_policy_duration(char* out, std::chrono::seconds d);

/// "HH:MM" -> minutes after midnight, 0..1440 ("24:00" is the end of the day).
std::optional<int> parse_time_of_day(std::string_view text);
std::string format_time_of_day(int minutes);
/// format_time_of_day ("08:00") written at `out` (room for kMaxTimeOfDay characters).
inline constexpr std::size_t kMaxTimeOfDay = 32;
char* write_time_of_day(char* out, int minutes);

/// "YYYY-MM-DD" (midnight) or "YYYY-MM-DDTHH:MM" -> minutes since 1970-01-01T00:00 local civil.
/// `date_only` tells which form was written (a date-only `to` means the whole day is included).
std::optional<std::int64_t> parse_local_date(std::string_view text, bool* date_only = nullptr);

/// "sun".."sat" or "sunday".."saturday" (any case) -> 0..6.
std::optional<int> parse_weekday(std::string_view text);

/// A 5-field cron expression: minute hour day-of-month month day-of-week, each `*`, a number, a
/// range `a-b`, a step `*/n` or `a-b/n`, or a comma list; months and weekdays also by name
/// (jan, mon); weekday 7 is Sunday. As in Vixie cron, when both day fields are restricted a day
/// matches if either does.
struct CronSchedule {
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> day_of_month;  // 1..31
  std::bitset<13> month;         // 1..12
  std::bitset<7> day_of_week;    // 0 = Sunday
  bool dom_restricted = false, dow_restricted = false;

  /// The cron expression `text`; nullopt with `error` saying which field is wrong.
  static std::optional<CronSchedule> parse(std::string_view text, std::string* error);
  bool day_matches(int day_of_month, int month, int weekday) const;
  /// Whether it fires at some minute in (now_local - span, now_local], both in local minutes.
  /// Walks whole days, so the cost is about span/1d + 1 day tests.
  bool fired_within(std::int64_t now_local_minutes, std::int64_t span_minutes) const;
  /// False when no day of the year could ever match (e.g. "0 0 31 2 *").
  bool can_fire() const;
};

}  // namespace opspilot::policies
