#include "examples/k8s-sim/openapi.h"

#include "examples/k8s-sim/resources.h"

namespace opspilot::k8s_sim {

namespace {

std::string gv_path(const std::string& group) { return group.empty() ? "api/v1" : "apis/" + group + "/v1"; }

Json query_param(const char* name) {
  return {{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

Json path_param(const char* name) {
  return {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

Json gvk(const std::string& group, const std::string& version, const std::string& kind) {
  return {{"group", group}, {"version", version}, {"kind", kind}};
}

Json operation(const std::string& id, const Json& kind, bool write) {
  const Json open_object = {{"schema", {{"type", "object"}}}};
  const Json ok = {{"description", "OK"}, {"content", {{"application/json", open_object}}}};
  Json op = {{"operationId", id}, {"x-kubernetes-group-version-kind", kind}, {"responses", {{"200", ok}}}};
  if (write) {
    op["parameters"] = Json::array({query_param("dryRun"), query_param("fieldManager"), query_param("fieldValidation")});
    op["requestBody"] = {{"content", {{"application/json", open_object}}}};
  }
  return op;
}

Json group_document(const std::string& group) {
  Json paths = Json::object();
  for (const auto& t : resource_types()) {
    if (t.group != group) continue;
    const std::string base = "/" + gv_path(group) + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural;
    const Json kind = gvk(t.group, t.version, t.kind);
    const Json ns_params = t.namespaced ? Json::array({path_param("namespace")}) : Json::array();
    Json collection = {{"get", operation("list" + t.kind, kind, false)}, {"post", operation("create" + t.kind, kind, true)},
                       {"parameters", ns_params}};
    Json item_params = ns_params;
    item_params.push_back(path_param("name"));
    Json item = {{"get", operation("read" + t.kind, kind, false)},
                 {"put", operation("replace" + t.kind, kind, true)},
                 {"patch", operation("patch" + t.kind, kind, true)},
                 {"delete", operation("delete" + t.kind, kind, false)},
                 {"parameters", item_params}};
    item["patch"]["parameters"].push_back(query_param("force"));
    paths[base] = collection;
    paths[base + "/{name}"] = item;
    for (const auto& s : t.subresources) {
      const Json sub_kind = gvk(s.kind.empty() ? t.group : s.group, s.version, s.kind.empty() ? t.kind : s.kind);
      Json sub = {{"parameters", item_params}};
      for (const auto& verb : s.verbs) {
        const std::string method = verb == "get" ? "get" : verb == "update" ? "put" : verb == "create" ? "post" : verb;
        sub[method] = operation(verb + t.kind + s.name, sub_kind, verb != "get");
      }
      paths[base + "/{name}/" + s.name] = sub;
    }
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", kServedVersion}}},
          {"paths", paths},
          {"components", {{"schemas", Json::object()}}}};
}

}  // namespace

std::optional<Document> openapi_document(const std::string& path) {
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    Json paths = Json::object();
    for (const auto& g : served_groups()) {
      const std::string p = gv_path(g);
      paths[p] = {{"serverRelativeURL", "/openapi/v3/" + p + "?hash=" + safe_encode(std::to_string(fnv1a32(group_document(g).dump())))}};
    }
    return Document{200, "application/json", {{"paths", paths}}};
  }
  for (const auto& g : served_groups()) {
    if (path == "/openapi/v3/" + gv_path(g)) return Document{200, "application/json", group_document(g)};
  }
  return std::nullopt;
}

}  // namespace opspilot::k8s_sim
