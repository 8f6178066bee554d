// Tests of the config's duration and RFC 3339 time syntax (agent/config/duration.h): parsing,
// the reasons given for refusals, and formatting that parses back.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/clock.h"
#include "agent/config/duration.h"

namespace opspilot::agent {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(Duration, ParsesEveryUnitAndCombinations) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("15s"), seconds(15));
  EXPECT_EQ(parse_duration("2m"), minutes(2));
  EXPECT_EQ(parse_duration("1h"), hours(1));
  EXPECT_EQ(parse_duration("1h30m"), minutes(90));
  EXPECT_EQ(parse_duration("1d"), hours(24));
  EXPECT_EQ(parse_duration("1d2h3m4s5ms"), hours(26) + minutes(3) + seconds(4) + milliseconds(5));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(Duration, RejectsWithReasonsThatQuoteTheText) {
  std::string error;
  EXPECT_FALSE(parse_duration("15", &error));
  EXPECT_EQ(error, "\"15\" has no unit; write \"15s\" (units: ms, s, m, h, d)");
  EXPECT_FALSE(parse_duration("5x", &error));
  EXPECT_EQ(error, "\"5x\" has unknown unit \"x\"; expected ms, s, m, h or d");
  EXPECT_FALSE(parse_duration("-5s", &error));
  EXPECT_EQ(error, "\"-5s\" is negative; durations must be zero or more");
  EXPECT_FALSE(parse_duration("30m1h", &error));
  EXPECT_EQ(error, "\"30m1h\": units must go from largest to smallest, each at most once (e.g. \"1h30m\")");
  EXPECT_FALSE(parse_duration("1s1s", &error));
  EXPECT_FALSE(parse_duration("1.5ms", &error));
  EXPECT_EQ(error, "\"1.5ms\" is not a whole number of milliseconds");
  EXPECT_FALSE(parse_duration("", &error));
  EXPECT_FALSE(parse_duration("s", &error));
  EXPECT_FALSE(parse_duration("1h30", &error));
  EXPECT_FALSE(parse_duration("1 h", &error));
  EXPECT_FALSE(parse_duration("99999999999999999d", &error));
  EXPECT_EQ(error, "\"99999999999999999d\" is too large");
}

TEST(Duration, FormatIsShortestAndParsesBack) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(500)), "500ms");
  EXPECT_EQ(format_duration(seconds(90)), "1m30s");
  EXPECT_EQ(format_duration(hours(26)), "1d2h");
  EXPECT_EQ(format_duration(milliseconds(1250)), "1s250ms");
  EXPECT_EQ(format_duration(milliseconds(-1500)), "-1s500ms");
  for (std::int64_t ms : {1LL, 999LL, 1000LL, 61'001LL, 3'600'000LL, 86'400'001LL, 123'456'789'012LL}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

TEST(Rfc3339, ParsesUtcFractionsAndOffsets) {
  const auto t = parse_rfc3339("2026-01-05T00:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_seconds(*t), 1767571200.0);
  EXPECT_EQ(parse_rfc3339("2026-01-05T00:00:00.250Z"), *t + milliseconds(250));
  EXPECT_EQ(parse_rfc3339("2026-01-05T00:00:00.123456Z"), *t + milliseconds(123));
  EXPECT_EQ(parse_rfc3339("2026-01-05T02:00:00+02:00"), *t);
  EXPECT_EQ(parse_rfc3339("2026-01-04T19:30:00-04:30"), *t);
  EXPECT_EQ(parse_rfc3339("2024-02-29T12:00:00Z"), from_unix_seconds(1709208000));
  for (const char* bad : {"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-01-05T24:00:00Z",
                          "2026-01-05T00:00:00", "2026-01-05 00:00:00Z", "2026-1-5T00:00:00Z",
                          "2026-01-05T00:00:00.Z", "2026-01-05T00:00:00Zjunk", ""}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
  EXPECT_EQ(format_rfc3339(*t), "2026-01-05T00:00:00Z");
  EXPECT_EQ(format_rfc3339(*t + milliseconds(250)), "2026-01-05T00:00:00.250Z");
  EXPECT_EQ(parse_rfc3339(format_rfc3339(*t + hours(1000) + milliseconds(7))), *t + hours(1000) + milliseconds(7));
}

}  // namespace
}  // namespace opspilot::agent
