#pragma once
// Field-level validation problems worded as k8s.io/apimachinery/pkg/util/validation/field words
// them ("Invalid value: ...", "Required value", "Not found: ...", "Unsupported value: ..."), and
// the value checks of k8s.io/apimachinery/pkg/util/validation (DNS names, port names, config
// keys, label keys and values) returning the same messages, so that 422 causes read exactly as
// kube-apiserver's and clients (kubectl, Helm) print what a real cluster would print.
// Thread-safety: pure functions.
#include <cstdint>
#include <string>
#include <vector>

#include "examples/k8s-sim/status.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim::field {

/// How field.Error prints a bad value: strings quoted (Go's %q), numbers and booleans bare,
/// anything else as JSON (Go prints structs with %#v; the JSON says the same and is readable).
std::string go_value(const Json& value);
/// Go's %#v of a []string: []string{"a", "b"}.
std::string go_string_slice(const Json& list);

Cause invalid(const std::string& path, const Json& value, const std::string& detail);
/// As invalid(), with the value already printed (e.g. a Go struct literal).
Cause invalid_printed(const std::string& path, const std::string& printed, const std::string& detail);
Cause required(const std::string& path, const std::string& detail = "");
Cause not_found(const std::string& path, const Json& value);
Cause duplicate(const std::string& path, const Json& value);
Cause duplicate_printed(const std::string& path, const std::string& printed);
/// "Unsupported value: "x": supported values: "a", "b"" (the list in the order given).
Cause not_supported(const std::string& path, const Json& value, const std::vector<std::string>& supported);
Cause forbidden(const std::string& path, const std::string& detail);
/// "Too long: may not be more than N bytes" (the value is not repeated).
Cause too_long(const std::string& path, std::size_t max_bytes);
/// A custom resource's schema type mismatch, as apiextensions-apiserver words it:
/// `Invalid value: "integer": spec.x in body must be of type string: "integer"`.
Cause type_invalid(const std::string& path, const std::string& want_type, const Json& value);
/// The OpenAPI type name of a JSON value ("string", "integer", "number", "boolean", "array", "object").
std::string openapi_type(const Json& value);

/// Appends one invalid(path, value, m) per message in `messages`.
void each_invalid(std::vector<Cause>* out, const std::string& path, const Json& value,
                  const std::vector<std::string>& messages);

// Value checks; each returns kube's messages (empty when the value is fine).
std::vector<std::string> dns1123_label(const std::string& value);
std::vector<std::string> dns1123_subdomain(const std::string& value);
std::vector<std::string> dns1035_label(const std::string& value);
/// IANA_SVC_NAME: a named port (at most 15 characters, a-z0-9 and '-', at least one letter).
std::vector<std::string> port_name(const std::string& value);
std::vector<std::string> port_number(std::int64_t value);
/// Keys of ConfigMap/Secret data: [-._a-zA-Z0-9]+, at most 253 characters, not "." or "..".
std::vector<std::string> config_map_key(const std::string& value);
/// RBAC object names (path segments): not "." or "..", no '/' or '%'.
std::vector<std::string> path_segment_name(const std::string& value);
/// Label and annotation keys: an optional DNS subdomain prefix and '/', then a name part.
std::vector<std::string> qualified_name(const std::string& value);
std::vector<std::string> label_value(const std::string& value);
std::vector<std::string> env_var_name(const std::string& value);
/// "must be between LO and HI, inclusive".
std::string inclusive_range(std::int64_t lo, std::int64_t hi);

/// metadata.labels / metadata.annotations checks of ObjectMeta (keys, values, total size), at
/// `path` ("metadata" or "spec.template.metadata").
void validate_labels(const Json* labels, const std::string& path, std::vector<Cause>* out);
void validate_annotations(const Json* annotations, const std::string& path, std::vector<Cause>* out);

}  // namespace opspilot::k8s_sim::field
