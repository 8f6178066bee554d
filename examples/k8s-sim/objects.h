#pragma once
// What the API server does to an object between decoding and storing it, per kind: defaulting
// (the fields `kubectl get -o json` shows although nobody set them) and validation (422 causes
// worded as kube-apiserver words them).
// Thread-safety: pure functions.
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
/// Validation of an autoscaling/v1 Scale write.
std::vector<Cause> validate_scale(const Json& scale);

/// Whether `name` is a valid object name for `type` (DNS-1123 subdomain, or label for namespaces).
bool valid_name(const ResourceType& type, const std::string& name, std::string* why);

/// Fields of `object` the type does not have, at the top level and in metadata ("spec.x" style
/// paths), for ?fieldValidation=Strict|Warn. Deeper fields are not checked.
std::vector<std::string> unknown_fields(const ResourceType& type, const Json& object);

/// Whether a write changed what metadata.generation tracks (the spec).
bool spec_changed(const Json& before, const Json& after);

}  // namespace opspilot::k8s_sim
