#pragma once
// The reconciler suites' fixture: a scripted MetricSource (a mock of our own interface), the real
// series store, the real journal in a temp dir, the dry-run actuator, and optionally the
// operator's policies and the approval book.
#include <gtest/gtest.h>

#include <cmath>

#include "actuators/dryrun/dryrun_actuator.h"
#include "agent/loop/reconciler.h"
#include "tests/test_support.h"

using namespace opspilot::agent;
using namespace std::chrono_literals;

namespace {

class ScriptedSource : public MetricSource {
 public:
  double load = 100;
  double replicas = 2;
  double ready = std::nan("");       // ready_replicas; NaN: not exported
  double saturation = std::nan("");  // NaN: not exported
  bool load_missing = false;
  Duration age{0};
  Observation observe(const TargetSpec&, TimePoint now) override {
    Observation o;
    o.at = now;
    SignalValue l;
    if (load_missing) {
      l.status = SignalStatus::Error;
      l.error = "connection refused";
    } else {
      l.status = SignalStatus::Ok;
      l.value = load;
      l.sampled_at = now - age;
    }
    o.signals["load"] = l;
    SignalValue r;
    r.status = SignalStatus::Ok;
    r.value = replicas;
    r.sampled_at = now;
    o.signals["replicas"] = r;
    for (const auto& [role, v] : {std::pair{"ready_replicas", ready}, std::pair{"saturation", saturation}})
      if (!std::isnan(v)) {
        SignalValue x;
        x.status = SignalStatus::Ok;
        x.value = v;
        x.sampled_at = now;
        o.signals[role] = x;
      }
    return o;
  }
};

/// Records scale actions; their replicas stay "starting" (verification in progress) until
/// `ready` is set (a mock of our own interface).
struct StartingActuator : opspilot::actuators::Actuator {
  std::vector<opspilot::actuators::Action> applied;
  bool ready = false;
  std::string name() const override { return "starting"; }
  std::vector<opspilot::actuators::ApiCall> plan(const opspilot::actuators::Action&) const override { return {}; }
  opspilot::actuators::ApplyResult apply(const opspilot::actuators::Action& a) override {
    applied.push_back(a);
    opspilot::actuators::ApplyResult r;
    r.ok = true;
    return r;
  }
  opspilot::actuators::VerifyResult verify(const opspilot::actuators::Action& a) override {
    opspilot::actuators::VerifyResult v;
    v.state = ready ? opspilot::actuators::VerifyState::Done : opspilot::actuators::VerifyState::InProgress;
    v.detail = std::to_string(ready ? a.replicas : 2) + " of " + std::to_string(a.replicas) + " replicas ready";
    return v;
  }
};


struct Fixture : ::testing::Test {
  opspilot::test::TempDir dir;
  ManualClock clock{TimePoint(Duration(1'800'000'000'000))};
  ScriptedSource source;
  std::unique_ptr<SeriesStore> store = std::make_unique<SeriesStore>(clock);
  LinearTrendPredictor predictor;
  opspilot::actuators::DryRunActuator actuator;
  std::unique_ptr<Journal> journal;
  AgentMetrics metrics;
  Config config;
  std::unique_ptr<TargetState> target;

  void SetUp() override {
    config.interval = 15s;
    config.stale_after = 1min;
    config.mode = Mode::Active;
    TargetSpec t;
    t.name = "web";
    t.signals["load"] = SignalSpec{"load", {}};
    t.signals["replicas"] = SignalSpec{"replicas", {}};
    t.capacity.per_replica = 100;
    t.capacity.target_utilization = 0.5;
    t.limits.min_replicas = 1;
    t.limits.max_replicas = 20;
    t.limits.cooldown_up = 1min;
    config.targets.push_back(t);
    target = std::make_unique<TargetState>(t, config.stale_after);
    std::string err;
    JournalSpec js;
    js.path = dir.file("journal");
    journal = Journal::open(JournalOptions::from_spec(js, &clock), &err);
    ASSERT_TRUE(journal) << err;
  }
  Reconciler reconciler(const opspilot::policies::PolicyEvaluator* policies = nullptr,
                        ApprovalBook* approvals = nullptr, ApprovalNotifier* notifier = nullptr) {
    return reconciler_acting_through(actuator, policies, approvals, notifier);
  }
  /// The same loop with another actuator (a StartingActuator whose replicas take their time).
  Reconciler reconciler_acting_through(opspilot::actuators::Actuator& a,
                                       const opspilot::policies::PolicyEvaluator* policies = nullptr,
                                       ApprovalBook* approvals = nullptr, ApprovalNotifier* notifier = nullptr) {
    return Reconciler(config, Stages{&clock, &source, store.get(), &predictor, &a, journal.get(), &metrics, nullptr,
                                     policies, approvals, notifier});
  }
  /// The target re-made from config.targets[0] after a test changed it.
  void reload_target() { target = std::make_unique<TargetState>(config.targets[0], config.stale_after); }
};

}  // namespace
