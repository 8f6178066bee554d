// The policy evaluator: precedence, adjustments, every rule kind, time zones, approvals and the
// table-test runner, over inline YAML policies.
#include <gtest/gtest.h>

#include "policies/engine.h"
#include "policies/loader.h"
#include "policies/table_tests.h"

namespace opspilot::policies {
namespace {

using namespace std::chrono;

std::shared_ptr<const PolicyEngine> engine(const std::string& spec, const std::string& name = "p") {
  const LoadResult r = load_policy_string(
      "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec:\n" + spec, "p.yaml");
  EXPECT_TRUE(r.ok()) << r.report();
  return r.engine;
}

system_clock::time_point at(const char* iso) {  // "2026-03-04T10:00" UTC
  return system_clock::time_point(minutes(*parse_local_date(iso)));
}

Proposal scale(int current, int desired, double confidence = 0.9) {
  Proposal p;
  p.namespace_ = "prod";
  p.target = "web";
  p.action = "scale";
  p.current_replicas = current;
  p.desired_replicas = desired;
  p.confidence = confidence;
  return p;
}

Context ctx(const char* when = "2026-03-04T10:00") {
  Context c;
  c.now = at(when);
  return c;
}

const RuleResult* find(const Evaluation& ev, const std::string& rule) {
  for (const RuleResult& r : ev.rules)
    if (r.rule == rule) return &r;
  return nullptr;
}

TEST(PolicyEval, BoundsAndStepAdjustTheProposalAndSayWhy) {
  const auto e = engine("  bounds: {min_replicas: 2, max_replicas: 10}\n  step: {max_up: 3, max_down_percent: 50}\n");
  Evaluation ev = e->evaluate(scale(4, 20), ctx());
  EXPECT_EQ(ev.verdict, Verdict::Allow);
  EXPECT_EQ(ev.replicas, 7);
  ASSERT_NE(find(ev, "p/bounds.max_replicas"), nullptr);
  EXPECT_EQ(find(ev, "p/bounds.max_replicas")->reason, "wanted 20, capped at max_replicas 10");
  EXPECT_EQ(find(ev, "p/bounds.max_replicas")->adjusted_replicas, 10);
  EXPECT_EQ(find(ev, "p/step.max_up")->reason, "step +6 exceeds the limit +3; limited to 7");

  ev = e->evaluate(scale(10, 1), ctx());
  EXPECT_EQ(ev.replicas, 5);
  EXPECT_EQ(find(ev, "p/bounds.min_replicas")->reason, "wanted 1, raised to 2 (min_replicas)");
  EXPECT_EQ(find(ev, "p/step.max_down")->reason, "step -8 exceeds the limit -5; limited to 5");
}

TEST(PolicyEval, StepLimitCanDenyOrAskInsteadOfClamping) {
  EXPECT_EQ(engine("  step: {max_up: 2, on_exceed: deny}\n")->evaluate(scale(2, 5), ctx()).verdict, Verdict::Deny);
  EXPECT_EQ(engine("  step: {max_up: 2, on_exceed: needs_approval}\n")->evaluate(scale(2, 5), ctx()).verdict,
            Verdict::NeedsApproval);
  EXPECT_EQ(engine("  step: {max_up: 2, on_exceed: deny}\n")->evaluate(scale(2, 4), ctx()).verdict, Verdict::Allow);
}

TEST(PolicyEval, SloFloorWinsOverAScaleDown) {
  const auto e = engine("  bounds: {min_replicas: 1, max_replicas: 10}\n");
  Context c = ctx();
  c.slo_min_replicas = 6;
  const Evaluation ev = e->evaluate(scale(8, 4), c);
  EXPECT_EQ(ev.replicas, 6);
  EXPECT_EQ(find(ev, "p/bounds.slo_floor")->reason, "wanted 4, raised to 6 (the fewest the SLO needs)");
  c.slo_min_replicas = 8;
  const Evaluation held = e->evaluate(scale(8, 4), c);
  EXPECT_EQ(held.verdict, Verdict::Deny);
  EXPECT_NE(find(held, "no_change"), nullptr);
}

TEST(PolicyEval, DenyWinsOverNeedsApprovalWhichWinsOverAllow) {
  const auto e = engine(R"(  cooldowns: {scale_up: 5m}
  approval:
    rules:
      - {name: all, kinds: [scale], approvers: {tokens: [t1]}}
)");
  Context c = ctx();
  EXPECT_EQ(e->evaluate(scale(2, 3), c).verdict, Verdict::NeedsApproval);
  c.history.push_back(ActionRecord{"scale_up", c.now - minutes(1), 0});
  const Evaluation ev = e->evaluate(scale(2, 3), c);
  EXPECT_EQ(ev.verdict, Verdict::Deny);
  EXPECT_EQ(find(ev, "p/cooldowns.scale_up")->reason, "last scale_up was 1m ago; cooldown 5m");
  EXPECT_EQ(find(ev, "p/approval.all")->verdict, Verdict::NeedsApproval);  // still reported
  EXPECT_FALSE(ev.approval.has_value());  // no approval request for a denied action
}

TEST(PolicyEval, CooldownsUseTheContextsLastScaleTimesToo) {
  const auto e = engine("  cooldowns: {scale_down: 10m, scale: 1m}\n");
  Context c = ctx();
  c.last_scale_down = c.now - minutes(5);
  const Evaluation ev = e->evaluate(scale(5, 4), c);
  EXPECT_EQ(find(ev, "p/cooldowns.scale_down")->verdict, Verdict::Deny);
  EXPECT_EQ(find(ev, "p/cooldowns.scale")->verdict, Verdict::Allow);
  EXPECT_EQ(e->evaluate(scale(4, 5), c).verdict, Verdict::Allow);  // the scale-down cooldown does not stop a scale-up
}

TEST(PolicyEval, RateLimitCountsOnlyTheWindow) {
  const auto e = engine("  rate_limits: [{kind: restart, max: 2, window: 1h}]\n");
  Proposal p = scale(4, 4);
  p.action = "restart";
  Context c = ctx();
  c.history = {{"restart", c.now - minutes(70), 1}, {"restart", c.now - minutes(30), 1}, {"scale_up", c.now - minutes(5), 0}};
  EXPECT_EQ(e->evaluate(p, c).verdict, Verdict::Allow);
  c.history.push_back({"restart", c.now - minutes(10), 1});
  const Evaluation ev = e->evaluate(p, c);
  EXPECT_EQ(ev.verdict, Verdict::Deny);
  EXPECT_EQ(ev.rules[0].reason, "2 restart actions in the last 1h, limit 2");
}

TEST(PolicyEval, BlastRadiusByCountPercentAndHour) {
  const auto e = engine("  blast_radius: {max_pods_at_once: 3, max_percent_at_once: 25, max_percent_per_hour: 50}\n");
  Proposal p = scale(8, 8);
  p.action = "restart";
  p.pods_affected = 2;
  Context c = ctx();
  EXPECT_EQ(e->evaluate(p, c).verdict, Verdict::Allow);
  p.pods_affected = 3;  // 3 of 8 = 37.5% > 25%
  Evaluation ev = e->evaluate(p, c);
  EXPECT_EQ(ev.verdict, Verdict::Deny);
  EXPECT_EQ(find(ev, "p/blast_radius.at_once")->reason, "restarts 3 of 8 pods (37.5%) at once, limit 3 pods and 25%");
  p.pods_affected = 2;
  c.history = {{"restart", c.now - minutes(20), 2}, {"restart", c.now - minutes(61), 8}};
  ev = e->evaluate(p, c);
  EXPECT_EQ(ev.verdict, Verdict::Allow);  // 2 + 2 = 4 of 8 = 50%
  c.history.push_back({"restart", c.now - minutes(2), 1});
  EXPECT_EQ(e->evaluate(p, c).verdict, Verdict::Deny);
}

TEST(PolicyEval, WindowsInTheirTimeZoneIncludingWrapPastMidnight) {
  const auto e = engine(R"(  timezone: America/New_York
  windows:
    allowed_hours:
      - {days: [mon-fri], from: "09:00", to: "17:00"}
      - {days: [sat], from: "22:00", to: "02:00"}
)");
  // Wednesday 2026-03-04 13:30 UTC = 08:30 in New York (EST): before the window.
  EXPECT_EQ(e->evaluate(scale(2, 3), ctx("2026-03-04T13:30")).verdict, Verdict::Deny);
  const Evaluation ev = e->evaluate(scale(2, 3), ctx("2026-03-04T14:30"));
  EXPECT_EQ(ev.verdict, Verdict::Allow);
  EXPECT_EQ(ev.rules[0].reason, "inside the allowed hours mon-fri 09:00-17:00 (09:30 America/New_York)");
  // Sunday 01:00 New York belongs to Saturday's 22:00-02:00 window.
  EXPECT_EQ(e->evaluate(scale(2, 3), ctx("2026-03-08T06:00")).verdict, Verdict::Allow);
  EXPECT_EQ(e->evaluate(scale(2, 3), ctx("2026-03-08T08:00")).verdict, Verdict::Deny);
}

TEST(PolicyEval, ProtectionsStopActionsOnBadDataOrABadPredictor) {
  const auto e = engine("  protections: {max_data_age: 1m, max_forecast_mase: 1.0, min_interval_coverage: 0.8}\n");
  Context c = ctx();
  c.data_age_seconds = 30;
  EXPECT_EQ(e->evaluate(scale(2, 3), c).verdict, Verdict::Allow);  // accuracy not measured yet
  c.predictor_coverage = 0.6;
  Evaluation ev = e->evaluate(scale(2, 3), c);
  EXPECT_EQ(find(ev, "p/protections.min_interval_coverage")->reason, "measured interval coverage 60%, floor 80%");
  EXPECT_EQ(ev.verdict, Verdict::Deny);
  c.predictor_coverage = 0.9;
  c.data_complete = false;
  EXPECT_EQ(e->evaluate(scale(2, 3), c).verdict, Verdict::Deny);
}

TEST(PolicyEval, ApprovalsMergeApproversAndTakeTheShortestTtl) {
  const auto a = engine(R"(  approval:
    ttl: 1h
    rules:
      - name: big
        kinds: [scale_up]
        min_step_percent: 50
        approvers: {slack_groups: [S1], tokens: [t]}
      - name: prod-nights
        environments: [production]
        hours: {from: "20:00", to: "06:00"}
        approvers: {slack_users: [U1]}
        ttl: 10m
        on_expiry: allow
)");
  Proposal p = scale(4, 6);
  p.environment = "production";
  Evaluation ev = a->evaluate(p, ctx("2026-03-04T23:00"));
  EXPECT_EQ(ev.verdict, Verdict::NeedsApproval);
  ASSERT_TRUE(ev.approval.has_value());
  EXPECT_EQ(ev.approval->rules, (std::vector<std::string>{"p/approval.big", "p/approval.prod-nights"}));
  EXPECT_EQ(ev.approval->slack_users, std::vector<std::string>{"U1"});
  EXPECT_EQ(ev.approval->slack_groups, std::vector<std::string>{"S1"});
  EXPECT_EQ(ev.approval->ttl, minutes(10));
  EXPECT_EQ(ev.approval->on_expiry, Verdict::Deny);  // one rule says deny: deny wins
  ev = a->evaluate(scale(4, 5), ctx("2026-03-04T12:00"));
  EXPECT_EQ(ev.verdict, Verdict::Allow);
  EXPECT_EQ(find(ev, "p/approval.big")->reason, "no approval needed: step 25% < 50%");
}

TEST(PolicyEval, DefaultsHoldAndUnknownKinds) {
  const auto e = engine("  targets: [{namespace: prod, labels: {tier: web}}]\n  default: needs_approval\n  cooldowns: {restart: 1m}\n");
  Proposal p = scale(2, 3);
  Evaluation ev = e->evaluate(p, ctx());
  EXPECT_EQ(ev.verdict, Verdict::Deny);  // labels do not match: no policy selects it
  EXPECT_EQ(ev.rules[0].reason, "no policy selects target prod/web; nothing acts without a policy");
  p.labels["tier"] = "web";
  ev = e->evaluate(p, ctx());
  EXPECT_EQ(ev.verdict, Verdict::NeedsApproval);  // selected, but no rule speaks of scaling
  EXPECT_EQ(ev.rules[0].rule, "p/default");
  p.action = "hold";
  EXPECT_EQ(e->evaluate(p, ctx()).verdict, Verdict::Allow);
  p.action = "delete";
  ev = e->evaluate(p, ctx());
  EXPECT_EQ(ev.verdict, Verdict::Deny);
  EXPECT_EQ(ev.rules[0].reason, "unknown action kind \"delete\"");
}

TEST(PolicyEval, DocumentsApplyInOrderAndAdjustmentsCarryOver) {
  const LoadResult r = load_policy_string(R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: a}
spec: {bounds: {max_replicas: 10}}
---
apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: b}
spec: {targets: [{name: "w*"}], step: {max_up: 4}}
)");
  ASSERT_TRUE(r.ok()) << r.report();
  const Evaluation ev = r.engine->evaluate(scale(5, 30), ctx());
  EXPECT_EQ(ev.replicas, 9);
  EXPECT_EQ(find(ev, "b/step.max_up")->reason, "step +5 exceeds the limit +4; limited to 9");
}

TEST(PolicyEval, RecurringFreezeFollowsTheZone) {
  const auto e = engine(R"(  timezone: Europe/Berlin
  freezes:
    - {name: fri, cron: "0 16 * * fri", duration: 64h, kinds: [scale_down]}
)");
  // Friday 2026-03-06 15:30 UTC = 16:30 Berlin: the freeze began half an hour ago.
  const Evaluation ev = e->evaluate(scale(5, 4), ctx("2026-03-06T15:30"));
  EXPECT_EQ(ev.verdict, Verdict::Deny);
  EXPECT_EQ(ev.rules[0].reason, "recurring freeze \"fri\" (0 16 * * fri for 2d16h, Europe/Berlin) is in force");
  EXPECT_EQ(e->evaluate(scale(5, 4), ctx("2026-03-06T14:30")).verdict, Verdict::Allow);
  EXPECT_EQ(e->evaluate(scale(5, 6), ctx("2026-03-06T15:30")).verdict, Verdict::Allow);  // scale-ups pass
}

TEST(PolicyTableTests, DiffNamesEveryMismatch) {
  const TableTestReport r = run_policy_test_text(R"(policies: [)" + std::string(OPSPILOT_SOURCE_DIR) +
                                                     R"(/policies/examples/staging.yaml]
now: "2026-03-04T10:00:00Z"
tests:
  - name: wrong
    proposal: {namespace: staging, target: web, action: scale, current: 2, desired: 9}
    expect: {verdict: allow, replicas: 9, rules: {step.max_up: allow, nothing: deny}}
  - name: right
    proposal: {namespace: staging, target: web, action: scale, current: 2, desired: 4}
    expect: {verdict: allow}
)",
                                                 "t_test.yaml");
  ASSERT_EQ(r.cases.size(), 2u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.passed(), 1u);
  EXPECT_EQ(r.cases[0].diff, (std::vector<std::string>{
                                 "verdict: expected allow, got deny",
                                 "rule staging/step.max_up: expected allow, got deny (step +7 exceeds the limit +4)",
                                 "rule nothing: expected deny, but no such rule was checked",
                             }));
  EXPECT_NE(r.format().find("1 passed, 1 failed (1 test file)"), std::string::npos) << r.format();
}

TEST(PolicyTableTests, ProblemsInTheTestFileAreErrorsNotPasses) {
  const TableTestReport r = run_policy_test_text(R"(tests:
  - name: no time
    proposal: {namespace: x, target: y, action: scale, curent: 2}
    expect: {verdict: alow}
)",
                                                 "/nonexistent/t_test.yaml");
  EXPECT_FALSE(r.ok());
  std::vector<std::string> got;
  for (const Diagnostic& d : r.diagnostics) got.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + " " + d.message);
  ASSERT_GE(got.size(), 3u);
  EXPECT_NE(std::find(got.begin(), got.end(), "3:56 unknown key \"curent\"; did you mean \"current\"?"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(),
                      "4:23 bad verdict \"alow\"; expected one of \"allow\", \"deny\", \"needs_approval\""),
            got.end());
}

}  // namespace
}  // namespace opspilot::policies
