#include "examples/k8s-sim/registry.h"

#include "examples/k8s-sim/controllers.h"
#include "examples/k8s-sim/objects.h"
#include "examples/k8s-sim/patch.h"
#include "examples/k8s-sim/selector.h"
#include "examples/k8s-sim/typed_decode.h"

namespace opspilot::k8s_sim {

namespace {

std::string rv_of(const Json& object) { return string_at(object, {"metadata", "resourceVersion"}); }

// The parts of an object a client may not change: identity and server-kept bookkeeping.
void keep_server_fields(const Json& existing, Json& incoming) {
  for (const char* field : {"uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace"}) {
    if (auto it = existing["metadata"].find(field); it != existing["metadata"].end()) {
      incoming["metadata"][field] = *it;
    } else {
      incoming["metadata"].erase(field);
    }
  }
}

Json without_rv(Json object) {
  object["metadata"].erase("resourceVersion");
  return canonical(object);
}

}  // namespace

Json list_item(const Json& object) {
  Json item = object;
  item.erase("kind");
  item.erase("apiVersion");
  return item;
}

Registry::Registry(Store& store, const agent::Clock& clock, const SimOptions& options)
    : store_(store), clock_(clock), options_(options) {}

ApiResult Registry::decode(const ResourceType& type, const std::string& body, Json* out, const std::string& expect_kind) {
  *out = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) {
    return bad_request("couldn't get version/kind; json parse error: the body is not valid JSON (" +
                       std::to_string(body.size()) + " bytes: " + body.substr(0, 80) + ")");
  }
  if (!out->is_object()) return bad_request("the body is " + std::string(out->type_name()) + ", expected a JSON object");
  const std::string kind = expect_kind.empty() ? type.kind : expect_kind;
  const std::string api_version = expect_kind.empty() ? type.api_version() : "";
  if (out->contains("kind") && (*out)["kind"] != kind) {
    return bad_request("the kind in the data (" + (*out)["kind"].dump() + ") does not match the expected kind (" + kind + ")");
  }
  if (!api_version.empty() && out->contains("apiVersion") && (*out)["apiVersion"] != api_version) {
    return bad_request("the API version in the data (" + (*out)["apiVersion"].dump() +
                       ") does not match the expected API version (" + api_version + ")");
  }
  if (out->contains("metadata") && !(*out)["metadata"].is_object() && !(*out)["metadata"].is_null()) {
    return bad_request("metadata is " + (*out)["metadata"].dump() + ", expected an object");
  }
  if (!out->contains("metadata") || (*out)["metadata"].is_null()) (*out)["metadata"] = Json::object();
  return {};
}

ApiResult Registry::check_namespace(const ResourceType& type, const std::string& ns) {
  if (!type.namespaced) return {};
  if (!store_.find(type_of("namespaces"), "", ns)) return namespace_not_found(ns);
  return {};
}

ApiResult Registry::get(const ResourceType& type, const std::string& ns, const std::string& name) {
  Entry* e = store_.find(type, ns, name);
  if (!e) return not_found(type, name);
  return {200, e->object, {}};
}

bool Registry::select(const ResourceType& type, const std::string& ns, const std::string& label_selector,
                      const std::string& field_selector, std::vector<const Json*>* out, ApiResult* error) {
  LabelSelector labels;
  FieldSelector fields;
  std::string why;
  if (!LabelSelector::parse(label_selector, &labels, &why)) {
    *error = bad_request(why);
    return false;
  }
  std::vector<std::string> selectable = {"metadata.name", "metadata.namespace"};
  selectable.insert(selectable.end(), type.field_selectors.begin(), type.field_selectors.end());
  if (!FieldSelector::parse(field_selector, selectable, &fields, &why)) {
    *error = bad_request(why);
    return false;
  }
  for (Entry* e : store_.list(type, ns)) {
    const Json* l = at_path(e->object, {"metadata", "labels"});
    if (labels.matches(l ? *l : Json::object()) && fields.matches(e->object)) out->push_back(&e->object);
  }
  return true;
}

ApiResult Registry::list(const ResourceType& type, const std::string& ns, const std::string& label_selector,
                         const std::string& field_selector) {
  std::vector<const Json*> objects;
  ApiResult error;
  if (!select(type, ns, label_selector, field_selector, &objects, &error)) return error;
  Json items = Json::array();
  for (const Json* o : objects) items.push_back(list_item(*o));
  return {200,
          {{"kind", type.kind + "List"},
           {"apiVersion", type.api_version()},
           {"metadata", {{"resourceVersion", std::to_string(store_.resource_version())}}},
           {"items", std::move(items)}},
          {}};
}

ApiResult Registry::create(const ResourceType& type, const std::string& ns, const std::string& body,
                           const WriteOptions& opt) {
  Json object;
  if (ApiResult r = decode(type, body, &object); r.code != 200) return r;
  return create_object(type, ns, std::move(object), opt);
}

ApiResult Registry::create_object(const ResourceType& type, const std::string& ns, Json object, const WriteOptions& opt) {
  // The typed decoder runs before anything else looks at the object.
  if (auto problem = decode_problem(type, object)) return bad_request(decode_error_message(type, *problem));
  Json& meta = object["metadata"];
  if (type.namespaced) {
    const std::string body_ns = string_at(object, {"metadata", "namespace"});
    if (!body_ns.empty() && body_ns != ns) {
      return bad_request("the namespace of the provided object (" + body_ns +
                         ") does not match the namespace sent on the request (" + ns + ")");
    }
    meta["namespace"] = ns;
    if (ApiResult r = check_namespace(type, ns); r.code != 200) return r;
  } else {
    meta.erase("namespace");
  }
  std::string name = string_at(object, {"metadata", "name"});
  if (name.empty() && !string_at(object, {"metadata", "generateName"}).empty()) {
    name = string_at(object, {"metadata", "generateName"}) + random_suffix(store_.rng());
    meta["name"] = name;
  }
  if (name.empty()) {
    return invalid(type, "", {{"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"}});
  }
  if (!rv_of(object).empty()) {
    return internal_error("resourceVersion should not be set on objects to be created (it is \"" + rv_of(object) + "\")");
  }
  if (store_.find(type, ns, name)) return already_exists(type, name);
  const TimePoint now = clock_.now();
  object["kind"] = type.kind;
  object["apiVersion"] = type.api_version();
  meta["uid"] = new_uid(store_.rng());
  meta["creationTimestamp"] = format_time(now);
  if (type.tracks_generation) meta["generation"] = 1;
  else meta.erase("generation");
  // A client's status is ignored on create; defaulting may then fill in a kind's initial status.
  if (type.plural != "namespaces" && type.has_subresource("status")) object["status"] = Json::object();
  apply_defaults(type, object);
  if (auto causes = validate(type, object, nullptr); !causes.empty()) return invalid(type, name, causes);
  if (auto denied = admission_webhooks(type, object)) return *denied;
  if (type.plural == "services") {
    // The allocators run on dry runs too (the addresses are not kept), as kube's do.
    if (auto causes = allocate_service(object, nullptr); !causes.empty()) return invalid(type, name, causes);
  }
  SimState sim;
  if (type.plural == "pods") {
    object["spec"]["nodeName"] = options_.node_name;
    object["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"},
                        {"conditions", Json::array({{{"type", "PodScheduled"}, {"status", "True"},
                                                     {"lastProbeTime", nullptr}, {"lastTransitionTime", format_time(now)}}})}};
    sim = pod_sim_state(object, now, options_);
  }
  if (opt.dry_run) return {201, object, {}};
  return {201, store_.insert(type, std::move(object), sim).object, {}};
}

ApiResult Registry::update(const ResourceType& type, const std::string& ns, const std::string& name,
                           const std::string& subresource, const std::string& body, const WriteOptions& opt) {
  Entry* e = store_.find(type, ns, name);
  if (!e) return not_found(type, name);
  Json incoming;
  if (subresource == "scale") {
    if (ApiResult r = decode(type, body, &incoming, "Scale"); r.code != 200) return r;
    return write_scale(type, *e, std::move(incoming), opt);
  }
  if (ApiResult r = decode(type, body, &incoming); r.code != 200) return r;
  if (subresource == "status") return write_status(type, *e, std::move(incoming), opt);
  return write_update(type, ns, name, std::move(incoming), opt);
}

ApiResult Registry::patch(const ResourceType& type, const std::string& ns, const std::string& name,
                          const std::string& subresource, const std::string& content_type, const std::string& body,
                          const WriteOptions& opt) {
  const PatchType pt = patch_type_of(content_type);
  if (pt == PatchType::Unknown || pt == PatchType::Apply) return unsupported_media_type(content_type, accepted_patch_types());
  Entry* e = store_.find(type, ns, name);
  if (!e) return not_found(type, name);
  const Json original = subresource == "scale" ? scale_of(e->object) : e->object;
  PatchOutcome patched = apply_patch(original, pt, body);
  if (!patched.ok) {
    if (patched.bad_request) return bad_request(patched.error);
    return {422, status_body(422, "Invalid", patched.error), {}};
  }
  if (!patched.result.is_object()) return bad_request("the patch turned the object into " + patched.result.dump(-1).substr(0, 80));
  if (patched.result.contains("metadata") && !patched.result["metadata"].is_object() && !patched.result["metadata"].is_null()) {
    return bad_request("the patch makes metadata " + patched.result["metadata"].dump() + ", expected an object");
  }
  if (!patched.result.contains("metadata") || patched.result["metadata"].is_null()) patched.result["metadata"] = Json::object();
  if (subresource == "scale") return write_scale(type, *e, std::move(patched.result), opt);
  if (subresource == "status") return write_status(type, *e, std::move(patched.result), opt);
  return write_update(type, ns, name, std::move(patched.result), opt);
}

ApiResult Registry::write_update(const ResourceType& type, const std::string& ns, const std::string& name, Json incoming,
                                 const WriteOptions& opt) {
  Entry* e = store_.find(type, ns, name);
  if (!e) return not_found(type, name);
  const Json& existing = e->object;
  const std::string body_name = string_at(incoming, {"metadata", "name"});
  if (!body_name.empty() && body_name != name) {
    return bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" + name + ")");
  }
  const std::string body_ns = string_at(incoming, {"metadata", "namespace"});
  if (type.namespaced && !body_ns.empty() && body_ns != ns) {
    return bad_request("the namespace of the provided object (" + body_ns +
                       ") does not match the namespace sent on the request (" + ns + ")");
  }
  const std::string rv = rv_of(incoming);
  if (!rv.empty() && rv != rv_of(existing)) return conflict(type, name);
  incoming["metadata"]["name"] = name;
  keep_server_fields(existing, incoming);
  incoming["kind"] = type.kind;
  incoming["apiVersion"] = type.api_version();
  if (auto problem = decode_problem(type, incoming)) return bad_request(decode_error_message(type, *problem));
  if (type.has_subresource("status") && type.plural != "namespaces") {
    // The main resource ignores status; only the status subresource writes it.
    if (existing.contains("status")) incoming["status"] = existing["status"];
    else incoming.erase("status");
  }
  apply_defaults(type, incoming);
  if (type.plural == "services") keep_service_allocations(existing, incoming);
  if (auto causes = validate(type, incoming, &existing); !causes.empty()) return invalid(type, name, causes);
  if (auto denied = admission_webhooks(type, incoming)) return *denied;
  if (type.plural == "services") {
    if (auto causes = allocate_service(incoming, &existing); !causes.empty()) return invalid(type, name, causes);
  }
  if (type.tracks_generation && spec_changed(existing, incoming)) {
    incoming["metadata"]["generation"] = int_at(existing, {"metadata", "generation"}, 1) + 1;
  }
  incoming["metadata"]["resourceVersion"] = rv_of(existing);
  if (without_rv(incoming) == without_rv(existing)) return {200, existing, {}};  // no-op: nothing written
  if (opt.dry_run) return {200, incoming, {}};
  return {200, store_.replace(type, std::move(incoming)).object, {}};
}

ApiResult Registry::write_status(const ResourceType& type, Entry& entry, Json incoming, const WriteOptions& opt) {
  const std::string name = string_at(entry.object, {"metadata", "name"});
  const std::string rv = rv_of(incoming);
  if (!rv.empty() && rv != rv_of(entry.object)) return conflict(type, name);
  Json updated = entry.object;
  if (incoming.contains("status")) updated["status"] = incoming["status"];
  else updated.erase("status");
  if (without_rv(updated) == without_rv(entry.object)) return {200, entry.object, {}};
  if (opt.dry_run) return {200, updated, {}};
  return {200, store_.replace(type, std::move(updated)).object, {}};
}

Json Registry::scale_of(const Json& object) const {
  LabelSelector selector;
  std::string ignored;
  const Json* sel = at_path(object, {"spec", "selector"});
  LabelSelector::from_json(sel ? *sel : Json::object(), &selector, &ignored);
  Json meta = {{"name", string_at(object, {"metadata", "name"})},
               {"namespace", string_at(object, {"metadata", "namespace"})},
               {"uid", string_at(object, {"metadata", "uid"})},
               {"resourceVersion", rv_of(object)},
               {"creationTimestamp", string_at(object, {"metadata", "creationTimestamp"})}};
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", meta},
          {"spec", {{"replicas", int_at(object, {"spec", "replicas"}, 1)}}},
          {"status", {{"replicas", int_at(object, {"status", "replicas"}, 0)}, {"selector", selector.to_string()}}}};
}

ApiResult Registry::write_scale(const ResourceType& type, Entry& entry, Json scale, const WriteOptions& opt) {
  const std::string name = string_at(entry.object, {"metadata", "name"});
  if (scale.contains("apiVersion") && scale["apiVersion"] != "autoscaling/v1") {
    return bad_request("the API version in the data (" + scale["apiVersion"].dump() +
                       ") does not match the expected API version (autoscaling/v1)");
  }
  const std::string body_name = string_at(scale, {"metadata", "name"});
  if (!body_name.empty() && body_name != name) {
    return bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" + name + ")");
  }
  const std::string rv = rv_of(scale);
  if (!rv.empty() && rv != rv_of(entry.object)) return conflict(type, name);
  if (auto causes = validate_scale(scale); !causes.empty()) {
    ApiResult r = invalid(type, name, causes);
    r.body["message"] = "Scale.autoscaling \"" + name + "\" is invalid: " + causes[0].field + ": " + causes[0].message;
    r.body["details"]["group"] = "autoscaling";
    r.body["details"]["kind"] = "Scale";
    return r;
  }
  Json updated = entry.object;
  const Json* replicas = at_path(scale, {"spec", "replicas"});
  updated["spec"]["replicas"] = replicas ? *replicas : Json(0);
  if (spec_changed(entry.object, updated)) {
    updated["metadata"]["generation"] = int_at(entry.object, {"metadata", "generation"}, 1) + 1;
  } else {
    return {200, scale_of(entry.object), {}};
  }
  if (opt.dry_run) return {200, scale_of(updated), {}};
  return {200, scale_of(store_.replace(type, std::move(updated)).object), {}};
}

ApiResult Registry::get_subresource(const ResourceType& type, const std::string& ns, const std::string& name,
                                    const std::string& subresource) {
  Entry* e = store_.find(type, ns, name);
  if (!e) return not_found(type, name);
  if (subresource == "scale") return {200, scale_of(e->object), {}};
  if (subresource == "status") return {200, e->object, {}};
  return method_not_allowed();
}

}  // namespace opspilot::k8s_sim
