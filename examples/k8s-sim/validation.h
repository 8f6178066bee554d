#pragma once
// The per-kind defaulting and validation behind objects.h, one file per API area:
//   validation_pod.cpp         PodSpec (pods and the templates of workloads)
//   validation_core.cpp        ServiceAccount, ConfigMap, Secret, Service, PersistentVolumeClaim
//   validation_rbac.cpp        Role, ClusterRole, RoleBinding, ClusterRoleBinding
//   validation_monitoring.cpp  ServiceMonitor, PrometheusRule (the prometheus-operator CRDs'
//                              schemas and its PrometheusRule admission webhook)
// Each follows kube's own validation code (pkg/apis/*/validation, apiextensions schema checks)
// and words its causes as kube does; where the simulator is stricter than kube-apiserver (a
// mistake only the kubelet or a controller would notice later), the message says so.
// Thread-safety: pure functions.
#include <optional>
#include <string>
#include <vector>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/status.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

// validation_pod.cpp
/// Defaults of a PodSpec beyond default_pod_spec's: probe timings and httpGet path/scheme,
/// volume defaultMode, env fieldRef apiVersion.
void default_pod_spec_details(Json& spec);
/// Validates a PodSpec at `path` ("spec" for pods, "spec.template.spec" for workloads).
void validate_pod_spec(const Json& spec, const std::string& path, std::vector<Cause>* out);

// validation_core.cpp
bool is_core_config_kind(const ResourceType& type);  // the kinds validation_core.cpp handles
void default_core_kind(const ResourceType& type, Json& object);
void validate_core_kind(const ResourceType& type, const Json& object, const Json* old, std::vector<Cause>* out);

// validation_rbac.cpp
bool is_rbac_kind(const ResourceType& type);
void default_rbac_kind(const ResourceType& type, Json& object);
void validate_rbac_kind(const ResourceType& type, const Json& object, const Json* old, std::vector<Cause>* out);

// validation_monitoring.cpp
bool is_monitoring_kind(const ResourceType& type);
/// The operator's mutating webhook (rule label/annotation values as strings, the validated mark).
void default_monitoring_kind(const ResourceType& type, Json& object);
void validate_monitoring_kind(const ResourceType& type, const Json& object, std::vector<Cause>* out);
/// The prometheus-operator's validating webhook for PrometheusRules: nullopt when it admits.
std::optional<ApiResult> monitoring_webhook(const ResourceType& type, const Json& object);

}  // namespace opspilot::k8s_sim
