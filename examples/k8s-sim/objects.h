#pragma once
// What the API server does to an object between decoding and storing it, per kind: defaulting
// (the fields `kubectl get -o json` shows although nobody set them) and validation (422 causes
// worded as kube-apiserver words them).
// Thread-safety: pure functions.
#include <optional>
#include <string>
#include <vector>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/status.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

/// Fills in defaults for `type` in place (spec fields, pod template, strategy, ...).
void apply_defaults(const ResourceType& type, Json& object);
/// Defaults for a PodSpec (restartPolicy, dnsPolicy, container terminationMessagePath, ...).
void default_pod_spec(Json& spec);

/// Field problems of `object` (after defaulting); `old` is the stored object on update, else null.
std::vector<Cause> validate(const ResourceType& type, const Json& object, const Json* old);
/// What validating admission webhooks installed in the simulated cluster say of a valid object
/// (the prometheus-operator's PrometheusRule webhook); nullopt when they admit it.
std::optional<ApiResult> admission_webhooks(const ResourceType& type, const Json& object);
/// Validation of an autoscaling/v1 Scale write.
std::vector<Cause> validate_scale(const Json& scale);

/// Whether `name` is a valid object name for `type` (DNS-1123 subdomain; a label for namespaces,
/// a DNS-1035 label for services, a path segment for RBAC kinds); `why` gets the first problem.
bool valid_name(const ResourceType& type, const std::string& name, std::string* why);
/// Every problem kube reports for `name` as a `type` object name (empty when it is valid).
std::vector<std::string> name_problems(const ResourceType& type, const std::string& name);

/// Fields of `object` the type does not have, at the top level and in metadata ("spec.x" style
/// paths), for ?fieldValidation=Strict|Warn. Deeper fields are not checked.
std::vector<std::string> unknown_fields(const ResourceType& type, const Json& object);

/// Whether a write changed what metadata.generation tracks (the spec).
bool spec_changed(const Json& before, const Json& after);

}  // namespace opspilot::k8s_sim
