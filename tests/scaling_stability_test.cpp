// "The agent never oscillates": opspilot's own decision code (the reconciler, planner, guardrails
// and journal, through run_backtest's SimWorld) against noisy load around a flat mean, beside the
// HPA on the same trace; and a forecast whose interval is enormous, which must size for its
// quantile yet stay inside the target's limits, saying why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>

#include "actuators/dryrun/dryrun_actuator.h"
#include "agent/decide/planner.h"
#include "agent/journal/journal.h"
#include "agent/loop/reconciler.h"
#include "agent/loop/target_state.h"
#include "agent/predict/predictor.h"
#include "agent/store/series_store.h"
#include "examples/backtest/backtest.h"
#include "tests/test_support.h"

using namespace opspilot;
using namespace std::chrono_literals;
using opspilot::test::TempDir;

namespace {

constexpr std::int64_t kStart = 1'700'000'040;
constexpr double kMean = 500;          // req/s: 14.3 replicas' worth at 35 per replica
constexpr std::size_t kMinutes = 240;  // 4 h

/// splitmix64: a fixed, portable stream (std:: distributions differ between standard libraries).
double uniform01(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

/// Flat load at kMean with ±20% uniform noise, independent per minute.
backtest::Trace noisy_trace(std::uint64_t seed) {
  backtest::Trace t;
  t.step_s = 60;
  t.start_unix = kStart;
  t.source = "noisy flat load";
  for (std::size_t i = 0; i < kMinutes; ++i) t.rps.push_back(kMean * (0.8 + 0.4 * uniform01(seed)));
  return t;
}

agent::TargetSpec web_target() {
  agent::TargetSpec t;
  t.name = "web";
  t.scrape_url = "http://127.0.0.1:9/services/web/metrics";
  t.signals["load"] = {"sum(rate(sandbox_http_requests_total{service=\"web\"}[1m]))", {}};
  t.signals["replicas"] = {"sandbox_replicas{service=\"web\"}", {}};
  t.signals["ready_replicas"] = {"sandbox_ready_replicas{service=\"web\"}", {}};
  t.signals["latency"] = {
      "histogram_quantile(0.99, sum by (le) (rate(sandbox_http_request_duration_seconds_bucket{service=\"web\"}[1m])))",
      {}};
  t.signals["errors"] = {"sum(rate(sandbox_http_requests_total{service=\"web\",code=~\"5..\"}[1m]))", {}};
  t.capacity.per_replica = 50;
  t.capacity.target_utilization = 0.7;
  t.limits.min_replicas = 2;
  t.limits.max_replicas = 40;
  t.limits.cooldown_up = 15s;
  t.limits.cooldown_down = 15s;
  t.readiness_delay = 2min;
  t.scale_down_window = 5min;
  return t;
}

/// Direction changes in a sequence of replica counts: up then down, or down then up.
int reversals(const std::vector<int>& counts) {
  int last_dir = 0, n = 0;
  for (std::size_t i = 1; i < counts.size(); ++i) {
    const int dir = (counts[i] > counts[i - 1]) - (counts[i] < counts[i - 1]);
    if (dir == 0) continue;
    if (last_dir != 0 && dir != last_dir) ++n;
    last_dir = dir;
  }
  return n;
}

std::vector<int> desired_per_minute(const backtest::RunResult& r) {
  std::vector<int> v;
  for (const auto& m : r.minutes) v.push_back(m.desired);
  return v;
}

/// One noisy trace replayed by opspilot and the HPA, and what the agent did, from its journal.
struct NoisyRun {
  backtest::BacktestResult result;
  int reversals = 0;         // of the agent's acted decisions, in order
  int minute_reversals = 0;  // of its per-minute desired count
  int hpa_reversals = 0;
  std::string summary;
};

std::optional<NoisyRun> noisy_run(std::uint64_t trace_seed, std::string* err) {
  TempDir dir;
  backtest::BacktestOptions o;
  o.config.mode = agent::Mode::Active;
  o.config.interval = 15s;
  o.config.stale_after = 1min;
  o.config.targets.push_back(web_target());
  o.trace = noisy_trace(trace_seed);
  o.service = backtest::service_for_target(o.config.targets[0]);
  o.service.initial_replicas = 15;  // the mean's need: the noise, not a start-up, is what is judged
  o.seed = 3;
  o.journal_dir = dir.file("journal");
  o.run_oracle = false;
  auto r = backtest::run_backtest(o, err);
  if (!r) return std::nullopt;
  const auto journal = agent::Journal::open_read_only(o.journal_dir, err);
  if (!journal) return std::nullopt;
  auto decisions = journal->list("", 0);
  std::sort(decisions.begin(), decisions.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
  std::vector<int> acted{o.service.initial_replicas};
  for (const agent::Decision& d : decisions)
    if (d.action == "scale" && !d.calls.empty()) acted.push_back(d.desired_replicas);
  NoisyRun n{std::move(*r), reversals(acted), 0, 0, ""};
  n.minute_reversals = reversals(desired_per_minute(n.result.opspilot));
  n.hpa_reversals = reversals(desired_per_minute(n.result.hpa));
  std::ostringstream s;
  s << "trace seed " << trace_seed << ": opspilot " << n.result.opspilot.scaling_actions << " scaling actions, "
    << n.reversals << " reversals, " << n.result.opspilot.slo_violation_minutes << " SLO-violation minutes, "
    << n.result.opspilot.replica_hours << " replica-hours; HPA " << n.result.hpa.scaling_actions
    << " scaling actions, " << n.hpa_reversals << " reversals, " << n.result.hpa.slo_violation_minutes
    << " SLO-violation minutes, " << n.result.hpa.replica_hours << " replica-hours";
  n.summary = s.str();
  return n;
}

}  // namespace

// Three traces fixed in advance (not picked for their outcome), 4 h each.
TEST(ScalingStability, NoisyFlatLoadNeitherOscillatesNorViolatesTheSloByScalingDown) {
  const double hours = kMinutes / 60.0;
  int op_actions = 0, hpa_actions = 0;
  std::string all;
  for (std::uint64_t trace_seed : {1, 2, 3}) {
    std::string err;
    const auto n = noisy_run(trace_seed, &err);
    ASSERT_TRUE(n) << err;
    const backtest::RunResult& op = n->result.opspilot;
    std::cout << n->summary << "\n";
    all += n->summary + "\n";
    op_actions += op.scaling_actions;
    hpa_actions += n->result.hpa.scaling_actions;

    EXPECT_LE(2 * n->reversals, 3 * hours) << "at most 1.5 reversals per hour (while the forecaster still learns the noise); " << n->summary;
    EXPECT_LE(n->minute_reversals, n->reversals) << n->summary;
    // A minute that breaches the SLO must not follow a scale-down: no decrease of the desired
    // count in the readiness delay plus a few minutes before it.
    const backtest::SloSpec slo;
    const auto& m = op.minutes;
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (!(m[i].p99_s > slo.latency_s || m[i].error_ratio > slo.error_ratio)) continue;
      for (std::size_t k = i >= 6 ? i - 6 : 0; k < i; ++k)
        EXPECT_GE(m[k + 1].desired, m[k].desired)
            << "minute " << i << " violates the SLO (p99 " << m[i].p99_s << " s, errors " << m[i].error_ratio
            << ") after a scale-down at minute " << k + 1 << " from " << m[k].desired << " to " << m[k + 1].desired;
    }
    EXPECT_LE(op.slo_violation_minutes, n->result.hpa.slo_violation_minutes) << n->summary;
  }
  RecordProperty("summary", all);
  // Far fewer: at most half the HPA's actions over the three traces.
  EXPECT_LT(op_actions, hpa_actions) << "opspilot " << op_actions << " actions vs the HPA's " << hpa_actions
                                         << "\n" << all;
}

// ---------------------------------------------------------------------------------------------
// A forecast with an enormous interval

namespace {

/// A forecaster (a mock of our own interface) whose band reaches `upper`: centred on the last
/// value seen, as a model that has lost all certainty would be.
class HugeBandPredictor final : public agent::Predictor {
 public:
  double upper = 1e6;
  double confidence = 0.9;
  std::string name() const override { return "huge-band"; }
  agent::Prediction forecast(const std::vector<agent::Point>& history, agent::TimePoint, agent::Duration horizon,
                             double level) const override {
    agent::Prediction p;
    p.model = name();
    p.enough_data = true;
    p.horizon_seconds = agent::to_seconds(horizon);
    p.mean = history.empty() ? 0 : history.back().v;
    p.lower = 0;
    p.upper = upper;
    p.level = level;
    p.confidence = confidence;
    return p;
  }
};

/// Load and replica count, as scripted (a mock of our own interface).
class ScriptedSource final : public agent::MetricSource {
 public:
  double load = 200, replicas = 4;
  agent::Observation observe(const agent::TargetSpec&, agent::TimePoint now) override {
    agent::Observation o;
    o.at = now;
    for (auto [role, v] : {std::pair{"load", load}, std::pair{"replicas", replicas}}) {
      agent::SignalValue s;
      s.status = agent::SignalStatus::Ok;
      s.value = v;
      s.sampled_at = now;
      o.signals[role] = s;
    }
    return o;
  }
};

agent::TargetSpec planner_target() {
  agent::TargetSpec t;
  t.name = "web";
  t.signals["load"] = {"load", {}};
  t.signals["replicas"] = {"replicas", {}};
  t.capacity.per_replica = 100;
  t.capacity.target_utilization = 0.5;  // 50 req/s per replica
  t.limits.min_replicas = 2;
  t.limits.max_replicas = 20;
  t.forecast.model = "linear-trend";  // the stages' predictor, i.e. HugeBandPredictor
  return t;
}

agent::Prediction band(double mean, double upper) {
  agent::Prediction p;
  p.enough_data = true;
  p.mean = mean;
  p.lower = 0;
  p.upper = upper;
  p.level = 0.95;
  p.horizon_seconds = 135;
  p.confidence = 0.9;
  return p;
}

}  // namespace

TEST(HugeForecastInterval, ThePlannerSizesForItsQuantileAndSaysSo) {
  agent::ScalingPlanner planner;
  const agent::TargetSpec t = planner_target();
  agent::Observation o;
  o.signals["load"].status = agent::SignalStatus::Ok;
  o.signals["load"].value = 200;  // exactly 4 replicas' worth
  const agent::Prediction p = band(200, 1e6);
  const auto out = planner.plan({&t, &o, &p, 4, agent::TimePoint(agent::Duration(0))});
  // q90 of a 95% band read as normal: mean + z(0.9) / z(0.975) × (upper − mean).
  const double sized = 200 + agent::normal_quantile(0.9) / agent::normal_quantile(0.975) * (1e6 - 200);
  EXPECT_EQ(out.action, "scale");
  EXPECT_EQ(out.desired_replicas, static_cast<int>(std::ceil(sized / 50)));
  EXPECT_NE(out.reason.find("forecast q90"), std::string::npos) << out.reason;
  EXPECT_NE(out.reason.find("band to 1000000.0"), std::string::npos) << out.reason;
}

TEST(HugeForecastInterval, ABandBeyondAnyReplicaCountStillScalesUpNotDown) {
  // 1e12 req/s needs more replicas than an int holds: the planner must saturate, not wrap.
  agent::ScalingPlanner planner;
  const agent::TargetSpec t = planner_target();
  agent::Observation o;
  o.signals["load"].status = agent::SignalStatus::Ok;
  o.signals["load"].value = 200;
  for (double upper : {1e12, 1e300, std::numeric_limits<double>::infinity()}) {
    const agent::Prediction p = band(200, upper);
    const auto out = planner.plan({&t, &o, &p, 4, agent::TimePoint(agent::Duration(0))});
    EXPECT_EQ(out.action, "scale") << upper << ": " << out.reason;
    EXPECT_GT(out.desired_replicas, 4) << upper << ": " << out.reason;
  }
}

namespace {

/// The live loop around HugeBandPredictor and ScriptedSource: one target (planner_target(), as
/// `edit` changes it), active mode, a dry-run actuator and a journal.
struct HugeBandLoop {
  explicit HugeBandLoop(const std::function<void(agent::TargetSpec&)>& edit = {}) {
    config.mode = agent::Mode::Active;
    config.interval = 15s;
    config.stale_after = 1min;
    config.targets.push_back(planner_target());
    if (edit) edit(config.targets.back());
    agent::JournalSpec js;
    js.path = dir.file("journal");
    js.fsync = false;
    journal = agent::Journal::open(agent::JournalOptions::from_spec(js, &clock), &error);
    if (journal)
      reconciler.emplace(config, agent::Stages{&clock, &source, &store, &predictor, &actuator, journal.get(), nullptr,
                                               nullptr, nullptr, nullptr, nullptr});
  }
  /// One tick 15 s on, for a target with no cooldown and nothing in flight.
  agent::Decision tick() {
    agent::TargetState target(config.targets[0], config.stale_after);
    clock.advance(15s);
    return reconciler->tick(target);
  }

  TempDir dir;
  agent::ManualClock clock;
  ScriptedSource source;
  agent::SeriesStore store{clock};
  HugeBandPredictor predictor;
  actuators::DryRunActuator actuator;
  agent::Config config;
  std::string error;
  std::unique_ptr<agent::Journal> journal;
  std::optional<agent::Reconciler> reconciler;
};

}  // namespace

TEST(HugeForecastInterval, TheDecisionStaysWithinTheLimitsAndRecordsTheCap) {
  HugeBandLoop loop;
  ASSERT_TRUE(loop.journal) << loop.error;
  auto& predictor = loop.predictor;
  auto& journal = loop.journal;
  auto& actuator = loop.actuator;
  for (double upper : {1e6, 1e12}) {
    predictor.upper = upper;
    const agent::Decision d = loop.tick();
    EXPECT_EQ(d.action, "scale") << upper << ": " << d.reason;
    EXPECT_EQ(d.state, agent::DecisionState::Applied) << upper << ": " << d.reason;
    EXPECT_EQ(d.desired_replicas, 20) << upper << ": never above max_replicas; " << d.reason;
    EXPECT_NE(d.reason.find("forecast q90"), std::string::npos) << d.reason;
    // Why 20 and not what the band asked for: the guardrail's rule, or the planner's own words.
    const auto cap = std::find_if(d.policy.rules.begin(), d.policy.rules.end(),
                                  [](const auto& r) { return r.rule == "bounds.max_replicas"; });
    if (cap != d.policy.rules.end())
      EXPECT_NE(cap->reason.find("capped at max_replicas 20"), std::string::npos) << cap->reason;
    else
      EXPECT_NE(d.reason.find("max_replicas"), std::string::npos) << upper << ": the cap is not recorded; " << d.reason;
    const auto stored = journal->get(d.id);
    ASSERT_TRUE(stored) << d.id;
    EXPECT_EQ(stored->desired_replicas, 20);
    EXPECT_EQ(stored->prediction.upper, upper);
  }
  ASSERT_FALSE(actuator.recorded().empty());
  for (const auto& a : actuator.recorded()) EXPECT_LE(a.replicas, 20);
}

TEST(HugeForecastInterval, BelowMinConfidenceTheForecastIsNotActedOnAndTheReactiveRuleDecides) {
  // forecast.min_confidence says "hold" for a band this wide: the planner neither sizes for its
  // upper quantile nor scales down on it, and the reactive floor still scales up for real load.
  HugeBandLoop loop([](agent::TargetSpec& t) { t.forecast.min_confidence = 0.3; });
  ASSERT_TRUE(loop.journal) << loop.error;
  loop.predictor.confidence = 0.05;
  agent::Decision d = loop.tick();
  EXPECT_EQ(d.action, "hold") << d.reason;  // 200 req/s on 4 replicas at 50 each: exactly right
  EXPECT_FALSE(d.prediction.trusted);
  EXPECT_NE(d.reason.find("confidence 0.05 is below the floor min_confidence 0.30"), std::string::npos) << d.reason;
  loop.source.load = 400;
  d = loop.tick();
  EXPECT_EQ(d.action, "scale") << d.reason;
  EXPECT_EQ(d.desired_replicas, 8) << "the reactive need of 400 req/s, not the band's; " << d.reason;
  // At or above the floor, the same band is sized for as usual.
  loop.predictor.confidence = 0.3;
  loop.source.load = 200;
  d = loop.tick();
  EXPECT_TRUE(d.prediction.trusted);
  EXPECT_EQ(d.desired_replicas, 20) << d.reason;
}
