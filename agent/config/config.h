#pragma once
// The agent's configuration (`opspilot.yaml`), as loaded and checked by config/loader.h.
// Plain values: copy freely; not shared mutable state.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"

namespace opspilot::agent {

enum class Mode { DryRun, Active };

/// Where a value came from in a YAML file, 1-based, for messages.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

/// One signal a target is described by. `query` is PromQL in controller mode; in sidecar mode the
/// same text is evaluated by the agent on the scraped exposition (the subset of PromQL documented
/// in the README: a selector, sum(), rate()/irate()/increase() over [window], histogram_quantile()).
struct SignalSpec {
  std::string query;
  SourcePos pos;
};

struct CapacitySpec {
  double per_replica = 0;          // load units one replica serves at 100% utilisation; 0 = unknown
  /// The utilisation to plan for, (0, 1]: pinned when `learn_utilization` is false, else where
  /// learning starts (agent/decide/utilisation.h).
  double target_utilization = 0.7;
  /// `target_utilization: auto` (the default): learn from observed load and p99 latency against
  /// slo.latency how hot the target may run, up to `max_utilization` (needs the latency and
  /// ready_replicas signals; without them it stays at target_utilization). A number pins it.
  bool learn_utilization = true;
  double max_utilization = 0.9;
};

struct LimitsSpec {
  int min_replicas = 1;
  int max_replicas = 10;
  int max_step_up = 0;    // 0 = no limit
  int max_step_down = 0;  // 0 = no limit
  Duration cooldown_up{std::chrono::minutes(1)};
  Duration cooldown_down{std::chrono::minutes(5)};
};

/// How the load forecast is made and when it is trusted (`targets[].forecast`).
struct ForecastSpec {
  /// auto: seasonal models (Holt-Winters, Theta, seasonal AR, seasonal naive) chosen by
  /// rolling-origin validation and updated every tick; linear-trend: the short-window OLS trend.
  std::string model = "auto";
  Duration step{0};                              // the forecaster's sampling step; 0 = `interval`
  Duration history{std::chrono::hours(6)};       // how much history a fit uses
  Duration refit_every{std::chrono::hours(1)};   // refit and re-select this often
  double level = 0.95;       // the two-sided band forecasts are made with (and scored on)
  /// The upper quantile of the forecast the planner sizes for, read off the band as a normal
  /// quantile: 0.9 = enough replicas for the load the forecast exceeds one time in ten.
  double quantile = 0.9;
  /// The accuracy floor: when the live, rolling MASE is above `max_mase` or the band's coverage
  /// below `min_coverage` (after `min_scored` forecasts were scored), the planner ignores the
  /// forecast and falls back to the reactive rule. 0 = no floor.
  double max_mase = 0;
  double min_coverage = 0;
  int min_scored = 20;
  /// The confidence floor: a forecast whose own confidence (1 − band width ÷ (2 × mean), in
  /// [0, 1]) is below this is recorded but not acted on, as below the accuracy floor — the policy
  /// for a huge interval is then "hold at the reactive rule" instead of "size for its upper
  /// quantile". 0 = size for it however wide.
  double min_confidence = 0;
};

/// The service level objective, for the burn-rate part of incident risk (`targets[].slo`).
struct SloSpec {
  /// Percent of good events, e.g. 99.9; 0 = no SLO. Good events are requests that succeed
  /// (1 - errors/load) and, with `latency_seconds`, intervals whose p99 latency stays under it.
  double objective = 0;
  Duration window{std::chrono::hours(24 * 30)};  // the error budget's period
  double latency_seconds = 0; // p99 latency above this counts as an SLO breach; 0 = none
};

/// How incidents are classified and remediated (agent/decide/remediation.h). Defaults suit a
/// 15 s interval; read from `targets[].remediation`.
struct RemediationSpec {
  bool enabled = true;
  /// Ticks a classification must hold, unchanged, before anything is proposed (one noisy sample
  /// is never acted on); also the symptom-free ticks that close an incident.
  int persist_ticks = 3;
  /// A restart or rollback whose evidence is at least this many times its threshold on 2
  /// consecutive ticks acts on the second, without waiting for persist_ticks; 0 = always wait.
  double strong_evidence_factor = 2;
  double latency_factor = 1.5;       // latency above baseline × this is a symptom
  double error_ratio = 0.01;         // the service's own error ratio above this (and 2× baseline)
  double dependency_error_ratio = 0.01;  // the dependencies' error ratio above this
  double restarts = 2;               // container restarts within restart_window: a crash loop
  Duration restart_window{std::chrono::minutes(5)};
  /// A revision change at most this long before the symptoms began implicates the deploy (the
  /// only case in which a rollback is proposed).
  Duration deploy_window{std::chrono::minutes(15)};
  /// After a restart that did not help, a deploy this recent is rolled back; else escalate.
  Duration follow_up_deploy_window{std::chrono::hours(1)};
  double pod_outlier_factor = 3;     // a pod this many times slower than the others' median
  double saturation = 0.85;          // utilisation at or above this with latency up: saturation
  Duration baseline_window{std::chrono::minutes(10)};  // the healthy window before onset
  /// After the rollout is done: this much is skipped (rate windows still hold the incident),
  /// then recovery_window is observed and judged against the baseline.
  Duration settle{std::chrono::minutes(1)};
  Duration recovery_window{std::chrono::minutes(3)};
};

struct TargetSpec {
  std::string name;
  std::string kind = "Deployment";  // Deployment | StatefulSet | AutoScalingGroup
  std::string namespace_ = "default";
  std::map<std::string, std::string> labels;
  /// What policies' approval rules call the target's environment (e.g. "production"); default:
  /// the top-level `environment`.
  std::string environment;
  /// Sidecar mode: the workload's own metrics endpoint. Empty in controller mode.
  std::string scrape_url;
  /// Signals by role: load (required), replicas, ready_replicas, saturation, latency, errors,
  /// incident (> 0 while an incident is confirmed, e.g. from ALERTS: scores the detectors), and
  /// the ones the remediation planner tells incidents apart by (agent/decide/remediation.h):
  ///   errors            failed requests per second, every 5xx (same unit as load);
  ///   dependency_errors the part of them an upstream caused (502/504 — a service behind a
  ///                     failing dependency reports those, not its own 500s), per second;
  ///   restarts          container restarts, a counter (e.g. sum of
  ///                     kube_pod_container_status_restarts_total): rising = crash loop;
  ///   revision          the revision running or being rolled out (a number; a change is a deploy);
  ///   pod_latency       one series per pod, each with a `pod` label (e.g. p99 by pod): one pod
  ///                     far slower than the others is a bad pod.
  std::map<std::string, SignalSpec> signals;
  CapacitySpec capacity;
  LimitsSpec limits;
  Duration readiness_delay{std::chrono::minutes(2)};  // time a new replica needs to become ready
  Duration scale_down_window{std::chrono::minutes(5)};
  ForecastSpec forecast;
  SloSpec slo;
  RemediationSpec remediation;
  SourcePos pos;
};

struct PrometheusSpec {
  std::string url;  // e.g. http://prometheus:9090 ; empty = sidecar mode (scrape)
  Duration timeout{std::chrono::seconds(5)};
  int retries = 3;
  Duration backoff{std::chrono::milliseconds(200)};
  std::map<std::string, std::string> headers;
};

struct ScrapeSpec {
  Duration timeout{std::chrono::seconds(3)};
  int retries = 1;
};

struct ActuatorSpec {
  std::string type = "dry-run";  // registered actuator name: dry-run | webhook | kubernetes | aws-asg
  std::map<std::string, std::string> settings;  // backend-specific (e.g. url, timeout)
};

struct JournalSpec {
  std::string path = "opspilot-journal";  // a directory
  bool fsync = true;
  bool record_every_tick = false;  // false: holds are recorded when their reason changes
  std::uint64_t max_segment_bytes = 64ull << 20;
  int max_segments = 8;
  /// Decisions whose latest state is held in memory for the API and restarts (older ones are read
  /// from disk when asked for by id). About 7 KiB each: the default bounds it near 15 MiB.
  std::size_t max_in_memory = 2000;
};

/// `policies:` — the policy files and directories every proposal is checked against, re-read
/// when they change (a mounted ConfigMap included). Empty: only `targets[].limits` apply.
struct PolicySourceSpec {
  std::vector<std::string> paths;  // as resolved against the config file's directory
  Duration reload_interval{std::chrono::seconds(10)};
  SourcePos pos;
};

/// `approvals.slack` — where approval requests are posted and how callbacks are verified.
/// Secrets are read at load time from `*_file` (a mounted Secret) or `*_env`.
struct SlackSpec {
  /// Incoming webhook URL. Messages posted this way are updated through each callback's
  /// `response_url`.
  std::string webhook_url;
  /// Web API base (chat.postMessage, chat.update, usergroups.users.list), used with a bot token.
  std::string api_url = "https://slack.com/api";
  std::string bot_token;
  std::string channel;         // required with a bot token
  std::string signing_secret;  // required for the interactive callback (/slack/interactions)
  Duration timeout{std::chrono::seconds(5)};
  SourcePos pos;

  bool enabled() const { return !webhook_url.empty() || !bot_token.empty(); }
};

/// `approvals:` — how pending actions reach a human.
struct ApprovalsSpec {
  SlackSpec slack;
  /// How long a request lives when the policy that asked does not say (`approval.ttl`).
  Duration default_ttl{std::chrono::minutes(30)};
};

/// One bearer token of the HTTP API (`api.tokens[]`).
struct ApiTokenSpec {
  std::string name;
  std::string token;   // the secret, from `token_file`, `token_env` or (discouraged) `token`
  std::string role;    // viewer | operator | approver | admin
  std::vector<std::string> namespaces;  // the namespaces it may act on; empty = all
  SourcePos pos;
};

/// `api:` — authentication of /api/v1. With no tokens, reads are open (bind to loopback) and
/// every write is refused.
struct ApiSpec {
  std::vector<ApiTokenSpec> tokens;
};

/// `leader_election:` — with several agent replicas, only the holder of a coordination.k8s.io
/// Lease acts (client-go's semantics). The cluster is reached with `kubeconfig`/`context`, or
/// in-cluster credentials when neither is given.
struct LeaderElectionSpec {
  bool enabled = false;
  std::string namespace_ = "default";
  std::string name = "opspilot";
  std::string identity;               // default: $POD_NAME, else hostname_pid
  Duration lease_duration{std::chrono::seconds(15)};
  Duration renew_deadline{std::chrono::seconds(10)};
  Duration retry_period{std::chrono::seconds(2)};
  std::string kubeconfig;             // as resolved against the config file's directory
  std::string context;
  SourcePos pos;
};

struct ClockSpec {
  double speed = 1.0;                 // >1 runs simulated time (sandbox, demo)
  std::optional<TimePoint> start;     // simulated start; default: now
};

struct Config {
  std::string file;
  Mode mode = Mode::DryRun;
  Duration interval{std::chrono::seconds(15)};
  Duration stale_after{std::chrono::minutes(2)};
  std::string listen = "127.0.0.1:9460";
  int threads = 2;
  PrometheusSpec prometheus;
  ScrapeSpec scrape;
  ActuatorSpec actuator;
  JournalSpec journal;
  ClockSpec clock;
  std::string timeline_path;  // optional CSV of every tick, for reports
  std::string environment;    // default for targets[].environment
  PolicySourceSpec policies;
  ApprovalsSpec approvals;
  ApiSpec api;
  LeaderElectionSpec leader_election;
  std::vector<TargetSpec> targets;

  bool controller_mode() const { return !prometheus.url.empty(); }
};

}  // namespace opspilot::agent
