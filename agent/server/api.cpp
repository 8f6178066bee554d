// The agent's HTTP endpoints: health, readiness, metrics and the JSON API over decisions.
#include <nlohmann/json.hpp>

#include "agent/leader/lease_elector.h"
#include "agent/agent.h"
#include "agent/server/auth.h"
#include "agent/server/http_server.h"
#include "agent/server/prerendered_metrics.h"

namespace opspilot::agent {
namespace {

nlohmann::json signal_json(const SignalValue& s, TimePoint now) {
  nlohmann::json j{{"status", to_string(s.status)}, {"query", s.query}};
  if (s.ok()) {
    j["value"] = s.value;
    j["age_seconds"] = to_seconds(now - s.sampled_at);
  }
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

Response json_response(const nlohmann::json& j, int status = 200) {
  Response r;
  r.status = status;
  r.body = j.dump();
  return r;
}

}  // namespace

std::string Agent::status_json() const {
  const TimePoint now = clock_->now();
  nlohmann::json j;
  j["version"] = OPSPILOT_VERSION;
  j["mode"] = config_.mode == Mode::Active ? "active" : "dry-run";
  j["source"] = config_.controller_mode() ? "prometheus " + config_.prometheus.url : "scrape";
  j["ready"] = ready_.load();
  j["now"] = to_unix_seconds(now);
  j["uptime_seconds"] = to_seconds(now - started_);
  j["interval_seconds"] = to_seconds(config_.interval);
  if (elector_) {
    j["leader"] = {{"enabled", true},
                   {"is_leader", elector_->is_leader()},
                   {"identity", elector_->options().identity},
                   {"holder", elector_->holder()},
                   {"lease", elector_->lease_ref()},
                   {"lease_transitions", elector_->lease_transitions()},
                   {"last_error", elector_->last_error()}};
  } else {
    j["leader"] = {{"enabled", false}, {"is_leader", true}};
  }
  auto& arr = j["targets"] = nlohmann::json::array();
  for (const auto& ts : targets_) {
    nlohmann::json t{{"name", ts->spec.name}, {"namespace", ts->spec.namespace_}, {"kind", ts->spec.kind}};
    std::lock_guard lock(ts->status_mu);
    t["ticks"] = ts->ticks;
    auto& sig = t["signals"] = nlohmann::json::object();
    for (const auto& [role, s] : ts->last_observation.signals) sig[role] = signal_json(s, now);
    if (ts->last_decision) {
      const Decision& d = *ts->last_decision;
      t["last_decision"] = {{"id", d.id},
                            {"action", d.action},
                            {"state", to_string(d.state)},
                            {"current_replicas", d.current_replicas},
                            {"desired_replicas", d.desired_replicas},
                            {"reason", d.reason}};
      if (d.prediction.enough_data)
        t["forecast"] = {{"model", d.prediction.model}, {"horizon_seconds", d.prediction.horizon_seconds},
                         {"mean", d.prediction.mean}, {"lower", d.prediction.lower},
                         {"upper", d.prediction.upper}, {"level", d.prediction.level}};
      else
        t["forecast"] = {{"model", d.prediction.model}, {"note", d.prediction.note}};
    }
    if (ts->in_flight) t["in_flight"] = ts->in_flight->id;
    arr.push_back(std::move(t));
  }
  return j.dump();
}

void Agent::install_routes(HttpServer& server) {
  install_approval_routes(server);
  server.route("GET", "/healthz", [](const Request&) {
    Response r;
    r.content_type = "text/plain";
    r.body = "ok\n";
    return r;
  });
  server.route("GET", "/readyz", [this](const Request&) {
    Response r;
    r.content_type = "text/plain";
    if (ready_) {
      r.body = "ready\n";
    } else {
      r.status = 503;
      r.body = "not ready: no observation has succeeded yet\n";
    }
    return r;
  });
  server.route("GET", "/metrics", [this](const Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (prerendered_) {
      r.body = *prerendered_->latest();
    } else {
      r.body = metrics_.serialize();
    }
    return r;
  });
  server.route("GET", "/api/v1/status", [this](const Request& req) {
    if (const AuthResult a = auth_->authorize(req, Role::Viewer); !a.ok()) return auth_error(a);
    Response r;
    r.body = status_json();
    return r;
  });
  server.route("GET", "/api/v1/decisions", [this](const Request& req) {
    if (const AuthResult a = auth_->authorize(req, Role::Viewer); !a.ok()) return auth_error(a);
    std::size_t limit = 100;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      try {
        limit = std::stoul(it->second);
      } catch (const std::exception&) {
        return json_error(400, "limit must be a positive integer, got \"" + it->second + "\"");
      }
    }
    std::string target;
    if (auto it = req.query.find("target"); it != req.query.end()) target = it->second;
    nlohmann::json arr = nlohmann::json::array();
    for (const Decision& d : journal_->list(target, limit)) arr.push_back(to_json(d));
    return json_response({{"decisions", arr}});
  });
  server.route_prefix("GET", "/api/v1/decisions/", [this](const Request& req) {
    if (const AuthResult a = auth_->authorize(req, Role::Viewer); !a.ok()) return auth_error(a);
    const std::string id = req.path.substr(std::string("/api/v1/decisions/").size());
    auto d = journal_->get(id);
    if (!d) return json_error(404, "no decision with id \"" + id + "\"");
    nlohmann::json j = to_json(*d);
    j["explanation"] = explain(*d);
    return json_response(j);
  });
}

}  // namespace opspilot::agent
