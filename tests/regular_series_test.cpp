// From (timestamp, value) pairs to a regular series: step inference, ordering, duplicates, gaps,
// bad values and the error values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "agent/predict/regular_series.h"

namespace fc = opspilot::agent::forecast;
using Points = std::vector<std::pair<double, double>>;

namespace {
bool has_note(const fc::RegularSeries& r, const std::string& word) {
  for (const auto& n : r.notes)
    if (n.find(word) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST(RegularSeries, InfersTheStepFromARegularFile) {
  Points p;
  for (int i = 0; i < 10; ++i) p.push_back({1'700'000'000.0 + 60 * i, i * 1.5});
  std::string error;
  const auto r = fc::regularize(p, {}, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->step_seconds, 60);
  EXPECT_EQ(r->start, 1'700'000'000.0);
  ASSERT_EQ(r->y.size(), 10u);
  EXPECT_EQ(r->y[9], 13.5);
  EXPECT_EQ(r->gaps + r->duplicates + r->non_finite + r->negatives + r->off_grid, 0u);
  EXPECT_FALSE(r->reordered);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(r->notes[0], "step 60 s (median spacing of 10 timestamps), 10 slots");
}

TEST(RegularSeries, SortsMergesDuplicatesAndMarksGaps) {
  // Out of order, one duplicate timestamp (merged as the mean), two missing slots.
  const Points p{{300, 4}, {0, 1}, {100, 2}, {100, 4}, {600, 7}, {200, 3}};
  std::string error;
  const auto r = fc::regularize(p, {}, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->step_seconds, 100);
  ASSERT_EQ(r->y.size(), 7u);
  EXPECT_EQ(r->y[1], 3);  // mean of 2 and 4
  EXPECT_TRUE(std::isnan(r->y[4]));
  EXPECT_TRUE(std::isnan(r->y[5]));
  EXPECT_EQ(r->y[6], 7);
  EXPECT_TRUE(r->reordered);
  EXPECT_EQ(r->duplicates, 1u);
  EXPECT_EQ(r->gaps, 2u);
  EXPECT_TRUE(has_note(*r, "not in time order"));
  EXPECT_TRUE(has_note(*r, "1 points fell on an occupied slot: merged (mean)"));
  EXPECT_TRUE(has_note(*r, "2 of 7 slots have no value (gaps)"));
}

TEST(RegularSeries, CountsBadValuesAndNegatives) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Points p{{0, 1}, {10, nan}, {20, -3}, {30, inf}, {40, 5}, {nan, 9}, {inf, 9}};
  std::string error;
  const auto r = fc::regularize(p, {}, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->input_points, 7u);
  EXPECT_EQ(r->bad_timestamps, 2u);
  EXPECT_EQ(r->non_finite, 2u);
  EXPECT_EQ(r->negatives, 1u);
  EXPECT_EQ(r->gaps, 2u);  // the NaN and inf slots
  EXPECT_EQ(r->y[2], -3);  // kept: the forecaster floors, the regularizer only reports
  EXPECT_TRUE(has_note(*r, "2 NaN/inf values treated as gaps"));
  EXPECT_TRUE(has_note(*r, "1 negative values in a quantity declared non-negative"));
  EXPECT_TRUE(has_note(*r, "2 points with a non-finite timestamp dropped"));
  const auto s = fc::regularize(p, {.non_negative = false}, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->negatives, 1u);
  EXPECT_FALSE(has_note(*s, "negative"));
}

TEST(RegularSeries, SnapsJitteredTimestampsToTheGrid) {
  const Points p{{0, 1}, {15.2, 2}, {29.9, 3}, {45, 4}, {60.4, 5}};
  std::string error;
  const auto r = fc::regularize(p, {}, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_NEAR(r->step_seconds, 15, 0.3);
  ASSERT_EQ(r->y.size(), 5u);
  EXPECT_EQ(r->gaps, 0u);
  EXPECT_GT(r->off_grid, 0u);
  EXPECT_TRUE(has_note(*r, "snapped to the nearest slot"));
}

TEST(RegularSeries, NoStepOrAnAbsurdGridIsAnErrorValue) {
  std::string error;
  EXPECT_FALSE(fc::regularize({}, {}, &error));
  EXPECT_EQ(error, "0 distinct timestamp(s); need at least 2 to infer the step");
  EXPECT_FALSE(fc::regularize({{5, 1}, {5, 2}, {5, 3}}, {}, &error));
  EXPECT_EQ(error, "1 distinct timestamp(s); need at least 2 to infer the step");
  // Two points a second apart, then one a year later: 31.5 million one-second slots.
  EXPECT_FALSE(fc::regularize({{0, 1}, {1, 1}, {2, 1}, {31'536'000, 1}}, {}, &error));
  EXPECT_EQ(error, "the series would have 31536001 points at a step of 1 s over 3.1536e+07 s; at most 2000000 are allowed");
  EXPECT_FALSE(fc::regularize({{0, 1}, {1, 1}, {2, 1}, {31'536'000, 1}}, {.max_points = 10}, nullptr));
}
