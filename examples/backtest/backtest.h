#pragma once
// The backtest harness behind `opspilot backtest`: a load trace replayed through the sandbox's
// service model (M/M/c queueing, readiness delays) in simulated time, three times — driven by
// opspilot's own decision code (SimWorld: the live agent's Reconciler, policies and journal), by
// a faithful Kubernetes HPA, and by an oracle with perfect foresight — each scored the same way
// from the model's per-minute record: SLO-violation minutes, replica-hours, scaling actions.
// Deterministic for a given seed.
// Thread-safety: plain functions.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/journal/decision.h"
#include "examples/sandbox/history.h"
#include "examples/sandbox/spec.h"
#include "policies/policy.h"

namespace opspilot::backtest {

/// A load trace: one value per step, in requests per second.
struct Trace {
  std::vector<double> rps;
  double step_s = 60;
  std::int64_t start_unix = 0;
  std::string source;      // file name, for reports
  std::size_t repaired = 0;  // missing, negative or non-numeric values replaced by the previous one
  static constexpr std::size_t kRepairedListed = 5;
  std::vector<std::size_t> repaired_lines;  // the file lines of the first kRepairedListed of them
  std::size_t gaps = 0;      // missing steps filled with the previous value
};

/// Reads `timestamp,value` CSV (any header; the value column by name, default the second
/// column). Values are counts per step unless `per_second`. Steps missing from the file are
/// filled with the previous value and counted. nullopt and *error ("file:line: why") otherwise.
std::optional<Trace> read_trace(const std::string& path, const std::string& value_column, bool per_second,
                                std::string* error);

/// How a minute is judged: violated when p99 latency is above `latency_s` or more than
/// `error_ratio` of requests failed (5xx, including 503s shed for lack of ready capacity).
struct SloSpec {
  double latency_s = 0.5;
  double error_ratio = 0.01;
};

struct BacktestOptions {
  agent::Config config;             // the agent's config; mode is forced to active
  std::string target;               // which target replays the trace ("" = the first)
  const policies::PolicyEvaluator* policies = nullptr;  // null: the target's limits alone
  Trace trace;                      // already scaled to req/s
  sandbox::ServiceSpec service;     // the model of the service (name, per_replica, readiness…)
  std::uint64_t seed = 1;
  SloSpec slo;
  std::string journal_dir;          // where opspilot's decisions are journaled (required)
  std::size_t max_steps = 0;        // replay at most this many trace steps (0 = all)
  bool run_opspilot = true, run_hpa = true, run_oracle = true;
};

struct RunResult {
  std::string name;                 // opspilot | hpa | oracle
  bool ran = false;
  double slo_violation_minutes = 0;
  double replica_hours = 0;
  int scaling_actions = 0;          // changes of the replica count asked for
  double mean_utilization = 0;      // offered load over ready capacity, minute mean
  double wall_seconds = 0;          // how long the replay took
  std::vector<sandbox::MinuteSample> minutes;
};

struct BacktestResult {
  RunResult opspilot, hpa, oracle;
  std::size_t decisions = 0;        // opspilot decisions journaled (distinct ids)
  std::size_t records = 0;          // journal records written (a decision is updated as it progresses)
  std::size_t actions = 0;          // of which acted on (applied, verified or failed)
  std::size_t approval_requests = 0;     // opspilot decisions that asked a human (a policy's needs_approval)
  std::size_t unanswered_approvals = 0;  // of which nobody answered (all, in a backtest: it has no approver)
  std::vector<std::string> notes;   // what the harness assumed, in words
};

/// The sandbox service a target is replayed on when no sandbox file says otherwise:
/// per_replica from capacity.per_replica (50 when unset), readiness from readiness_delay,
/// the sandbox's default latency and error model, min_replicas at the start.
sandbox::ServiceSpec service_for_target(const agent::TargetSpec& t);

/// Replays the trace. nullopt and *error when the set-up is wrong (no such target, journal).
std::optional<BacktestResult> run_backtest(const BacktestOptions& options, std::string* error);

/// Replays the trace under a TrendOracle (baselines.h) sized for trend + `noise_k` × noise at
/// `utilisation`, with the target's limits and the service model's readiness: the bound on what
/// sizing with headroom can reach on the trace, traced by varying the two. nullopt and *error
/// when the set-up is wrong.
std::optional<RunResult> run_trend_oracle(const BacktestOptions& options, double utilisation, double noise_k,
                                          std::string* error);

/// The target a backtest replays: `options.target`, else the config's first. nullptr and *error
/// when there is none or the trace is empty.
const agent::TargetSpec* replayed_target(const BacktestOptions& options, std::string* error);

/// The summary table (Markdown) and the chart page (self-contained HTML with an SVG chart).
std::string summary_markdown(const BacktestOptions& options, const BacktestResult& r);
std::string chart_html(const BacktestOptions& options, const BacktestResult& r);
/// Per-minute CSV of the three runs side by side.
std::string minutes_csv(const BacktestResult& r);

}  // namespace opspilot::backtest
