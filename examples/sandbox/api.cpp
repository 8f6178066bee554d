#include "examples/sandbox/api.h"

#include "actuators/common/webhook_signature.h"

#include <cctype>
#include <chrono>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "examples/sandbox/config.h"
#include "examples/sandbox/metrics.h"

namespace opspilot::sandbox {
namespace {

using nlohmann::json;

ApiResponse json_response(int status, const json& j) {
  ApiResponse r;
  r.status = status;
  r.body = j.dump() + "\n";
  return r;
}

ApiResponse error_response(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(const std::string& q) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < q.size()) {
    std::size_t end = q.find('&', start);
    if (end == std::string::npos) end = q.size();
    const std::string part = q.substr(start, end - start);
    const std::size_t eq = part.find('=');
    if (!part.empty()) {
      out[url_decode(part.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(part.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

std::string service_names(const Model& m) {
  std::string out;
  for (const ServiceSim& s : m.services()) out += (out.empty() ? "" : ", ") + s.name();
  return out;
}

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string iso_at(const Model& m, double elapsed_s) {
  return format_rfc3339(m.start_unix() + static_cast<std::int64_t>(std::floor(elapsed_s)));
}

json observed(const ServiceSim& s, double now) {
  return json{{"replicas", s.desired()}, {"ready_replicas", s.ready_count(now)}, {"revision", s.revision()}};
}

json incident_json(const Model& m, const IncidentRecord& r) {
  json params = {{"latency_factor", r.spec.latency_factor}, {"error_rate", r.spec.error_rate}};
  if (r.spec.type == IncidentType::BadPod) params["slow_factor"] = r.spec.slow_factor;
  if (r.spec.type == IncidentType::CrashLoop) params["crash_uptime_seconds"] = r.spec.crash_uptime_s;
  json j = {{"id", r.id},
            {"service", r.service},
            {"type", to_string(r.spec.type)},
            {"scheduled", r.scheduled},
            {"started_at", iso_at(m, r.started_s)},
            {"started_unix_seconds", static_cast<double>(m.start_unix()) + r.started_s},
            {"ends_at", std::isfinite(r.ends_s) ? json(iso_at(m, r.ends_s)) : json(nullptr)},
            {"ended_at", r.ended_s ? json(iso_at(m, *r.ended_s)) : json(nullptr)},
            {"ended_unix_seconds", r.ended_s ? json(static_cast<double>(m.start_unix()) + *r.ended_s) : json(nullptr)},
            {"ended_by", r.ended_by},
            {"active", r.active()},
            {"params", params}};
  if (r.revision) j["revision"] = r.revision;
  return j;
}

// Reads an optional number field; false (with `error`) when present but not a number in range.
bool read_number(const json& body, const char* key, double lo, double hi, double* out, std::string* error) {
  if (!body.contains(key)) return true;
  const json& v = body[key];
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi) {
    *error = std::string(key) + " is " + v.dump() + ", expected a number in [" + json(lo).dump() + ", " +
             json(hi).dump() + "]";
    return false;
  }
  *out = v.get<double>();
  return true;
}

}  // namespace

SandboxApi::SandboxApi(Model model) : model_(std::move(model)), book_(model_.spec().action_timeout_s) {}

std::string SandboxApi::follow_cluster(const std::string& service, const ClusterView& view, agent::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  advance_locked(now);
  ServiceSim* svc = model_.find(service);
  if (svc == nullptr) return "no service named \"" + service + "\"";
  const double t = model_.elapsed_s();
  std::string error;
  if (view.rollout == ClusterView::Rollout::Restart) svc->restart(t);
  if (view.rollout == ClusterView::Rollout::Rollback && !svc->rollback(t, &error)) svc->restart(t);
  svc->follow_cluster(view.desired, view.ready, t, view.new_ready);
  book_.update(model_);
  return error;
}

void SandboxApi::require_signature(std::string secret) {
  std::lock_guard<std::mutex> lock(mu_);
  webhook_secret_ = std::move(secret);
}

void SandboxApi::advance(agent::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  advance_locked(now);
}

void SandboxApi::advance_locked(agent::TimePoint now) {
  const double target = agent::to_unix_seconds(now) - static_cast<double>(model_.start_unix());
  const double tick = model_.spec().tick_s;
  // Tick by tick while actions are pending, so "done" is seen when it happens, not when polled.
  while (model_.elapsed_s() < target - 1e-9) {
    const double chunk = book_.pending() > 0 ? tick : target - model_.elapsed_s();
    model_.step(std::min(chunk, target - model_.elapsed_s()));
    book_.update(model_);
  }
}

ApiResponse SandboxApi::handle(const ApiRequest& req, agent::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  advance_locked(now);
  const std::size_t qpos = req.target.find('?');
  const std::string path = req.target.substr(0, qpos);
  const std::string query = qpos == std::string::npos ? "" : req.target.substr(qpos + 1);
  auto only = [&](const char* method) -> std::optional<ApiResponse> {
    if (req.method == method || (std::string(method) == "GET" && req.method == "HEAD")) return std::nullopt;
    ApiResponse r = error_response(405, "method " + req.method + " is not allowed on " + path + ", expected " + method);
    r.allow = method;
    return r;
  };

  if (path == "/healthz") {
    if (auto bad = only("GET")) return *bad;
    return ApiResponse{200, "text/plain; charset=utf-8", "ok\n", ""};
  }
  if (path == "/metrics") {
    if (auto bad = only("GET")) return *bad;
    return metrics("");
  }
  static const std::string kServices = "/services/";
  if (path.rfind(kServices, 0) == 0 && path.size() > kServices.size() + 8 &&
      path.compare(path.size() - 8, 8, "/metrics") == 0) {
    if (auto bad = only("GET")) return *bad;
    return metrics(url_decode(path.substr(kServices.size(), path.size() - kServices.size() - 8)));
  }
  if (path == "/api/v1/actions") {
    if (auto bad = only("POST")) return *bad;
    return post_action(req);
  }
  static const std::string kActions = "/api/v1/actions/";
  if (path.rfind(kActions, 0) == 0 && path.size() > kActions.size()) {
    if (auto bad = only("GET")) return *bad;
    return get_action(url_decode(path.substr(kActions.size())));
  }
  if (path == "/api/v1/state") {
    if (auto bad = only("GET")) return *bad;
    return get_state();
  }
  if (path == "/api/v1/history") {
    if (auto bad = only("GET")) return *bad;
    return get_history(query);
  }
  if (path == "/api/v1/incidents") {
    if (req.method == "POST") return post_incident(req.body);
    if (auto bad = only("GET")) {
      bad->allow = "GET, POST";
      return *bad;
    }
    return get_incidents();
  }
  return error_response(404, "no route for " + req.method + " " + path +
                                 "; routes: /healthz /metrics /services/<name>/metrics /api/v1/actions "
                                 "/api/v1/actions/<decision_id> /api/v1/state /api/v1/history /api/v1/incidents");
}

ApiResponse SandboxApi::metrics(const std::string& service) {
  std::string text = render_metrics(model_, service);
  if (text.empty()) {
    return error_response(404, "no service named \"" + service + "\"; services: " + service_names(model_));
  }
  return ApiResponse{200, kExpositionContentType, std::move(text), ""};
}

ApiResponse SandboxApi::post_action(const ApiRequest& req) {
  const std::string& body_text = req.body;
  if (!webhook_secret_.empty()) {
    // Checked against the real clock: the signer stamps real time, whatever the simulated one.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string why = actuators::check_webhook_signature(webhook_secret_, req.timestamp, req.signature,
                                                               body_text, now);
    if (!why.empty()) return error_response(401, "unsigned or forged action request: " + why);
  }
  const json body = json::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(400, "body is not a JSON object: " + body_text.substr(0, 120) +
                                   "; expected {\"decision_id\":\"d-…\",\"kind\":\"scale|restart|rollback\","
                                   "\"target\":{\"kind\":\"Deployment\",\"namespace\":\"…\",\"name\":\"<service>\"},"
                                   "\"replicas\":N} (restart of one pod: \"params\":{\"mode\":\"evict\",\"pod\":\"<name>\"})");
  }
  ActionRecord rec;
  if (!body.contains("decision_id") || !body["decision_id"].is_string() ||
      body["decision_id"].get<std::string>().empty() || body["decision_id"].get<std::string>().size() > 256) {
    return error_response(400, "decision_id is " + (body.contains("decision_id") ? body["decision_id"].dump() : "missing") +
                                   ", expected a non-empty string of at most 256 characters (the idempotency key)");
  }
  rec.decision_id = body["decision_id"].get<std::string>();
  if (!body.contains("kind") || !body["kind"].is_string()) {
    return error_response(400, "kind is " + (body.contains("kind") ? body["kind"].dump() : "missing") +
                                   ", expected one of \"scale\", \"restart\", \"rollback\"");
  }
  rec.kind = body["kind"].get<std::string>();
  if (rec.kind != "scale" && rec.kind != "restart" && rec.kind != "rollback") {
    return error_response(422, "kind is \"" + rec.kind + "\", expected one of \"scale\", \"restart\", \"rollback\"");
  }
  const json* target = body.contains("target") ? &body["target"] : nullptr;
  if (!target || !target->is_object() || !target->contains("name") || !(*target)["name"].is_string()) {
    return error_response(400, "target is " + (target ? target->dump() : std::string("missing")) +
                                   ", expected {\"kind\":\"Deployment\",\"namespace\":\"…\",\"name\":\"<service>\"}");
  }
  rec.service = (*target)["name"].get<std::string>();
  if (target->contains("kind")) {
    const json& k = (*target)["kind"];
    // The sandbox stands in for any scalable workload; an empty kind means "unspecified".
    if (!k.is_string() || (k != "" && k != "Deployment" && k != "StatefulSet" && k != "AutoScalingGroup")) {
      return error_response(422, "target.kind is " + k.dump() +
                                     ", expected \"Deployment\", \"StatefulSet\" or \"AutoScalingGroup\"");
    }
    rec.target_kind = k.get<std::string>();
  }
  if (target->contains("namespace")) {
    if (!(*target)["namespace"].is_string()) {
      return error_response(400, "target.namespace is " + (*target)["namespace"].dump() + ", expected a string");
    }
    rec.namespace_ = (*target)["namespace"].get<std::string>();
  }
  ServiceSim* svc = model_.find(rec.service);
  if (rec.kind == "scale") {
    if (!body.contains("replicas") || !body["replicas"].is_number_integer()) {
      return error_response(body.contains("replicas") && body["replicas"].is_number() ? 422 : 400,
                            "replicas is " + (body.contains("replicas") ? body["replicas"].dump() : "missing") +
                                ", expected a whole number of replicas for a scale action");
    }
    const auto n = body["replicas"].get<long long>();
    const int max = svc ? svc->spec().max_replicas : 10000;
    if (n < 0 || n > max) {
      return error_response(422, "replicas is " + std::to_string(n) + ", expected 0 to " + std::to_string(max) +
                                     (svc ? " (max_replicas of " + rec.service + ")" : ""));
    }
    rec.replicas = static_cast<int>(n);
  }
  // restart {"params":{"mode":"evict","pod":"<name>"}}: one pod, not the whole service.
  std::string evict_pod;
  if (body.contains("params")) {
    const json& params = body["params"];
    if (!params.is_object()) return error_response(400, "params is " + params.dump() + ", expected an object");
    for (const auto& [k, v] : params.items()) {
      if (!v.is_string())
        return error_response(400, "params." + k + " is " + v.dump() + ", expected a string");
    }
    const std::string mode = params.value("mode", "");
    if (!mode.empty()) {
      if (rec.kind != "restart" || mode != "evict") {
        return error_response(422, "params.mode is \"" + mode + "\" for a " + rec.kind +
                                       ", expected \"evict\" and only with kind \"restart\"");
      }
      evict_pod = params.value("pod", "");
      if (evict_pod.empty())
        return error_response(400, "params.pod is missing, expected the name of the pod to evict (mode evict)");
    }
  }

  const double now = model_.elapsed_s();
  if (const ActionRecord* prior = book_.find(rec.decision_id)) {
    if (!prior->same_request(rec)) {
      return error_response(409, "decision_id \"" + rec.decision_id + "\" was already used for the " +
                                     prior->describe() + "; this request asks for the " + rec.describe() +
                                     ", which needs a new decision_id");
    }
    json j = {{"status", "already_applied"}, {"decision_id", prior->decision_id}, {"kind", prior->kind},
              {"service", prior->service}, {"state", to_string(prior->state)}, {"detail", prior->detail}};
    if (const ServiceSim* s = model_.find(prior->service)) j["observed"] = observed(*s, now);
    return json_response(200, j);
  }
  if (!svc) {
    return error_response(404, "no service named \"" + rec.service + "\"; services: " + service_names(model_));
  }
  if (rec.kind == "scale") {
    svc->scale(rec.replicas, now);
  } else if (rec.kind == "restart" && !evict_pod.empty()) {
    std::string error;
    if (!svc->evict(evict_pod, now, &error)) return error_response(404, error);
  } else if (rec.kind == "restart") {
    svc->restart(now);
  } else {
    std::string error;
    if (!svc->rollback(now, &error)) return error_response(409, error);
    rec.revision = svc->revision();
  }
  rec.rollout = svc->rollout();
  rec.accepted_s = now;
  const ActionRecord& stored = book_.add(std::move(rec), model_);
  return json_response(200, json{{"status", "accepted"},
                                 {"decision_id", stored.decision_id},
                                 {"kind", stored.kind},
                                 {"service", stored.service},
                                 {"state", to_string(stored.state)},
                                 {"detail", stored.detail},
                                 {"observed", observed(*svc, now)}});
}

ApiResponse SandboxApi::get_action(const std::string& id) {
  const ActionRecord* r = book_.find(id);
  if (!r) return error_response(404, "no action with decision_id \"" + id + "\"");
  json j = {{"decision_id", r->decision_id},
            {"kind", r->kind},
            {"service", r->service},
            {"state", to_string(r->state)},
            {"detail", r->detail},
            {"accepted_at", iso_at(model_, r->accepted_s)},
            {"finished_at", r->finished_s ? json(iso_at(model_, *r->finished_s)) : json(nullptr)}};
  if (r->kind == "scale") j["replicas"] = r->replicas;
  if (const ServiceSim* s = model_.find(r->service)) j["observed"] = observed(*s, model_.elapsed_s());
  return json_response(200, j);
}

ApiResponse SandboxApi::post_incident(const std::string& body_text) {
  const json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(400, "body is not a JSON object: " + body_text.substr(0, 120) +
                                   "; expected {\"service\":\"…\",\"type\":\"crash_loop\",\"duration\":\"30m\"}");
  }
  if (!body.contains("service") || !body["service"].is_string()) {
    return error_response(400, "service is " + (body.contains("service") ? body["service"].dump() : "missing") +
                                   ", expected a service name (one of: " + service_names(model_) + ")");
  }
  if (!body.contains("type") || !body["type"].is_string()) {
    return error_response(400, "type is " + (body.contains("type") ? body["type"].dump() : "missing") +
                                   ", expected a string");
  }
  IncidentType type;
  if (!incident_type_from_string(body["type"].get<std::string>(), &type)) {
    return error_response(422, "type is " + body["type"].dump() +
                                   ", expected one of deploy, latency_regression, crash_loop, dependency_outage, bad_pod");
  }
  IncidentSpec spec = defaults_for(type);
  if (body.contains("duration")) {
    const json& d = body["duration"];
    std::optional<double> secs;
    if (d.is_string()) secs = parse_duration(d.get<std::string>());
    if (d.is_number() && d.get<double>() >= 0) secs = d.get<double>();
    if (!secs) {
      return error_response(422, "duration is " + d.dump() + ", expected a duration such as \"30m\" or seconds >= 0");
    }
    spec.duration_s = *secs;
  }
  if (type == IncidentType::DependencyOutage && spec.duration_s <= 0) {
    return error_response(422, "duration is 0, expected > 0 for a dependency_outage (nothing else ends it)");
  }
  std::string error;
  double uptime = spec.crash_uptime_s;
  if (!read_number(body, "latency_factor", 1, 1000, &spec.latency_factor, &error) ||
      !read_number(body, "error_rate", 0, 1, &spec.error_rate, &error) ||
      !read_number(body, "slow_factor", 1, 1000, &spec.slow_factor, &error) ||
      !read_number(body, "crash_uptime_seconds", 1, 1e7, &uptime, &error)) {
    return error_response(422, error);
  }
  spec.crash_uptime_s = uptime;
  ServiceSim* svc = model_.find(body["service"].get<std::string>());
  if (!svc) {
    return error_response(404, "no service named " + body["service"].dump() + "; services: " + service_names(model_));
  }
  const IncidentRecord& rec = model_.inject(*svc, spec);
  return json_response(200, json{{"status", "started"}, {"incident", incident_json(model_, rec)}});
}

ApiResponse SandboxApi::get_incidents() {
  json list = json::array();
  for (const IncidentRecord& r : model_.incidents()) list.push_back(incident_json(model_, r));
  return json_response(200, json{{"incidents", list}});
}

ApiResponse SandboxApi::get_state() {
  const double now = model_.elapsed_s();
  json services = json::array();
  for (const ServiceSim& s : model_.services()) {
    const ServiceStatus st = s.status(now);
    json active = json::array();
    for (const IncidentRecord& r : s.incidents()) {
      if (r.active()) active.push_back(to_string(r.spec.type));
    }
    json pods = json::array();
    for (const Pod& p : s.pods()) {
      pods.push_back(json{{"name", s.pod_name(p)}, {"ready", p.ready(now)}, {"old", p.old},
                          {"revision", p.revision}, {"restarts", p.restarts}, {"slow", p.slow},
                          {"p99_seconds", p.p99_s}});
    }
    services.push_back(json{{"name", st.name},
                            {"load_rps", st.load_rps},
                            {"served_rps", st.served_rps},
                            {"utilization", finite_or_null(st.utilization)},
                            {"cpu_utilization", st.cpu},
                            {"p50_seconds", st.p50_s},
                            {"p99_seconds", st.p99_s},
                            {"error_ratio", st.error_ratio},
                            {"replicas", st.desired},
                            {"ready_replicas", st.ready},
                            {"old_replicas", st.old_replicas},
                            {"revision", st.revision},
                            {"rollout", st.rollout},
                            {"per_replica_rps", s.spec().per_replica},
                            {"readiness_delay_seconds", s.spec().readiness_delay_s},
                            {"signals", flags_to_string(st.flags)},
                            {"incidents", active},
                            {"pods", pods}});
  }
  const double unix_now = static_cast<double>(model_.start_unix()) + now;
  return json_response(200, json{{"time", iso_at(model_, now)},
                                 {"unix_seconds", unix_now},
                                 {"elapsed_seconds", now},
                                 {"seed", model_.seed()},
                                 {"services", services}});
}

ApiResponse SandboxApi::get_history(const std::string& query) {
  const auto q = parse_query(query);
  auto it = q.find("service");
  if (it == q.end() || it->second.empty()) {
    return error_response(400, "service query parameter is missing, expected ?service=<name> (one of: " +
                                   service_names(model_) + ")");
  }
  const ServiceSim* svc = model_.find(it->second);
  if (!svc) {
    return error_response(404, "no service named \"" + it->second + "\"; services: " + service_names(model_));
  }
  std::int64_t since = 0;
  std::size_t limit = svc->history().capacity();
  auto whole = [](const std::string& text, auto* out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size();
  };
  if (auto s = q.find("since"); s != q.end() && !whole(s->second, &since)) {
    return error_response(400, "since is \"" + s->second + "\", expected whole unix seconds");
  }
  if (auto l = q.find("limit"); l != q.end() && !whole(l->second, &limit)) {
    return error_response(400, "limit is \"" + l->second + "\", expected a whole number of rows");
  }
  return json_response(200, history_json(svc->name(), svc->history(), since, limit));
}

}  // namespace opspilot::sandbox
