// `opspilot backtest`: the baselines against hand-computed cases of the algorithms they claim to
// follow, the trace reader, a whole replay of a short synthetic trace in-process, and the command
// line as a real process.
//
// The HPA cases follow k8s.io/kubernetes pkg/controller/podautoscaler: replica_calculator.go
// (GetResourceReplicas: usage ratio, tolerance, unready pods at 0% on scale-up and dropped when
// that lands within tolerance or flips the direction, unready pods ignored on scale-down) and
// horizontal.go (stabilizeRecommendationWithBehaviors: the largest recommendation of the last
// 300 s when scaling down; the default behaviour: up by max(100%, 4 pods) per 15 s; min/max).
// Targets of 0.5 keep the arithmetic exact in binary floating point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agent/journal/journal.h"
#include "examples/backtest/backtest.h"
#include "examples/backtest/operating_points.h"
#include "examples/backtest/baselines.h"
#include "tests/test_support.h"

using namespace opspilot;
using namespace opspilot::backtest;
using namespace std::chrono_literals;
using opspilot::test::TempDir;

namespace {

HpaSpec hpa_spec(double target, int min_replicas = 1, int max_replicas = 100) {
  HpaSpec s;
  s.target_utilization = target;
  s.min_replicas = min_replicas;
  s.max_replicas = max_replicas;
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// HpaController

TEST(HpaController, DesiredIsCeilOfRatioTimesReadyPods) {
  HpaController hpa(hpa_spec(0.5));
  // ratio 0.9 / 0.5 = 1.8 → ceil(1.8 × 4) = ceil(7.2) = 8 (within the 2× limit of 8).
  EXPECT_EQ(hpa.sync(0, 4, 4, 0.9), 8);
  EXPECT_NE(hpa.reason().find("1.800"), std::string::npos) << hpa.reason();
  EXPECT_NE(hpa.reason().find("4 -> 8"), std::string::npos) << hpa.reason();
}

TEST(HpaController, InsideTheToleranceKeepsTheCurrentCount) {
  HpaController hpa(hpa_spec(0.5));
  EXPECT_EQ(hpa.sync(0, 4, 4, 0.54), 4);    // ratio 1.08: |1.08 − 1| <= 0.1
  EXPECT_EQ(hpa.sync(15, 4, 4, 0.47), 4);   // ratio 0.94
  EXPECT_EQ(hpa.sync(30, 4, 4, 0.56), 5);   // ratio 1.12 → ceil(4.48) = 5
}

TEST(HpaController, UnreadyPodsCountAtZeroOnScaleUpAndADampedStepIsDropped) {
  // 6 pods, 4 ready at 80%: the ready ones alone (ratio 1.6) would ask ceil(6.4) = 7; with the 2
  // starting pods at 0% the ratio is 3.2 / 3 = 1.067, within tolerance: no change.
  EXPECT_EQ(HpaController(hpa_spec(0.5)).sync(0, 6, 4, 0.8), 6);
  EXPECT_EQ(HpaController(hpa_spec(0.5)).sync(0, 4, 4, 0.8), 7) << "the same usage, every pod ready";
  // 9 pods, 4 ready at 90%: the ready ones say ceil(7.2) = 8 < 9, a scale-down on a scale-up
  // signal; counted at 0% the ratio is 3.6 / 4.5 = 0.8: the direction flips, keep 9.
  EXPECT_EQ(HpaController(hpa_spec(0.5)).sync(0, 9, 4, 0.9), 9);
  // 6 pods, 4 ready at 100%: 4 / 3 = 1.333 > 1.1 still → ceil(1.333 × 6) = 8.
  HpaController hpa(hpa_spec(0.5));
  EXPECT_EQ(hpa.sync(0, 6, 4, 1.0), 8);
  EXPECT_NE(hpa.reason().find("unready"), std::string::npos) << hpa.reason();
}

TEST(HpaController, UnreadyPodsAreIgnoredOnScaleDownAndNoReadyPodKeepsTheScale) {
  // 6 pods, 4 ready at 47%: ratio 0.94 over the ready pods, within tolerance: keep 6. (Counting
  // the 2 starting pods at 0% would have said 1.88 / 3 = 0.63 → 4.)
  EXPECT_EQ(HpaController(hpa_spec(0.5)).sync(0, 6, 4, 0.47), 6);
  EXPECT_EQ(HpaController(hpa_spec(0.5)).sync(0, 6, 4, 0.2), 2);  // ratio 0.4 → ceil(1.6) = 2
  HpaController none(hpa_spec(0.5));
  EXPECT_EQ(none.sync(0, 3, 0, 0), 3);
  EXPECT_NE(none.reason().find("no ready pod"), std::string::npos) << none.reason();
}

TEST(HpaController, ScaleDownTakesTheLargestRecommendationOfTheLast300s) {
  HpaController hpa(hpa_spec(0.5));
  EXPECT_EQ(hpa.sync(0, 8, 8, 0.5), 8);      // ratio 1: recommends 8
  EXPECT_EQ(hpa.sync(100, 8, 8, 0.375), 8);  // ratio 0.75: recommends 6, but 8 is in the window
  EXPECT_EQ(hpa.sync(200, 8, 8, 0.25), 8);   // recommends 4; 8 (t=0) still in the window
  // t=320: the window (20, 320] holds 6 (t=100) and 4s: the largest, 6, not the latest, 4.
  EXPECT_EQ(hpa.sync(320, 8, 8, 0.25), 6);
  EXPECT_NE(hpa.reason().find("8 -> 6"), std::string::npos) << hpa.reason();
  // t=410: only 4s left in [110, 410]; 6 pods at 30%: ratio 0.6 → ceil(3.6) = 4.
  EXPECT_EQ(hpa.sync(410, 6, 6, 0.3), 4);
}

TEST(HpaController, ScaleUpIsNotStabilised) {
  HpaController hpa(hpa_spec(0.5));
  EXPECT_EQ(hpa.sync(0, 8, 8, 0.25), 4);   // ratio 0.5 → 4; the window holds only this one
  // The load comes back: the lower recommendation of 15 s ago does not hold the scale-up back.
  EXPECT_EQ(hpa.sync(15, 4, 4, 0.75), 6);  // ratio 1.5 → 6 at once
}

TEST(HpaController, ScaleUpIsLimitedToDoubleOrFourPodsPerSync) {
  // 2 pods at 100% of a 10% target: ratio 10 → 20 asked; the limit is max(2 × 2, 2 + 4) = 6.
  EXPECT_EQ(HpaController(hpa_spec(0.1)).sync(0, 2, 2, 1.0), 6);
  // 10 pods at 100% of 20%: ratio 5 → 50 asked; the limit is max(20, 14) = 20.
  EXPECT_EQ(HpaController(hpa_spec(0.2)).sync(0, 10, 10, 1.0), 20);
}

TEST(HpaController, MinAndMaxReplicasClampTheResult) {
  EXPECT_EQ(HpaController(hpa_spec(0.5, 1, 10)).sync(0, 8, 8, 1.0), 10);  // 16 asked, max 10
  EXPECT_EQ(HpaController(hpa_spec(0.5, 3, 10)).sync(0, 4, 4, 0.05), 3);  // ratio 0.1 → 1, min 3
}

// ---------------------------------------------------------------------------------------------
// Oracle

namespace {

OracleSpec oracle_spec(double lead_s) {
  OracleSpec s;
  s.per_replica = 50;
  s.target_utilization = 0.5;  // 25 req/s per replica
  s.lead_s = lead_s;
  s.min_replicas = 2;
  s.max_replicas = 10;
  return s;
}

}  // namespace

TEST(Oracle, NeedRoundsUpAndClamps) {
  const Oracle o(oracle_spec(0), {}, 60);
  EXPECT_EQ(o.need(0), 2);       // min
  EXPECT_EQ(o.need(50), 2);      // exactly 2 replicas' worth is not 3
  EXPECT_EQ(o.need(50.5), 3);
  EXPECT_EQ(o.need(75), 3);
  EXPECT_EQ(o.need(76), 4);
  EXPECT_EQ(o.need(10000), 10);  // max
}

TEST(Oracle, DesiredCoversThePeakOverTheLeadTime) {
  // Steps of 60 s: [0,60) 50, [60,120) 50, [120,180) 200, [180,240) 50, then 100.
  const Oracle o(oracle_spec(135), {50, 50, 200, 50, 100}, 60);
  EXPECT_EQ(o.desired(0), 8);     // [0, 135] reaches into the 200 step: 200 / 25 = 8
  EXPECT_EQ(o.desired(150), 8);   // still inside it
  EXPECT_EQ(o.desired(180), 4);   // [180, 315]: 50 then 100
  EXPECT_EQ(o.desired(240), 4);   // the last step
  EXPECT_EQ(o.desired(300), 2);   // past the trace: no load, the minimum
  const Oracle short_lead(oracle_spec(30), {50, 50, 200, 50, 100}, 60);
  EXPECT_EQ(short_lead.desired(60), 2);   // [60, 90] sees only the 50 step
  EXPECT_EQ(short_lead.desired(100), 8);  // [100, 130] crosses into the 200 step
  // An offset trace starts later: before it, nothing is needed.
  const Oracle offset(oracle_spec(30), {200}, 60, 120);
  EXPECT_EQ(offset.desired(0), 2);
  EXPECT_EQ(offset.desired(100), 8);
}

namespace {

TrendOracleSpec trend_spec(double k) {
  TrendOracleSpec s;
  s.sizing = oracle_spec(135);  // 25 req/s per replica, 2 to 10 replicas
  s.sizing.max_replicas = 40;
  s.noise_k = k;
  s.trend_half_window = 2;   // median of 5 steps
  s.noise_half_window = 3;   // mean absolute deviation over 7 steps
  return s;
}

}  // namespace

TEST(TrendOracle, AFlatTraceHasNoNoiseAndIsSizedLikeTheOracle) {
  const std::vector<double> flat(30, 100);
  const TrendOracle t(trend_spec(3), flat, 60);
  EXPECT_EQ(t.desired(600), 4);  // 100 / 25, no headroom: the deviation from the trend is 0
}

TEST(TrendOracle, AOneMinuteSpikeIsNoiseNotTrendAndWidensTheHeadroomAroundIt) {
  std::vector<double> load(30, 100);
  load[15] = 400;
  const TrendOracle none(trend_spec(0), load, 60);
  // The median ignores the spike: k = 0 sizes for the trend alone, even over the spike's minute.
  EXPECT_EQ(none.desired(14 * 60), 4);
  // With k = 1, the spike's deviation (300 over 7 steps ≈ 42.9) is headroom within 3 steps of
  // it: 142.9 / 25 → 6; far from it, none.
  const TrendOracle one(trend_spec(1), load, 60);
  EXPECT_EQ(one.desired(14 * 60), 6);
  EXPECT_EQ(one.desired(2 * 60), 4);
}

TEST(TrendOracle, AStepInTheTrendIsProvisionedAheadByTheLead) {
  std::vector<double> load(40, 100);
  for (std::size_t i = 20; i < load.size(); ++i) load[i] = 300;
  const TrendOracle t(trend_spec(0), load, 60);
  EXPECT_EQ(t.desired(10 * 60), 4);
  // The median of 5 switches at step 20 itself; [18·60, 18·60 + 135] reaches into it.
  EXPECT_EQ(t.desired(18 * 60), 12);
}

// ---------------------------------------------------------------------------------------------
// read_trace

TEST(ReadTrace, CountsPerStepBecomeRatesAndGapsAreFilledAndCounted) {
  TempDir dir;
  const std::string path = dir.write("t.csv", "timestamp,requests\n0,60\n60,120\n120,60\n300,180\n360,60\n");
  std::string err;
  const auto t = read_trace(path, "", false, &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->step_s, 60);
  EXPECT_EQ(t->start_unix, 0);
  EXPECT_EQ(t->gaps, 2u);  // 180 and 240 are missing
  EXPECT_EQ(t->repaired, 0u);
  EXPECT_EQ(t->rps, (std::vector<double>{1, 2, 1, 1, 1, 3, 1}));
  EXPECT_EQ(t->source, path);
}

TEST(ReadTrace, PerSecondValuesAreTakenAsRates) {
  TempDir dir;
  const std::string path = dir.write("t.csv",
                                     "time,other,rps\n"
                                     "1995-07-01T04:00:00Z,9,12.5\n"
                                     "1995-07-01T04:01:00Z,9,20\n");
  std::string err;
  const auto t = read_trace(path, "rps", true, &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->start_unix, 804571200);
  EXPECT_EQ(t->rps, (std::vector<double>{12.5, 20}));
  // The default value column is the second one.
  const auto other = read_trace(path, "", true, &err);
  ASSERT_TRUE(other) << err;
  EXPECT_EQ(other->rps, (std::vector<double>{9, 9}));
}

TEST(ReadTrace, BadValuesAreRepairedWithThePreviousValueAndCounted) {
  TempDir dir;
  const std::string path = dir.write("t.csv", "timestamp,requests\n0,x\n60,120\n120,\n180,-5\n240,nan\n300,60\n");
  std::string err;
  const auto t = read_trace(path, "", false, &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->repaired, 4u);
  EXPECT_EQ(t->repaired_lines, (std::vector<std::size_t>{2, 4, 5, 6}));
  EXPECT_EQ(t->gaps, 0u);
  // The first has no previous value (0); the others repeat the previous rate, 2 req/s.
  EXPECT_EQ(t->rps, (std::vector<double>{0, 2, 2, 2, 2, 1}));
}

TEST(ReadTrace, ATimestampGoingBackwardsIsAnErrorWithFileAndLine) {
  TempDir dir;
  const std::string path = dir.write("t.csv", "timestamp,requests\n0,1\n60,1\n120,1\n60,1\n180,1\n");
  std::string err;
  EXPECT_FALSE(read_trace(path, "", false, &err));
  EXPECT_NE(err.find(path + ":5:"), std::string::npos) << err;
  EXPECT_NE(err.find("60"), std::string::npos) << err;
  // Blank lines count when naming the line.
  const std::string blank = dir.write("b.csv", "timestamp,requests\n0,1\n\n60,1\n120,1\n60,1\n");
  EXPECT_FALSE(read_trace(blank, "", false, &err));
  EXPECT_NE(err.find(blank + ":6:"), std::string::npos) << err;
}

TEST(ReadTrace, EmptyOneRowAndMissingFilesAreErrorsNamingTheFile) {
  TempDir dir;
  std::string err;
  const std::string empty = dir.write("zero.csv", "");  // the message, not the name, says "empty"
  EXPECT_FALSE(read_trace(empty, "", false, &err));
  EXPECT_NE(err.find(empty), std::string::npos) << err;
  EXPECT_NE(err.find("empty"), std::string::npos) << err;

  const std::string header = dir.write("header.csv", "timestamp,requests\n");
  EXPECT_FALSE(read_trace(header, "", false, &err));
  EXPECT_NE(err.find(header), std::string::npos) << err;

  const std::string one = dir.write("one.csv", "timestamp,requests\n0,5\n");
  EXPECT_FALSE(read_trace(one, "", false, &err));
  EXPECT_NE(err.find(one), std::string::npos) << err;
  EXPECT_NE(err.find("at least 2"), std::string::npos) << err;

  const std::string missing = dir.file("nope.csv");
  EXPECT_FALSE(read_trace(missing, "", false, &err));
  EXPECT_NE(err.find(missing), std::string::npos) << err;

  const std::string column = dir.write("col.csv", "timestamp,requests\n0,5\n60,5\n");
  EXPECT_FALSE(read_trace(column, "rps", false, &err));
  EXPECT_NE(err.find("\"rps\""), std::string::npos) << err;
}

// ---------------------------------------------------------------------------------------------
// run_backtest on a synthetic trace

namespace {

constexpr std::int64_t kStart = 1'700'000'040;  // a whole minute, so model minutes are trace steps

/// The web target of examples/backtest/nasa.yaml, built in code.
agent::Config web_config() {
  agent::Config c;
  c.mode = agent::Mode::Active;
  c.interval = 15s;
  c.stale_after = 1min;
  agent::TargetSpec t;
  t.name = "web";
  t.scrape_url = "http://127.0.0.1:9/services/web/metrics";
  auto signal = [&](const char* role, std::string query) { t.signals[role] = agent::SignalSpec{std::move(query), {}}; };
  signal("load", "sum(rate(sandbox_http_requests_total{service=\"web\"}[1m]))");
  signal("replicas", "sandbox_replicas{service=\"web\"}");
  signal("ready_replicas", "sandbox_ready_replicas{service=\"web\"}");
  signal("saturation", "sandbox_cpu_utilization{service=\"web\"}");
  signal("latency",
         "histogram_quantile(0.99, sum by (le) (rate(sandbox_http_request_duration_seconds_bucket{service=\"web\"}[1m])))");
  signal("errors", "sum(rate(sandbox_http_requests_total{service=\"web\",code=~\"5..\"}[1m]))");
  // Pinned at 70%, as the HPA and the oracle plan, so the oracle is this target's lower bound.
  t.capacity = {50, 0.7, /*learn_utilization=*/false, 0.9};
  t.limits = {2, 40, 0, 0, 15s, 15s};  // min, max, no step limits, cooldowns up and down
  t.readiness_delay = 2min;
  t.scale_down_window = 5min;
  t.slo.objective = 99.5;
  t.slo.latency_seconds = 0.5;
  c.targets.push_back(t);
  return c;
}

// The synthetic 6 h (minutes): 2 h flat at 350 req/s (10 replicas at 35 each), a 30-minute ramp
// to 3×, 2 h at 3×, 30 minutes back down, an hour flat again.
constexpr std::size_t kRampFrom = 120, kRampMinutes = 30, kHigh = 120, kDown = 30, kTail = 60;
constexpr double kBase = 350;

Trace ramp_trace() {
  Trace t;
  t.step_s = 60;
  t.start_unix = kStart;
  t.source = "synthetic ramp";
  for (std::size_t i = 0; i < kRampFrom; ++i) t.rps.push_back(kBase);
  for (std::size_t i = 1; i <= kRampMinutes; ++i) t.rps.push_back(kBase * (1 + 2.0 * i / kRampMinutes));
  for (std::size_t i = 0; i < kHigh; ++i) t.rps.push_back(3 * kBase);
  for (std::size_t i = 1; i <= kDown; ++i) t.rps.push_back(kBase * (3 - 2.0 * i / kDown));
  for (std::size_t i = 0; i < kTail; ++i) t.rps.push_back(kBase);
  return t;
}

BacktestOptions ramp_options(const std::string& journal_dir) {
  BacktestOptions o;
  o.config = web_config();
  o.trace = ramp_trace();
  o.service = service_for_target(o.config.targets[0]);
  o.service.initial_replicas = 10;  // start settled for the flat load, not at min_replicas
  o.seed = 7;
  o.journal_dir = journal_dir;
  return o;
}

/// The first minute at or after `from` whose desired count is above the one before `from`.
std::size_t first_scale_up(const RunResult& r, std::size_t from) {
  const int before = r.minutes.at(from - 1).desired;
  for (std::size_t i = from; i < r.minutes.size(); ++i)
    if (r.minutes[i].desired > before) return i;
  return r.minutes.size();
}

double violations(const RunResult& r, std::size_t from, std::size_t to, const backtest::SloSpec& slo) {
  double n = 0;
  for (std::size_t i = from; i < std::min(to, r.minutes.size()); ++i) {
    const auto& m = r.minutes[i];
    n += m.load_rps > 0 && (m.p99_s > slo.latency_s || m.error_ratio > slo.error_ratio);
  }
  return n;
}

/// One replay shared by the tests below (the agent's own code in simulated time is the slow part).
class RampBacktest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string err;
    auto r = run_backtest(ramp_options(dir_->file("journal")), &err);
    ASSERT_TRUE(r) << err;
    result_ = new BacktestResult(std::move(*r));
    std::cout << summary_markdown(ramp_options(dir_->file("journal")), *result_);  // for the log
  }
  static void TearDownTestSuite() {
    delete result_;
    delete dir_;
    result_ = nullptr;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  static BacktestResult* result_;
};
TempDir* RampBacktest::dir_ = nullptr;
BacktestResult* RampBacktest::result_ = nullptr;

}  // namespace

TEST_F(RampBacktest, AllThreeRunOverTheWholeTraceAndAreReported) {
  ASSERT_TRUE(result_);
  const std::size_t minutes = ramp_trace().rps.size();
  for (const RunResult* r : {&result_->opspilot, &result_->hpa, &result_->oracle}) {
    EXPECT_TRUE(r->ran) << r->name;
    EXPECT_EQ(r->minutes.size(), minutes) << r->name;
    EXPECT_GT(r->replica_hours, 0) << r->name;
    EXPECT_EQ(r->minutes.front().unix_s, kStart) << r->name;
    // The model replayed the trace: each minute's offered load is the trace's.
    EXPECT_NEAR(r->minutes[kRampFrom + kRampMinutes + 5].load_rps, 3 * kBase, 1e-6) << r->name;
  }
  // The reports name the three runs and have one CSV row per minute.
  const BacktestOptions o = ramp_options(dir_->file("journal"));
  const std::string md = summary_markdown(o, *result_);
  for (const char* name : {"| opspilot |", "| hpa |", "| oracle |", "synthetic ramp"})
    EXPECT_NE(md.find(name), std::string::npos) << name << " in\n" << md;
  const std::string csv = minutes_csv(*result_);
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), minutes + 1);
  EXPECT_EQ(csv.rfind("unix_seconds,load_rps,opspilot_desired,", 0), 0u) << csv.substr(0, 200);
  EXPECT_NE(chart_html(o, *result_).find("<svg"), std::string::npos);
}

TEST_F(RampBacktest, OpspilotScalesUpNoLaterThanTheHpaAndViolatesNoMoreOnTheRamp) {
  ASSERT_TRUE(result_);
  const RunResult& op = result_->opspilot;
  const RunResult& hpa = result_->hpa;
  const std::size_t op_up = first_scale_up(op, kRampFrom), hpa_up = first_scale_up(hpa, kRampFrom);
  EXPECT_LE(op_up, kRampFrom + 2) << "opspilot scales up as the ramp arrives";
  EXPECT_LE(op_up, hpa_up);
  const backtest::SloSpec slo;
  const std::size_t from = kRampFrom, to = kRampFrom + kRampMinutes + 15;
  EXPECT_LE(violations(op, from, to, slo), violations(hpa, from, to, slo));
  EXPECT_LE(op.slo_violation_minutes, hpa.slo_violation_minutes);
}

TEST_F(RampBacktest, TheOracleUsesTheFewestReplicaHours) {
  ASSERT_TRUE(result_);
  EXPECT_LT(result_->oracle.replica_hours, result_->opspilot.replica_hours);
  EXPECT_LT(result_->oracle.replica_hours, result_->hpa.replica_hours);
  // And it is right about the load: flat 350 req/s at 35 per replica is exactly 10.
  EXPECT_EQ(result_->oracle.minutes[30].desired, 10);
  EXPECT_EQ(result_->oracle.minutes[kRampFrom + kRampMinutes + 30].desired, 30);
}

TEST_F(RampBacktest, DecisionsAreJournaledAndEveryActedOneIsVerifiedOrFailedWithAReason) {
  ASSERT_TRUE(result_);
  std::string err;
  const auto journal = agent::Journal::open_read_only(dir_->file("journal"), &err);
  ASSERT_TRUE(journal) << err;
  EXPECT_EQ(journal->replay_stats().events, result_->records) << "every journaled state change was counted";
  EXPECT_EQ(journal->replay_stats().corrupt_lines, 0u);
  const auto decisions = journal->list("", 0);
  ASSERT_FALSE(decisions.empty());
  std::size_t acted = 0, in_flight = 0;
  for (const agent::Decision& d : decisions) {
    EXPECT_EQ(d.target, "web");
    EXPECT_EQ(d.mode, "active");
    EXPECT_FALSE(d.reason.empty()) << d.id;
    if (d.action != "scale" || d.calls.empty()) continue;
    ++acted;
    EXPECT_TRUE(d.policy_checked) << d.id;
    switch (d.state) {
      case agent::DecisionState::Verified:
        EXPECT_NE(d.outcome.find("verified"), std::string::npos) << d.id << ": " << d.outcome;
        break;
      case agent::DecisionState::Failed:
        EXPECT_FALSE(d.outcome.empty() && d.error.empty()) << d.id << " failed without a reason";
        break;
      case agent::DecisionState::Applied:
        ++in_flight;  // only the last one may still be in flight when the trace ends
        break;
      default:
        ADD_FAILURE() << d.id << " acted but ended " << agent::to_string(d.state);
    }
  }
  EXPECT_EQ(acted, result_->actions);
  EXPECT_LE(in_flight, 1u);
  EXPECT_GE(acted, 2u) << "the ramp up and the ramp down each take at least one action";
  // The scaling actions counted are the replica-count changes asked for.
  EXPECT_GE(static_cast<std::size_t>(result_->opspilot.scaling_actions), 2u);
  EXPECT_LE(static_cast<std::size_t>(result_->opspilot.scaling_actions), acted);
}

TEST_F(RampBacktest, TwoRunsGiveIdenticalMinutesAndNumbers) {
  ASSERT_TRUE(result_);
  TempDir other;
  std::string err;
  const auto again = run_backtest(ramp_options(other.file("journal")), &err);
  ASSERT_TRUE(again) << err;
  const std::pair<const RunResult*, const RunResult*> pairs[] = {
      {&result_->opspilot, &again->opspilot}, {&result_->hpa, &again->hpa}, {&result_->oracle, &again->oracle}};
  for (const auto& [a, b] : pairs) {
    EXPECT_EQ(a->slo_violation_minutes, b->slo_violation_minutes) << a->name;
    EXPECT_EQ(a->replica_hours, b->replica_hours) << a->name;
    EXPECT_EQ(a->scaling_actions, b->scaling_actions) << a->name;
    EXPECT_EQ(a->mean_utilization, b->mean_utilization) << a->name;
    ASSERT_EQ(a->minutes.size(), b->minutes.size()) << a->name;
    for (std::size_t i = 0; i < a->minutes.size(); ++i) {
      const auto &x = a->minutes[i], &y = b->minutes[i];
      ASSERT_TRUE(x.unix_s == y.unix_s && x.desired == y.desired && x.ready == y.ready && x.load_rps == y.load_rps &&
                  x.p99_s == y.p99_s && x.error_ratio == y.error_ratio)
          << a->name << " minute " << i << ": desired " << x.desired << " vs " << y.desired << ", p99 " << x.p99_s
          << " vs " << y.p99_s;
    }
  }
  EXPECT_EQ(result_->decisions, again->decisions);
  EXPECT_EQ(result_->actions, again->actions);
}

TEST_F(RampBacktest, AnOperatingPointAtTheConfigsOwnSettingsIsTheSameReplay) {
  ASSERT_TRUE(result_);
  TempDir dir;
  const BacktestOptions o = ramp_options(dir.file("journal"));
  const agent::TargetSpec& t = o.config.targets[0];
  const OperatingPoint own{t.forecast.quantile, t.capacity.learn_utilization};
  const std::vector<OperatingPoint> points = {own, {0.6, false}, {0.6, false}};
  const auto swept = run_operating_points(o, points, dir.file("points"), 2);
  ASSERT_EQ(swept.size(), 3u);
  ASSERT_TRUE(swept[0].run) << swept[0].error;
  ASSERT_TRUE(swept[1].run) << swept[1].error;
  EXPECT_FALSE(swept[2].run);
  EXPECT_EQ(swept[2].error, "the same operating point as #2");
  // Two at a time changes nothing: the point at the config's own settings is the base replay.
  const RunResult& same = *swept[0].run;
  EXPECT_EQ(same.name, "opspilot");
  EXPECT_EQ(same.slo_violation_minutes, result_->opspilot.slo_violation_minutes);
  EXPECT_EQ(same.replica_hours, result_->opspilot.replica_hours);
  EXPECT_EQ(same.scaling_actions, result_->opspilot.scaling_actions);
  ASSERT_EQ(same.minutes.size(), result_->opspilot.minutes.size());
  for (std::size_t i = 0; i < same.minutes.size(); ++i)
    ASSERT_EQ(same.minutes[i].desired, result_->opspilot.minutes[i].desired) << "minute " << i;
  // A lower quantile never asks for more.
  EXPECT_LE(swept[1].run->replica_hours, same.replica_hours);
  // Each point journals its own decisions.
  for (const char* d : {"points/q90-pinned", "points/q60-pinned"})
    EXPECT_TRUE(std::filesystem::is_directory(dir.file(d))) << d;

  const std::string md = operating_points_markdown(o, *result_, swept);
  for (const char* want : {"| q90, pinned at 70% (config) |", "| q60, pinned at 70% |", "frontier",
                           "not replayed: the same operating point as #2"})
    EXPECT_NE(md.find(want), std::string::npos) << want << " in\n" << md;
  // The point at the config's settings is the (config) row, not a second one.
  EXPECT_EQ(md.find("| q90, pinned at 70% |"), std::string::npos) << md;
  const bool cheaper = same.replica_hours <= result_->hpa.replica_hours ||
                       swept[1].run->replica_hours <= result_->hpa.replica_hours;
  EXPECT_NE(md.find(cheaper ? "Fewest SLO-violation minutes at no more replica-hours than the HPA"
                            : "No operating point here uses no more replica-hours than the HPA"),
            std::string::npos)
      << md;
}

TEST(RunBacktest, SetUpErrorsAreValues) {
  TempDir dir;
  BacktestOptions o = ramp_options(dir.file("journal"));
  o.target = "checkout";
  std::string err;
  EXPECT_FALSE(run_backtest(o, &err));
  EXPECT_NE(err.find("\"checkout\""), std::string::npos) << err;
  o = ramp_options(dir.file("journal"));
  o.trace.rps.clear();
  EXPECT_FALSE(run_backtest(o, &err));
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
}

TEST(RunBacktest, NotesNameTheReplayedTargetWhenTheConfigHasSeveralAndThePeakIsOfTheReplayedSteps) {
  TempDir dir;
  BacktestOptions o = ramp_options(dir.file("journal"));
  o.run_opspilot = o.run_oracle = false;  // the notes do not depend on who ran
  o.max_steps = 60;                        // the flat part only: its peak is kBase, not 3 × kBase
  agent::TargetSpec api = o.config.targets[0];
  api.name = "api";
  o.config.targets.push_back(api);
  std::string err;
  auto r = run_backtest(o, &err);
  ASSERT_TRUE(r) << err;
  std::string notes;
  for (const auto& n : r->notes) notes += n + "\n";
  EXPECT_NE(notes.find("target web, the first of 2 in the config; --target chooses another"), std::string::npos)
      << notes;
  EXPECT_NE(notes.find("60 steps of 60 s, peak 350.0 req/s"), std::string::npos) << notes;
  // Named: no note.
  o.target = "api";
  r = run_backtest(o, &err);
  ASSERT_TRUE(r) << err;
  for (const auto& n : r->notes) EXPECT_EQ(n.find("--target chooses"), std::string::npos) << n;
}

TEST(SummaryMarkdown, ReplicaHoursAreSignedAndNoHpaViolationsReadsNaturally) {
  BacktestOptions o;
  BacktestResult r;
  for (RunResult* run : {&r.opspilot, &r.hpa, &r.oracle}) run->ran = true;
  r.opspilot.name = "opspilot";
  r.hpa.name = "hpa";
  r.oracle.name = "oracle";
  r.opspilot.slo_violation_minutes = 3;
  r.opspilot.replica_hours = 113.6;
  r.hpa.replica_hours = 100;
  r.oracle.replica_hours = 120;
  std::string md = summary_markdown(o, r);
  EXPECT_NE(md.find("SLO-violation minutes: 3 (the HPA had none)"), std::string::npos) << md;
  EXPECT_NE(md.find("replica-hours +13.6% vs the HPA"), std::string::npos) << md;
  EXPECT_NE(md.find("-5.3% vs the oracle"), std::string::npos) << md;
  EXPECT_EQ(md.find("n/a"), std::string::npos) << md;
  r.hpa.slo_violation_minutes = 6;
  md = summary_markdown(o, r);
  EXPECT_NE(md.find("SLO-violation minutes 50% of the HPA's"), std::string::npos) << md;
}

TEST(RunTrendOracle, ReplaysTheTraceAndReportsTheSameMeasures) {
  TempDir dir;
  BacktestOptions o = ramp_options(dir.file("journal"));
  std::string err;
  const auto tight = run_trend_oracle(o, 0.7, 0, &err);
  ASSERT_TRUE(tight) << err;
  const auto wide = run_trend_oracle(o, 0.7, 4, &err);
  ASSERT_TRUE(wide) << err;
  EXPECT_EQ(tight->name, "trend oracle");
  EXPECT_EQ(tight->minutes.size(), o.trace.rps.size());
  EXPECT_GT(tight->replica_hours, 0);
  // More headroom never costs fewer replica-hours.
  EXPECT_GE(wide->replica_hours, tight->replica_hours);
  o.target = "checkout";
  EXPECT_FALSE(run_trend_oracle(o, 0.7, 3, &err));
  EXPECT_NE(err.find("\"checkout\""), std::string::npos) << err;
}

// ---------------------------------------------------------------------------------------------
// The command line, as a real process

namespace {

/// Runs the binary; `out` gets stdout and stderr (run_command adds 2>&1).
int run_opspilot(const std::string& args, std::string* out) {
  return opspilot::test::run_command(std::string(OPSPILOT_BIN) + " " + args, out);
}

/// `opspilot backtest --json ARGS` with stdout alone in `out` (stderr goes to a file: run_command's
/// 2>&1 would fold it into the JSON).
int backtest_json(const TempDir& dir, const std::string& args, std::string* out) {
  return opspilot::test::run_command(
      "{ " + std::string(OPSPILOT_BIN) + " backtest --json " + args + " 2>" + dir.file("stderr") + "; }", out);
}

/// The backtest.md a run wrote into `out_dir`.
std::string report_in(const std::string& out_dir) { return opspilot::test::read_file(out_dir + "/backtest.md"); }

/// nasa.yaml's target, with the journal kept inside `dir`.
std::string cli_config(const TempDir& dir) {
  return dir.write("opspilot.yaml",
                   "mode: active\n"
                   "interval: 15s\n"
                   "stale_after: 1m\n"
                   "journal: {path: " + dir.file("unused-journal") + ", fsync: false}\n"
                   "targets:\n"
                   "  - name: web\n"
                   "    scrape: http://127.0.0.1:9/services/web/metrics\n"
                   "    metrics:\n"
                   "      load: sum(rate(sandbox_http_requests_total{service=\"web\"}[1m]))\n"
                   "      replicas: sandbox_replicas{service=\"web\"}\n"
                   "      ready_replicas: sandbox_ready_replicas{service=\"web\"}\n"
                   "    capacity: {per_replica: 50, target_utilization: 0.7}\n"
                   "    limits: {min_replicas: 2, max_replicas: 40, cooldown_up: 15s, cooldown_down: 15s}\n"
                   "    readiness_delay: 2m\n");
}

/// 40 minutes of requests per minute: flat, then a step to 3×.
std::string cli_trace(const TempDir& dir) {
  std::ostringstream s;
  s << "timestamp,requests\n";
  for (int i = 0; i < 40; ++i) s << kStart + 60 * i << "," << (i < 20 ? 6000 : 18000) << "\n";
  return dir.write("trace.csv", s.str());
}

}  // namespace

TEST(BacktestCli, WritesTheReportsAndTheJournal) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir), out_dir = dir.file("out");
  std::string out;
  ASSERT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --peak-replicas 10 --out " + out_dir, &out), 0)
      << out;
  for (const char* f : {"backtest.md", "backtest.html", "minutes.csv"})
    EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::path(out_dir) / f)) << f << "\n" << out;
  EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::path(out_dir) / "journal")) << out;
  EXPECT_NE(out.find("| opspilot |"), std::string::npos) << out;
  EXPECT_NE(out.find(out_dir + "/journal"), std::string::npos) << out;
  std::ifstream csv(std::filesystem::path(out_dir) / "minutes.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("unix_seconds,load_rps,opspilot_desired", 0), 0u) << header;
  // The journal it wrote is the agent's own: the decisions command reads it.
  EXPECT_EQ(run_opspilot("decisions --journal " + out_dir + "/journal", &out), 0) << out;
  EXPECT_NE(out.find("web"), std::string::npos) << out;
}

TEST(BacktestCli, JsonParsesAndDurationLimitsTheReplay) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir);
  std::string out;
  ASSERT_EQ(backtest_json(dir, "-c " + cfg + " --trace " + trace + " --scale 0.05 --duration 30m --out " + dir.file("out"),
                          &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_EQ(j["steps"], 30);
  EXPECT_EQ(j["trace"], trace);
  for (const char* run : {"opspilot", "hpa", "oracle"}) {
    ASSERT_TRUE(j.contains(run)) << run << " in " << out;
    EXPECT_EQ(j[run]["minutes"], 30) << run;
    EXPECT_GT(j[run]["replica_hours"].get<double>(), 0) << run;
    EXPECT_TRUE(j[run]["slo_violation_minutes"].is_number()) << run;
  }
  EXPECT_GT(j["decisions"].get<int>(), 0);
}

TEST(BacktestCli, QuantilesReplayOpspilotAgainAtEachOperatingPoint) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir), out_dir = dir.file("out");
  std::string out;
  ASSERT_EQ(backtest_json(dir, "-c " + cfg + " --trace " + trace + " --peak-replicas 10 --quantiles 0.8,0.9,0.95 --out " +
                               out_dir,
                          &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  ASSERT_TRUE(j["operating_points"].is_array()) << out;
  ASSERT_EQ(j["operating_points"].size(), 3u) << out;
  EXPECT_EQ(j["operating_points"][0]["quantile"], 0.8);
  EXPECT_EQ(j["operating_points"][1]["quantile"], 0.9);
  EXPECT_EQ(j["operating_points"][2]["quantile"], 0.95);
  for (const auto& p : j["operating_points"]) {
    EXPECT_EQ(p["minutes"], 40) << p.dump();
    EXPECT_GT(p["replica_hours"].get<double>(), 0) << p.dump();
  }
  // The config's own point (q90, pinned) is the base replay, not run again and not listed twice.
  EXPECT_EQ(j["operating_points"][1]["config"], true);
  EXPECT_EQ(j["operating_points"][0]["config"], false);
  EXPECT_EQ(j["operating_points"][1]["replica_hours"], j["opspilot"]["replica_hours"]);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(out_dir) / "operating-points" / "q90-pinned"));
  const std::string report = report_in(out_dir);
  EXPECT_NE(report.find("## Operating points"), std::string::npos) << report;
  EXPECT_NE(report.find("| q80, pinned at 70% |"), std::string::npos) << report;
  EXPECT_NE(report.find("| q95, pinned at 70% |"), std::string::npos) << report;
  EXPECT_NE(report.find("| q90, pinned at 70% (config) |"), std::string::npos) << report;
  EXPECT_EQ(report.find("| q90, pinned at 70% |"), std::string::npos) << report;
  EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::path(out_dir) / "operating-points" / "q80-pinned"));
}

TEST(BacktestCli, UsageErrorsExit2NamingTheFlag) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir);
  std::string out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg, &out), 2);
  EXPECT_NE(out.find("--trace"), std::string::npos) << out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --scale 2 --peak-replicas 10", &out), 2);
  EXPECT_NE(out.find("--scale"), std::string::npos) << out;
  EXPECT_NE(out.find("--peak-replicas"), std::string::npos) << out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --duration soon --out " + dir.file("o"), &out), 2);
  EXPECT_NE(out.find("--duration"), std::string::npos) << out;
  EXPECT_NE(out.find("soon"), std::string::npos) << out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --scale lots --out " + dir.file("o"), &out), 2);
  EXPECT_NE(out.find("--scale"), std::string::npos) << out;
  EXPECT_NE(out.find("lots"), std::string::npos) << out;
  EXPECT_EQ(run_opspilot("backtest --trace " + trace, &out), 2);
  EXPECT_NE(out.find("-c"), std::string::npos) << out;
  // Refused, naming the flag and quoting the value.
  const std::pair<const char*, const char*> bad_flags[] = {
      {"--latency-slo", "0"},    {"--latency-slo", "-0.5"}, {"--error-slo", "0"},      {"--error-slo", "1"},
      {"--error-slo", "1.5"},    {"--peak-replicas", "0"},  {"--peak-replicas", "-3"}, {"--peak-replicas", "1000"},
      {"--scale", "0"}};
  for (const auto& [flag, value] : bad_flags) {
    EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " " + flag + " " + value + " --out " +
                               dir.file("o"),
                           &out),
              2)
        << flag << " " << value << ": " << out;
    EXPECT_NE(out.find(flag), std::string::npos) << flag << " " << value << ": " << out;
    EXPECT_NE(out.find(value), std::string::npos) << flag << " " << value << ": " << out;
    if (std::string(flag) == "--peak-replicas") {
      EXPECT_EQ(out.find("--scale"), std::string::npos) << out;
    }
  }
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --peak-replicas 1000 --out " + dir.file("o"), &out), 2);
  EXPECT_NE(out.find("--peak-replicas 1000 is above the target's max_replicas 40"), std::string::npos) << out;
  for (const char* bad : {"1.2", "0.9x", "0.9,0.9", ",", "0.9,", ",0.9", "0.8,,0.9"}) {
    EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --quantiles " + bad + " --out " + dir.file("o"), &out),
              2)
        << bad;
    EXPECT_NE(out.find("--quantiles"), std::string::npos) << bad << ": " << out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o"))) << "a usage error writes nothing";
}

TEST(BacktestCli, PeakReplicasScaleByThePeakOfTheReplayedStepsAndTheNoteSaysIt) {
  TempDir dir;
  // cli_trace: 20 minutes at 100 req/s, then 20 at 300. The first 20 minutes peak at 100.
  const std::string cfg = cli_config(dir), trace = cli_trace(dir);
  std::string out;
  ASSERT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --duration 20m --out " + dir.file("a"), &out), 0)
      << out;
  EXPECT_NE(out.find("20 steps of 60 s, peak 100.0 req/s"), std::string::npos) << out;
  // 10 replicas × 50 req/s × 0.7 = 350 req/s at the replayed peak (not 350 × 100/300).
  ASSERT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --duration 20m --peak-replicas 10 --out " +
                             dir.file("b"),
                         &out),
            0)
      << out;
  EXPECT_NE(out.find("20 steps of 60 s, peak 350.0 req/s"), std::string::npos) << out;
  std::ifstream csv(std::filesystem::path(dir.file("b")) / "minutes.csv");
  std::string line;
  std::getline(csv, line);
  double max_load = 0;
  while (std::getline(csv, line)) {
    const auto comma = line.find(',');
    max_load = std::max(max_load, std::stod(line.substr(comma + 1)));
  }
  EXPECT_GT(max_load, 300) << "the replayed window was scaled by the whole file's peak";
  EXPECT_LT(max_load, 400);
}

TEST(BacktestCli, ADurationLongerThanTheTraceReplaysAllOfItAndSaysSo) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir);
  std::string out;
  ASSERT_EQ(backtest_json(dir, "-c " + cfg + " --trace " + trace + " --scale 0.05 --duration 90m --out " + dir.file("out"),
                          &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_EQ(j["steps"], 40);
  const std::string report = report_in(dir.file("out"));
  EXPECT_NE(report.find("--duration 90m: the trace has 40 minutes; all of it is replayed"), std::string::npos) << report;
}

TEST(BacktestCli, UnansweredApprovalRequestsAreCountedInTheNotes) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir);
  // Every scale asks a human; a backtest has none, so each request expires and is denied.
  const std::string policy = dir.write("ask.yaml",
                                       "apiVersion: opspilot.dev/v1\n"
                                       "kind: Policy\n"
                                       "metadata: {name: ask}\n"
                                       "spec:\n"
                                       "  targets:\n"
                                       "    - name: web\n"
                                       "  actions: [scale]\n"
                                       "  approval:\n"
                                       "    ttl: 2m\n"
                                       "    on_expiry: deny\n"
                                       "    rules:\n"
                                       "      - name: every-scale\n"
                                       "        kinds: [scale]\n"
                                       "        approvers: {tokens: [oncall]}\n");
  std::string out;
  ASSERT_EQ(backtest_json(dir, "-c " + cfg + " --trace " + trace + " --peak-replicas 10 --policy " + policy + " --out " +
                               dir.file("out"),
                          &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  ASSERT_TRUE(j.contains("unanswered_approvals")) << out;
  EXPECT_GT(j["unanswered_approvals"].get<int>(), 0) << out;
  const std::string report = report_in(dir.file("out"));
  EXPECT_NE(report.find("approval requests went unanswered (a backtest has no approver)"), std::string::npos) << report;
  // Without the policy: no such note.
  ASSERT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --peak-replicas 10 --out " + dir.file("plain"),
                         &out),
            0)
      << out;
  EXPECT_EQ(out.find("went unanswered"), std::string::npos) << out;
}

TEST(BacktestCli, ABadTraceExits1WithFileAndLine) {
  TempDir dir;
  const std::string cfg = cli_config(dir);
  const std::string trace = dir.write("bad.csv", "timestamp,requests\n0,5\n60,5\n30,5\n");
  std::string out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --out " + dir.file("o"), &out), 1);
  EXPECT_NE(out.find(trace + ":4:"), std::string::npos) << out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + dir.file("none.csv") + " --out " + dir.file("o"), &out), 1);
  EXPECT_NE(out.find(dir.file("none.csv")), std::string::npos) << out;
}

TEST(BacktestCli, NeverReplacesAJournalItDidNotWrite) {
  TempDir dir;
  const std::string cfg = cli_config(dir), trace = cli_trace(dir), out_dir = dir.file("live");
  // A live agent's directory: a journal without a backtest's report beside it.
  std::filesystem::create_directories(std::filesystem::path(out_dir) / "journal");
  const std::string keep = dir.write("live/journal/journal.lock", "");
  std::string out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --out " + out_dir, &out), 1);
  EXPECT_NE(out.find("was not written by a backtest"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(keep)) << "the journal was touched";
  // Its own output directory is replaced on a second run.
  const std::string mine = dir.file("mine");
  ASSERT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --duration 20m --out " + mine, &out), 0) << out;
  EXPECT_EQ(run_opspilot("backtest -c " + cfg + " --trace " + trace + " --duration 20m --out " + mine, &out), 0) << out;
}

TEST(ReadTrace, AByteOrderMarkBeforeTheHeaderIsIgnored) {
  TempDir dir;
  const std::string path = dir.write("bom.csv", "\xEF\xBB\xBFtimestamp,requests\n0,60\n60,120\n");
  std::string err;
  const auto t = read_trace(path, "", false, &err);
  ASSERT_TRUE(t) << err;
  EXPECT_EQ(t->rps, (std::vector<double>{1, 2}));
}
