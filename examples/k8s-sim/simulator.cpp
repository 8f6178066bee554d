#include "examples/k8s-sim/simulator.h"

#include <iostream>

#include "examples/k8s-sim/discovery.h"
#include "examples/k8s-sim/objects.h"
#include "examples/k8s-sim/openapi.h"
#include "examples/k8s-sim/table.h"

namespace opspilot::k8s_sim {

namespace {

constexpr auto kDefaultWatchTimeout = std::chrono::minutes(30);
constexpr auto kMaxWatchTimeout = std::chrono::hours(1);

bool is_write(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

HttpOut to_http(const ApiResult& result) {
  HttpOut out;
  out.code = result.code;
  out.body = result.body.dump();
  out.headers = result.headers;
  return out;
}

Simulator::Simulator(const agent::Clock& clock, SimOptions options, Authenticator auth)
    : clock_(clock),
      options_(std::move(options)),
      auth_(std::move(auth)),
      store_(options_.seed, options_.watch_history),
      registry_(store_, clock_, options_),
      controllers_(store_, clock_, options_) {
  // The namespaces every cluster starts with.
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    registry_.create_object(type_of("namespaces"), "", Json{{"metadata", {{"name", ns}}}}, {});
  }
}

int Simulator::subscribe(const WatchPlan& plan, std::function<void(const std::string&)> on_line) {
  WatchPlan format = plan;
  format.initial.clear();
  return store_.subscribe([this, format = std::move(format), on_line = std::move(on_line)](const WatchEvent& ev) {
    if (format.filter.matches(ev)) on_line(encode_event(format, event_type_name(ev.kind), ev.object));
  });
}

std::string Simulator::encode_event(const WatchPlan& plan, const std::string& type, const Json& object) const {
  if (!plan.as_table) return encode_watch_event(type, object);
  return encode_watch_event(type, to_table(*plan.filter.type, {&object}, clock_.now(), plan.include_object,
                                           string_at(object, {"metadata", "resourceVersion"})));
}

// Malformed input is answered with Status errors by design; an exception escaping here means a
// case the simulator does not handle (a type it did not expect deep in a body). It becomes a
// 500 naming the request, rather than ending the process for every other client.
HttpOut Simulator::handle(const HttpIn& request) {
  try {
    return dispatch(request);
  } catch (const std::exception& e) {
    return to_http(internal_error("the simulator failed on " + request.method + " " + request.target + ": " + e.what()));
  }
}

void Simulator::tick() {
  try {
    controllers_.run();
  } catch (const std::exception& e) {
    std::cerr << "k8s-sim: a controller pass failed (the cluster state is left as it was): " << e.what() << std::endl;
  }
}

HttpOut Simulator::dispatch(const HttpIn& request) {
  const RequestInfo info = parse_request(request.method, request.target);
  if (info.path == "/healthz" || info.path == "/livez" || info.path == "/readyz") {
    return HttpOut{200, "text/plain; charset=utf-8", "ok", {}, std::nullopt};
  }
  if (info.path.rfind("/sim/", 0) == 0) return handle_sim(request, info);

  std::string user = "admin";
  if (auth_.enabled() && !Authenticator::is_public(info.path)) {
    const TokenUser* u = auth_.authenticate(request.authorization);
    if (!u) {
      HttpOut out = to_http(unauthorized());
      if (is_write(request.method)) log_write(request, info, out, "", false);
      return out;
    }
    user = u->user;
    Attributes attrs{info.resource_request, info.verb, info.group, info.resource, info.subresource, info.ns, info.name,
                     info.path};
    if (!auth_.authorize(*u, attrs)) {
      HttpOut out;
      if (info.type) {
        out = to_http(forbidden(user, info.verb, *info.type, info.subresource, info.ns, info.name));
      } else {
        out = to_http(forbidden_path(user, info.verb, info.path));
      }
      if (is_write(request.method)) log_write(request, info, out, user, false);
      return out;
    }
  }
  if (auto fault = injected_fault(request, info)) {
    if (is_write(request.method)) log_write(request, info, *fault, user, true);
    return *fault;
  }
  if (!info.resource_request) {
    if (request.method != "GET") return to_http(info.unknown_resource ? path_not_found() : method_not_allowed());
    auto doc = discovery_document(info.path, request.accept, request.host);
    if (!doc) doc = openapi_document(info.path);
    if (doc) return HttpOut{doc->code, doc->content_type, doc->body.dump(), {}, std::nullopt};
    return to_http(path_not_found());
  }
  HttpOut out = handle_resource(request, info);
  if (is_write(request.method)) log_write(request, info, out, user, false);
  return out;
}

HttpOut Simulator::handle_resource(const HttpIn& request, const RequestInfo& info) {
  if (!info.type) return to_http(path_not_found());
  const ResourceType& type = *info.type;
  WriteOptions opt;
  opt.dry_run = info.param("dryRun") == "All";
  opt.propagation_policy = info.param("propagationPolicy");
  const std::string& m = request.method;
  const std::string& sub = info.subresource;
  if (info.verb == "watch") return handle_watch(request, info);
  std::vector<std::pair<std::string, std::string>> warnings;
  const std::string validation = info.param("fieldValidation");
  if ((m == "POST" || m == "PUT") && sub.empty() && (validation == "Strict" || validation == "Warn")) {
    // Server-side field validation, as kubectl asks for it (see openapi.h).
    std::string list;
    for (const auto& f : unknown_fields(type, Json::parse(request.body, nullptr, false))) {
      list += (list.empty() ? "" : ", ") + std::string("unknown field \"") + f + "\"";
      warnings.emplace_back("Warning", "299 - \"unknown field \\\"" + f + "\\\"\"");
    }
    if (!list.empty() && validation == "Strict") return to_http(bad_request("strict decoding error: " + list));
  }
  if (m == "GET") {
    if (!sub.empty()) return to_http(registry_.get_subresource(type, info.ns, info.name, sub));
    const bool table = wants_table(request.accept) && sub.empty();
    if (!info.name.empty()) {
      ApiResult r = registry_.get(type, info.ns, info.name);
      if (!table || !r.ok()) return to_http(r);
      HttpOut out = to_http({200, to_table(type, {&r.body}, clock_.now(), info.param("includeObject", "Metadata"),
                                           string_at(r.body, {"metadata", "resourceVersion"})), {}});
      out.content_type = kTableContentType;
      return out;
    }
    if (!table) return to_http(registry_.list(type, info.ns, info.param("labelSelector"), info.param("fieldSelector")));
    std::vector<const Json*> objects;
    ApiResult error;
    if (!registry_.select(type, info.ns, info.param("labelSelector"), info.param("fieldSelector"), &objects, &error)) {
      return to_http(error);
    }
    HttpOut out = to_http({200, to_table(type, objects, clock_.now(), info.param("includeObject", "Metadata"),
                                         std::to_string(store_.resource_version())), {}});
    out.content_type = kTableContentType;
    return out;
  }
  if (m == "POST") {
    if (sub == "eviction") return to_http(registry_.evict(info.ns, info.name, request.body, opt));
    if (!info.name.empty() || !sub.empty()) return to_http(method_not_allowed());
    HttpOut out = to_http(registry_.create(type, info.ns, request.body, opt));
    out.headers.insert(out.headers.end(), warnings.begin(), warnings.end());
    return out;
  }
  if (m == "PUT" && !info.name.empty() && sub != "eviction") {
    HttpOut out = to_http(registry_.update(type, info.ns, info.name, sub, request.body, opt));
    out.headers.insert(out.headers.end(), warnings.begin(), warnings.end());
    return out;
  }
  if (m == "PATCH" && !info.name.empty() && sub != "eviction") {
    return to_http(registry_.patch(type, info.ns, info.name, sub, request.content_type, request.body, opt));
  }
  if (m == "DELETE" && sub.empty()) {
    if (info.name.empty()) {
      return to_http(registry_.remove_collection(type, info.ns, info.param("labelSelector"), info.param("fieldSelector"), opt));
    }
    return to_http(registry_.remove(type, info.ns, info.name, request.body, opt));
  }
  return to_http(method_not_allowed());
}

HttpOut Simulator::handle_watch(const HttpIn& request, const RequestInfo& info) {
  WatchPlan plan;
  plan.as_table = wants_table(request.accept);
  plan.include_object = info.param("includeObject", "Metadata");
  plan.filter.type = info.type;
  plan.filter.ns = info.ns;
  std::string field_selector = info.param("fieldSelector");
  if (!info.name.empty()) {  // GET .../name?watch=1 watches one object
    field_selector = "metadata.name=" + info.name + (field_selector.empty() ? "" : "," + field_selector);
  }
  std::vector<const Json*> current;
  ApiResult error;
  if (!registry_.select(*info.type, info.ns, info.param("labelSelector"), field_selector, &current, &error)) {
    return to_http(error);
  }
  std::string why;
  LabelSelector::parse(info.param("labelSelector"), &plan.filter.labels, &why);
  std::vector<std::string> selectable = {"metadata.name", "metadata.namespace"};
  selectable.insert(selectable.end(), info.type->field_selectors.begin(), info.type->field_selectors.end());
  FieldSelector::parse(field_selector, selectable, &plan.filter.fields, &why);

  const std::string timeout = info.param("timeoutSeconds");
  if (!timeout.empty()) {
    char* end = nullptr;
    const long s = std::strtol(timeout.c_str(), &end, 10);
    if (*end != '\0' || s < 0) return to_http(bad_request("timeoutSeconds is \"" + timeout + "\", expected a whole number of seconds"));
    plan.timeout = std::min<std::chrono::milliseconds>(std::chrono::seconds(s), kMaxWatchTimeout);
  } else {
    plan.timeout = kDefaultWatchTimeout;
  }

  const std::string rv = info.param("resourceVersion");
  const std::string current_rv = std::to_string(store_.resource_version());
  if (info.param("sendInitialEvents") == "true" || rv.empty() || rv == "0") {
    // No position given: the current state as synthetic ADDED events, then changes from now.
    for (const Json* o : current) plan.initial.push_back(encode_event(plan, "ADDED", *o));
    if (info.param("sendInitialEvents") == "true") {
      Json bookmark = {{"kind", info.type->kind}, {"apiVersion", info.type->api_version()},
                       {"metadata", {{"resourceVersion", current_rv},
                                     {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
      plan.initial.push_back(encode_watch_event("BOOKMARK", bookmark));
    }
    return HttpOut{200, "application/json", "", {}, std::move(plan)};
  }
  char* end = nullptr;
  const unsigned long long from = std::strtoull(rv.c_str(), &end, 10);
  if (*end != '\0') return to_http(bad_request("resourceVersion is \"" + rv + "\", expected a number"));
  std::vector<const WatchEvent*> events;
  if (!store_.events_after(from, &events)) {
    // As kube-apiserver does: the stream starts, then one ERROR event carrying a 410 Status.
    plan.initial.push_back(encode_watch_event(
        "ERROR", status_body(410, "Expired", "too old resource version: " + rv + " (" + current_rv + ")")));
    plan.finish_after_initial = true;
    return HttpOut{200, "application/json", "", {}, std::move(plan)};
  }
  for (const WatchEvent* ev : events) {
    if (plan.filter.matches(*ev)) plan.initial.push_back(encode_event(plan, event_type_name(ev->kind), ev->object));
  }
  return HttpOut{200, "application/json", "", {}, std::move(plan)};
}

}  // namespace opspilot::k8s_sim
