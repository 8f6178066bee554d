// Remediation through the Reconciler: the real journal in a temp dir, the real series store and
// policies, a scripted MetricSource and a scripted actuator (mocks of our own interfaces). An
// action, its recovery verification passing and failing, the follow-up and the escalation, no
// restart loop, an actuator failing mid-action, approval for a rollback, and a dependency outage
// that is escalated and never acted on.
#include <gtest/gtest.h>

#include <fstream>

#include "actuators/dryrun/dryrun_actuator.h"
#include "agent/approve/approval_book.h"
#include "agent/loop/reconciler.h"
#include "policies/policy_set.h"
#include "tests/test_support.h"

using namespace opspilot::agent;
using namespace std::chrono_literals;
namespace act = opspilot::actuators;

namespace {

struct Scripted : MetricSource {
  double load = 100, replicas = 4, errors = 0.1, dep = 0, latency = 0.2, restarts = 0, revision = 1;
  bool latency_missing = false;
  std::vector<std::pair<std::string, double>> pods;
  Observation observe(const TargetSpec&, TimePoint now) override {
    Observation o;
    o.at = now;
    auto put = [&](const char* role, double v) {
      SignalValue x;
      x.status = SignalStatus::Ok;
      x.value = v;
      x.sampled_at = now;
      o.signals[role] = x;
    };
    put("load", load);
    put("replicas", replicas);
    put("errors", errors);
    put("dependency_errors", dep);
    put("restarts", restarts);
    put("revision", revision);
    if (latency_missing) {
      SignalValue x;
      x.status = SignalStatus::Missing;
      x.error = "no data: query returned no series";
      o.signals["latency"] = x;
    } else {
      put("latency", latency);
    }
    if (!pods.empty()) {
      SignalValue x;
      x.status = SignalStatus::Ok;
      x.sampled_at = now;
      x.value = 0;
      for (const auto& [pod, v] : pods) x.series.push_back(SeriesValue{{{"pod", pod}}, v});
      o.signals["pod_latency"] = x;
    }
    return o;
  }
};

/// Records what it is asked; apply can fail, verify can stay in progress.
struct ScriptedActuator : act::Actuator {
  std::vector<act::Action> applied;
  bool fail_apply = false;
  act::VerifyState verify_state = act::VerifyState::Done;
  std::string name() const override { return "scripted"; }
  std::vector<act::ApiCall> plan(const act::Action& a) const override {
    return {act::ApiCall{"POST", "scripted://" + a.target.name, act::to_string(a.kind), 0, ""}};
  }
  act::ApplyResult apply(const act::Action& a) override {
    act::ApplyResult r;
    r.calls = plan(a);
    r.calls[0].status = fail_apply ? 503 : 200;
    if (fail_apply) {
      r.error = "the API answered 503 Service Unavailable while patching " + a.target.name;
      r.retryable = true;
    } else {
      r.ok = true;
      applied.push_back(a);
    }
    return r;
  }
  act::VerifyResult verify(const act::Action&) override {
    act::VerifyResult v;
    v.state = verify_state;
    v.detail = verify_state == act::VerifyState::Done ? "4 of 4 replicas updated and ready" : "2 of 4 replicas updated";
    return v;
  }
  int count(act::ActionKind k) const {
    return static_cast<int>(std::count_if(applied.begin(), applied.end(), [&](const act::Action& a) { return a.kind == k; }));
  }
};

struct RecordingNotifier : ApprovalNotifier {
  std::vector<Decision> escalations;
  void requested(Decision&) override {}
  void settled(const Decision&) override {}
  std::string escalate(const Decision& d) override {
    escalations.push_back(d);
    return {};
  }
};

struct Loop : ::testing::Test {
  opspilot::test::TempDir dir;
  ManualClock clock{TimePoint(Duration(1'800'000'000'000))};
  Scripted source;
  std::unique_ptr<SeriesStore> store = std::make_unique<SeriesStore>(clock);
  LinearTrendPredictor predictor;
  ScriptedActuator actuator;
  RecordingNotifier notifier;
  std::unique_ptr<Journal> journal;
  AgentMetrics metrics;
  Config config;
  std::unique_ptr<TargetState> target;
  std::vector<Decision> journaled;

  void SetUp() override {
    config.interval = 15s;
    config.stale_after = 1min;
    config.mode = Mode::Active;
    TargetSpec t;
    t.name = "web";
    t.namespace_ = "prod";
    for (const char* role : {"load", "replicas", "errors", "dependency_errors", "latency", "restarts", "revision"})
      t.signals[role] = SignalSpec{role, {}};
    t.capacity.per_replica = 50;  // 100 req/s on 4 replicas: right-sized, the scaling planner holds
    t.capacity.target_utilization = 0.5;
    t.limits.max_replicas = 20;
    t.readiness_delay = 1min;
    t.remediation.deploy_window = 5min;
    config.targets.push_back(t);
    target = std::make_unique<TargetState>(t, config.stale_after);
    std::string err;
    JournalSpec js;
    js.path = dir.file("journal");
    journal = Journal::open(JournalOptions::from_spec(js, &clock), &err);
    ASSERT_TRUE(journal) << err;
  }
  Reconciler reconciler(const opspilot::policies::PolicyEvaluator* policies = nullptr, ApprovalBook* book = nullptr) {
    Reconciler r(config, Stages{&clock, &source, store.get(), &predictor, &actuator, journal.get(), &metrics, nullptr,
                                policies, book, &notifier});
    r.on_decision([this](const Decision& d) { journaled.push_back(d); });
    return r;
  }
  /// prod/web's policy: rollbacks need the `oncall` token's approval, requests live `ttl`.
  std::unique_ptr<opspilot::policies::PolicySet> rollback_needs_approval(const std::string& ttl) {
    const std::string file = dir.file("prod.yaml");
    std::ofstream(file) << "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata: {name: prod}\nspec:\n"
                           "  targets: [{namespace: prod, name: web}]\n  actions: [scale, restart, rollback]\n"
                           "  approval:\n    ttl: " << ttl << "\n    rules:\n      - name: rollback\n"
                           "        kinds: [rollback]\n        approvers: {tokens: [oncall]}\n";
    auto policies = std::make_unique<opspilot::policies::PolicySet>(std::vector<std::string>{file});
    const auto rep = policies->reload();
    EXPECT_TRUE(rep.ok) << opspilot::policies::format_diagnostics(rep.diagnostics);
    return policies;
  }
  /// Healthy ticks, then revision 2 with p99 at 0.9 s: ticks until the rollback it calls for.
  Decision bad_deploy_rollback(Reconciler& r) {
    healthy(r, 20);
    source.revision = 2;
    source.latency = 0.9;
    return until(r, "rollback");
  }
  Decision tick(Reconciler& r) {
    clock.advance(15s);
    return r.tick(*target);
  }
  void healthy(Reconciler& r, int n) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(tick(r).action, "hold");
  }
  /// Ticks until a decision with `action` comes (at most `max` ticks).
  Decision until(Reconciler& r, const std::string& action, int max = 30, const std::function<void()>& each = {}) {
    for (int i = 0; i < max; ++i) {
      if (each) each();
      const Decision d = tick(r);
      if (d.action == action) return d;
    }
    ADD_FAILURE() << "no " << action << " decision within " << max << " ticks";
    return {};
  }
  /// The decision of the tick that settled (it may already be the follow-up: a failed action's
  /// successor is proposed in the tick that found it failed).
  Decision last;
  /// The follow-up: the settling tick's decision, or one of the next `max` ticks'.
  Decision follow_up(Reconciler& r, const std::string& action, int max = 3, const std::function<void()>& each = {}) {
    if (last.action == action) return last;
    return until(r, action, max, each);
  }
  /// Ticks until the journal holds `id` in a final state.
  Decision settle(Reconciler& r, const std::string& id, int max = 60, const std::function<void()>& each = {}) {
    for (int i = 0; i < max; ++i) {
      if (each) each();
      last = tick(r);
      auto d = journal->get(id);
      if (d && is_terminal(d->state)) return *d;
    }
    ADD_FAILURE() << id << " did not settle within " << max << " ticks";
    return {};
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_F(Loop, BadDeployIsRolledBackAndVerifiedWhenLatencyRecovers) {
  auto r = reconciler();
  healthy(r, 20);
  source.revision = 2;
  source.latency = 0.9;
  const Decision d = until(r, "rollback");
  EXPECT_EQ(d.state, DecisionState::Applied) << d.reason << " " << d.error;
  EXPECT_EQ(d.remediation.incident_class, "bad_deploy");
  EXPECT_EQ(d.remediation.recovery, "pending");
  EXPECT_TRUE(d.policy_checked);
  ASSERT_EQ(actuator.count(act::ActionKind::Rollback), 1);
  EXPECT_EQ(actuator.applied[0].decision_id, d.id);
  // Journaled before acting, and after.
  ASSERT_TRUE(journal->get(d.id));
  EXPECT_EQ(journal->get(d.id)->remediation.incident_class, "bad_deploy");

  source.revision = 1;  // the rollback lands
  source.latency = 0.2;
  const Decision v = settle(r, d.id);
  EXPECT_EQ(v.state, DecisionState::Verified) << v.outcome;
  EXPECT_EQ(v.remediation.recovery, "pass") << v.remediation.recovery_detail;
  EXPECT_TRUE(v.remediation.rolled_out);
  EXPECT_TRUE(has(v.outcome, "recovered")) << v.outcome;
  EXPECT_TRUE(has(explain(v), "Remediation: incident class bad_deploy")) << explain(v);
  // Healthy again: nothing more happens.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(tick(r).action, "hold");
  EXPECT_EQ(actuator.applied.size(), 1u);
  EXPECT_TRUE(notifier.escalations.empty());
}

TEST_F(Loop, StrongEvidenceRollsBackOnTheSecondTickAndOneSpikeNever) {
  auto r = reconciler();
  healthy(r, 20);
  source.revision = 2;
  healthy(r, 1);  // the deploy itself
  // One overwhelming sample right after the deploy, then healthy: never acted on.
  for (int round = 0; round < 3; ++round) {
    source.latency = 20;  // 100× the baseline
    source.errors = 50;   // half the requests failing
    EXPECT_EQ(tick(r).action, "hold");
    source.latency = 0.2;
    source.errors = 0.1;
    healthy(r, 4);
  }
  EXPECT_TRUE(actuator.applied.empty());
  // Two strong samples in a row (p99 0.9 s: 3× the 0.3 s threshold): the second acts.
  source.latency = 0.9;
  const Decision first = tick(r);
  EXPECT_EQ(first.action, "hold");
  EXPECT_EQ(first.remediation.incident_class, "bad_deploy");
  const Decision d = tick(r);
  ASSERT_EQ(d.action, "rollback") << d.reason;
  EXPECT_EQ(d.state, DecisionState::Applied) << d.reason << " " << d.error;
  EXPECT_TRUE(has(d.reason, "acting after 2 ticks, not 3: the evidence was strong on each of them")) << d.reason;
  ASSERT_TRUE(journal->get(d.id));
  EXPECT_TRUE(has(journal->get(d.id)->reason, "acting after 2 ticks")) << "the record says why it did not wait";
  EXPECT_EQ(actuator.count(act::ActionKind::Rollback), 1);
}

TEST_F(Loop, ARestartThatDoesNotHelpIsFollowedByAnEscalationNeverASecondRestart) {
  auto r = reconciler();
  healthy(r, 20);
  const auto crash = [&] { source.restarts += 1; };
  const Decision d = until(r, "restart", 30, crash);
  ASSERT_EQ(d.state, DecisionState::Applied) << d.reason;
  EXPECT_EQ(d.remediation.incident_class, "crash_loop");
  EXPECT_TRUE(d.params.empty());
  // The pods keep crashing after the fresh ones are up.
  const Decision f = settle(r, d.id, 60, crash);
  EXPECT_EQ(f.state, DecisionState::Failed);
  EXPECT_EQ(f.remediation.recovery, "fail") << f.remediation.recovery_detail;
  EXPECT_TRUE(has(f.outcome, "did not recover")) << f.outcome;

  const Decision e = follow_up(r, "escalate", 5, crash);
  EXPECT_EQ(e.state, DecisionState::Held);
  EXPECT_EQ(e.remediation.follow_up_of, d.id);
  ASSERT_EQ(notifier.escalations.size(), 1u);
  EXPECT_EQ(notifier.escalations[0].id, e.id);
  EXPECT_TRUE(has(escalation_text(e), "crash_loop")) << escalation_text(e);
  ASSERT_TRUE(journal->get(e.id));
  EXPECT_EQ(journal->get(e.id)->action, "escalate");

  // However long it goes on: no restart loop, no second escalation.
  for (int i = 0; i < 80; ++i) {
    crash();
    const Decision x = tick(r);
    EXPECT_NE(x.action, "restart");
    EXPECT_NE(x.action, "rollback");
  }
  EXPECT_EQ(actuator.count(act::ActionKind::Restart), 1);
  EXPECT_EQ(notifier.escalations.size(), 1u);
}

TEST_F(Loop, AFailedRestartIsFollowedByARollbackWhenADeployIsImplicated) {
  target->spec.remediation.deploy_window = 1min;  // too old for a direct rollback...
  target->remediation = std::make_unique<RemediationPlanner>(target->spec.remediation);
  auto r = reconciler();
  healthy(r, 20);
  source.revision = 2;
  healthy(r, 12);  // ...three minutes later the new pods start crashing
  const auto crash = [&] { source.restarts += 1; };
  const Decision d = until(r, "restart", 30, crash);
  ASSERT_EQ(d.state, DecisionState::Applied);
  const Decision f = settle(r, d.id, 60, crash);
  EXPECT_EQ(f.state, DecisionState::Failed);
  const Decision rb = follow_up(r, "rollback", 3, crash);
  EXPECT_EQ(rb.state, DecisionState::Applied) << rb.reason;
  EXPECT_EQ(rb.remediation.follow_up_of, d.id);
  EXPECT_TRUE(has(rb.reason, "revision 1 -> 2")) << rb.reason;
  EXPECT_EQ(actuator.count(act::ActionKind::Rollback), 1);
}

TEST_F(Loop, DependencyOutageIsEscalatedOnceAndNeverActedOn) {
  auto r = reconciler();
  healthy(r, 20);
  source.dep = 10;
  source.errors = 10.1;
  source.latency = 0.6;
  const Decision e = until(r, "escalate");
  EXPECT_EQ(e.remediation.incident_class, "dependency_outage");
  EXPECT_FALSE(e.policy_checked) << "nothing to check: nothing will act";
  for (int i = 0; i < 60; ++i) {
    const Decision x = tick(r);
    EXPECT_TRUE(x.action == "hold" || x.action == "scale") << x.action << ": " << x.reason;
  }
  EXPECT_EQ(actuator.count(act::ActionKind::Restart), 0);
  EXPECT_EQ(actuator.count(act::ActionKind::Rollback), 0);
  EXPECT_EQ(notifier.escalations.size(), 1u);
}

TEST_F(Loop, BadPodIsReplacedThroughTheActuatorWithItsName) {
  source.pods = {{"web-a", 0.2}, {"web-b", 0.2}, {"web-c", 0.21}, {"web-d", 0.19}};
  auto r = reconciler();
  healthy(r, 20);
  source.pods[1].second = 1.5;
  source.latency = 1.4;
  const Decision d = until(r, "restart");
  ASSERT_EQ(d.state, DecisionState::Applied) << d.reason;
  ASSERT_EQ(actuator.applied.size(), 1u);
  EXPECT_EQ(actuator.applied[0].param("mode"), "evict");
  EXPECT_EQ(actuator.applied[0].param("pod"), "web-b");
  EXPECT_EQ(journal->get(d.id)->params.at("pod"), "web-b");
  source.pods[1].second = 0.2;  // the replacement is healthy
  source.latency = 0.2;
  const Decision v = settle(r, d.id);
  EXPECT_EQ(v.state, DecisionState::Verified) << v.outcome;
}

TEST_F(Loop, ActuatorFailureMidActionIsRecordedAndEscalatedNotRetried) {
  auto r = reconciler();
  healthy(r, 20);
  actuator.fail_apply = true;
  const auto crash = [&] { source.restarts += 1; };
  const Decision d = until(r, "restart", 30, crash);
  EXPECT_EQ(d.state, DecisionState::Failed);
  EXPECT_TRUE(has(d.error, "503")) << d.error;
  EXPECT_EQ(journal->get(d.id)->state, DecisionState::Failed);
  const Decision e = until(r, "escalate", 3, crash);
  EXPECT_EQ(e.remediation.follow_up_of, d.id);
  EXPECT_TRUE(has(e.reason, "was not carried out")) << e.reason;
  for (int i = 0; i < 30; ++i) {
    crash();
    EXPECT_NE(tick(r).action, "restart");
  }
}

TEST_F(Loop, ARolloutThatNeverFinishesFailsAtItsDeadline) {
  auto r = reconciler();
  healthy(r, 20);
  actuator.verify_state = act::VerifyState::InProgress;
  source.revision = 2;
  source.latency = 0.9;
  const Decision d = until(r, "rollback");
  ASSERT_EQ(d.state, DecisionState::Applied);
  const Decision f = settle(r, d.id);
  EXPECT_EQ(f.state, DecisionState::Failed);
  EXPECT_EQ(f.remediation.recovery, "not_rolled_out") << f.outcome;
  const Decision e = follow_up(r, "escalate", 3);
  EXPECT_EQ(e.remediation.follow_up_of, d.id);
}

TEST_F(Loop, RecoveryWithoutDataIsRecordedAsNoData) {
  auto r = reconciler();
  healthy(r, 20);
  source.revision = 2;
  source.latency = 0.9;
  const Decision d = until(r, "rollback");
  ASSERT_EQ(d.state, DecisionState::Applied);
  source.revision = 1;
  source.latency_missing = true;
  const Decision f = settle(r, d.id);
  EXPECT_EQ(f.state, DecisionState::Failed);
  EXPECT_EQ(f.remediation.recovery, "no_data") << f.remediation.recovery_detail;
  EXPECT_TRUE(has(f.outcome, "no data")) << f.outcome;
}

TEST_F(Loop, ARollbackWaitsForApprovalWhenAPolicyAsks) {
  const auto policies = rollback_needs_approval("10m");
  ApprovalBook book;
  auto r = reconciler(policies.get(), &book);
  const Decision d = bad_deploy_rollback(r);
  ASSERT_EQ(d.state, DecisionState::PendingApproval) << d.reason;
  EXPECT_TRUE(actuator.applied.empty());
  EXPECT_EQ(tick(r).state, DecisionState::Held);
  ASSERT_EQ(book.answer(d.id, true, Approver{"token", "oncall", "", {}}, "yes, roll back", clock.now()).status, 200);
  const Decision run = tick(r);
  EXPECT_EQ(run.id, d.id);
  EXPECT_EQ(run.state, DecisionState::Applied) << run.reason;
  EXPECT_EQ(actuator.count(act::ActionKind::Rollback), 1);
  EXPECT_EQ(run.remediation.incident_class, "bad_deploy");
}

TEST_F(Loop, AnEscalationSupersedesARemediationStillWaitingForApproval) {
  const auto policies = rollback_needs_approval("30m");
  ApprovalBook book;
  auto r = reconciler(policies.get(), &book);
  const Decision d = bad_deploy_rollback(r);
  ASSERT_EQ(d.state, DecisionState::PendingApproval) << d.reason;
  // While nobody has answered, errors from a dependency appear beside the new revision's latency:
  // the signals conflict, nothing of ours is sure to help, and the escalation is posted without
  // waiting for the request's 30 minutes.
  source.dep = 10;
  source.errors = 10.1;
  const Decision e = until(r, "escalate", 12);
  EXPECT_TRUE(has(e.reason, "dependenc")) << e.reason;
  const auto old = journal->get(d.id);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->state, DecisionState::Superseded);
  EXPECT_TRUE(has(old->outcome, "superseded before it was answered")) << old->outcome;
  EXPECT_EQ(notifier.escalations.size(), 1u);
  // The request is closed: a late approval finds nothing to run.
  EXPECT_EQ(book.answer(d.id, true, Approver{"token", "oncall", "", {}}, "", clock.now()).status, 404);
  for (int i = 0; i < 8; ++i) tick(r);
  EXPECT_EQ(actuator.count(act::ActionKind::Rollback), 0);
}
