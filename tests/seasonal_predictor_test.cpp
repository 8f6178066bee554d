// The live forecaster of one target: fitted on the store's history, updated as buckets complete,
// refitted on schedule; and the incident monitor that scores each tick.
#include "agent/predict/seasonal_predictor.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "agent/predict/incident_monitor.h"

namespace opspilot::agent {
namespace {

using namespace std::chrono_literals;

constexpr double kPi = 3.14159265358979323846;

// Requests per second with a daily cycle between 100 and 300, peaking at 14:00 UTC.
double daily_load(TimePoint t) {
  const double hours = std::fmod(to_unix_seconds(t) / 3600.0, 24.0);
  return 200 + 100 * std::sin(2 * kPi * (hours - 8) / 24);
}

class SeasonalPredictorTest : public ::testing::Test {
 protected:
  SeasonalPredictorTest() : store(clock) {}
  void fill(Duration span, Duration every, double noise_sd) {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0, noise_sd);
    const TimePoint end = clock.now() + span;
    while (clock.now() < end) {
      store.append("web/load", clock.now(), daily_load(clock.now()) + noise(rng));
      clock.advance(every);
    }
  }
  ManualClock clock{TimePoint(Duration(1'700'006'400'000))};  // a whole hour, UTC
  SeriesStore store;
};

TEST_F(SeasonalPredictorTest, LearnsTheDailyCycleAndForecastsItsTurn) {
  fill(8 * 24h, 1min, 5);
  ForecastSpec spec;
  spec.step = 30min;
  spec.history = 8 * 24h;
  spec.refit_every = 6h;
  SeasonalPredictor p(spec, 1min);
  const TimePoint now = clock.now();
  const Prediction pr = p.forecast(store, "web/load", now, 3h);
  ASSERT_TRUE(pr.enough_data) << pr.note;
  EXPECT_EQ(p.fits(), 1u);
  const double truth = daily_load(now + 3h);
  // The trend model could not know the turn three hours ahead; the seasonal one must.
  EXPECT_NEAR(pr.mean, truth, 20) << pr.model << ": " << pr.note;
  EXPECT_LE(pr.lower, truth);
  EXPECT_GE(pr.upper, truth);
  EXPECT_GT(pr.upper - pr.lower, 0);
}

TEST_F(SeasonalPredictorTest, UpdatesIncrementallyAndRefitsOnSchedule) {
  fill(8 * 24h, 1min, 5);
  ForecastSpec spec;
  spec.step = 30min;
  spec.history = 8 * 24h;
  spec.refit_every = 6h;
  SeasonalPredictor p(spec, 1min);
  ASSERT_TRUE(p.forecast(store, "web/load", clock.now(), 1h).enough_data);
  double worst = 0;
  for (int i = 0; i < 10; ++i) {  // five more hours, one tick a minute
    fill(30min, 1min, 5);
    const Prediction pr = p.forecast(store, "web/load", clock.now(), 1h);
    ASSERT_TRUE(pr.enough_data);
    worst = std::max(worst, std::abs(pr.mean - daily_load(clock.now() + 1h)));
  }
  EXPECT_EQ(p.fits(), 1u) << "no refit before refit_every";
  EXPECT_LT(worst, 25);
  fill(90min, 1min, 5);
  p.forecast(store, "web/load", clock.now(), 1h);
  EXPECT_EQ(p.fits(), 2u) << "a refit once refit_every has passed";
}

TEST_F(SeasonalPredictorTest, SaysNotEnoughDataInsteadOfGuessing) {
  ForecastSpec spec;
  SeasonalPredictor p(spec, 15s);
  const Prediction none = p.forecast(store, "web/load", clock.now(), 5min);
  EXPECT_FALSE(none.enough_data);
  EXPECT_NE(none.note.find("not enough data"), std::string::npos) << none.note;
  fill(90s, 15s, 1);
  const Prediction few = p.forecast(store, "web/load", clock.now(), 5min);
  EXPECT_FALSE(few.enough_data);
  EXPECT_NE(few.note.find("not enough data"), std::string::npos) << few.note;
}

TEST(IncidentMonitor, ScoresEachTickAndExplainsALatencyExcursion) {
  TargetSpec t;
  t.name = "web";
  for (const char* role : {"load", "latency", "errors", "incident"}) t.signals[role] = SignalSpec{"q", {}};
  t.slo.objective = 99.5;
  IncidentMonitor m(t, 15s);
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 1);
  TimePoint now(Duration(1'700'000'000'000));
  auto tick = [&](double latency, double errors, bool incident) {
    Observation o;
    auto put = [&](const std::string& role, double v) {
      SignalValue s;
      s.status = SignalStatus::Ok;
      s.value = v;
      s.sampled_at = now;
      o.signals[role] = s;
    };
    put("load", 200 + 5 * noise(rng));
    put("latency", latency);
    put("errors", errors);
    put("incident", incident ? 1 : 0);
    const IncidentAssessment a = m.assess(now, o);
    now += 15s;
    return a;
  };
  double worst_quiet = 0;
  IncidentAssessment worst;
  for (int i = 0; i < 2000; ++i) {
    const IncidentAssessment a = tick(0.1 + 0.005 * noise(rng), 0.1 + 0.01 * noise(rng), false);
    if (a.risk > worst_quiet) {
      worst_quiet = a.risk;
      worst = a;
    }
  }
  EXPECT_LT(worst_quiet, 0.6) << "no warning on clean data: " << worst.summary << " / "
                              << (worst.drivers.empty() ? "" : worst.drivers.front().explanation);
  IncidentAssessment during;
  for (int i = 0; i < 40; ++i) during = tick(2.0, 30, true);
  EXPECT_TRUE(during.assessed);
  EXPECT_GE(during.risk, 0.6);
  ASSERT_FALSE(during.drivers.empty());
  EXPECT_FALSE(during.drivers.front().explanation.empty());
  IncidentAssessment after;
  for (int i = 0; i < 200; ++i) after = tick(0.1 + 0.005 * noise(rng), 0.1 + 0.01 * noise(rng), false);
  EXPECT_LT(after.risk, 0.6) << after.summary;
  EXPECT_EQ(m.scorer().incidents(), 1u);
  EXPECT_EQ(m.scorer().detected(), 1u);
  EXPECT_GE(m.scorer().true_alarms(), 1u);
  EXPECT_LT(m.state_bytes(), 16 * 1024u);
}

}  // namespace
}  // namespace opspilot::agent
