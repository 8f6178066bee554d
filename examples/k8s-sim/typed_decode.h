#pragma once
// What kube-apiserver's typed decoder rejects before any validation runs: a JSON value of the
// wrong type where the Go struct has a typed field (a string where runAsNonRoot is a bool, a
// number where a ConfigMap's data is a string), a quantity that does not parse, Secret data that
// is not base64. kube answers these with 400 BadRequest worded as
//   Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string
//   into Go struct field SecurityContext.spec.template.spec.containers.securityContext.runAsNonRoot
//   of type bool
// (Go's encoding/json names the innermost struct and the field path without list indices). The
// simulator knows the Go types of the fields an operator's manifests use most; unknown fields
// are left alone, as the decoder leaves (drops) them. Custom resources have no Go types here:
// their schema checks are 422s (see validation_monitoring.cpp).
// Thread-safety: pure functions over a schema built once (function-local static).
#include <optional>
#include <string>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

/// The reason `object` does not decode into `type`'s Go type ("json: cannot unmarshal ...",
/// "illegal base64 data at input byte 3", the quantity format message), or nullopt.
std::optional<std::string> decode_problem(const ResourceType& type, const Json& object);

/// The full 400 message kube sends for such a problem.
std::string decode_error_message(const ResourceType& type, const std::string& problem);

}  // namespace opspilot::k8s_sim
