#pragma once
// Server-side printing: the meta.k8s.io/v1 Table kubectl asks for (Accept: application/json;
// as=Table;v=v1;g=meta.k8s.io) when it prints without -o, with the columns kube-apiserver shows
// for each served kind (e.g. leases: NAME HOLDER AGE).
// Thread-safety: pure functions.
#include <string>
#include <vector>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

/// Whether an Accept header asks for a Table.
bool wants_table(const std::string& accept);
/// The Table for `objects`; `include_object` is the ?includeObject= value (None, Metadata, Object).
Json to_table(const ResourceType& type, const std::vector<const Json*>& objects, TimePoint now,
              const std::string& include_object, const std::string& list_resource_version);

inline constexpr const char* kTableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

}  // namespace opspilot::k8s_sim
