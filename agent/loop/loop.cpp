#include "agent/loop/loop.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <iostream>

namespace opspilot::agent {

struct ReconcileLoop::Slot {
  Slot(boost::asio::io_context& io, TargetState& t)
      : strand(boost::asio::make_strand(io)), timer(strand), target(t) {}
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  boost::asio::steady_timer timer;
  TargetState& target;
};

ReconcileLoop::ReconcileLoop(boost::asio::io_context& io, Reconciler& reconciler,
                             std::vector<std::unique_ptr<TargetState>>& targets,
                             const Clock& clock, Duration interval, AgentMetrics* metrics)
    : io_(io), reconciler_(reconciler), targets_(targets), clock_(clock), interval_(interval),
      metrics_(metrics) {}

ReconcileLoop::~ReconcileLoop() {
  stop();
  wait_idle(std::chrono::seconds(30));
}

void ReconcileLoop::start() {
  stopping_ = false;
  slots_.clear();
  for (auto& t : targets_) slots_.push_back(std::make_unique<Slot>(io_, *t));
  const auto n = static_cast<std::int64_t>(slots_.size());
  for (std::int64_t i = 0; i < n; ++i) schedule(*slots_[static_cast<size_t>(i)], Duration(interval_.count() * i / std::max<std::int64_t>(n, 1)));
}

void ReconcileLoop::schedule(Slot& slot, Duration delay) {
  if (stopping_) return;
  slot.timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      clock_.real_delay(delay)));
  slot.timer.async_wait([this, &slot](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    run_tick(slot);
  });
}

void ReconcileLoop::run_tick(Slot& slot) {
  ++running_;
  const auto started = clock_.now();
  try {
    reconciler_.tick(slot.target);
  } catch (const std::exception& e) {
    // A bug or an unexpected input must not stop the loop: logged, counted, next tick goes on.
    std::cerr << "opspilot: tick of " << slot.target.spec.name << " failed: " << e.what() << "\n";
    if (metrics_) metrics_->tick_errors.Increment();
  }
  ++ticks_run_;
  // Next tick one interval after this one started, never in the past.
  const Duration spent = clock_.now() - started;
  schedule(slot, std::max(Duration(0), interval_ - spent));
  if (--running_ == 0) {
    std::lock_guard lock(idle_mu_);
    idle_cv_.notify_all();
  }
}

void ReconcileLoop::stop() {
  stopping_ = true;
  for (auto& s : slots_) {
    boost::asio::post(s->strand, [&s] { s->timer.cancel(); });
  }
}

bool ReconcileLoop::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(idle_mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return running_.load() == 0; });
}

}  // namespace opspilot::agent
