#pragma once
// One simulated service: its load, its replicas (pods) with readiness and crash loops, its
// revisions and rollouts, its incidents, and what it served. Time is seconds since the model's
// start ("elapsed"); the Model moves it forward in ticks.
// Thread-safety: none; owned and driven by one Model.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "examples/sandbox/history.h"
#include "examples/sandbox/load.h"
#include "examples/sandbox/queueing.h"
#include "examples/sandbox/rng.h"
#include "examples/sandbox/spec.h"

namespace opspilot::sandbox {

inline constexpr double kNever = std::numeric_limits<double>::infinity();

struct Pod {
  std::uint64_t id = 0;
  int revision = 0;
  double created_s = 0;
  double ready_at_s = 0;         // serves from this time on (pushed back by each crash)
  double crash_at_s = kNever;    // crash-looping pods: when the next crash comes
  bool old = false;              // being replaced by a rollout; removed once not needed
  bool crashing = false;
  bool slow = false;              // the bad_pod incident's replica
  double slow_factor = 1;        // its latency multiplier
  double slow_error = 0;         // its extra error rate
  int restarts = 0;
  double p99_s = 0;              // its own p99 latency over the last tick (0 while not serving)
  bool ready(double now) const { return now >= ready_at_s; }
};

struct Revision {
  int number = 1;
  double latency_factor = 1;
  double error_rate = 0;
  bool regressed() const { return latency_factor > 1 || error_rate > 0; }
};

/// An incident as it happened (ground truth for backtests and reports).
struct IncidentRecord {
  std::uint64_t id = 0;
  std::string service;
  IncidentSpec spec;
  bool scheduled = false;         // from YAML (else injected through the API)
  double started_s = 0;
  double ends_s = kNever;         // scheduled end; kNever = until fixed
  std::optional<double> ended_s;  // set once over
  std::string ended_by;           // expired | rollback | restart | deploy | replaced | evicted
  int revision = 0;               // deploys: the revision they created
  std::uint64_t pod_id = 0;       // bad_pod: the slow replica
  bool active() const { return !ended_s.has_value(); }
};

/// The service right now.
struct ServiceStatus {
  std::string name;
  double load_rps = 0;      // offered
  double served_rps = 0;    // answered (200 + 500)
  double utilization = 0;   // ρ = load / (ready·μ), may exceed 1; +inf with no ready replica
  double cpu = 0;           // per ready replica, [0, 1]
  double p50_s = 0;
  double p99_s = 0;
  double error_ratio = 0;   // (500 + 503) / offered
  int desired = 0;
  int ready = 0;
  int old_replicas = 0;     // replicas of a previous rollout still running
  int revision = 0;
  int rollout = 0;          // increments with each deploy, restart, rollback and eviction
  std::uint8_t flags = 0;
};

class ServiceSim {
 public:
  ServiceSim(const ServiceSpec& spec, std::int64_t start_unix, std::uint64_t seed, std::size_t history_minutes);

  /// Simulates [t, t + h). The model calls this with ticks that never straddle a minute.
  void advance(double t, double h);

  // Actions (all at elapsed time `now`).
  void scale(int replicas, double now);
  /// Rolling restart: fresh replicas replace the old ones as they become ready; ends crash_loop
  /// and bad_pod incidents (the fresh replicas are healthy).
  void restart(double now);
  /// Goes back to the previous revision (rolling). false and `error` when there is none.
  bool rollback(double now, std::string* error);
  /// Evicts one pod (by pod_name()): it is gone at once and its ReplicaSet makes a fresh one,
  /// ready after the readiness delay. Ends a bad_pod incident when it was the slow pod. Counts
  /// as a rollout (the action is done once the replacement is ready). false and `error` when no
  /// current pod has that name.
  bool evict(const std::string& pod, double now, std::string* error);

  /// Follows a cluster's view of this workload (the Deployment's spec.replicas and
  /// status.readyReplicas): scales to `desired` and makes exactly `ready` replicas serve — the old
  /// rollout's ready replicas first, then the current one's oldest — until the next call.
  /// `new_ready` (>= 0 when the cluster says) is how many of the ready replicas run the latest
  /// pod template: during a rollout those are the current revision's, the rest the old one's.
  void follow_cluster(int desired, int ready, double now, int new_ready = -1);
  /// Starts an incident now; `id` comes from the model so ids are unique across services.
  const IncidentRecord& start_incident(const IncidentSpec& spec, double now, bool scheduled, std::uint64_t id);

  const std::string& name() const { return spec_.name; }
  const ServiceSpec& spec() const { return spec_; }
  int desired() const { return desired_; }
  int ready_count(double now) const;
  int revision() const { return revisions_.back().number; }
  int rollout() const { return rollout_; }
  /// The latest rollout has replaced every old replica and all desired replicas are ready.
  bool settled(double now) const;
  ServiceStatus status(double now) const;
  const Counters& counters() const { return counters_; }
  const History& history() const { return history_; }
  History& history() { return history_; }
  const std::vector<IncidentRecord>& incidents() const { return incidents_; }
  const std::vector<Pod>& pods() const { return pods_; }
  /// "<service>-<id>": how the metrics' `pod` label and evict() name a pod.
  std::string pod_name(const Pod& p) const { return spec_.name + "-" + std::to_string(p.id); }
  /// Container restarts since the start, over every pod there ever was (a counter).
  double restarts_total() const { return restarts_total_; }
  /// Requests failed by a dependency (answered 502), since the start; not in counters().errors.
  double dependency_errors() const { return dependency_errors_; }
  /// When the latest rollout (deploy, restart, rollback, eviction) began, elapsed seconds;
  /// -inf before the first.
  double rollout_started_s() const { return rollout_started_s_; }
  LoadGenerator& load() { return load_; }

 private:
  void update_pods(double now);
  void expire_incidents(double now);
  void end_incidents(IncidentType type, double now, const std::string& by);
  void reconcile(double now);
  void start_rollout(double now);
  Pod make_pod(double now);
  void schedule_crash(Pod& p, double now);
  std::uint8_t flags() const;
  const Revision& revision_info(int number) const;
  void record_minute(double minute_start_s);

  ServiceSpec spec_;
  std::int64_t start_unix_;
  LoadGenerator load_;
  Rng crash_rng_;
  std::vector<Pod> pods_;
  std::uint64_t next_pod_id_ = 1;
  int desired_;
  std::vector<Revision> revisions_;  // back() is current; rollback pops it
  std::vector<Revision> catalog_;    // every revision ever deployed (old replicas may run one)
  int next_revision_ = 2;
  int rollout_ = 0;
  bool crash_loop_ = false;          // new replicas crash too while set
  double crash_uptime_s_ = 90;
  std::vector<IncidentRecord> incidents_;
  Counters counters_;
  double restarts_total_ = 0;
  double dependency_errors_ = 0;
  double rollout_started_s_ = -kNever;
  History history_;

  // The last tick, for status().
  double last_load_ = 0, last_served_ = 0, last_util_ = 0, last_p50_ = 0, last_p99_ = 0, last_err_ = 0;
  // The minute being accumulated.
  double minute_start_s_ = 0;
  double acc_time_ = 0, acc_load_ = 0, acc_served_ = 0, acc_failed_ = 0, acc_cpu_ = 0;
  double acc_p50_ = 0, acc_p99_ = 0;
  std::uint8_t acc_flags_ = 0;
};

}  // namespace opspilot::sandbox
