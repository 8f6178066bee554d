#pragma once
// The agent's own decision code driving the sandbox's model in-process, in simulated time: the
// same Reconciler::tick() as the live agent, the same scraping (ScrapeSource on the exposition the
// sandbox serves at /services/<name>/metrics), the same policies, journal and approval gate, and
// an actuator that speaks the generic-webhook protocol to the sandbox's API without HTTP. Used by
// `opspilot backtest`, the incident suite and tests; no sockets, no sleeping, deterministic for a
// given sandbox seed.
// Thread-safety: none; one thread drives a SimWorld.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actuators/actuator.h"
#include "agent/approve/approval_book.h"
#include "agent/clock.h"
#include "agent/config/config.h"
#include "agent/journal/journal.h"
#include "agent/loop/reconciler.h"
#include "agent/loop/target_state.h"
#include "agent/metrics.h"
#include "agent/predict/predictor.h"
#include "agent/source/scrape_source.h"
#include "agent/store/series_store.h"
#include "examples/sandbox/api.h"
#include "policies/policy.h"

namespace opspilot::backtest {

/// The generic-webhook actuator's protocol (the same JSON body, the same idempotency by decision
/// id and the same verification answer), delivered to a SandboxApi in-process at the clock's time.
class SandboxActuator final : public actuators::Actuator {
 public:
  SandboxActuator(sandbox::SandboxApi& api, const agent::Clock& clock) : api_(api), clock_(clock) {}
  std::string name() const override { return "sandbox"; }
  std::vector<actuators::ApiCall> plan(const actuators::Action& action) const override;
  actuators::ApplyResult apply(const actuators::Action& action) override;
  actuators::VerifyResult verify(const actuators::Action& action) override;

 private:
  sandbox::SandboxApi& api_;
  const agent::Clock& clock_;
};

/// The sandbox service a target observes and acts on: the name in its scrape URL's
/// /services/<name>/ path, else the target's own name.
std::string service_for(const agent::TargetSpec& target);

struct WorldOptions {
  agent::Config config;                 // mode, interval, targets, journal.path (required)
  sandbox::SandboxSpec sandbox;         // the services; each target's service must be in it
  std::int64_t start_unix = 0;
  std::uint64_t seed = 1;
  /// Policies every proposal is checked against; null: the targets' limits alone.
  const policies::PolicyEvaluator* policies = nullptr;
  /// Called with every journaled decision, in order.
  std::function<void(const agent::Decision&)> on_decision;
};

class SimWorld {
 public:
  /// nullptr and *error when the journal cannot be opened or a target has no service.
  static std::unique_ptr<SimWorld> create(WorldOptions options, std::string* error);
  ~SimWorld();

  /// Advances simulated time by one agent interval and ticks every target once.
  void step();
  /// step() until `until` (inclusive of the last whole interval).
  void run_until(agent::TimePoint until);
  agent::TimePoint now() const { return clock_.now(); }

  sandbox::SandboxApi& sandbox() { return *api_; }
  agent::TargetState& target(std::size_t i) { return *targets_.at(i); }
  std::size_t targets() const { return targets_.size(); }
  agent::ApprovalBook& approvals() { return approvals_; }
  agent::Journal& journal() { return *journal_; }
  const agent::Config& config() const { return options_.config; }
  /// The decisions of the last step, one per target.
  const std::vector<agent::Decision>& last() const { return last_; }

 private:
  explicit SimWorld(WorldOptions options);

  WorldOptions options_;
  agent::ManualClock clock_;
  std::unique_ptr<sandbox::SandboxApi> api_;
  agent::ScrapeSource scrape_;
  std::unique_ptr<agent::MetricSource> source_;
  agent::SeriesStore store_;
  agent::LinearTrendPredictor predictor_;
  SandboxActuator actuator_;
  std::unique_ptr<agent::Journal> journal_;
  agent::AgentMetrics metrics_;
  agent::ApprovalBook approvals_;
  std::vector<std::unique_ptr<agent::TargetState>> targets_;
  std::unique_ptr<agent::Reconciler> reconciler_;
  std::vector<agent::Decision> last_;
};

}  // namespace opspilot::backtest
