#include <gtest/gtest.h>

#include "policies/guardrails.h"

using namespace opspilot::policies;
using namespace std::chrono_literals;

namespace {

GuardrailSpec spec() {
  GuardrailSpec s;
  s.min_replicas = 2;
  s.max_replicas = 10;
  s.max_step_up = 3;
  s.max_step_down = 1;
  s.cooldown_up = 60s;
  s.cooldown_down = 300s;
  s.max_data_age_seconds = 60;
  return s;
}

Proposal scale(int from, int to) {
  Proposal p;
  p.target = "web";
  p.action = "scale";
  p.current_replicas = from;
  p.desired_replicas = to;
  p.confidence = 0.9;
  return p;
}

const RuleResult* find(const Evaluation& e, const std::string& rule) {
  for (const auto& r : e.rules)
    if (r.rule == rule) return &r;
  return nullptr;
}

}  // namespace

TEST(Guardrails, AllowsWithinBoundsAndReportsEveryRule) {
  Guardrails g(spec());
  Context ctx;
  ctx.now = std::chrono::system_clock::now();
  const auto e = g.evaluate(scale(4, 6), ctx);
  EXPECT_EQ(e.verdict, Verdict::Allow);
  EXPECT_EQ(e.replicas, 6);
  ASSERT_NE(find(e, "bounds"), nullptr);
  ASSERT_NE(find(e, "cooldown.scale_up"), nullptr);
  ASSERT_NE(find(e, "protection.stale_data"), nullptr);
}

TEST(Guardrails, ClampsToMaxAndLargestStep) {
  Guardrails g(spec());
  Context ctx;
  ctx.now = std::chrono::system_clock::now();
  auto e = g.evaluate(scale(4, 30), ctx);
  EXPECT_EQ(e.verdict, Verdict::Allow);
  EXPECT_EQ(e.replicas, 7) << "max 10, then step +3 from 4";
  ASSERT_NE(find(e, "bounds.max_replicas"), nullptr);
  ASSERT_NE(find(e, "step.max_step_up"), nullptr);
  EXPECT_NE(find(e, "step.max_step_up")->reason.find("limited to +3"), std::string::npos);

  e = g.evaluate(scale(5, 1), ctx);
  EXPECT_EQ(e.replicas, 4) << "min 2, then step -1 from 5";
}

TEST(Guardrails, CooldownDeniesAndSaysHowLongAgo) {
  Guardrails g(spec());
  Context ctx;
  ctx.now = std::chrono::system_clock::now();
  ctx.last_scale_up = ctx.now - 20s;
  const auto e = g.evaluate(scale(4, 5), ctx);
  EXPECT_EQ(e.verdict, Verdict::Deny);
  const auto* r = find(e, "cooldown.scale_up");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->verdict, Verdict::Deny);
  EXPECT_NE(r->reason.find("20s ago"), std::string::npos) << r->reason;
  // Scale-down has its own cooldown and is not blocked by the scale-up one.
  EXPECT_EQ(g.evaluate(scale(5, 4), ctx).verdict, Verdict::Allow);
}

TEST(Guardrails, StaleOrIncompleteDataDenies) {
  Guardrails g(spec());
  Context ctx;
  ctx.now = std::chrono::system_clock::now();
  ctx.data_age_seconds = 90;
  auto e = g.evaluate(scale(4, 6), ctx);
  EXPECT_EQ(e.verdict, Verdict::Deny);
  EXPECT_EQ(find(e, "protection.stale_data")->verdict, Verdict::Deny);
  ctx.data_age_seconds = 0;
  ctx.data_complete = false;
  e = g.evaluate(scale(4, 6), ctx);
  EXPECT_EQ(e.verdict, Verdict::Deny);
}

TEST(Guardrails, AtTheBoundNothingChangesAndThatIsSaid) {
  Guardrails g(spec());
  Context ctx;
  ctx.now = std::chrono::system_clock::now();
  const auto e = g.evaluate(scale(10, 12), ctx);
  EXPECT_EQ(e.verdict, Verdict::Deny);
  ASSERT_NE(find(e, "no_change"), nullptr);
}

TEST(Guardrails, DenyWinsOverApprovalWinsOverAllow) {
  std::vector<RuleResult> rules{{"a", Verdict::Allow, "", {}}, {"b", Verdict::NeedsApproval, "", {}}};
  EXPECT_EQ(combine(rules), Verdict::NeedsApproval);
  rules.push_back({"c", Verdict::Deny, "", {}});
  EXPECT_EQ(combine(rules), Verdict::Deny);
}
