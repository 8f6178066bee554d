#include <gtest/gtest.h>

#include "agent/decide/planner.h"

using namespace opspilot::agent;
using namespace std::chrono_literals;

namespace {

TargetSpec target() {
  TargetSpec t;
  t.name = "web";
  t.capacity.per_replica = 100;
  t.capacity.target_utilization = 0.5;  // 50 per replica
  t.scale_down_window = 5min;
  return t;
}

Observation obs(double load) {
  Observation o;
  SignalValue v;
  v.status = SignalStatus::Ok;
  v.value = load;
  o.signals["load"] = v;
  return o;
}

Prediction forecast(double upper) {
  Prediction p;
  p.enough_data = true;
  p.mean = upper * 0.9;
  p.lower = upper * 0.8;
  p.upper = upper;
  p.horizon_seconds = 135;
  p.confidence = 0.8;
  return p;
}

Prediction none() {
  Prediction p;
  p.note = "not enough data";
  return p;
}

}  // namespace

TEST(ScalingPlanner, ReactiveFloorIsTheHpaFormula) {
  ScalingPlanner planner;
  const TargetSpec t = target();
  const Observation o = obs(420);  // 420 / 50 = 8.4 → ceil(8.4/4 × 4) = 9
  const Prediction p = none();
  const auto out = planner.plan({&t, &o, &p, 4, TimePoint(Duration(0))});
  EXPECT_EQ(out.action, "scale");
  EXPECT_EQ(out.desired_replicas, 9);
  EXPECT_NE(out.reason.find("current load"), std::string::npos) << out.reason;
}

TEST(ScalingPlanner, WithinTenPercentToleranceHolds) {
  ScalingPlanner planner;
  const TargetSpec t = target();
  const Observation o = obs(215);  // ratio 215/200 = 1.075 < 1.1
  const Prediction p = none();
  const auto out = planner.plan({&t, &o, &p, 4, TimePoint(Duration(0))});
  EXPECT_EQ(out.action, "hold");
  EXPECT_EQ(out.desired_replicas, 4);
}

TEST(ScalingPlanner, ForecastQuantileSizesAheadOfLoad) {
  ScalingPlanner planner;
  const TargetSpec t = target();
  const Observation o = obs(200);      // exactly 4 replicas' worth now
  const Prediction p = forecast(390);  // the 90% quantile of this band is ~376.5 → 8 replicas
  const auto out = planner.plan({&t, &o, &p, 4, TimePoint(Duration(0))});
  EXPECT_EQ(out.desired_replicas, 8);
  EXPECT_NE(out.reason.find("forecast q90 376.5"), std::string::npos) << out.reason;
}

TEST(ScalingPlanner, ForecastWithinTheToleranceBandKeepsTheCount) {
  ScalingPlanner planner;
  const TargetSpec t = target();
  const Observation o = obs(200);
  const Prediction p = forecast(225);  // q90 217 is a little above 4 replicas' worth, inside the 10% band
  const auto out = planner.plan({&t, &o, &p, 4, TimePoint(Duration(0))});
  EXPECT_EQ(out.action, "hold") << out.reason;
  EXPECT_EQ(out.desired_replicas, 4);
}

namespace {
/// A plan at a load of 400 (8 replicas' worth) at `now`: the recommendation later scale-downs
/// are stabilised against.
void recommend_eight(ScalingPlanner& planner, const TargetSpec& t, TimePoint now) {
  const Observation high = obs(400);
  const Prediction ph = forecast(400);
  EXPECT_EQ(planner.plan({&t, &high, &ph, 8, now}).desired_replicas, 8);
}
}  // namespace

TEST(ScalingPlanner, ScaleDownIsStabilisedOverTheWindow) {
  ScalingPlanner planner;
  const TargetSpec t = target();
  TimePoint now(Duration(1'000'000));
  recommend_eight(planner, t, now);
  // Load drops: the recommendation of 8 made 1 min ago still stands.
  Observation low = obs(100);
  Prediction pl = forecast(100);
  auto out = planner.plan({&t, &low, &pl, 8, now + 1min});
  EXPECT_EQ(out.action, "hold");
  EXPECT_NE(out.reason.find("stabilised"), std::string::npos) << out.reason;
  // After the window the scale-down goes through, keeping the 10% tolerance as headroom:
  // 100 / (50 × 0.9) → 3, not the 2 that would sit exactly at the target.
  out = planner.plan({&t, &low, &pl, 8, now + 7min});
  EXPECT_EQ(out.action, "scale");
  EXPECT_EQ(out.desired_replicas, 3);
  EXPECT_NE(out.reason.find("headroom"), std::string::npos) << out.reason;
}

TEST(ScalingPlanner, AGapInPlanningDoesNotShortenTheScaleDownWindow) {
  // No plan for 20 minutes (the load signal was missing, a rollback ran): the recommendation of 8
  // made before the gap stands until a whole window of fresh ones says otherwise.
  ScalingPlanner planner;
  const TargetSpec t = target();
  TimePoint now(Duration(1'000'000));
  recommend_eight(planner, t, now);
  Observation low = obs(100);
  Prediction pl = forecast(100);
  now += 20min;
  for (int tick = 0; tick < 20; ++tick, now += 15s) {  // 4m45s of fresh recommendations
    const auto out = planner.plan({&t, &low, &pl, 8, now});
    ASSERT_EQ(out.action, "hold") << "tick " << tick << ": " << out.reason;
    EXPECT_NE(out.reason.find("scale-down stabilised to 8"), std::string::npos) << out.reason;
  }
  now += 15s;  // 5 minutes of them: the window no longer reaches back before the gap
  const auto out = planner.plan({&t, &low, &pl, 8, now});
  EXPECT_EQ(out.action, "scale") << out.reason;
  EXPECT_EQ(out.desired_replicas, 3);
}

TEST(ScalingPlanner, NoScaleDownWithoutAForecast) {
  ScalingPlanner planner;
  const TargetSpec t = target();
  const Observation o = obs(50);
  const Prediction p = none();
  const auto out = planner.plan({&t, &o, &p, 8, TimePoint(Duration(0))});
  EXPECT_EQ(out.action, "hold");
  EXPECT_NE(out.reason.find("no scale-down without a forecast"), std::string::npos) << out.reason;
}

TEST(ScalingPlanner, UnknownCapacityHoldsAndSaysWhatToConfigure) {
  ScalingPlanner planner;
  TargetSpec t = target();
  t.capacity.per_replica = 0;
  const Observation o = obs(50);
  const Prediction p = none();
  const auto out = planner.plan({&t, &o, &p, 3, TimePoint(Duration(0))});
  EXPECT_EQ(out.action, "hold");
  EXPECT_NE(out.reason.find("capacity.per_replica"), std::string::npos);
}

TEST(ScalingPlanner, CapacityEstimatedFromSaturation) {
  TargetSpec t = target();
  t.capacity.per_replica = 0;
  Observation o = obs(300);
  SignalValue sat;
  sat.status = SignalStatus::Ok;
  sat.value = 0.75;
  o.signals["saturation"] = sat;
  const auto c = capacity_per_replica(t, o, 4);
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(*c, 100.0);  // 300 / (4 × 0.75)
  // Saturation is the ready replicas': after a scale to 8, with 4 of them ready, the estimate
  // stays 100 rather than halving while the new ones start.
  SignalValue ready;
  ready.status = SignalStatus::Ok;
  ready.value = 4;
  o.signals["ready_replicas"] = ready;
  EXPECT_DOUBLE_EQ(*capacity_per_replica(t, o, 8), 100.0);
}
