#pragma once
// The agent: builds every stage from the configuration, restores state from the journal, runs
// the loop and the HTTP server, and shuts down in stages on SIGTERM (finish the tick, flush the
// journal, stop serving).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actuators/actuator.h"
#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/journal.h"
#include "agent/loop/reconciler.h"
#include "agent/loop/target_state.h"
#include "agent/loop/timeline.h"
#include "agent/metrics.h"
#include "agent/predict/predictor.h"
#include "agent/source/observation.h"
#include "agent/store/series_store.h"
#include "policies/policy_set.h"

namespace opspilot::agent {

class HttpServer;
class PrerenderedMetrics;
class ApprovalBook;
class ApprovalNotifier;
class ApiAuth;
class LeaseElector;
namespace slack {
class SlackClient;
class ReplayGuard;
}

struct AgentOptions {
  bool serve_http = true;
  /// Called with every journaled decision (live terminal output).
  std::function<void(const Decision&)> on_decision;
  /// Overrides for tests: use these instead of building from the config.
  std::shared_ptr<Clock> clock;
  std::shared_ptr<MetricSource> source;
};

/// Thread-safety: construct, init() and run()/tick_all() from one thread; request_stop() from
/// any thread or a signal handler.
class Agent {
 public:
  Agent(Config config, AgentOptions options = {});
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// Opens the journal, restores per-target state, creates the source and the actuator.
  /// False with a message on any problem; nothing has acted yet then.
  bool init(std::string* error);
  /// Runs the loop and the HTTP server until SIGTERM/SIGINT or request_stop(); returns 0 on a
  /// clean stop. Every policies.reload_interval it also looks at the configuration file: when it
  /// changed and loads without errors, run() stops the same way (ticks finish, the lease is
  /// released) and restart_requested() is true, so that the caller runs a new Agent on it; a
  /// version with errors is reported and counted, and the running configuration stays.
  int run();
  bool restart_requested() const { return restart_requested_.load(); }
  /// One tick of every target, now, in order (for `opspilot plan` and tests).
  std::vector<Decision> tick_all();
  void request_stop();

  bool ready() const { return ready_.load(); }
  const Config& config() const { return config_; }
  const Clock& clock() const { return *clock_; }
  Journal& journal() { return *journal_; }
  AgentMetrics& metrics() { return metrics_; }
  const std::vector<std::unique_ptr<TargetState>>& targets() const { return targets_; }
  ApprovalBook& approvals() { return *approvals_; }
  /// The policies in force; null when the config names none.
  policies::PolicySet* policy_set() { return policy_set_.get(); }
  /// Reloads the policies when their files changed (or always, with `force`); logs the outcome
  /// and updates /metrics. Nothing when the config names no policies.
  std::optional<policies::ReloadReport> reload_policies(bool force);
  /// The HTTP port bound (after run() started the server), 0 otherwise.
  unsigned short http_port() const { return http_port_.load(); }
  /// The status document served at /api/v1/status.
  std::string status_json() const;
  /// Whether this replica may act: it holds the leader lease, or leader election is off.
  bool is_leader() const;

 private:
  void restore_from_journal();
  /// Builds the Lease elector (leader_election.enabled) and runs its first round.
  bool init_leader_election(std::string* error);
  /// One election round; logs and counts changes of leadership.
  void election_round();
  void install_routes(HttpServer& server);
  void install_approval_routes(HttpServer& server);  // server/approvals_api.cpp
  /// Readiness, source and series-store counters, refreshed after ticks.
  void update_source_metrics();

  Config config_;
  AgentOptions options_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<MetricSource> source_;
  std::unique_ptr<SeriesStore> store_;
  std::unique_ptr<Predictor> predictor_;
  std::unique_ptr<actuators::Actuator> actuator_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Timeline> timeline_;
  AgentMetrics metrics_;
  std::vector<std::unique_ptr<TargetState>> targets_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<policies::PolicySet> policy_set_;
  std::unique_ptr<ApprovalBook> approvals_;
  std::shared_ptr<slack::SlackClient> slack_;
  std::unique_ptr<ApprovalNotifier> notifier_;
  std::unique_ptr<slack::ReplayGuard> replay_guard_;
  std::unique_ptr<ApiAuth> auth_;
  std::unique_ptr<LeaseElector> elector_;
  std::shared_ptr<Clock> lease_clock_;  // leases run on real time, whatever the loop's clock
  std::atomic<bool> was_leader_{false};
  std::unique_ptr<PrerenderedMetrics> prerendered_;  // /metrics text, re-rendered off the request path
  std::atomic<bool> ready_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> restart_requested_{false};
  std::atomic<unsigned short> http_port_{0};
  std::mutex stop_mu_;  // guards stop_hook_, set by run() and called by request_stop()
  std::function<void()> stop_hook_;
  TimePoint started_{};
};

}  // namespace opspilot::agent
