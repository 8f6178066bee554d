#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "agent/decide/planner.h"
#include "agent/decide/utilisation.h"

using namespace opspilot::agent;

namespace {

constexpr double kSlo = 0.5;  // seconds; "slow" is p99 above 0.9 × 0.5 = 0.45 s
constexpr double kPer = 100;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TimePoint g_now{};
TimePoint tick() { return g_now += std::chrono::seconds(15); }

// `n` steady ticks of `replicas` replicas at utilisation `u`, with p99 `p99`, after the ticks a
// new count needs before it teaches (their latency unknown, so they would not count anyway).
void feed(UtilisationLearner& l, int replicas, double u, double p99, int n = 25) {
  for (int i = 0; i < 9; ++i) l.observe(tick(), replicas, replicas, u * replicas * kPer, kPer, kNaN);
  for (int i = 0; i < n; ++i) l.observe(tick(), replicas, replicas, u * replicas * kPer, kPer, p99);
}

// A service that is fast up to `knee` and slow above it, observed from 40% to 100%.
void service_with_knee(UtilisationLearner& l, int replicas, double knee) {
  for (double u = 0.425; u < 1.0; u += 0.05) feed(l, replicas, u, u < knee ? 0.2 : 0.9);
}

}  // namespace

TEST(UtilisationLearner, StartsAtTheConfiguredValueAndSaysItIsLearning) {
  const UtilisationLearner l(0.7, 0.9, kSlo);
  EXPECT_DOUBLE_EQ(l.utilisation(1), 0.7);
  EXPECT_DOUBLE_EQ(l.utilisation(50), 0.7);
  EXPECT_NE(l.explain(4).find("learning"), std::string::npos) << l.explain(4);
}

TEST(UtilisationLearner, LearnsUpToTheLastBinWherePercentile99StaysClear) {
  UtilisationLearner l(0.7, 0.95, kSlo);
  service_with_knee(l, 4, 0.85);  // bins up to [0.80, 0.85) fine, [0.85, 0.90) slow
  EXPECT_NEAR(l.utilisation(4), 0.85, 1e-9);
  EXPECT_NE(l.explain(4).find("learned at 4-7 replicas"), std::string::npos) << l.explain(4);
  EXPECT_NE(l.explain(4).find("85%"), std::string::npos) << l.explain(4);
}

TEST(UtilisationLearner, NeverAboveTheConfiguredMaximum) {
  UtilisationLearner l(0.7, 0.9, kSlo);
  service_with_knee(l, 4, 2.0);  // never slow
  EXPECT_NEAR(l.utilisation(4), 0.9, 1e-9);
}

TEST(UtilisationLearner, DoesNotExtrapolateAcrossAnUnobservedBin) {
  UtilisationLearner l(0.7, 0.95, kSlo);
  feed(l, 4, 0.72, 0.2);
  feed(l, 4, 0.83, 0.2);  // [0.75, 0.80) never seen
  EXPECT_NEAR(l.utilisation(4), 0.75, 1e-9);
  UtilisationLearner few(0.7, 0.95, kSlo);
  feed(few, 4, 0.72, 0.2, 19);  // below kMinSamples: no evidence
  EXPECT_DOUBLE_EQ(few.utilisation(4), 0.7);
}

TEST(UtilisationLearner, SlowBelowTheStartLowersIt) {
  UtilisationLearner l(0.7, 0.9, kSlo);
  service_with_knee(l, 2, 0.6);  // slow from [0.60, 0.65) on
  EXPECT_NEAR(l.utilisation(2), 0.6, 1e-9);
  EXPECT_NE(l.explain(2).find("lowered"), std::string::npos) << l.explain(2);
  UtilisationLearner any(0.7, 0.9, kSlo);
  for (double u = 0.125; u < 0.9; u += 0.05) feed(any, 2, u, 0.9);  // slow at any load: not capacity
  EXPECT_DOUBLE_EQ(any.utilisation(2), 0.7) << any.explain(2);
  UtilisationLearner some(0.7, 0.95, kSlo);
  for (double u = 0.125; u < 0.3; u += 0.05) {
    feed(some, 4, u, 0.2, 90);
    feed(some, 4, u, 0.9, 10);  // 10% slow at low load, whatever the load
  }
  for (double u = 0.725; u < 0.8; u += 0.05) {
    feed(some, 4, u, 0.2, 22);
    feed(some, 4, u, 0.9, 3);  // 12%: within 10% + 5%, so not lowered; over 5%, so not raised
  }
  EXPECT_DOUBLE_EQ(some.utilisation(4), 0.7) << some.explain(4);
}

TEST(UtilisationLearner, TicksRightAfterACountChangeDoNotTeach) {
  UtilisationLearner l(0.7, 0.95, kSlo);
  // Every count change is followed by less than kSteadyFor of (slow, stale-window) ticks.
  for (int i = 0; i < 50; ++i) {
    const int replicas = 4 + i % 2;
    for (int k = 0; k < 7; ++k) l.observe(tick(), replicas, replicas, 0.6 * replicas * kPer, kPer, 0.9);
  }
  EXPECT_EQ(l.samples(UtilisationLearner::band_of(4)), 0);
  EXPECT_DOUBLE_EQ(l.utilisation(4), 0.7);
}

TEST(UtilisationLearner, AFewSlowTicksInABinAreTolerated) {
  UtilisationLearner l(0.7, 0.95, kSlo);
  service_with_knee(l, 4, 0.85);
  feed(l, 4, 0.77, 0.9, 1);  // 1 slow of 26 in [0.75, 0.80): 3.8% <= 5%
  EXPECT_NEAR(l.utilisation(4), 0.85, 1e-9);
  feed(l, 4, 0.77, 0.9, 1);  // 2 of 27: 7.4% > 5%: stops below that bin
  EXPECT_NEAR(l.utilisation(4), 0.75, 1e-9);
}

TEST(UtilisationLearner, OnlySteadyTicksWithFiniteValuesTeach) {
  UtilisationLearner l(0.7, 0.95, kSlo);
  for (int i = 0; i < 100; ++i) l.observe(tick(), 3, 4, 0.8 * 4 * kPer, kPer, 0.2);  // one not ready
  for (int i = 0; i < 100; ++i) l.observe(tick(), 4, 4, 0.8 * 4 * kPer, kPer, kNaN);
  for (int i = 0; i < 100; ++i) l.observe(tick(), 4, 4, 0, kPer, 0.2);
  for (int i = 0; i < 100; ++i) l.observe(tick(), 0, 0, 10, kPer, 0.2);
  for (int i = 0; i < 100; ++i) l.observe(tick(), 4, 4, 0.8 * 4 * kPer, 0, 0.2);
  for (std::size_t b = 0; b < UtilisationLearner::kBands; ++b) EXPECT_EQ(l.samples(b), 0) << b;
  EXPECT_DOUBLE_EQ(l.utilisation(4), 0.7);
}

TEST(UtilisationLearner, ABandWithoutEvidenceTakesTheBandBelow) {
  EXPECT_EQ(UtilisationLearner::band_of(1), 0u);
  EXPECT_EQ(UtilisationLearner::band_of(3), 1u);
  EXPECT_EQ(UtilisationLearner::band_of(4), 2u);
  EXPECT_EQ(UtilisationLearner::band_of(7), 2u);
  EXPECT_EQ(UtilisationLearner::band_of(1000), UtilisationLearner::kBands - 1);
  UtilisationLearner l(0.7, 0.95, kSlo);
  service_with_knee(l, 2, 0.8);
  service_with_knee(l, 16, 0.95);
  EXPECT_NEAR(l.utilisation(2), 0.8, 1e-9);
  EXPECT_NEAR(l.utilisation(5), 0.8, 1e-9);   // no evidence at 4-7: the 2-3 band's
  EXPECT_NEAR(l.utilisation(20), 0.95, 1e-9); // its own
  EXPECT_DOUBLE_EQ(l.utilisation(1), 0.7);    // nothing at or below 1 replica
}

namespace {

TargetSpec learning_target() {
  TargetSpec t;
  t.name = "web";
  t.capacity.per_replica = kPer;
  t.capacity.target_utilization = 0.5;
  t.capacity.max_utilization = 0.9;
  t.slo.latency_seconds = kSlo;
  t.scale_down_window = std::chrono::minutes(5);
  return t;
}

Observation obs(double load, double ready, double p99) {
  Observation o;
  const auto put = [&](const char* name, double v) {
    SignalValue s;
    s.status = SignalStatus::Ok;
    s.value = v;
    o.signals[name] = s;
  };
  put("load", load);
  put("ready_replicas", ready);
  put("latency", p99);
  return o;
}

}  // namespace

TEST(ScalingPlanner, PlansAtTheLearnedUtilisation) {
  ScalingPlanner planner;
  const TargetSpec t = learning_target();
  Prediction none;
  none.note = "not enough data";
  // 10 replicas, load wandering between 45% and 85% utilisation, p99 fine all along.
  TimePoint now(Duration(0));
  for (int i = 0; i < 400; ++i) {
    const double u = 0.45 + 0.4 * (i % 40) / 40.0;
    const Observation o = obs(u * 10 * kPer, 10, 0.2);
    now += std::chrono::seconds(15);
    (void)planner.plan({&t, &o, &none, 10, now});
  }
  // 840 req/s at 10 replicas: pinned at 50% that needs 17; learned 85% (the last well-observed
  // fine bin) carries it with 10 — the count stands.
  const Observation o = obs(840, 10, 0.2);
  const auto out = planner.plan({&t, &o, &none, 10, now + std::chrono::seconds(15)});
  EXPECT_EQ(out.desired_replicas, 10) << out.reason;
  EXPECT_NE(out.reason.find("learned at 8-15 replicas"), std::string::npos) << out.reason;

  TargetSpec pinned = t;
  pinned.capacity.learn_utilization = false;
  ScalingPlanner fixed;
  const auto out2 = fixed.plan({&pinned, &o, &none, 10, now});
  EXPECT_EQ(out2.desired_replicas, 17) << out2.reason;
  EXPECT_EQ(out2.reason.find("learn"), std::string::npos) << out2.reason;
}

TEST(ScalingPlanner, LearnsNothingWithoutALatencySlo) {
  ScalingPlanner planner;
  TargetSpec t = learning_target();
  t.slo.latency_seconds = 0;
  Prediction none;
  none.note = "not enough data";
  for (int i = 0; i < 400; ++i) {
    const Observation o = obs(0.8 * 10 * kPer, 10, 0.2);
    (void)planner.plan({&t, &o, &none, 10, TimePoint(std::chrono::seconds(15 * i))});
  }
  const Observation o = obs(840, 10, 0.2);
  EXPECT_EQ(planner.plan({&t, &o, &none, 10, TimePoint(std::chrono::hours(3))}).desired_replicas, 17);
}
