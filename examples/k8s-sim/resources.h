#pragma once
// The resource types the simulator serves: one table drives URL routing, discovery documents,
// authorization messages and Status details, so they cannot disagree.
// Thread-safety: the table is built once (function-local static) and never changes.
#include <string>
#include <vector>

namespace opspilot::k8s_sim {

struct Subresource {
  std::string name;           // "scale", "status", "eviction"
  std::string group;          // group/version/kind of what the subresource accepts and returns
  std::string version;
  std::string kind;
  std::vector<std::string> verbs;
};

struct ResourceType {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string plural;    // "deployments"
  std::string singular;  // "deployment"
  std::string kind;      // "Deployment"
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<Subresource> subresources;
  bool tracks_generation = false;  // metadata.generation bumps on spec changes
  std::vector<std::string> field_selectors;  // beyond metadata.name / metadata.namespace

  /// "apps/v1", or "v1" for the core group.
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  /// "deployments.apps", or "pods" for the core group, as error messages name a resource.
  std::string group_resource() const { return group.empty() ? plural : plural + "." + group; }
  /// "Deployment.apps", or "Pod", as 422 messages name a kind.
  std::string group_kind() const { return group.empty() ? kind : kind + "." + group; }
  /// The collection path under a namespace ("" for cluster-scoped or all namespaces).
  std::string collection_path(const std::string& ns) const;
  const Subresource* subresource(const std::string& name) const;
  bool has_subresource(const std::string& name) const { return subresource(name) != nullptr; }
};

/// Every served type, in discovery order.
const std::vector<ResourceType>& resource_types();
/// By group, version and plural; nullptr if unknown.
const ResourceType* find_resource(const std::string& group, const std::string& version, const std::string& name);
/// By apiVersion ("apps/v1") and kind ("Deployment"); nullptr if unknown.
const ResourceType* find_kind(const std::string& api_version, const std::string& kind);
/// Well-known types by plural, for the controllers ("deployments", "pods", ...). Never nullptr for
/// a served plural; aborts on a typo, which is a programming error.
const ResourceType& type_of(const std::string& plural);

/// The served API groups in discovery order, core ("") first, each with its one version "v1".
std::vector<std::string> served_groups();

}  // namespace opspilot::k8s_sim
