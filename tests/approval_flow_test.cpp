// The approval gate in the tick: a needs_approval verdict opens a request and holds the target;
// an answer settles it at the next tick — denied, expired, or approved and re-checked against the
// policies and the current state before anything runs. Real policies (PolicySet over files in a
// temp dir), the real journal and the dry-run actuator (which counts what was applied).
#include <fstream>

#include "agent/approve/approval_book.h"
#include "policies/policy_set.h"
#include "tests/reconciler_support.h"

namespace {

using opspilot::policies::PolicySet;

// The fixture's clock starts at 2027-01-15T08:00:00Z.
const char* kPolicy = R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: web}
spec:
  targets: [{namespace: default, name: web}]
  actions: [scale]
  approval:
    ttl: 10m
    on_expiry: deny
    rules:
      - name: big
        kinds: [scale_up]
        min_step: 5
        approvers: {tokens: [oncall], slack_users: [U1]}
)";

const char* kFreeze = R"(  freezes:
    - {name: january, from: 2027-01-10, to: 2027-01-20, kinds: [scale_up]}
)";

struct ApprovalFlow : Fixture {
  std::string policy_file;
  std::unique_ptr<PolicySet> policies;
  ApprovalBook book;

  void SetUp() override {
    Fixture::SetUp();
    policy_file = dir.file("web.yaml");
    write_policy(kPolicy);
    policies = std::make_unique<PolicySet>(std::vector<std::string>{policy_file});
    const auto rep = policies->reload();
    ASSERT_TRUE(rep.ok) << opspilot::policies::format_diagnostics(rep.diagnostics);
    source.replicas = 2;
    source.load = 1000;  // wants 20 replicas: a step of 18, which the "big" rule sends to a human
  }
  void write_policy(const std::string& text) { std::ofstream(policy_file) << text; }
  Approver token(const std::string& name) { return Approver{"token", name, "", {}}; }

  /// Ticks until a request is open; returns its decision.
  Decision request(Reconciler& r) {
    const Decision d = r.tick(*target);
    EXPECT_EQ(d.state, DecisionState::PendingApproval) << d.reason;
    return d;
  }
};

}  // namespace

TEST_F(ApprovalFlow, NeedsApprovalOpensARequestAndHoldsUntilAnswered) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  EXPECT_EQ(d.approval.status, "pending");
  EXPECT_EQ(d.approval.rules, std::vector<std::string>{"web/approval.big"});
  EXPECT_EQ(d.approval.tokens, std::vector<std::string>{"oncall"});
  EXPECT_EQ(d.approval.expires - d.approval.requested, Duration(10min));
  EXPECT_NE(d.reason.find("waiting for approval"), std::string::npos) << d.reason;
  ASSERT_EQ(book.list().size(), 1u);
  EXPECT_EQ(book.pending_count(), 1u);
  ASSERT_TRUE(journal->get(d.id));
  EXPECT_EQ(journal->get(d.id)->state, DecisionState::PendingApproval);

  clock.advance(15s);
  const Decision held = r.tick(*target);
  EXPECT_EQ(held.state, DecisionState::Held);
  EXPECT_NE(held.reason.find("waiting for approval of " + d.id), std::string::npos) << held.reason;
  EXPECT_TRUE(actuator.recorded().empty());  // nothing ran
}

TEST_F(ApprovalFlow, ApprovedActionIsRecheckedAndRunsOnce) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  clock.advance(20s);
  const AnswerResult a = book.answer(d.id, true, token("oncall"), "peak is real", clock.now());
  ASSERT_EQ(a.status, 200) << a.error;
  clock.advance(15s);
  const Decision ran = r.tick(*target);
  EXPECT_EQ(ran.id, d.id);  // the same decision, carried out
  EXPECT_EQ(ran.state, DecisionState::Applied) << ran.reason << " " << ran.error;
  EXPECT_EQ(ran.desired_replicas, 20);
  EXPECT_EQ(ran.approval.status, "approved");
  EXPECT_EQ(ran.approval.decided_by, "token:oncall");
  EXPECT_EQ(ran.approval.note, "peak is real");
  EXPECT_NE(ran.reason.find("re-checked at execution"), std::string::npos) << ran.reason;
  ASSERT_EQ(actuator.recorded().size(), 1u);
  EXPECT_EQ(actuator.recorded()[0].replicas, 20);
  EXPECT_TRUE(book.list().empty());
  const auto journaled = journal->get(d.id);
  ASSERT_TRUE(journaled);
  EXPECT_EQ(journaled->approval.decided_by, "token:oncall");
  // A second answer finds nothing open.
  EXPECT_EQ(book.answer(d.id, true, token("oncall"), "", clock.now()).status, 404);
}

TEST_F(ApprovalFlow, ApprovalNeverRunsMoreThanWasApproved) {
  auto r = reconciler(policies.get(), &book);
  source.load = 700;  // 14 replicas
  const Decision d = request(r);
  ASSERT_EQ(d.desired_replicas, 14);
  book.answer(d.id, true, token("oncall"), "", clock.now());
  source.load = 1000;  // now it would want 20: the approval covered 14
  clock.advance(15s);
  const Decision ran = r.tick(*target);
  EXPECT_EQ(ran.state, DecisionState::Applied) << ran.reason;
  EXPECT_EQ(ran.desired_replicas, 14);
}

TEST_F(ApprovalFlow, TheRolloutDeadlineRunsFromExecutionNotFromTheRequest) {
  StartingActuator starting;
  Reconciler r = reconciler_acting_through(starting, policies.get(), &book);
  source.load = 700;  // 14 replicas: a step of 12, sent to a human
  const Decision d = request(r);
  for (int i = 0; i < 28; ++i) {  // 7 minutes pass unanswered, within the 10m TTL
    clock.advance(15s);
    r.tick(*target);
  }
  ASSERT_EQ(book.answer(d.id, true, token("oncall"), "", clock.now()).status, 200);
  clock.advance(15s);
  const Decision ran = r.tick(*target);
  ASSERT_EQ(ran.state, DecisionState::Applied) << ran.reason;
  ASSERT_TRUE(ran.applied);
  EXPECT_EQ(*ran.applied, clock.now());
  // Its pods start: 7 minutes after the request, but 15 s after it was applied, it is still in
  // flight, not failed against a deadline that counted the wait for the human.
  source.replicas = 14;
  clock.advance(15s);
  r.tick(*target);
  const auto j = journal->get(d.id);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->state, DecisionState::Applied) << j->outcome;
  ASSERT_TRUE(j->applied) << "journaled with the time it was applied";
  EXPECT_EQ(*j->applied, *ran.applied);
  // Once ready it is verified, and the readiness measured is the rollout's (30 s), not the wait.
  starting.ready = true;
  clock.advance(15s);
  r.tick(*target);
  EXPECT_EQ(journal->get(d.id)->state, DecisionState::Verified);
}

TEST_F(ApprovalFlow, AnApprovedScaleUpNeverRunsAsAScaleDown) {
  auto r = reconciler(policies.get(), &book);
  source.load = 700;  // 14 replicas: a step of 12, sent to a human
  const Decision d = request(r);
  ASSERT_EQ(d.desired_replicas, 14);
  source.replicas = 16;  // someone scaled by hand while the request was open
  source.load = 1000;    // and 20 are needed now: a step of 4, which needs nobody
  book.answer(d.id, true, token("oncall"), "", clock.now());
  clock.advance(15s);
  const Decision now = r.tick(*target);
  const auto old = journal->get(d.id);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->state, DecisionState::Superseded);
  EXPECT_NE(old->outcome.find("the replicas are already at 16 (the approval was for 14)"), std::string::npos)
      << old->outcome;
  // Decided afresh from 16: up to 20, never down to the approved 14.
  EXPECT_EQ(now.state, DecisionState::Applied) << now.reason;
  EXPECT_EQ(now.current_replicas, 16);
  EXPECT_EQ(now.desired_replicas, 20);
  for (const auto& a : actuator.recorded()) EXPECT_GE(a.replicas, 16);
}

TEST_F(ApprovalFlow, DenialIsRecordedWithWhoAndWhy) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  Approver op = token("night-operator");
  op.may_veto = true;  // an operator's veto needs no place among the approvers
  ASSERT_EQ(book.answer(d.id, false, op, "load test, not real traffic", clock.now()).status, 200);
  clock.advance(15s);
  r.tick(*target);
  const auto settled = journal->get(d.id);
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->state, DecisionState::Denied);
  EXPECT_NE(settled->reason.find("denied by token:night-operator: load test, not real traffic"), std::string::npos)
      << settled->reason;
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(ApprovalFlow, OnlyNamedApproversMayApprove) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  const AnswerResult stranger = book.answer(d.id, true, token("intern"), "", clock.now());
  EXPECT_EQ(stranger.status, 403);
  EXPECT_NE(stranger.error.find("not among the approvers"), std::string::npos) << stranger.error;
  const AnswerResult slack_stranger = book.answer(d.id, true, Approver{"slack", "U9", "mallory", {}}, "", clock.now());
  EXPECT_EQ(slack_stranger.status, 403);
  EXPECT_EQ(book.answer(d.id, true, Approver{"slack", "U1", "alice", {}}, "", clock.now()).status, 200);
  // Already answered: 409 says by whom.
  const AnswerResult again = book.answer(d.id, false, token("oncall"), "no", clock.now());
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.error.find("slack:U1 (alice)"), std::string::npos) << again.error;
}

TEST_F(ApprovalFlow, UnansweredRequestExpiresIntoADenial) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  clock.advance(10min);
  EXPECT_EQ(book.answer(d.id, true, token("oncall"), "", clock.now()).status, 409);  // too late
  r.tick(*target);
  const auto settled = journal->get(d.id);
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->state, DecisionState::Denied);
  EXPECT_EQ(settled->approval.status, "expired");
  EXPECT_NE(settled->reason.find("expired"), std::string::npos) << settled->reason;
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(ApprovalFlow, ExpiryAlsoSettlesWhileDataIsMissing) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  source.load_missing = true;
  clock.advance(11min);
  r.tick(*target);
  EXPECT_EQ(journal->get(d.id)->state, DecisionState::Denied);
  EXPECT_TRUE(book.list().empty());
}

TEST_F(ApprovalFlow, FreezeThatBeganAfterApprovalRefusesIt) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  book.answer(d.id, true, token("oncall"), "", clock.now());
  write_policy(std::string(kPolicy) + kFreeze);  // the freeze is declared while it waited
  ASSERT_TRUE(policies->reload().ok);
  clock.advance(15s);
  const Decision out = r.tick(*target);
  EXPECT_EQ(out.id, d.id);
  EXPECT_EQ(out.state, DecisionState::Denied);
  EXPECT_NE(out.reason.find("refused when re-checked at execution"), std::string::npos) << out.reason;
  EXPECT_NE(out.reason.find("january"), std::string::npos) << out.reason;
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(ApprovalFlow, ChangedPlanSupersedesTheApprovedAction) {
  auto r = reconciler(policies.get(), &book);
  const Decision d = request(r);
  book.answer(d.id, true, token("oncall"), "", clock.now());
  source.load = 100;  // the peak is gone: 2 replicas are right
  clock.advance(15s);
  const Decision now = r.tick(*target);
  const auto old = journal->get(d.id);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->state, DecisionState::Superseded);
  EXPECT_NE(old->outcome.find("re-decided at execution"), std::string::npos) << old->outcome;
  EXPECT_EQ(now.state, DecisionState::Held);
  EXPECT_TRUE(actuator.recorded().empty());
}

TEST_F(ApprovalFlow, DryRunPlansWithoutAskingAnyone) {
  config.mode = Mode::DryRun;
  auto r = reconciler(policies.get(), &book);
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Planned);
  EXPECT_NE(d.reason.find("would wait for approval"), std::string::npos) << d.reason;
  EXPECT_TRUE(book.list().empty());
}

TEST_F(ApprovalFlow, WithoutAnApprovalChannelNeedsApprovalIsDenied) {
  auto r = reconciler(policies.get(), nullptr);
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Denied);
  EXPECT_NE(d.reason.find("no approval channel"), std::string::npos) << d.reason;
}

TEST_F(ApprovalFlow, PoliciesAddToTheTargetLimitsAndBothAreRecorded) {
  auto r = reconciler(policies.get(), &book);
  source.load = 300;  // 6 replicas, a step of 4: below the approval threshold
  const Decision d = r.tick(*target);
  EXPECT_EQ(d.state, DecisionState::Applied) << d.reason;
  bool limits = false, policy = false;
  std::string names;
  for (const auto& rr : d.policy.rules) {
    names += rr.rule + " ";
    limits |= rr.rule == "bounds";
    policy |= rr.rule.rfind("web/", 0) == 0;
  }
  EXPECT_TRUE(limits && policy) << names;
}
