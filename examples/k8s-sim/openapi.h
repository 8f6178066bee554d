#pragma once
// A minimal OpenAPI v3 description: /openapi/v3 (the index of group-version documents) and
// /openapi/v3/<api|apis/group>/v1 with one path item per served endpoint. It exists because
// kubectl replace/create/edit validate first: kubectl reads these documents to learn that the
// server validates fields itself (a PATCH operation with a `fieldValidation` query parameter for
// the object's group/version/kind), then sends ?fieldValidation=Strict instead of downloading
// the full schemas. Schemas are left open (type: object).
// Thread-safety: pure functions.
#include <optional>

#include "examples/k8s-sim/discovery.h"

namespace opspilot::k8s_sim {

/// The document at `path` (no query), or nullopt when `path` is not an OpenAPI v3 path.
std::optional<Document> openapi_document(const std::string& path);

}  // namespace opspilot::k8s_sim
