// The compiled evaluator (policies/engine.cpp: reasons assembled from fragments formatted at
// load time) against the plain one it replaced (tests/policy_engine_reference.h): on random
// proposals and contexts over policies that use every rule, both must give the same Evaluation
// — verdict, replicas, every rule with its verdict, reason (byte for byte) and adjustment, and
// the approval requirement. The reasons are what decision records store; they must not drift.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "policies/engine.h"
#include "policies/loader.h"
#include "tests/policy_engine_reference.h"

namespace opspilot::policies {
namespace {

// Every rule kind, most of their options, several zones and selector shapes.
const char* kPolicies = R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: everything}
spec:
  targets:
    - {namespace: prod, name: "web*"}
    - {namespace: "*", name: "*-api", labels: {tier: backend}}
    - {namespace: "st*ng", name: worker, environments: [staging]}
  timezone: Europe/Berlin
  actions: [scale, restart, resize]
  bounds: {min_replicas: 3, max_replicas: 40}
  step: {max_up: 10, max_up_percent: 150, max_down: 3, max_down_percent: 25}
  cooldowns: {scale_up: 2m, scale_down: 10m, restart: 15m, rollback: 1h, resize_up: 90s, resize: 1d2h3m4s}
  rate_limits:
    - {kind: restart, max: 3, window: 1h}
    - {kind: scale, max: 2, window: 20m, name: two-scales}
    - {kind: rollback, max: 1, window: 1w}
  blast_radius: {max_pods_at_once: 2, max_percent_at_once: 33.3, max_pods_per_hour: 5, max_percent_per_hour: 62.5,
                 max_rollbacks_per_deploy: 1}
  windows:
    kinds: [restart, rollback, scale_down]
    allowed_hours:
      - {days: [mon-fri], from: "08:00", to: "18:00"}
      - {days: [sat], from: "22:00", to: "02:30"}
    outside: needs_approval
  freezes:
    - {name: year-end, from: 2026-12-21, to: 2027-01-04, kinds: [scale_down, restart]}
    - {name: launch, from: "2026-03-04T09:30", to: "2026-03-04T11:00", timezone: America/New_York}
    - {name: weekend, cron: "0 16 * * fri", duration: 64h, kinds: [restart, rollback], verdict: needs_approval}
    - {name: nightly, cron: "*/30 1-3 * * *", duration: 20m, timezone: Asia/Tokyo}
  protections: {max_burn_rate_for_scale_down: 2, max_data_age: 2m, require_complete_data: true,
                max_forecast_mase: 1.5, min_interval_coverage: 0.7}
  approval:
    ttl: 30m
    rules:
      - {name: big, kinds: [scale_up], min_step: 5, approvers: {slack_groups: [S0SRE], tokens: [oncall]}}
      - {name: pct, kinds: [scale, resize], min_step_percent: 40, approvers: {slack_users: [U1]}, ttl: 10m}
      - {name: unsure, kinds: [scale], confidence_below: 0.6, approvers: {slack_users: [U1, U2]}, on_expiry: allow}
      - {name: prod-nights, environments: [production], hours: {days: [mon-fri], from: "20:00", to: "06:00"},
         approvers: {tokens: [night]}}
      - {name: all-of-them, kinds: [scale], min_step: 2, min_step_percent: 10, confidence_below: 0.99,
         environments: [production, staging], hours: {from: "00:00", to: "24:00"}, approvers: {tokens: [t]}}
---
apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: floor}
spec:
  targets: [{namespace: prod}]
  bounds: {min_replicas: 2, max_replicas: 60, slo_floor: true}
  step: {max_up: 4, on_exceed: deny}
  protections: {max_data_age: 1h30m, require_complete_data: false}
---
apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: quiet}
spec:
  targets: [{namespace: staging, name: "*er"}]
  default: deny
  step: {max_down_percent: 50, on_exceed: needs_approval}
  windows: {kinds: [restart], allowed_hours: [{from: "09:00", to: "17:00"}], outside: deny}
  blast_radius: {max_percent_per_hour: 50}
---
apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: open}
spec:
  timezone: Australia/Lord_Howe
  default: needs_approval
  approval:
    rules:
      - {name: any-rollback, kinds: [rollback], approvers: {slack_groups: [S0OPS]}}
)";

std::string describe(const Evaluation& ev) {
  std::string out = std::string("verdict ") + to_string(ev.verdict) + ", replicas " + std::to_string(ev.replicas) + "\n";
  for (const RuleResult& r : ev.rules) {
    out += "  " + r.rule + " " + to_string(r.verdict) + " [" + r.reason + "]";
    if (r.adjusted_replicas) out += " -> " + std::to_string(*r.adjusted_replicas);
    out += "\n";
  }
  if (ev.approval) {
    const ApprovalRequirement& a = *ev.approval;
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += x + ",";
      return s;
    };
    out += "  approval rules=" + join(a.rules) + " users=" + join(a.slack_users) + " groups=" + join(a.slack_groups) +
           " tokens=" + join(a.tokens) + " ttl=" + std::to_string(a.ttl.count()) + " on_expiry=" + to_string(a.on_expiry) + "\n";
  }
  return out;
}

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

TEST(PolicyEngineEquivalence, CompiledEvaluatorGivesTheReferenceEvaluationOnRandomProposals) {
  const LoadResult loaded = load_policy_string(kPolicies, "everything.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.report();
  const LoadResult examples = load_policy_paths({std::string(OPSPILOT_SOURCE_DIR) + "/policies/examples"});
  ASSERT_TRUE(examples.ok()) << examples.report();
  const std::vector<std::string> namespaces{"prod", "staging", "sting", "dev", ""};
  const std::vector<std::string> targets{"web", "web-frontend", "orders-api", "worker", "checkout", ""};
  const std::vector<std::string> actions{"scale", "scale", "resize", "restart", "rollback", "hold", "explode"};
  const std::vector<std::string> environments{"production", "staging", "", "dev"};
  const std::vector<std::string> history_kinds{"scale_up", "scale_down", "restart", "rollback", "resize_up",
                                               "resize_down", "bogus"};
  std::mt19937_64 rng(4);
  const auto base = std::chrono::system_clock::time_point(std::chrono::seconds(1772618400));  // 2026-03-04 10:00Z
  int compared = 0;
  std::set<std::string> seen;  // "rule verdict" pairs the comparison went through
  for (int i = 0; i < 20000 && !HasFailure(); ++i) {
    Proposal p;
    p.namespace_ = pick(rng, namespaces);
    p.target = pick(rng, targets);
    p.action = pick(rng, actions);
    p.current_replicas = static_cast<int>(rng() % 50);
    p.desired_replicas = static_cast<int>(rng() % 70);
    p.confidence = static_cast<double>(rng() % 1001) / 1000.0;
    if (rng() % 2) p.labels["tier"] = rng() % 2 ? "backend" : "frontend";
    p.environment = pick(rng, environments);
    p.pods_affected = static_cast<int>(rng() % 6);
    p.total_pods = static_cast<int>(rng() % 12);
    Context c;
    // Any minute of ~2 years around the base, so days, hours, freezes and DST all vary; or the
    // base day, when the short "launch" freeze is.
    c.now = rng() % 4 == 0 ? base + std::chrono::minutes(rng() % 720)
                           : base + std::chrono::minutes(static_cast<long>(rng() % (2 * 366 * 1440)) - 366 * 1440);
    c.data_age_seconds = static_cast<double>(rng() % 7200) / 7.0;
    c.data_complete = rng() % 8 != 0;
    // Busy histories (the last hour, some records in the future) and quiet ones (the last day).
    const int n = static_cast<int>(rng() % 8);
    const long span = rng() % 2 ? 3600 : 90000;
    for (int k = 0; k < n; ++k)
      c.history.push_back(ActionRecord{pick(rng, history_kinds), c.now - std::chrono::seconds(static_cast<long>(rng() % span) - 600),
                                       static_cast<int>(rng() % 4)});
    if (rng() % 3 == 0) c.last_scale_up = c.now - std::chrono::seconds(rng() % 4000);
    if (rng() % 3 == 0) c.last_scale_down = c.now - std::chrono::seconds(rng() % 4000);
    c.error_budget_burn_rate = static_cast<double>(rng() % 500) / 100.0;
    if (rng() % 2) c.predictor_mase = static_cast<double>(rng() % 300) / 100.0;
    if (rng() % 2) c.predictor_coverage = static_cast<double>(rng() % 101) / 100.0;
    c.slo_min_replicas = static_cast<int>(rng() % 50);
    c.rollbacks_this_deploy = static_cast<int>(rng() % 3);
    for (const LoadResult* r : {&loaded, &examples}) {
      const Evaluation fast = r->engine->evaluate(p, c);
      const Evaluation slow = reference::evaluate(r->engine->documents(), p, c);
      ASSERT_EQ(describe(fast), describe(slow)) << "proposal " << p.namespace_ << "/" << p.target << " " << p.action << " "
                                                << p.current_replicas << "->" << p.desired_replicas;
      ++compared;
      for (const RuleResult& x : fast.rules) seen.insert(x.rule + " " + to_string(x.verdict));
    }
  }
  // The comparison went through every rule of the "everything" policy, with each verdict it can give.
  for (const char* rule :
       {"actions allow", "actions deny", "protections.complete_data deny", "protections.max_data_age allow",
        "protections.max_data_age deny", "protections.max_forecast_mase allow", "protections.max_forecast_mase deny",
        "protections.min_interval_coverage allow", "protections.min_interval_coverage deny",
        "protections.max_burn_rate_for_scale_down allow", "protections.max_burn_rate_for_scale_down deny",
        "bounds allow", "bounds.max_replicas allow", "bounds.min_replicas allow", "bounds.slo_floor allow",
        "bounds.slo_floor needs_approval", "step.max_up allow", "step.max_down allow", "cooldowns.scale_up allow",
        "cooldowns.scale_up deny", "cooldowns.scale_down deny", "cooldowns.restart deny", "cooldowns.rollback deny",
        "cooldowns.resize_up allow", "cooldowns.resize deny", "rate_limits.restart-3-per-1h deny",
        "rate_limits.two-scales allow", "rate_limits.two-scales deny", "rate_limits.rollback-1-per-7d allow",
        "blast_radius.at_once allow", "blast_radius.at_once deny", "blast_radius.per_hour allow",
        "blast_radius.per_hour deny", "blast_radius.rollbacks_per_deploy allow",
        "blast_radius.rollbacks_per_deploy deny", "windows.allowed_hours allow",
        "windows.allowed_hours needs_approval", "freezes.year-end allow", "freezes.year-end deny",
        "freezes.launch allow", "freezes.launch deny", "freezes.weekend allow", "freezes.weekend needs_approval",
        "freezes.nightly allow", "freezes.nightly deny", "approval.big allow", "approval.big needs_approval",
        "approval.pct allow", "approval.pct needs_approval", "approval.unsure allow", "approval.unsure needs_approval",
        "approval.prod-nights allow", "approval.prod-nights needs_approval", "approval.all-of-them allow",
        "approval.all-of-them needs_approval"}) {
    EXPECT_TRUE(seen.count(std::string("everything/") + rule)) << "never compared: " << rule;
  }
  for (const char* rule : {"floor/step.max_up deny", "quiet/step.max_down needs_approval", "quiet/default deny",
                           "quiet/windows.allowed_hours deny", "open/default needs_approval", "default deny",
                           "no_change deny", "hold allow", "action_kind deny"}) {
    EXPECT_TRUE(seen.count(rule)) << "never compared: " << rule;
  }
  EXPECT_EQ(compared, 40000);
}

TEST(PolicyEngineEquivalence, ReasonsLongerThanTheLineBufferAreWhole) {
  // The evaluator writes reasons into a fixed buffer and moves to a string past it.
  const std::string longname(700, 'x');
  const std::string text = "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata: {name: " + longname +
                           "}\nspec:\n  actions: [scale]\n  freezes:\n    - {name: " + longname +
                           ", from: 2026-01-01, to: 2027-01-01}\n  approval:\n    rules:\n      - {name: a, environments: [" +
                           longname + "], approvers: {tokens: [t]}}\n";
  const LoadResult loaded = load_policy_string(text, "long.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.report();
  Proposal p;
  p.namespace_ = "prod";
  p.target = "web";
  p.action = "scale";
  p.current_replicas = 2;
  p.desired_replicas = 3;
  Context c;
  c.now = std::chrono::system_clock::time_point(std::chrono::seconds(1772618400));
  for (const std::string& env : {std::string("prod"), longname}) {
    p.environment = env;
    const Evaluation fast = loaded.engine->evaluate(p, c);
    EXPECT_EQ(describe(fast), describe(reference::evaluate(loaded.engine->documents(), p, c)));
    std::size_t longest = 0;
    for (const RuleResult& r : fast.rules) longest = std::max(longest, r.reason.size());
    EXPECT_GT(longest, 700u);  // past the 480-byte buffer
  }
}

}  // namespace
}  // namespace opspilot::policies
