#include "examples/k8s-sim/discovery.h"

#include "examples/k8s-sim/resources.h"

namespace opspilot::k8s_sim {

namespace {

Json group_version(const std::string& group) {
  return {{"groupVersion", group.empty() ? "v1" : group + "/v1"}, {"version", "v1"}};
}

Json api_group(const std::string& group) {
  return {{"name", group}, {"versions", Json::array({group_version(group)})}, {"preferredVersion", group_version(group)}};
}

std::string storage_version_hash(const ResourceType& t) {
  // Any stable opaque value serves; clients only compare it with itself.
  return safe_encode(std::to_string(fnv1a32(t.api_version() + "/" + t.kind))).substr(0, 11);
}

Json resource_list(const std::string& group) {
  Json resources = Json::array();
  for (const auto& t : resource_types()) {
    if (t.group != group) continue;
    Json r = {{"name", t.plural}, {"singularName", t.singular}, {"namespaced", t.namespaced}, {"kind", t.kind},
              {"verbs", t.verbs}, {"storageVersionHash", storage_version_hash(t)}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    resources.push_back(r);
    for (const auto& s : t.subresources) {
      Json sr = {{"name", t.plural + "/" + s.name}, {"singularName", ""}, {"namespaced", t.namespaced},
                 {"kind", s.kind.empty() ? t.kind : s.kind}, {"verbs", s.verbs}};
      if (!s.group.empty() && s.group != t.group) {
        sr["group"] = s.group;
        sr["version"] = s.version;
      }
      resources.push_back(sr);
    }
  }
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", group.empty() ? "v1" : group + "/v1"},
          {"resources", resources}};
}

Json aggregated_group(const std::string& group) {
  Json resources = Json::array();
  for (const auto& t : resource_types()) {
    if (t.group != group) continue;
    Json r = {{"resource", t.plural},
              {"responseKind", {{"group", t.group}, {"version", t.version}, {"kind", t.kind}}},
              {"scope", t.namespaced ? "Namespaced" : "Cluster"},
              {"singularResource", t.singular},
              {"verbs", t.verbs}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    if (!t.subresources.empty()) {
      r["subresources"] = Json::array();
      for (const auto& s : t.subresources) {
        r["subresources"].push_back({{"subresource", s.name},
                                     {"responseKind", {{"group", s.kind.empty() ? t.group : s.group},
                                                       {"version", s.version},
                                                       {"kind", s.kind.empty() ? t.kind : s.kind}}},
                                     {"verbs", s.verbs}});
      }
    }
    resources.push_back(r);
  }
  Json meta = {{"creationTimestamp", nullptr}};
  if (!group.empty()) meta["name"] = group;
  return {{"metadata", meta},
          {"versions", Json::array({{{"version", "v1"}, {"resources", resources}, {"freshness", "Current"}}})}};
}

// The aggregated-discovery version the client accepts, "v2" or "v2beta1", or "" for legacy.
std::string aggregated_version(const std::string& accept) {
  if (accept.find("as=APIGroupDiscoveryList") == std::string::npos) return "";
  if (accept.find("v=v2;") != std::string::npos || accept.find("v=v2,") != std::string::npos) return "v2";
  if (accept.find("v=v2beta1") != std::string::npos) return "v2beta1";
  return "";
}

Document aggregated(const std::string& version, bool core) {
  Json items = Json::array();
  for (const auto& g : served_groups()) {
    if (g.empty() == core) items.push_back(aggregated_group(g));
  }
  return {200, "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList",
          {{"kind", "APIGroupDiscoveryList"}, {"apiVersion", "apidiscovery.k8s.io/" + version},
           {"metadata", Json::object()}, {"items", items}}};
}

}  // namespace

std::optional<Document> discovery_document(const std::string& path, const std::string& accept, const std::string& host) {
  const std::string agg = aggregated_version(accept);
  if (path == "/version") {
    return Document{200, "application/json",
                    {{"major", "1"}, {"minor", "32"}, {"gitVersion", kServedVersion},
                     {"gitCommit", "0000000000000000000000000000000000000000"}, {"gitTreeState", "clean"},
                     {"buildDate", "2025-04-22T00:00:00Z"}, {"goVersion", "go1.23.6"}, {"compiler", "gc"},
                     {"platform", "linux/amd64"}}};
  }
  if (path == "/api") {
    if (!agg.empty()) return aggregated(agg, true);
    return Document{200, "application/json",
                    {{"kind", "APIVersions"}, {"versions", Json::array({"v1"})},
                     {"serverAddressByClientCIDRs", Json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", host}}})}}};
  }
  if (path == "/apis") {
    if (!agg.empty()) return aggregated(agg, false);
    Json groups = Json::array();
    for (const auto& g : served_groups()) {
      if (!g.empty()) groups.push_back(api_group(g));
    }
    return Document{200, "application/json", {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}};
  }
  if (path == "/api/v1") return Document{200, "application/json", resource_list("")};
  for (const auto& g : served_groups()) {
    if (g.empty()) continue;
    if (path == "/apis/" + g) {
      Json doc = api_group(g);
      doc["kind"] = "APIGroup";
      doc["apiVersion"] = "v1";
      return Document{200, "application/json", doc};
    }
    if (path == "/apis/" + g + "/v1") return Document{200, "application/json", resource_list(g)};
  }
  return std::nullopt;
}

}  // namespace opspilot::k8s_sim
