// Live self-assessment: rolling forecast accuracy and alarm scoring against confirmed incidents.
#include "agent/predict/self_assessment.h"

#include <cmath>

#include <gtest/gtest.h>

namespace opspilot::agent {
namespace {

using namespace std::chrono_literals;

Prediction band(double mean, double half) {
  Prediction p;
  p.enough_data = true;
  p.mean = mean;
  p.lower = mean - half;
  p.upper = mean + half;
  return p;
}

TEST(ForecastScorer, ScoresForecastsWhenTheyComeDue) {
  ForecastScorer s;
  const TimePoint t0(Duration(0));
  s.remember(t0 + 60s, band(100, 10), 80);
  s.score(t0 + 30s, 100);
  EXPECT_EQ(s.scored(), 0u);
  EXPECT_TRUE(std::isnan(s.mase()));
  s.score(t0 + 60s, 120);
  EXPECT_EQ(s.scored(), 1u);
  EXPECT_NEAR(s.abs_pct_error(), 20.0 / 120.0, 1e-9);
  EXPECT_DOUBLE_EQ(s.coverage(), 0.0);
  // |120 - 100| against the naive |120 - 80|.
  EXPECT_NEAR(s.mase(), 20.0 / 40.0, 1e-12);
  const ForecastAccuracy a = s.accuracy();
  EXPECT_EQ(a.scored, 1u);
  EXPECT_EQ(a.window, 1u);
}

TEST(ForecastScorer, MaseIsRelativeToTheNaiveForecastOverTheWindow) {
  ForecastScorer s(4);
  TimePoint t(Duration(0));
  // A perfect forecaster on a ramp: MASE 0; the naive one is off by the ramp's step.
  for (int i = 0; i < 10; ++i) {
    s.remember(t + 60s, band(100 + i + 1, 0.5), 100 + i);
    t += 60s;
    s.score(t, 100 + i + 1);
  }
  EXPECT_EQ(s.scored(), 10u);
  EXPECT_EQ(s.accuracy().window, 4u);
  EXPECT_NEAR(s.mase(), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.coverage(), 1.0);
  // Then four forecasts twice as wrong as naive push the whole window to MASE 2.
  for (int i = 0; i < 4; ++i) {
    s.remember(t + 60s, band(100, 0.5), 110);
    t += 60s;
    s.score(t, 120);
  }
  EXPECT_NEAR(s.mase(), 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.coverage(), 0.0);
}

TEST(ForecastScorer, IgnoresForecastsWithoutDataAndNonFiniteActuals) {
  ForecastScorer s;
  Prediction none;
  const TimePoint t0(Duration(0));
  s.remember(t0, none, 5);
  s.remember(t0, band(1, 1), std::nan(""));
  s.score(t0 + 1s, 3);
  s.score(t0 + 1s, std::nan(""));
  EXPECT_EQ(s.scored(), 0u);
}

struct Tick {
  int minute;
  bool alarm;
  bool incident;
};

DetectionScorer run(const std::vector<Tick>& ticks) {
  DetectionScorer d(10min);
  for (const Tick& t : ticks) d.observe(TimePoint(Duration(0)) + t.minute * 1min, t.alarm, t.incident);
  return d;
}

TEST(DetectionScorer, AnAlarmDuringAnIncidentIsTrueAndDetectsIt) {
  const auto d = run({{0, false, false}, {1, false, true}, {3, true, true}, {5, false, true},
                      {6, false, false}, {30, false, false}});
  EXPECT_EQ(d.alarms(), 1u);
  EXPECT_EQ(d.true_alarms(), 1u);
  EXPECT_EQ(d.incidents(), 1u);
  EXPECT_EQ(d.detected(), 1u);
  EXPECT_DOUBLE_EQ(d.precision(), 1.0);
  EXPECT_DOUBLE_EQ(d.recall(), 1.0);
  EXPECT_NEAR(d.mean_delay_seconds(), 120.0, 1e-9);
}

TEST(DetectionScorer, AnEarlyAlarmWithinGraceCountsAndAFarOneIsFalse) {
  // Alarm at 0..2, incident confirmed at 5: early warning, delay 0.
  const auto early = run({{0, true, false}, {2, false, false}, {5, false, true}, {8, false, false}});
  EXPECT_EQ(early.true_alarms(), 1u);
  EXPECT_EQ(early.detected(), 1u);
  EXPECT_NEAR(early.mean_delay_seconds(), 0.0, 1e-9);
  // Alarm at 0..2 and nothing for an hour: a false alarm; a later incident is missed.
  const auto falsealarm = run({{0, true, false}, {2, false, false}, {30, false, false},
                               {60, false, true}, {65, false, false}});
  EXPECT_EQ(falsealarm.alarms(), 1u);
  EXPECT_EQ(falsealarm.true_alarms(), 0u);
  EXPECT_DOUBLE_EQ(falsealarm.precision(), 0.0);
  EXPECT_EQ(falsealarm.incidents(), 1u);
  EXPECT_DOUBLE_EQ(falsealarm.recall(), 0.0);
}

TEST(DetectionScorer, UnknownIncidentsLeaveRecallUnmeasured) {
  DetectionScorer d;
  d.observe(TimePoint(Duration(0)), true, std::nullopt);
  d.observe(TimePoint(Duration(0)) + 1min, false, std::nullopt);
  d.observe(TimePoint(Duration(0)) + 1h, false, std::nullopt);
  EXPECT_TRUE(std::isnan(d.recall()));
  EXPECT_EQ(d.alarms(), 1u);
}

}  // namespace
}  // namespace opspilot::agent
