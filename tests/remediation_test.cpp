// The remediation planner on scripted observations: each incident class, persistence (no action
// on one noisy sample), conflicting signals, a dependency outage never acted on, the caps and
// follow-ups, and the recovery judgement. Plus the pieces around it: per-pod series from the
// sidecar's PromQL subset, the decision record's remediation block, and the sandbox's signals
// and single-pod restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/config/loader.h"
#include "agent/decide/remediation.h"
#include "agent/journal/decision.h"
#include "agent/source/scrape_source.h"
#include "examples/sandbox/api.h"
#include "examples/sandbox/config.h"

using namespace opspilot::agent;
using namespace std::chrono_literals;

namespace {

/// One tick's signals; NaN = not configured.
struct Signals {
  double load = 100;
  double errors = 0.1;     // every 5xx, per second
  double dep = 0;          // 502/504 per second
  double latency = 0.2;
  double restarts = 0;
  double revision = 1;
  double saturation = 0.5;
  std::vector<std::pair<std::string, double>> pods;  // pod_latency series
};

Observation observation(TimePoint now, const Signals& s) {
  Observation o;
  o.at = now;
  auto put = [&](const char* role, double v) {
    if (std::isnan(v)) return;
    SignalValue x;
    x.status = SignalStatus::Ok;
    x.value = v;
    x.sampled_at = now;
    o.signals[role] = x;
  };
  put("load", s.load);
  put("errors", s.errors);
  put("dependency_errors", s.dep);
  put("latency", s.latency);
  put("restarts", s.restarts);
  put("revision", s.revision);
  put("saturation", s.saturation);
  if (!s.pods.empty()) {
    SignalValue x;
    x.status = SignalStatus::Ok;
    x.sampled_at = now;
    x.value = 0;
    for (const auto& [pod, v] : s.pods) {
      x.series.push_back(SeriesValue{{{"pod", pod}}, v});
      x.value = std::max(x.value, v);
    }
    o.signals["pod_latency"] = x;
  }
  return o;
}

struct Bench {
  TargetSpec spec;
  std::unique_ptr<RemediationPlanner> planner;
  TimePoint now{Duration(1'800'000'000'000)};
  Signals s;

  Bench() {
    spec.name = "web";
    spec.readiness_delay = 2min;
    planner = std::make_unique<RemediationPlanner>(spec.remediation);
  }
  RemediationProposal tick() {
    const Observation o = observation(now, s);
    RemediationProposal p = planner->assess({&spec, &o, now, 15s});
    now += 15s;
    return p;
  }
  /// Ticks until the planner proposes an action (or `max` ticks), returning every proposal.
  std::vector<RemediationProposal> until_action(int max = 20) {
    std::vector<RemediationProposal> out;
    for (int i = 0; i < max; ++i) {
      out.push_back(tick());
      if (out.back().action != RemedyAction::None && out.back().action != RemedyAction::Scale) break;
    }
    return out;
  }
  /// One more container restart per tick until the planner proposes something; returns that.
  RemediationProposal crash_loop(int max = 10) {
    RemediationProposal p;
    for (int i = 0; i < max && p.action == RemedyAction::None; ++i) {
      s.restarts += 1;
      p = tick();
    }
    return p;
  }
  void healthy(int n) {
    for (int i = 0; i < n; ++i) {
      const auto p = tick();
      ASSERT_EQ(p.incident, IncidentClass::None) << p.reason;
    }
  }
  Decision applied(const RemediationProposal& p, const std::string& id) {
    Decision d;
    d.id = id;
    d.created = now;
    d.action = p.decision_action();
    d.params = p.params();
    d.remediation = p.info();
    d.state = DecisionState::Applied;
    return d;
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Remediation, HealthyTargetProposesNothing) {
  Bench b;
  b.healthy(30);
  EXPECT_FALSE(b.planner->incident_open());
  EXPECT_LE(b.planner->history_size(), RemediationPlanner::kMaxHistory);
}

TEST(Remediation, OnlyLoadConfiguredNeverClassifies) {
  Bench b;
  b.s = Signals{};
  b.s.errors = b.s.dep = b.s.latency = b.s.restarts = b.s.revision = b.s.saturation = std::nan("");
  for (int i = 0; i < 40; ++i) {
    b.s.load = i % 2 ? 100 : 900;
    EXPECT_EQ(b.tick().incident, IncidentClass::None);
  }
}

TEST(Remediation, CrashLoopRestartsOnlyAfterThePersistenceTicks) {
  Bench b;
  b.healthy(10);
  std::vector<RemediationProposal> seen;
  for (int i = 0; i < 10; ++i) {
    b.s.restarts += 1;
    seen.push_back(b.tick());
    if (seen.back().action != RemedyAction::None) break;
  }
  const RemediationProposal& p = seen.back();
  ASSERT_EQ(p.action, RemedyAction::Restart) << p.reason;
  EXPECT_EQ(p.incident, IncidentClass::CrashLoop);
  // 1 restart is not yet a crash loop; then crash_loop is watched for 3 ticks before acting.
  ASSERT_GE(seen.size(), 4u);
  EXPECT_TRUE(has(seen[seen.size() - 2].reason, "watching: crash_loop seen 2 of 3")) << seen[seen.size() - 2].reason;
  EXPECT_EQ(seen[seen.size() - 2].action, RemedyAction::None);
  EXPECT_EQ(p.signal, "restarts");
  EXPECT_GT(p.confidence, 0);
  EXPECT_LE(p.confidence, 1);
  EXPECT_FALSE(p.expected_effect.empty());
  EXPECT_TRUE(has(p.reason, "container restarts in the last 5m")) << p.reason;
  EXPECT_TRUE(p.params().empty()) << "a rolling restart of the whole workload";
  // A rolling restart's rollout deadline (6 × readiness 2m + 2 ticks), then settle 1m and the
  // 3m recovery window, from the tick that proposed it.
  EXPECT_EQ(p.deadline, b.now - 15s + 12min + 30s + 1min + 3min);
}

TEST(Remediation, OneNoisySampleIsNeverActedOn) {
  Bench b;
  b.healthy(10);
  for (int round = 0; round < 5; ++round) {
    b.s.latency = 2.0;  // one 10× spike
    b.s.errors = 20;    // and a burst of 500s
    EXPECT_EQ(b.tick().action, RemedyAction::None);
    b.s.latency = 0.2;
    b.s.errors = 0.1;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(b.tick().action, RemedyAction::None);
  }
  EXPECT_FALSE(b.planner->incident_open()) << "closed after the healthy ticks";
}

// ---- strong evidence: two ticks instead of persist_ticks, never one --------------------------

namespace {

/// Ticks `n` times and returns the index (0-based) of the first acting proposal, or -1.
int first_action(Bench& b, int n, std::vector<RemediationProposal>* seen = nullptr) {
  for (int i = 0; i < n; ++i) {
    const RemediationProposal p = b.tick();
    if (seen) seen->push_back(p);
    if (p.acts() || p.action == RemedyAction::Escalate) return i;
  }
  return -1;
}

/// A target 5 minutes healthy (20 samples of baseline), then a new revision.
void deployed(Bench& b) {
  b.healthy(20);
  b.s.revision = 2;
  b.healthy(1);
}

}  // namespace

TEST(Remediation, StrongEvidenceActsOnTheSecondTickNotTheThird) {
  Bench b;
  deployed(b);
  b.s.errors = 8;  // 8 % own errors against a 1 % threshold: 8× it
  std::vector<RemediationProposal> seen;
  ASSERT_EQ(first_action(b, 10, &seen), 1) << seen.back().reason;
  EXPECT_EQ(seen[0].action, RemedyAction::None);
  EXPECT_TRUE(has(seen[0].reason, "watching: bad_deploy seen 1 of 3 ticks before acting, or 2 strong ones; evidence "
                                  "8.0× its threshold (strong from 2×)"))
      << seen[0].reason;
  const RemediationProposal& p = seen[1];
  ASSERT_EQ(p.action, RemedyAction::Rollback) << p.reason;
  EXPECT_TRUE(has(p.reason, "acting after 2 ticks, not 3: the evidence was strong on each of them, now 8.0× its "
                            "threshold"))
      << p.reason;
  EXPECT_TRUE(has(p.reason, "own error ratio 8.00%")) << p.reason;
}

TEST(Remediation, MarginalEvidenceStillWaitsForEveryPersistTick) {
  Bench b;
  deployed(b);
  b.s.latency = 0.4;  // above the 0.3 s threshold, but only 1.3× it
  std::vector<RemediationProposal> seen;
  ASSERT_EQ(first_action(b, 10, &seen), 2) << seen.back().reason;
  EXPECT_EQ(seen[2].action, RemedyAction::Rollback);
  EXPECT_TRUE(has(seen[1].reason, "seen 2 of 3")) << seen[1].reason;
  EXPECT_TRUE(has(seen[1].reason, "evidence 1.3× its threshold")) << seen[1].reason;
  EXPECT_FALSE(has(seen[2].reason, "acting after")) << seen[2].reason;
}

TEST(Remediation, OneOverwhelmingSampleIsNeverActedOn) {
  Bench b;
  deployed(b);
  for (int round = 0; round < 5; ++round) {
    b.s.latency = 20;  // 100× the baseline, 67× the threshold
    b.s.errors = 50;   // and half the requests failing: right after a deploy
    const auto spike = b.tick();
    EXPECT_EQ(spike.action, RemedyAction::None) << spike.reason;
    EXPECT_EQ(spike.incident, IncidentClass::BadDeploy) << spike.reason;
    b.s.latency = 0.2;
    b.s.errors = 0.1;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(b.tick().action, RemedyAction::None);
  }
  // Strong ticks that are not consecutive do not add up either.
  for (int round = 0; round < 5; ++round) {
    b.s.latency = 20;
    EXPECT_EQ(b.tick().action, RemedyAction::None);
    b.s.latency = 0.2;
    EXPECT_EQ(b.tick().action, RemedyAction::None);
  }
}

TEST(Remediation, AStrongTickNextToAMarginalOneWaitsForPersistTicks) {
  Bench b;
  deployed(b);
  std::vector<RemediationProposal> seen;
  b.s.latency = 2;  // strong
  seen.push_back(b.tick());
  b.s.latency = 0.4;  // marginal: the same class, but not strong
  seen.push_back(b.tick());
  b.s.latency = 2;  // strong again: a run of one
  seen.push_back(b.tick());
  EXPECT_EQ(seen[0].action, RemedyAction::None) << seen[0].reason;
  EXPECT_EQ(seen[1].action, RemedyAction::None) << seen[1].reason;
  ASSERT_EQ(seen[2].action, RemedyAction::Rollback) << "the third tick of bad_deploy: persist_ticks";
  EXPECT_FALSE(has(seen[2].reason, "acting after")) << seen[2].reason;
}

TEST(Remediation, StrongLatencyNeedsASolidBaseline) {
  Bench b;
  b.healthy(2);
  b.s.revision = 2;
  b.healthy(1);  // a threshold from 3 samples: too thin to be "far above"
  b.s.latency = 2;
  std::vector<RemediationProposal> seen;
  ASSERT_EQ(first_action(b, 10, &seen), 2) << seen.back().reason;
  EXPECT_TRUE(has(seen[0].reason, "seen 1 of 3")) << seen[0].reason;
}

TEST(Remediation, StrongEvidenceForEachKindThatActs) {
  {  // a crash loop: 5 restarts at once, 2.5× the threshold of 2
    Bench b;
    b.healthy(10);
    b.s.restarts = 5;
    std::vector<RemediationProposal> seen;
    ASSERT_EQ(first_action(b, 10, &seen), 1) << seen.back().reason;
    EXPECT_EQ(seen[1].action, RemedyAction::Restart) << seen[1].reason;
  }
  {  // 2 restarts, then a third: 1.0× and 1.5× — marginal, persist_ticks
    Bench b;
    b.healthy(10);
    b.s.restarts = 2;
    std::vector<RemediationProposal> seen;
    seen.push_back(b.tick());
    b.s.restarts = 3;
    for (int i = 0; i < 2; ++i) seen.push_back(b.tick());
    EXPECT_EQ(seen[1].action, RemedyAction::None) << seen[1].reason;
    EXPECT_EQ(seen[2].action, RemedyAction::Restart) << seen[2].reason;
  }
  {  // one pod 8× slower than the others: 2.7× the outlier factor of 3
    Bench b;
    b.s.pods = {{"web-1", 0.2}, {"web-2", 0.21}, {"web-3", 0.19}, {"web-4", 0.2}};
    b.healthy(10);
    b.s.pods[2].second = 1.6;
    b.s.latency = 1.5;
    std::vector<RemediationProposal> seen;
    ASSERT_EQ(first_action(b, 10, &seen), 1) << seen.back().reason;
    EXPECT_EQ(seen[1].action, RemedyAction::RestartPod);
    EXPECT_EQ(seen[1].pod, "web-3");
  }
  {  // one pod 4× slower: 1.3× the factor — persist_ticks
    Bench b;
    b.s.pods = {{"web-1", 0.2}, {"web-2", 0.21}, {"web-3", 0.19}, {"web-4", 0.2}};
    b.healthy(10);
    b.s.pods[2].second = 0.8;
    std::vector<RemediationProposal> seen;
    ASSERT_EQ(first_action(b, 10, &seen), 2) << seen.back().reason;
    EXPECT_EQ(seen[2].action, RemedyAction::RestartPod);
  }
}

TEST(Remediation, EscalationsAreNeverHurried) {
  Bench b;
  b.healthy(20);
  b.s.dep = 50;  // half the requests failing upstream: 50× the threshold
  b.s.errors = 50.1;
  std::vector<RemediationProposal> seen;
  ASSERT_EQ(first_action(b, 10, &seen), 2) << seen.back().reason;
  EXPECT_EQ(seen[2].action, RemedyAction::Escalate);
  EXPECT_EQ(seen[2].incident, IncidentClass::DependencyOutage);
}

TEST(Remediation, StrongEvidenceFactorZeroAlwaysWaitsForPersistTicks) {
  Bench b;
  b.spec.remediation.strong_evidence_factor = 0;
  b.planner = std::make_unique<RemediationPlanner>(b.spec.remediation);
  deployed(b);
  b.s.errors = 8;
  std::vector<RemediationProposal> seen;
  ASSERT_EQ(first_action(b, 10, &seen), 2) << seen.back().reason;
  EXPECT_TRUE(has(seen[0].reason, "watching: bad_deploy seen 1 of 3 ticks before acting (rollback")) << seen[0].reason;
  EXPECT_FALSE(has(seen[0].reason, "strong")) << seen[0].reason;
}

TEST(Remediation, StrongEvidenceFactorIsReadAndChecked) {
  const std::string target = "targets:\n  - name: web\n    scrape: http://127.0.0.1:9464/metrics\n    metrics: {load: sum(x)}\n";
  const std::string head = target + "    remediation: {strong_evidence_factor: ";
  LoadResult r = load_config_string(head + "3}\n");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.targets.at(0).remediation.strong_evidence_factor, 3);
  r = load_config_string(head + "0}\n");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.targets.at(0).remediation.strong_evidence_factor, 0);
  EXPECT_EQ(load_config_string(target).config.targets.at(0).remediation.strong_evidence_factor, 2) << "the default";
  r = load_config_string(head + "0.5}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has(r.report(), "0 (always wait persist_ticks) or a factor >= 1, e.g. 2")) << r.report();
  EXPECT_TRUE(has(r.report(), "0.5")) << r.report();
}

TEST(Remediation, BadDeployRollsBackWhenTheRevisionChangedJustBefore) {
  Bench b;
  b.healthy(10);
  b.s.revision = 2;
  b.tick();
  b.s.latency = 0.8;  // 4× the baseline, from the first ticks of the new revision
  const auto seen = b.until_action();
  const RemediationProposal& p = seen.back();
  ASSERT_EQ(p.action, RemedyAction::Rollback) << p.reason;
  EXPECT_EQ(p.incident, IncidentClass::BadDeploy);
  EXPECT_EQ(p.signal, "latency");
  EXPECT_NEAR(p.threshold, 0.3, 1e-9) << "baseline 0.2 s × latency_factor 1.5";
  EXPECT_TRUE(has(p.reason, "revision 1 -> 2")) << p.reason;
  EXPECT_TRUE(has(p.expected_effect, "p99 latency back under 0.3 s")) << p.expected_effect;
  EXPECT_EQ(p.deadline, b.now - 15s + 12min + 30s + 1min + 3min) << "a rollback replaces every replica in waves";
  const RemediationInfo m = p.info();
  EXPECT_EQ(m.incident_class, "bad_deploy");
  EXPECT_EQ(m.proposed, "rollback");
  EXPECT_EQ(m.recovery, "pending");
  bool revision_evidence = false;
  for (const auto& e : m.evidence) revision_evidence |= e.signal == "revision";
  EXPECT_TRUE(revision_evidence);
}

TEST(Remediation, NoRollbackWithoutADeploy) {
  Bench b;
  b.healthy(10);
  b.s.latency = 0.8;
  b.s.errors = 5;  // 5 % own errors, no revision change, no restarts, no slow pod, not saturated
  for (int i = 0; i < 20; ++i) {
    const auto p = b.tick();
    EXPECT_EQ(p.incident, IncidentClass::Unknown);
    EXPECT_EQ(p.action, RemedyAction::None) << p.reason;
  }
}

TEST(Remediation, AnOldDeployIsNotImplicated) {
  Bench b;
  b.spec.remediation.deploy_window = 2min;
  b.planner = std::make_unique<RemediationPlanner>(b.spec.remediation);
  b.healthy(5);
  b.s.revision = 2;
  b.healthy(20);  // 5 minutes of a healthy new revision
  b.s.latency = 0.8;
  for (int i = 0; i < 10; ++i) EXPECT_NE(b.tick().action, RemedyAction::Rollback);
}

TEST(Remediation, DependencyOutageIsEscalatedAndNeverActedOn) {
  Bench b;
  b.healthy(10);
  b.s.dep = 8;        // 8 % of requests fail upstream (502/504)
  b.s.errors = 8.1;   // all 5xx: the service's own 500s stay at 0.1 %
  b.s.latency = 0.5;  // slower too, waiting on the dependency
  const auto seen = b.until_action();
  const RemediationProposal& p = seen.back();
  ASSERT_EQ(p.action, RemedyAction::Escalate) << p.reason;
  EXPECT_EQ(p.incident, IncidentClass::DependencyOutage);
  EXPECT_TRUE(has(p.reason, "dependency (502/504) error ratio 8.00%")) << p.reason;
  EXPECT_TRUE(has(p.reason, "cannot fix a dependency")) << p.reason;
  b.planner->escalated();
  for (int i = 0; i < 60; ++i) {
    const auto q = b.tick();
    EXPECT_EQ(q.action, RemedyAction::None) << q.reason;
    EXPECT_FALSE(q.acts());
  }
}

TEST(Remediation, ConflictingSignalsAreEscalatedWithTheReason) {
  Bench b;
  b.healthy(10);
  b.s.dep = 5;
  b.s.errors = 10;  // 5 % upstream AND 5 % of its own
  const auto p = b.until_action().back();
  EXPECT_EQ(p.action, RemedyAction::Escalate) << p.reason;
  EXPECT_TRUE(has(p.reason, "conflicting signals")) << p.reason;

  Bench c;  // dependency errors right after a deploy: the deploy may have broken the upstream URL
  c.healthy(10);
  c.s.revision = 2;
  c.s.dep = 5;
  c.s.errors = 5.1;
  const auto q = c.until_action().back();
  EXPECT_EQ(q.action, RemedyAction::Escalate) << q.reason;
  EXPECT_TRUE(has(q.reason, "after a deploy")) << q.reason;
}

TEST(Remediation, BadPodRestartsThatPodOnly) {
  Bench b;
  b.s.pods = {{"web-1", 0.2}, {"web-2", 0.21}, {"web-3", 0.19}, {"web-4", 0.2}};
  b.healthy(10);
  b.s.pods[2].second = 1.6;  // 8× the others
  b.s.latency = 1.5;
  const auto p = b.until_action().back();
  ASSERT_EQ(p.action, RemedyAction::RestartPod) << p.reason;
  EXPECT_EQ(p.incident, IncidentClass::BadPod);
  EXPECT_EQ(p.pod, "web-3");
  EXPECT_EQ(p.decision_action(), "restart");
  EXPECT_EQ(p.params(), (std::map<std::string, std::string>{{"mode", "evict"}, {"pod", "web-3"}}));
  EXPECT_TRUE(has(p.reason, "8.0× the median of the 3 others")) << p.reason;
}

TEST(Remediation, SaturationIsLeftToTheScalingPlanner) {
  Bench b;
  b.healthy(10);
  b.s.load = 180;
  b.s.saturation = 0.97;
  b.s.latency = 0.9;
  for (int i = 0; i < 10; ++i) {
    const auto p = b.tick();
    EXPECT_EQ(p.incident, IncidentClass::Saturation) << p.reason;
    EXPECT_EQ(p.action, RemedyAction::Scale);
    EXPECT_FALSE(p.acts());
  }
}

TEST(Remediation, NeverASecondRestartForOneIncident) {
  Bench b;
  b.healthy(10);
  const RemediationProposal p = b.crash_loop();
  ASSERT_EQ(p.action, RemedyAction::Restart);
  const Decision d = b.applied(p, "d-restart");
  b.planner->acted(d);
  for (int i = 0; i < 5; ++i) {
    b.s.restarts += 1;
    EXPECT_EQ(b.tick().action, RemedyAction::None) << "nothing new while the restart is verified";
  }
  b.planner->settled(d, /*recovered=*/false);
  b.s.restarts += 1;
  const auto f = b.tick();
  EXPECT_EQ(f.action, RemedyAction::Escalate) << f.reason;
  EXPECT_EQ(f.follow_up_of, "d-restart");
  EXPECT_TRUE(has(f.reason, "no deploy is implicated")) << f.reason;
  b.planner->escalated();
  for (int i = 0; i < 40; ++i) {
    b.s.restarts += 1;
    EXPECT_EQ(b.tick().action, RemedyAction::None);
  }
}

TEST(Remediation, AVerifiedRecoveryEndsTheCrashLoopItsRestartsMade) {
  Bench b;
  b.healthy(10);
  const RemediationProposal p = b.crash_loop();
  ASSERT_EQ(p.action, RemedyAction::Restart);
  Decision d = b.applied(p, "d-restart");
  b.planner->acted(d);
  for (int i = 0; i < 4; ++i) b.tick();
  d.remediation.rolled_out = b.now;
  b.planner->settled(d, /*recovered=*/true);
  // The restarts before the rollout are still inside the 5m restart_window: they must not be read
  // as a crash loop that a restart did not fix.
  for (int i = 0; i < 30; ++i) {
    const auto q = b.tick();
    EXPECT_EQ(q.action, RemedyAction::None) << "tick " << i << ": " << q.reason;
  }
  // New restarts still count.
  const RemediationProposal again = b.crash_loop();
  EXPECT_NE(again.action, RemedyAction::None) << again.reason;
}

TEST(Remediation, AFailedRestartIsFollowedByARollbackWhenADeployIsImplicated) {
  Bench b;
  b.spec.remediation.deploy_window = 2min;  // the deploy is too old to be rolled back at once...
  b.planner = std::make_unique<RemediationPlanner>(b.spec.remediation);
  b.healthy(5);
  b.s.revision = 2;
  b.healthy(12);  // 3 minutes later the pods start crashing
  RemediationProposal p;
  for (int i = 0; i < 10 && p.action == RemedyAction::None; ++i) {
    b.s.restarts += 1;
    p = b.tick();
  }
  ASSERT_EQ(p.action, RemedyAction::Restart) << p.reason;
  const Decision d = b.applied(p, "d-restart");
  b.planner->acted(d);
  b.planner->settled(d, false);  // ...but within the follow-up window when the restart did not help
  const auto f = b.tick();
  EXPECT_EQ(f.action, RemedyAction::Rollback) << f.reason;
  EXPECT_EQ(f.follow_up_of, "d-restart");
  const Decision r = b.applied(f, "d-rollback");
  b.planner->acted(r);
  b.planner->settled(r, false);
  const auto g = b.tick();
  EXPECT_EQ(g.action, RemedyAction::Escalate) << "a failed rollback is never retried: " << g.reason;
}

TEST(Remediation, RecoveryPassesWhenTheSignalIsBackAndFailsWhenNot) {
  for (const bool recovers : {true, false}) {
    Bench b;
    b.healthy(20);
    b.s.revision = 2;
    b.s.latency = 0.8;
    const auto p = b.until_action().back();
    ASSERT_EQ(p.action, RemedyAction::Rollback);
    Decision d = b.applied(p, "d-rollback");
    b.planner->acted(d);
    d.remediation.rolled_out = b.now;
    b.s.revision = 1;
    if (recovers) b.s.latency = 0.2;
    RecoveryCheck c;
    int ticks = 0;
    while (!c.done() && ticks++ < 100) {
      b.s.latency = recovers ? 0.2 + 0.001 * (ticks % 3) : 0.8 + 0.001 * (ticks % 3);
      b.tick();
      c = b.planner->check_recovery(d.remediation, b.now);
    }
    EXPECT_EQ(c.state, recovers ? "pass" : "fail") << c.detail;
    EXPECT_LE(ticks, 20) << "judged once settle (1m) + recovery_window (3m) were observed";
    EXPECT_TRUE(has(c.detail, "latency")) << c.detail;
  }
}

TEST(Remediation, RecoveryWithoutDataIsNoDataNeverAPass) {
  Bench b;
  b.healthy(20);
  b.s.revision = 2;
  b.s.latency = 0.8;
  const auto p = b.until_action().back();
  ASSERT_EQ(p.action, RemedyAction::Rollback);
  Decision d = b.applied(p, "d-rollback");
  b.planner->acted(d);
  d.remediation.rolled_out = b.now;
  b.s.latency = std::nan("");  // the latency query stops answering
  RecoveryCheck c;
  for (int i = 0; i < 100 && !c.done(); ++i) {
    b.tick();
    c = b.planner->check_recovery(d.remediation, b.now);
  }
  EXPECT_EQ(c.state, "no_data") << c.detail;
}

TEST(Remediation, DecisionRecordKeepsParamsAndTheRemediationBlock) {
  Decision d;
  d.id = "d-1";
  d.action = "restart";
  d.params = {{"mode", "evict"}, {"pod", "web-3"}};
  d.remediation.incident_class = "bad_pod";
  d.remediation.proposed = "restart_pod";
  d.remediation.confidence = 0.75;
  d.remediation.expected_effect = "pod web-3 replaced";
  d.remediation.evidence.push_back({"pod_latency", 1.6, 0.2, "pod web-3 vs the median of the 3 others"});
  d.remediation.signal = "pod_latency";
  d.remediation.threshold = 3;
  d.remediation.onset = TimePoint(Duration(1'800'000'000'000));
  d.remediation.deadline = TimePoint(Duration(1'800'000'600'000));
  d.remediation.recovery = "no_data";
  d.remediation.recovery_detail = "too few samples";
  d.remediation.follow_up_of = "d-0";
  Decision back;
  std::string err;
  ASSERT_TRUE(from_json(nlohmann::json::parse(to_json(d).dump()), back, &err)) << err;
  EXPECT_EQ(back.params, d.params);
  EXPECT_EQ(back.remediation.incident_class, "bad_pod");
  EXPECT_EQ(back.remediation.confidence, 0.75);
  ASSERT_EQ(back.remediation.evidence.size(), 1u);
  EXPECT_EQ(back.remediation.evidence[0].baseline, 0.2);
  EXPECT_EQ(back.remediation.onset, d.remediation.onset);
  EXPECT_EQ(back.remediation.deadline, d.remediation.deadline);
  EXPECT_FALSE(back.remediation.rolled_out);
  EXPECT_EQ(back.remediation.recovery, "no_data");
  EXPECT_EQ(back.remediation.follow_up_of, "d-0");
  const std::string text = explain(back);
  EXPECT_TRUE(has(text, "Remediation: incident class bad_pod, proposed restart_pod, confidence 0.75")) << text;
  EXPECT_TRUE(has(text, "recovery: no_data — too few samples")) << text;
  EXPECT_TRUE(has(text, "restart (mode=evict, pod=web-3)")) << text;
  EXPECT_TRUE(has(summarize(back), "restart web-3") || has(summarize(back), "(pod web-3)")) << summarize(back);
  // A wrong type names the field.
  auto bad = to_json(d);
  bad["params"]["pod"] = 3;
  EXPECT_FALSE(from_json(bad, back, &err));
  EXPECT_TRUE(has(err, "params.pod")) << err;
}

TEST(Remediation, SidecarQueriesKeepTheirPerPodSeries) {
  ScrapeSource source(ScrapeSpec{});
  TargetSpec t;
  t.name = "web";
  t.signals["load"] = SignalSpec{"sum(rate(requests_total[1m]))", {}};
  t.signals["pod_latency"] = SignalSpec{"max by (pod) (pod_p99_seconds)", {}};
  const std::string body =
      "requests_total 10\n"
      "pod_p99_seconds{pod=\"web-1\"} 0.2\n"
      "pod_p99_seconds{pod=\"web-2\"} 1.7\n"
      "pod_p99_seconds{pod=\"web-3\"} 0.21\n";
  const Observation o = source.observe_payload(t, TimePoint(Duration(1'800'000'000'000)), "text/plain", body);
  const SignalValue* pl = o.get("pod_latency");
  ASSERT_TRUE(pl && pl->ok()) << (pl ? pl->error : "no signal");
  ASSERT_EQ(pl->series.size(), 3u);
  std::map<std::string, double> by_pod;
  for (const auto& s : pl->series) by_pod[s.label("pod")] = s.value;
  EXPECT_EQ(by_pod["web-2"], 1.7);
  EXPECT_EQ(by_pod["web-1"], 0.2);
}

namespace {

namespace sb = opspilot::sandbox;

const char* kSandboxYaml = R"(
tick: 1s
services:
  - name: web
    load: {base: 200, daily_amplitude: 0, weekend_factor: 1, noise: 0}
    capacity: {per_replica: 50, workers: 4}
    latency: {p50: 50ms, p99: 200ms, cap: 10s}
    errors: {base_rate: 0}
    replicas: {initial: 8, max: 100, readiness_delay: 60s}
)";

constexpr std::int64_t kStart = 1767744000;  // 2026-01-07T00:00:00Z

sb::ApiResponse call(sb::SandboxApi& api, const std::string& method, const std::string& path, double at_s,
                     const std::string& body = "") {
  sb::ApiRequest req;
  req.method = method;
  req.target = path;
  req.body = body;
  return api.handle(req, from_unix_seconds(static_cast<double>(kStart) + at_s));
}

double metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  return at == std::string::npos ? std::nan("") : std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST(RemediationSandbox, SignalsTellIncidentsApartAndOnePodCanBeEvicted) {
  const auto loaded = sb::parse_config(kSandboxYaml);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  sb::SandboxApi api(sb::Model(*loaded.spec, kStart, 1));
  ASSERT_EQ(call(api, "POST", "/api/v1/incidents", 60, R"({"service":"web","type":"bad_pod","slow_factor":10})").status, 200);
  nlohmann::json state = nlohmann::json::parse(call(api, "GET", "/api/v1/state", 120).body);
  std::string slow;
  for (const auto& p : state["services"][0]["pods"])
    if (p["slow"].get<bool>()) slow = p["name"];
  ASSERT_FALSE(slow.empty()) << state.dump();
  std::string m = call(api, "GET", "/metrics", 120).body;
  const double slow_p99 = metric(m, "sandbox_pod_latency_seconds{service=\"web\",pod=\"" + slow + "\"}");
  EXPECT_GT(slow_p99, 5 * metric(m, "sandbox_pod_latency_seconds{service=\"web\",pod=\"web-" +
                                        std::string(slow == "web-2" ? "3" : "2") + "\"}"))
      << m;

  // Restart of that one pod: it is gone at once, its replacement is ready after the delay.
  const std::string evict = R"({"decision_id":"d-evict","kind":"restart","target":{"kind":"Deployment","name":"web"},)"
                            R"("params":{"mode":"evict","pod":")" + slow + R"("}})";
  auto r = call(api, "POST", "/api/v1/actions", 120, evict);
  ASSERT_EQ(r.status, 200) << r.body;
  state = nlohmann::json::parse(call(api, "GET", "/api/v1/state", 125).body);
  for (const auto& p : state["services"][0]["pods"]) EXPECT_NE(p["name"], slow);
  EXPECT_EQ(state["services"][0]["incidents"].size(), 0u) << "the bad_pod incident ended with its pod";
  EXPECT_EQ(nlohmann::json::parse(call(api, "GET", "/api/v1/actions/d-evict", 200).body)["state"], "done");
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, R"({"decision_id":"d-evict2","kind":"restart","target":{"name":"web"},"params":{"mode":"evict","pod":"web-99"}})").status, 404);
  EXPECT_EQ(call(api, "POST", "/api/v1/actions", 210, R"({"decision_id":"d-evict3","kind":"restart","target":{"name":"web"},"params":{"mode":"evict"}})").status, 400);

  // A dependency outage answers 502s, not the service's own 500s; a crash loop counts restarts.
  const double own_500s = metric(call(api, "GET", "/metrics", 300).body, "sandbox_http_requests_total{service=\"web\",code=\"500\"}");
  ASSERT_EQ(call(api, "POST", "/api/v1/incidents", 300, R"({"service":"web","type":"dependency_outage","duration":"10m","error_rate":0.2})").status, 200);
  ASSERT_EQ(call(api, "POST", "/api/v1/incidents", 300, R"({"service":"web","type":"crash_loop","crash_uptime_seconds":30})").status, 200);
  m = call(api, "GET", "/metrics", 900).body;
  EXPECT_GT(metric(m, "sandbox_http_requests_total{service=\"web\",code=\"502\"}"), 1000) << m;
  EXPECT_EQ(metric(m, "sandbox_http_requests_total{service=\"web\",code=\"500\"}"), own_500s);
  EXPECT_GT(metric(m, "sandbox_pod_restarts_total{service=\"web\"}"), 2);
  EXPECT_EQ(metric(m, "sandbox_rollout_started_timestamp_seconds{service=\"web\"}"), kStart + 120)
      << "the eviction at +120 s was the latest rollout";
}
