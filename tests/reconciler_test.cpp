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
