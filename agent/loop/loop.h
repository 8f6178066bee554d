#pragma once
// The live reconcile loop: every target on its own strand and timer on a shared io_context, each
// tick run by the Reconciler. Ticks of one target never overlap; ticks of different targets run
// in parallel on the io threads. Timers wait in real time for the clock's simulated interval, so
// a ScaledClock makes the whole loop run faster than real time.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/loop/reconciler.h"
#include "agent/loop/target_state.h"

namespace opspilot::agent {

/// Thread-safety: start() and stop() from the owner; everything else runs on the strands.
class ReconcileLoop {
 public:
  ReconcileLoop(boost::asio::io_context& io, Reconciler& reconciler,
                std::vector<std::unique_ptr<TargetState>>& targets, const Clock& clock,
                Duration interval, AgentMetrics* metrics = nullptr);
  ~ReconcileLoop();
  ReconcileLoop(const ReconcileLoop&) = delete;
  ReconcileLoop& operator=(const ReconcileLoop&) = delete;

  /// Schedules the first tick of every target, spread evenly over one interval.
  void start();
  /// No new ticks start; cancels the timers. Ticks already running finish.
  void stop();
  /// Blocks until no tick is running, or `timeout` passes; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);
  std::uint64_t ticks_run() const { return ticks_run_.load(); }

 private:
  struct Slot;
  void schedule(Slot& slot, Duration delay);
  void run_tick(Slot& slot);

  boost::asio::io_context& io_;
  Reconciler& reconciler_;
  std::vector<std::unique_ptr<TargetState>>& targets_;
  const Clock& clock_;
  Duration interval_;
  AgentMetrics* metrics_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> running_{0};
  std::atomic<std::uint64_t> ticks_run_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

}  // namespace opspilot::agent
