// Simulator: its own endpoints (/sim/log, /sim/fault, /sim/faults), fault injection and the
// operations log of write requests.
#include "examples/k8s-sim/simulator.h"

namespace opspilot::k8s_sim {

namespace {

constexpr std::size_t kLogBodyLimit = 4096;  // enough to tell two writes apart, small enough to keep many
constexpr std::size_t kLogLimit = 100000;

Json fault_json(const Fault& f) {
  return {{"pathPrefix", f.path_prefix}, {"method", f.method}, {"code", f.code}, {"remaining", f.remaining},
          {"retryAfterSeconds", f.retry_after_seconds}};
}

HttpOut json_out(int code, const Json& body) { return HttpOut{code, "application/json", body.dump(), {}, std::nullopt}; }

}  // namespace

HttpOut Simulator::handle_sim(const HttpIn& request, const RequestInfo& info) {
  const std::string& m = request.method;
  if (info.path == "/sim/log" && m == "GET") {
    const std::string since_text = info.param("since", "0");
    char* end = nullptr;
    const unsigned long long since = std::strtoull(since_text.c_str(), &end, 10);
    if (*end != '\0') return to_http(bad_request("since is \"" + since_text + "\", expected a sequence number"));
    Json entries = Json::array();
    for (const auto& e : log_) {
      if (e["seq"].get<std::uint64_t>() > since) entries.push_back(e);
    }
    return json_out(200, {{"entries", entries}, {"resourceVersion", std::to_string(store_.resource_version())}});
  }
  if (info.path == "/sim/log" && m == "DELETE") {
    log_ = Json::array();
    return json_out(200, {{"entries", Json::array()}});
  }
  if (info.path == "/sim/faults" && m == "GET") {
    Json active = Json::array();
    for (const auto& f : faults_) active.push_back(fault_json(f));
    return json_out(200, {{"faults", active}});
  }
  if (info.path == "/sim/faults" && m == "DELETE") {
    faults_.clear();
    return json_out(200, {{"faults", Json::array()}});
  }
  if (info.path == "/sim/fault" && m == "POST") {
    const Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return to_http(bad_request("the fault is not a JSON object: " + request.body.substr(0, 80)));
    }
    Fault f;
    f.path_prefix = string_at(body, {"pathPrefix"});
    f.method = string_at(body, {"method"});
    f.code = static_cast<int>(int_at(body, {"code"}, 0));
    f.remaining = static_cast<int>(int_at(body, {"count"}, 1));
    f.retry_after_seconds = static_cast<int>(int_at(body, {"retryAfterSeconds"}, 1));
    if (f.path_prefix.empty() || f.path_prefix[0] != '/') {
      return to_http(bad_request("pathPrefix is \"" + f.path_prefix + "\", expected a path such as /apis/apps/v1"));
    }
    if (f.code != 409 && f.code != 429 && f.code != 500 && f.code != 503) {
      return to_http(bad_request("code is " + std::to_string(f.code) + ", expected 409, 429, 500 or 503"));
    }
    if (f.remaining < 1) return to_http(bad_request("count is " + std::to_string(f.remaining) + ", expected at least 1"));
    if (f.retry_after_seconds < 0) {
      return to_http(bad_request("retryAfterSeconds is " + std::to_string(f.retry_after_seconds) + ", expected >= 0"));
    }
    faults_.push_back(f);
    return json_out(201, {{"fault", fault_json(f)}});
  }
  return to_http(path_not_found());
}

std::optional<HttpOut> Simulator::injected_fault(const HttpIn& request, const RequestInfo& info) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (info.path.rfind(it->path_prefix, 0) != 0) continue;
    if (!it->method.empty() && it->method != request.method) continue;
    const Fault f = *it;
    if (--it->remaining <= 0) faults_.erase(it);
    switch (f.code) {
      case 409:
        if (info.type) return to_http(conflict(*info.type, info.name.empty() ? info.resource : info.name));
        return to_http({409, status_body(409, "Conflict", "Operation cannot be fulfilled: injected conflict"), {}});
      case 429:
        return to_http(too_many_requests("Too many requests, please try again later.", f.retry_after_seconds));
      case 503:
        return to_http(service_unavailable("the server is currently unable to handle the request", f.retry_after_seconds));
      default:
        return to_http(internal_error("injected fault for " + request.method + " " + info.path));
    }
  }
  return std::nullopt;
}

void Simulator::log_write(const HttpIn& request, const RequestInfo& info, const HttpOut& out, const std::string& user,
                          bool fault) {
  Json entry = {{"seq", ++log_seq_},
                {"time", format_micro_time(clock_.now())},
                {"method", request.method},
                {"path", info.path},
                {"verb", info.verb},
                {"resource", info.resource},
                {"namespace", info.ns},
                {"name", info.name},
                {"subresource", info.subresource},
                {"code", out.code},
                {"user", user},
                {"fault", fault},
                {"dryRun", info.param("dryRun") == "All"},
                {"contentType", request.content_type},
                {"body", request.body.substr(0, kLogBodyLimit)},
                {"resourceVersion", ""}};
  if (out.code >= 200 && out.code < 300) {
    const Json body = Json::parse(out.body, nullptr, false);
    if (!body.is_discarded()) entry["resourceVersion"] = string_at(body, {"metadata", "resourceVersion"});
    if (entry["resourceVersion"] == "" || string_at(body, {"kind"}) == "Status") {
      entry["resourceVersion"] = std::to_string(store_.resource_version());
    }
  }
  log_.push_back(std::move(entry));
  if (log_.size() > kLogLimit) log_.erase(log_.begin());
}

}  // namespace opspilot::k8s_sim
