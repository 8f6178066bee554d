#include "examples/k8s-sim/resources.h"

#include <cstdlib>
#include <iostream>

namespace opspilot::k8s_sim {

namespace {

const std::vector<std::string> kCrud = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};

std::vector<ResourceType> build() {
  const Subresource status_v1 = {"status", "", "v1", "", {"get", "patch", "update"}};
  auto status_of = [&](const std::string& group, const std::string& kind) {
    Subresource s = status_v1;
    s.group = group;
    s.kind = kind;
    return s;
  };
  const Subresource scale = {"scale", "autoscaling", "v1", "Scale", {"get", "patch", "update"}};
  std::vector<ResourceType> t;
  t.push_back({"", "v1", "namespaces", "namespace", "Namespace", false,
               {"create", "delete", "get", "list", "patch", "update", "watch"}, {"ns"}, {},
               {status_of("", "Namespace")}, false, {"status.phase"}});
  t.push_back({"", "v1", "pods", "pod", "Pod", true, kCrud, {"po"}, {"all"},
               {{"eviction", "policy", "v1", "Eviction", {"create"}}, status_of("", "Pod")}, false,
               {"spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName"}});
  t.push_back({"", "v1", "events", "event", "Event", true, kCrud, {"ev"}, {}, {}, false,
               {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type"}});
  // What an application's chart installs beside its workloads.
  t.push_back({"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, kCrud, {"sa"}, {}, {}, false, {}});
  t.push_back({"", "v1", "configmaps", "configmap", "ConfigMap", true, kCrud, {"cm"}, {}, {}, false, {}});
  t.push_back({"", "v1", "secrets", "secret", "Secret", true, kCrud, {}, {}, {}, false, {"type"}});
  t.push_back({"", "v1", "services", "service", "Service", true, kCrud, {"svc"}, {"all"}, {status_of("", "Service")},
               false, {}});
  t.push_back({"", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, kCrud,
               {"pvc"}, {}, {status_of("", "PersistentVolumeClaim")}, false, {}});
  t.push_back({"apps", "v1", "deployments", "deployment", "Deployment", true, kCrud, {"deploy"}, {"all"},
               {scale, status_of("apps", "Deployment")}, true, {}});
  t.push_back({"apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, kCrud, {"rs"}, {"all"},
               {scale, status_of("apps", "ReplicaSet")}, true, {"status.replicas"}});
  t.push_back({"apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, kCrud, {"sts"}, {"all"},
               {scale, status_of("apps", "StatefulSet")}, true, {}});
  t.push_back({"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, kCrud, {}, {}, {}, false, {}});
  t.push_back({"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, kCrud,
               {"pdb"}, {}, {status_of("policy", "PodDisruptionBudget")}, true, {}});
  const std::string rbac = "rbac.authorization.k8s.io";
  t.push_back({rbac, "v1", "roles", "role", "Role", true, kCrud, {}, {}, {}, false, {}});
  t.push_back({rbac, "v1", "rolebindings", "rolebinding", "RoleBinding", true, kCrud, {}, {}, {}, false, {}});
  t.push_back({rbac, "v1", "clusterroles", "clusterrole", "ClusterRole", false, kCrud, {}, {}, {}, false, {}});
  t.push_back({rbac, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, kCrud, {}, {}, {},
               false, {}});
  // As if the prometheus-operator's CRDs were installed (custom resources track metadata.generation).
  const std::string monitoring = "monitoring.coreos.com";
  t.push_back({monitoring, "v1", "servicemonitors", "servicemonitor", "ServiceMonitor", true, kCrud, {"smon"},
               {"prometheus-operator"}, {}, true, {}});
  t.push_back({monitoring, "v1", "prometheusrules", "prometheusrule", "PrometheusRule", true, kCrud, {"promrule"},
               {"prometheus-operator"}, {}, true, {}});
  return t;
}

}  // namespace

std::string ResourceType::collection_path(const std::string& ns) const {
  std::string p = group.empty() ? "/api/v1" : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  return p + "/" + plural;
}

const Subresource* ResourceType::subresource(const std::string& name) const {
  for (const auto& s : subresources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const std::vector<ResourceType>& resource_types() {
  static const std::vector<ResourceType> types = build();
  return types;
}

const ResourceType* find_resource(const std::string& group, const std::string& version, const std::string& name) {
  for (const auto& t : resource_types()) {
    if (t.group == group && t.version == version && t.plural == name) return &t;
  }
  return nullptr;
}

const ResourceType* find_kind(const std::string& api_version, const std::string& kind) {
  for (const auto& t : resource_types()) {
    if (t.api_version() == api_version && t.kind == kind) return &t;
  }
  return nullptr;
}

const ResourceType& type_of(const std::string& plural) {
  for (const auto& t : resource_types()) {
    if (t.plural == plural) return t;
  }
  std::cerr << "k8s-sim: internal error: no resource type '" << plural << "'\n";
  std::abort();
}

std::vector<std::string> served_groups() {
  std::vector<std::string> groups;
  for (const auto& t : resource_types()) {
    bool seen = false;
    for (const auto& g : groups) seen = seen || g == t.group;
    if (!seen) groups.push_back(t.group);
  }
  return groups;
}

}  // namespace opspilot::k8s_sim
