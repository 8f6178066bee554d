#include "agent/agent.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <fstream>
#include <sstream>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "agent/approve/approval_book.h"
#include "agent/config/loader.h"
#include "agent/approve/slack.h"
#include "agent/approve/slack_notifier.h"
#include "agent/leader/lease_elector.h"
#include "agent/loop/loop.h"
#include "agent/server/auth.h"
#include "agent/server/http_server.h"
#include "agent/server/prerendered_metrics.h"
#include "agent/source/prometheus_source.h"
#include "agent/source/scrape_source.h"

namespace opspilot::agent {

namespace {

/// A hash of the content of `file` (through symlinks: a mounted ConfigMap is updated by swapping
/// one), or "" if it cannot be read. The content only: a swap that rewrites the same text is no
/// change and must not restart the agent.
std::string file_fingerprint(const std::string& file) {
  if (file.empty()) return "";
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return "content:" + std::to_string(std::hash<std::string>{}(text.str()));
}

}  // namespace

Agent::Agent(Config config, AgentOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

Agent::~Agent() = default;  // out of line: PrerenderedMetrics is incomplete in the header

bool Agent::init(std::string* error) {
  actuators::register_builtin_actuators();
  if (options_.clock) {
    clock_ = options_.clock;
  } else if (config_.clock.speed != 1.0 || config_.clock.start) {
    clock_ = std::make_shared<ScaledClock>(config_.clock.start.value_or(SystemClock().now()),
                                           config_.clock.speed);
  } else {
    clock_ = std::make_shared<SystemClock>();
  }
  started_ = clock_->now();

  if (options_.source) {
    source_ = options_.source;
  } else if (config_.controller_mode()) {
    // Prometheus rejects query times far from its own clock, so only a real-time agent sends one.
    source_ = std::make_shared<PrometheusSource>(config_, query_time_for(*clock_));
  } else {
    source_ = std::make_shared<ScrapeSource>(config_.scrape);
  }

  store_ = std::make_unique<SeriesStore>(*clock_, SeriesStoreOptions::with_native_step(config_.interval));
  predictor_ = std::make_unique<LinearTrendPredictor>();

  // Dry-run never touches the configured backend: it only asks it for the calls it would make.
  std::string err;
  actuator_ = actuators::ActuatorRegistry::instance().create(config_.actuator.type,
                                                             config_.actuator.settings, &err);
  if (!actuator_) {
    if (error) *error = err;
    return false;
  }

  journal_ = Journal::open(JournalOptions::from_spec(config_.journal, clock_.get()), &err);
  if (!journal_) {
    if (error) *error = err;
    return false;
  }
  if (!config_.timeline_path.empty()) {
    timeline_ = std::make_unique<Timeline>();
    if (!timeline_->open(config_.timeline_path, &err)) {
      if (error) *error = err;
      return false;
    }
  }

  // Policies: a config that names them starts only when they load without errors.
  if (!config_.policies.paths.empty()) {
    policy_set_ = std::make_unique<policies::PolicySet>(config_.policies.paths);
    const policies::ReloadReport rep = *reload_policies(true);
    if (!rep.ok) {
      if (error) *error = "the policies do not load:\n" + policies::format_diagnostics(rep.diagnostics);
      return false;
    }
  }
  if (config_.approvals.slack.enabled() || !config_.approvals.slack.signing_secret.empty()) {
    slack_ = std::make_shared<slack::SlackClient>(config_.approvals.slack);  // group cache in real seconds
    if (config_.approvals.slack.enabled()) notifier_ = std::make_unique<SlackNotifier>(slack_, config_.approvals.slack);
  }
  ApprovalBook::GroupMembers members;
  if (slack_ && !config_.approvals.slack.bot_token.empty())
    members = [client = slack_](const std::string& group, std::string* err) { return client->group_members(group, err); };
  approvals_ = std::make_unique<ApprovalBook>(std::move(members));
  replay_guard_ = std::make_unique<slack::ReplayGuard>();
  auth_ = std::make_unique<ApiAuth>(config_.api);

  for (const auto& t : config_.targets)
    targets_.push_back(std::make_unique<TargetState>(t, config_.stale_after));
  metrics_.targets.Set(static_cast<double>(targets_.size()));
  if (!init_leader_election(error)) return false;
  restore_from_journal();

  Stages stages{clock_.get(), source_.get(),   store_.get(),   predictor_.get(),
                actuator_.get(), journal_.get(), &metrics_, timeline_.get(),
                policy_set_.get(), approvals_.get(), notifier_.get()};
  if (elector_) stages.may_act = [this] { return is_leader(); };
  reconciler_ = std::make_unique<Reconciler>(config_, stages);
  reconciler_->on_decision([this](const Decision& d) {
    if (options_.on_decision) options_.on_decision(d);
  });
  return true;
}

void Agent::restore_from_journal() {
  for (auto& ts : targets_) {
    const TargetActions times = journal_->last_actions(ts->spec.namespace_, ts->spec.name);
    ts->last_scale_up = times.last_scale_up;
    ts->last_scale_down = times.last_scale_down;
    const auto decisions = journal_->list(ts->spec.name, 500);  // newest first
    for (const Decision& d : decisions) {
      if (d.action == "scale" && (d.state == DecisionState::Verified || d.state == DecisionState::Applied)) {
        ts->known_replicas = d.desired_replicas;
        break;
      }
    }
    // The last day's actions, oldest first, for the policies' rate limits and blast radius.
    const TimePoint since = clock_->now() - std::chrono::hours(24);
    for (auto it = decisions.rbegin(); it != decisions.rend(); ++it) {
      const Decision& d = *it;
      const bool acted = d.state == DecisionState::Applied || d.state == DecisionState::Verified ||
                         d.state == DecisionState::Acting || (d.state == DecisionState::Failed && !d.calls.empty());
      if (!acted || d.action == "hold" || d.created < since) continue;
      ts->history.push_back(action_record(d, d.created));
    }
  }
  // Decisions that were acting or applied when the agent stopped resume verification. One that
  // was journaled as Acting may or may not have reached the API: apply it again — the decision
  // id is the idempotency key, so it cannot act twice.
  for (const Decision& d : journal_->pending()) {
    for (auto& ts : targets_) {
      if (ts->spec.name != d.target) continue;
      Decision f = d;
      if (f.state == DecisionState::Acting && config_.mode == Mode::Active && !is_leader()) {
        // Another replica leads now and decides afresh; acting here could act twice.
        f.state = DecisionState::Failed;
        f.error = "the agent restarted as a standby replica before this action was confirmed; the leader decides anew";
        f.updated = clock_->now();
        journal_->append(f);
        continue;
      }
      if (f.state == DecisionState::Acting && config_.mode == Mode::Active) {
        const auto res = actuator_->apply(to_action(f));
        f.state = res.ok ? DecisionState::Applied : DecisionState::Failed;
        f.outcome = res.ok ? "re-applied after a restart (idempotent)" : "";
        f.error = res.error;
        f.updated = clock_->now();
        journal_->append(f);
      } else if (f.state == DecisionState::Acting) {
        f.state = DecisionState::Failed;
        f.error = "the agent restarted in dry-run mode before this action was confirmed";
        journal_->append(f);
      }
      if (f.state == DecisionState::Applied) ts->in_flight = f;
      // A request still waiting for a human stays open: its answer may come after the restart.
      if (f.state == DecisionState::PendingApproval) {
        ts->pending = f;
        approvals_->open(f);
      }
    }
  }
}

bool Agent::init_leader_election(std::string* error) {
  const LeaderElectionSpec& le = config_.leader_election;
  metrics_.leader.Set(1);
  if (!le.enabled) return true;
  actuators::kube::KubeConfigOptions ko;
  ko.kubeconfig = le.kubeconfig;
  ko.context = le.context;
  std::string err;
  auto kc = actuators::kube::load_kube_config(ko, &err);
  if (!kc) {
    if (error) *error = "leader_election: " + err;
    return false;
  }
  // A round must end well inside renew_deadline: two quick tries, a short timeout.
  actuators::RetryPolicy retry;
  retry.attempts = 2;
  retry.base = std::chrono::milliseconds(100);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(le.renew_deadline / 3);
  auto client = std::make_shared<actuators::kube::KubeClient>(std::move(*kc), retry, timeout);
  LeaseElectorOptions o;
  o.namespace_ = le.namespace_;
  o.name = le.name;
  o.identity = le.identity;
  if (o.identity.empty()) {
    if (const char* pod = std::getenv("POD_NAME"); pod && *pod) {
      o.identity = pod;
    } else {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      o.identity = std::string(host) + "_" + std::to_string(::getpid());
    }
  }
  o.lease_duration = le.lease_duration;
  o.renew_deadline = le.renew_deadline;
  o.retry_period = le.retry_period;
  if (const std::string bad = validate(o); !bad.empty()) {
    if (error) *error = "leader_election: " + bad;
    return false;
  }
  lease_clock_ = std::make_shared<SystemClock>();
  elector_ = std::make_unique<LeaseElector>(o, client, lease_clock_.get());
  metrics_.leader.Set(0);
  election_round();  // so a replica that can lead at once does, before its first tick
  return true;
}

void Agent::election_round() {
  const LeaseRound r = elector_->try_acquire_or_renew();
  const bool leader = elector_->is_leader();
  metrics_.leader.Set(leader ? 1 : 0);
  const auto& o = elector_->options();
  if (leader != was_leader_.exchange(leader)) {
    metrics_.leader_transitions.Increment();
    std::cerr << "opspilot: " << o.identity << (leader ? " is now the leader" : " is no longer the leader")
              << " (lease " << elector_->lease_ref() << ")\n";
  }
  if (r.outcome == LeaseOutcome::error || r.outcome == LeaseOutcome::lost_race)
    std::cerr << "opspilot: leader election (lease " << elector_->lease_ref() << "): " << r.message << "\n";
}

bool Agent::is_leader() const { return !elector_ || elector_->is_leader(); }

std::vector<Decision> Agent::tick_all() {
  std::vector<Decision> out;
  for (auto& ts : targets_) {
    out.push_back(reconciler_->tick(*ts));
  }
  update_source_metrics();
  return out;
}

void Agent::update_source_metrics() {
  // Ready once any target's load has been observed.
  for (auto& ts : targets_) {
    if (ready_) break;
    std::lock_guard lock(ts->status_mu);
    const SignalValue* load = ts->last_observation.get("load");
    if (load && load->ok()) ready_ = true;
  }
  metrics_.ready.Set(ready_ ? 1 : 0);
  const SourceStats s = source_->source_stats();
  auto bump = [](prometheus::Counter& c, double total) {
    if (total > c.Value()) c.Increment(total - c.Value());
  };
  bump(metrics_.bad_samples, static_cast<double>(s.bad_samples));
  bump(metrics_.counter_resets, static_cast<double>(s.counter_resets));
  bump(metrics_.scrape_errors, static_cast<double>(s.scrape_errors));
  bump(metrics_.query_errors, static_cast<double>(s.query_errors));
  bump(metrics_.query_retries, static_cast<double>(s.query_retries));
  const SeriesStoreStats st = store_->stats();
  bump(metrics_.points_late, static_cast<double>(st.late));
  bump(metrics_.points_future, static_cast<double>(st.future));
  bump(metrics_.points_invalid, static_cast<double>(st.invalid));
  metrics_.series_stored.Set(static_cast<double>(st.series));
  metrics_.series_bytes.Set(static_cast<double>(st.bytes));
  if (approvals_) metrics_.approvals_pending.Set(static_cast<double>(approvals_->pending_count()));
}

std::optional<policies::ReloadReport> Agent::reload_policies(bool force) {
  if (!policy_set_) return std::nullopt;
  std::optional<policies::ReloadReport> rep = force ? std::optional(policy_set_->reload()) : policy_set_->reload_if_changed();
  if (!rep) return rep;
  metrics_.policy_reload(rep->ok);
  metrics_.policy_last_reload_ok.Set(rep->ok ? 1 : 0);
  metrics_.policy_last_reload_timestamp.Set(
      std::chrono::duration<double>(rep->at.time_since_epoch()).count());
  metrics_.policy_generation.Set(static_cast<double>(policy_set_->generation()));
  if (auto engine = policy_set_->current()) metrics_.policy_rules.Set(static_cast<double>(engine->rule_count()));
  std::cerr << "opspilot: " << rep->summary() << "\n";
  if (!rep->diagnostics.empty()) std::cerr << policies::format_diagnostics(rep->diagnostics);
  return rep;
}

void Agent::request_stop() {
  stop_requested_ = true;
  std::lock_guard lock(stop_mu_);
  if (stop_hook_) stop_hook_();
}

int Agent::run() {
  boost::asio::io_context io;
  std::unique_ptr<HttpServer> server;
  if (options_.serve_http) {
    // Collecting 10k series takes milliseconds: render once a second, serve the latest text.
    prerendered_ = std::make_unique<PrerenderedMetrics>(metrics_.registry(), std::chrono::seconds(1));
    server = std::make_unique<HttpServer>(io, config_.listen);
    install_routes(*server);
    std::string err;
    if (!server->start(&err)) {
      std::cerr << "opspilot: " << err << "\n";
      return 1;
    }
    http_port_ = server->port();
    std::cerr << "opspilot: serving on " << server->address() << "\n";
  }

  ReconcileLoop loop(io, *reconciler_, targets_, *clock_, config_.interval, &metrics_);
  auto work = boost::asio::make_work_guard(io);

  // Staged shutdown: stop scheduling ticks, let running ticks finish (their decisions are
  // journaled durably as they go), then stop serving and let the io threads drain.
  std::atomic<bool> shutting_down{false};
  // Leader election rounds run on their own thread: each is a blocking API call.
  std::mutex lease_mu;
  std::condition_variable lease_cv;
  bool lease_stop = false;
  std::thread lease_thread;
  if (elector_) {
    lease_thread = std::thread([&] {
      std::unique_lock lock(lease_mu);
      while (!lease_cv.wait_for(lock, elector_->next_delay(), [&] { return lease_stop; })) {
        lock.unlock();
        election_round();
        lock.lock();
      }
    });
  }
  std::thread stopper;  // runs the staged shutdown off the io threads; joined before returning
  auto shutdown = [&] {
    if (shutting_down.exchange(true)) return;
    stopper = std::thread([&] {
      loop.stop();
      loop.wait_idle(std::chrono::seconds(30));
      // Nothing acts any more: hand the lease over at once instead of after its expiry.
      if (lease_thread.joinable()) {
        {
          std::lock_guard lock(lease_mu);
          lease_stop = true;
        }
        lease_cv.notify_all();
        lease_thread.join();
        if (elector_->is_leader() && elector_->release())
          std::cerr << "opspilot: released the leader lease " << elector_->lease_ref() << "\n";
        metrics_.leader.Set(0);
      }
      if (server) server->stop(std::chrono::seconds(5));
      work.reset();
      io.stop();
    });
  };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::cerr << "opspilot: signal " << sig << ", finishing the current tick\n";
    shutdown();
  });
  {
    std::lock_guard lock(stop_mu_);
    stop_hook_ = [&] { boost::asio::post(io, shutdown); };
  }
  if (stop_requested_) boost::asio::post(io, shutdown);

  // Refresh readiness and the source counters every 200 ms of real time; look for changed
  // policy files and a changed configuration file every policies.reload_interval.
  boost::asio::steady_timer watch(io);
  auto next_policy_check = std::chrono::steady_clock::now() + config_.policies.reload_interval;
  const std::string config_file = config_.file;
  auto next_config_check = std::chrono::steady_clock::now() + config_.policies.reload_interval;
  const std::string loaded_print = file_fingerprint(config_file);
  std::string rejected_print;
  auto check_config = [&] {
    const std::string print = file_fingerprint(config_file);
    if (print.empty() || print == loaded_print || print == rejected_print) return;
    const LoadResult changed = load_config_file(config_file);
    if (!changed.ok()) {
      rejected_print = print;
      metrics_.config_reloads_rejected.Increment();
      std::cerr << "opspilot: " << config_file << " changed but does not load; the running configuration stays in force:\n"
                << changed.report();
      return;
    }
    std::cerr << "opspilot: " << config_file << " changed; finishing the current tick and restarting with it\n";
    restart_requested_ = true;
    shutdown();
  };
  std::function<void()> arm = [&] {
    watch.expires_after(std::chrono::milliseconds(200));
    watch.async_wait([&](const boost::system::error_code& ec) {
      if (ec || shutting_down) return;
      update_source_metrics();
      if (policy_set_ && std::chrono::steady_clock::now() >= next_policy_check) {
        next_policy_check = std::chrono::steady_clock::now() + config_.policies.reload_interval;
        reload_policies(false);
      }
      if (!config_file.empty() && std::chrono::steady_clock::now() >= next_config_check) {
        next_config_check = std::chrono::steady_clock::now() + config_.policies.reload_interval;
        check_config();
      }
      arm();
    });
  };
  arm();

  loop.start();
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, config_.threads); ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (stopper.joinable()) stopper.join();
  {
    std::lock_guard lock(stop_mu_);
    stop_hook_ = nullptr;
  }
  prerendered_.reset();
  std::cerr << "opspilot: stopped after " << loop.ticks_run() << " ticks\n";
  return 0;
}

}  // namespace opspilot::agent
