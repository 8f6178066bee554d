#include "examples/backtest/sim_world.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "actuators/dryrun/dryrun_actuator.h"
#include "examples/sandbox/metrics.h"

namespace opspilot::backtest {
namespace {

constexpr const char* kActionsPath = "/api/v1/actions";

std::string excerpt(const std::string& s) { return s.size() <= 300 ? s : s.substr(0, 300) + "…"; }

/// Everything the scrape source does after its HTTP fetch, on the exposition the sandbox serves
/// for the target's service right now.
class ModelSource final : public agent::MetricSource {
 public:
  ModelSource(agent::ScrapeSource& scrape, sandbox::SandboxApi& api) : scrape_(scrape), api_(api) {}
  agent::Observation observe(const agent::TargetSpec& target, agent::TimePoint now) override {
    const std::string service = service_for(target);
    const std::string body =
        api_.with_model([&](const sandbox::Model& m) { return sandbox::render_metrics(m, service); });
    return scrape_.observe_payload(target, now, sandbox::kExpositionContentType, body);
  }
  agent::SourceStats source_stats() const override { return scrape_.source_stats(); }

 private:
  agent::ScrapeSource& scrape_;
  sandbox::SandboxApi& api_;
};

}  // namespace

std::string service_for(const agent::TargetSpec& target) {
  const std::string marker = "/services/";
  const auto at = target.scrape_url.find(marker);
  if (at != std::string::npos) {
    const auto from = at + marker.size();
    const auto to = target.scrape_url.find('/', from);
    return target.scrape_url.substr(from, to == std::string::npos ? std::string::npos : to - from);
  }
  return target.name;
}

std::vector<actuators::ApiCall> SandboxActuator::plan(const actuators::Action& action) const {
  return {actuators::ApiCall{"POST", std::string("sandbox:") + kActionsPath,
                             actuators::action_to_json(action).dump(), 0, ""}};
}

actuators::ApplyResult SandboxActuator::apply(const actuators::Action& action) {
  actuators::ApplyResult r;
  sandbox::ApiRequest req;
  req.method = "POST";
  req.target = kActionsPath;
  req.body = actuators::action_to_json(action).dump();
  const sandbox::ApiResponse resp = api_.handle(req, clock_.now());
  r.calls.push_back(actuators::ApiCall{"POST", std::string("sandbox:") + kActionsPath, req.body,
                                       resp.status, excerpt(resp.body)});
  if (resp.status < 200 || resp.status >= 300) {
    r.error = "sandbox answered HTTP " + std::to_string(resp.status) + ": " + excerpt(resp.body);
    return r;
  }
  r.ok = true;
  const auto j = nlohmann::json::parse(resp.body, nullptr, false);
  r.already_applied = j.is_object() && j.value("status", "") == "already_applied";
  return r;
}

actuators::VerifyResult SandboxActuator::verify(const actuators::Action& action) {
  actuators::VerifyResult v;
  sandbox::ApiRequest req;
  req.method = "GET";
  req.target = std::string(kActionsPath) + "/" + action.decision_id;
  const sandbox::ApiResponse resp = api_.handle(req, clock_.now());
  v.calls.push_back(actuators::ApiCall{"GET", "sandbox:" + req.target, "", resp.status, excerpt(resp.body)});
  const auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (resp.status != 200 || !j.is_object()) {
    v.detail = "sandbox answered HTTP " + std::to_string(resp.status) + ": " + excerpt(resp.body);
    return v;
  }
  const std::string state = j.value("state", "");
  v.observed = j.value("observed", nlohmann::json::object());
  v.state = state == "done"          ? actuators::VerifyState::Done
            : state == "in_progress" ? actuators::VerifyState::InProgress
            : state == "failed"      ? actuators::VerifyState::Failed
                                     : actuators::VerifyState::Unknown;
  v.detail = "state " + (state.empty() ? std::string("(none)") : state) + ", observed " + v.observed.dump();
  return v;
}

SimWorld::SimWorld(WorldOptions options)
    : options_(std::move(options)),
      clock_(agent::from_unix_seconds(static_cast<double>(options_.start_unix))),
      api_(std::make_unique<sandbox::SandboxApi>(
          sandbox::Model(options_.sandbox, options_.start_unix, options_.seed))),
      scrape_(options_.config.scrape),
      source_(std::make_unique<ModelSource>(scrape_, *api_)),
      store_(clock_, agent::SeriesStoreOptions::with_native_step(options_.config.interval)),
      actuator_(*api_, clock_) {}

SimWorld::~SimWorld() = default;

std::unique_ptr<SimWorld> SimWorld::create(WorldOptions options, std::string* error) {
  for (const agent::TargetSpec& t : options.config.targets) {
    bool found = false;
    for (const sandbox::ServiceSpec& s : options.sandbox.services) found = found || s.name == service_for(t);
    if (!found) {
      if (error) *error = "target \"" + t.name + "\" observes sandbox service \"" + service_for(t) +
                          "\", which the sandbox does not have";
      return nullptr;
    }
  }
  std::unique_ptr<SimWorld> w(new SimWorld(std::move(options)));
  std::string err;
  w->journal_ = agent::Journal::open(agent::JournalOptions::from_spec(w->options_.config.journal, &w->clock_), &err);
  if (!w->journal_) {
    if (error) *error = "journal: " + err;
    return nullptr;
  }
  for (const agent::TargetSpec& t : w->options_.config.targets)
    w->targets_.push_back(std::make_unique<agent::TargetState>(t, w->options_.config.stale_after));
  agent::Stages stages{&w->clock_,   w->source_.get(), &w->store_,   &w->predictor_,
                       &w->actuator_, w->journal_.get(), &w->metrics_, nullptr,
                       w->options_.policies, &w->approvals_, nullptr};
  w->reconciler_ = std::make_unique<agent::Reconciler>(w->options_.config, stages);
  if (w->options_.on_decision) w->reconciler_->on_decision(w->options_.on_decision);
  return w;
}

void SimWorld::step() {
  clock_.advance(options_.config.interval);
  api_->advance(clock_.now());
  last_.clear();
  for (auto& t : targets_) last_.push_back(reconciler_->tick(*t));
}

void SimWorld::run_until(agent::TimePoint until) {
  while (clock_.now() + options_.config.interval <= until) step();
}

}  // namespace opspilot::backtest
