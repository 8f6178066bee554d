// The tick pipeline, stage by stage, with a scripted MetricSource (a mock of our own interface),
// the real series store, the real journal in a temp dir and the dry-run actuator.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>

#include <cmath>

#include "tests/reconciler_support.h"


TEST_F(Fixture, MissingDataHoldsAndIsJournaledOnceWhileUnchanged) {
  auto r = reconciler();
  source.load_missing = true;
  const Decision d1 = r.tick(*target);
  EXPECT_EQ(d1.state, DecisionState::Held);
  EXPECT_NE(d1.reason.find("connection refused"), std::string::npos) << d1.reason;
  EXPECT_FALSE(d1.id.empty());
  clock.advance(15s);
  const Decision d2 = r.tick(*target);
  EXPECT_EQ(d2.state, DecisionState::Held);
  EXPECT_TRUE(d2.id.empty()) << "an unchanged hold is not journaled again";
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(Fixture, StaleDataHolds) {
  auto r = reconciler();
  source.age = 5min;
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Held);
  EXPECT_NE(d.reason.find("stale"), std::string::npos) << d.reason;
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(Fixture, OverloadScalesUpAppliesAndVerifies) {
  auto r = reconciler();
  source.load = 400;  // 8 replicas' worth at 50 each; 2 running
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.action, "scale");
  EXPECT_EQ(d.state, DecisionState::Applied);
  EXPECT_EQ(d.desired_replicas, 8);
  EXPECT_TRUE(d.policy_checked);
  EXPECT_FALSE(d.policy.rules.empty());
  ASSERT_EQ(actuator.recorded().size(), 1u);
  EXPECT_EQ(actuator.recorded()[0].replicas, 8);
  // The journal saw Acting (before the call) and Applied (after).
  auto stored = journal->get(d.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, DecisionState::Applied);

  // Next tick verifies it (the dry-run backend reports done) and journals Verified.
  source.replicas = 8;
  clock.advance(15s);
  r.tick(*target);
  stored = journal->get(d.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, DecisionState::Verified);
}

TEST_F(Fixture, CooldownDeniesASecondScaleUp) {
  auto r = reconciler();
  source.load = 400;
  ASSERT_EQ(r.tick(*target).state, DecisionState::Applied);
  source.replicas = 8;
  clock.advance(15s);
  r.tick(*target);  // verifies
  source.load = 800;
  clock.advance(15s);
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Denied);
  EXPECT_NE(d.reason.find("cooldown.scale_up"), std::string::npos) << d.reason;
  EXPECT_EQ(actuator.recorded().size(), 1u);
}


TEST_F(Fixture, ALargerScaleUpReplacesOneWhoseReplicasAreStillStartingAndNothingElseDoes) {
  config.targets[0].limits.cooldown_up = 15s;
  reload_target();
  StartingActuator starting;
  Reconciler r = reconciler_acting_through(starting);
  source.load = 400;  // 8 replicas' worth; 2 running
  const Decision first = r.tick(*target);
  ASSERT_EQ(first.state, DecisionState::Applied) << first.reason;
  EXPECT_EQ(first.desired_replicas, 8);
  source.replicas = 8;  // the scale is set; its pods are starting

  // The same load: nothing more is needed, so the first waits for its replicas.
  clock.advance(15s);
  Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Held);
  EXPECT_NE(d.reason.find("waiting for " + first.id), std::string::npos) << d.reason;
  EXPECT_EQ(starting.applied.size(), 1u);

  // The load keeps rising: a larger scale-up replaces the one still starting.
  source.load = 700;
  clock.advance(15s);
  const Decision second = r.tick(*target);
  ASSERT_EQ(second.state, DecisionState::Applied) << second.reason;
  EXPECT_EQ(second.desired_replicas, 14);
  ASSERT_EQ(starting.applied.size(), 2u);
  const auto replaced = journal->get(first.id);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->state, DecisionState::Superseded);
  EXPECT_NE(replaced->outcome.find("superseded by " + second.id + " (scale to 14)"), std::string::npos)
      << replaced->outcome;
  source.replicas = 14;

  // Less load while the second is starting: never a scale-down before it is verified.
  source.load = 100;
  clock.advance(15s);
  d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Held);
  EXPECT_NE(d.reason.find("waiting for " + second.id), std::string::npos) << d.reason;
  EXPECT_EQ(starting.applied.size(), 2u);

  // Once ready, it is verified, and nothing is left in flight.
  starting.ready = true;
  clock.advance(15s);
  r.tick(*target);
  EXPECT_EQ(journal->get(second.id)->state, DecisionState::Verified);
  EXPECT_EQ(journal->get(first.id)->state, DecisionState::Superseded);
}

TEST_F(Fixture, ALargerScaleUpHeldBackOnlyByTheCooldownWaitsRatherThanIsDenied) {
  config.targets[0].limits.cooldown_up = 1min;
  reload_target();
  StartingActuator starting;
  Reconciler r = reconciler_acting_through(starting);
  source.load = 400;
  const Decision first = r.tick(*target);
  ASSERT_EQ(first.state, DecisionState::Applied) << first.reason;
  source.replicas = 8;
  // 30 s later the load asks for more: the cooldown the first scale-up started holds it back.
  source.load = 700;
  clock.advance(30s);
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Held) << d.reason;
  EXPECT_NE(d.reason.find("waiting for " + first.id), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("not before cooldown.scale_up"), std::string::npos) << d.reason;
  EXPECT_EQ(starting.applied.size(), 1u);
  // Past the cooldown it replaces the one still starting.
  clock.advance(45s);
  const Decision second = r.tick(*target);
  ASSERT_EQ(second.state, DecisionState::Applied) << second.reason;
  EXPECT_EQ(second.desired_replicas, 14);
  EXPECT_EQ(journal->get(first.id)->state, DecisionState::Superseded);
}

TEST_F(Fixture, ACapacityEstimatedFromSaturationDoesNotRunAwayWhileReplicasStart) {
  // No capacity.per_replica: estimated from the saturation of the ready replicas.
  TargetSpec& t = config.targets[0];
  t.capacity.per_replica = 0;
  t.capacity.target_utilization = 0.7;
  t.limits.max_replicas = 40;
  t.limits.cooldown_up = 15s;
  for (const char* role : {"saturation", "ready_replicas"}) t.signals[role] = SignalSpec{role, {}};
  target = std::make_unique<TargetState>(t, config.stale_after);
  StartingActuator starting;
  Reconciler r = reconciler_acting_through(starting);
  // 360 req/s on 4 ready replicas at 90%: a replica serves 100 at 100%, so 6 carry it at 70%.
  source.load = 360;
  source.replicas = source.ready = 4;
  source.saturation = 0.9;
  const Decision first = r.tick(*target);
  ASSERT_EQ(first.state, DecisionState::Applied) << first.reason;
  EXPECT_EQ(first.desired_replicas, 6);
  // The scale is set; its pods start while the 4 ready ones stay at 90%. Eight ticks later
  // nothing more was asked for.
  source.replicas = 6;
  for (int i = 0; i < 8; ++i) {
    clock.advance(15s);
    const Decision d = r.tick(*target);
    EXPECT_NE(d.state, DecisionState::Applied) << "tick " << i << ": " << d.reason;
  }
  EXPECT_EQ(starting.applied.size(), 1u);

  // Without the ready count the estimate cannot tell starting replicas from serving ones: the
  // scale in flight is waited for, never replaced.
  source.ready = std::nan("");
  for (int i = 0; i < 4; ++i) {
    clock.advance(15s);
    const Decision d = r.tick(*target);
    EXPECT_EQ(d.state, DecisionState::Held) << "tick " << i << ": " << d.reason;
  }
  EXPECT_EQ(starting.applied.size(), 1u);
}

TEST_F(Fixture, AScaleThePoliciesTurnAroundSaysSo) {
  auto r = reconciler();
  source.replicas = 25;  // above max_replicas 20 (scaled by hand, or the limit was lowered)
  source.load = 3000;    // the planner wants 60
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Applied) << d.reason;
  EXPECT_EQ(d.desired_replicas, 20);
  EXPECT_NE(d.reason.find("the policies adjust it to 20, a scale-down from 25"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("bounds.max_replicas"), std::string::npos) << d.reason;
}

TEST(ReadinessMeter, NinetiethPercentileOfTheLastTwentyOnceThreeAreMeasured) {
  ReadinessMeter m;
  m.add(2min);
  m.add(3min);
  EXPECT_FALSE(m.p90()) << "two scale-ups are not a measurement";
  m.add(150s);
  EXPECT_EQ(m.p90(), Duration(3min));  // nearest rank: ceil(0.9 × 3) = the 3rd of 2m, 2m30s, 3m
  for (int i = 0; i < 20; ++i) m.add(1min);
  EXPECT_EQ(m.size(), ReadinessMeter::kKeep);
  EXPECT_EQ(m.p90(), Duration(1min)) << "the older, slower ones have aged out";
  m.add(-1s);
  EXPECT_EQ(m.size(), ReadinessMeter::kKeep) << "a negative time is not a sample";
}

TEST_F(Fixture, ScaleUpsSlowerThanTheConfiguredReadinessLengthenTheForecastHorizon) {
  config.targets[0].limits.cooldown_up = 15s;
  config.targets[0].readiness_delay = 2min;
  reload_target();
  StartingActuator starting;
  Reconciler r = reconciler_acting_through(starting);
  // Three scale-ups whose replicas take 4 minutes to be ready.
  for (double load : {400.0, 600.0, 800.0}) {
    source.load = load;
    clock.advance(15s);
    const Decision d = r.tick(*target);
    ASSERT_EQ(d.state, DecisionState::Applied) << d.reason;
    EXPECT_EQ(d.prediction.horizon_seconds, 135) << "2m + one interval until measured";
    source.replicas = d.desired_replicas;
    starting.ready = false;
    for (int i = 0; i < 15; ++i) {
      clock.advance(15s);
      r.tick(*target);
    }
    starting.ready = true;
    clock.advance(15s);
    r.tick(*target);  // verified 4 minutes after it was applied
    ASSERT_EQ(journal->get(d.id)->state, DecisionState::Verified);
  }
  clock.advance(15s);
  const Decision next = r.tick(*target);
  EXPECT_EQ(next.prediction.horizon_seconds, 255) << "the measured 4m + one interval";
  EXPECT_NE(next.prediction.note.find("horizon from the measured readiness: p90 4m over the last 3 scale-ups "
                                      "(readiness_delay 2m)"),
            std::string::npos)
      << next.prediction.note;
}

TEST_F(Fixture, DryRunPlansWithoutActing) {
  config.mode = Mode::DryRun;
  auto r = reconciler();
  source.load = 400;
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Planned);
  ASSERT_FALSE(d.calls.empty());
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(Fixture, NoActionWhenTheDecisionCannotBeJournaled) {
  // A file-size limit makes every further journal write fail (EFBIG), as a full disk would.
  auto r = reconciler();
  source.load = 100;  // right-sized: a hold is journaled first, so the segment exists
  r.tick(*target);
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* previous = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit tiny = old;
  tiny.rlim_cur = 1;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
  source.load = 400;
  clock.advance(15s);
  const Decision d = r.tick(*target);
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, previous);
  EXPECT_EQ(d.state, DecisionState::Failed);
  EXPECT_NE(d.error.find("not acted"), std::string::npos) << d.error;
  EXPECT_TRUE(actuator.recorded().empty()) << "nothing may act on an unrecorded decision";
  // Once the disk has room again, the journal and the loop go on.
  clock.advance(2min);
  const Decision next = r.tick(*target);
  EXPECT_EQ(next.state, DecisionState::Applied) << next.reason << " " << next.error;
}
