#pragma once
// The three PATCH content types the API server accepts for built-in types:
//   application/json-patch+json            RFC 6902 operations
//   application/merge-patch+json           RFC 7386 JSON merge patch
//   application/strategic-merge-patch+json Kubernetes strategic merge patch: a merge patch whose
//     lists of named things (containers, env, ports, volumes, conditions, ...) merge element by
//     element on a key, with the $patch, $retainKeys, $setElementOrder and
//     $deleteFromPrimitiveList directives kubectl emits (rollout restart, set image, scale, edit).
// Errors are values that say what was wrong where.
// Thread-safety: pure functions.
#include <string>
#include <vector>

#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

enum class PatchType { Json, Merge, Strategic, Apply, Unknown };

/// From a Content-Type header (parameters such as "; charset=utf-8" ignored).
PatchType patch_type_of(const std::string& content_type);
/// The media types accepted for PATCH, for a 415 message.
std::vector<std::string> accepted_patch_types();

struct PatchOutcome {
  bool ok = false;
  bool bad_request = false;  // the patch itself is malformed (400); otherwise it failed to apply (422)
  Json result;
  std::string error;
};

/// Applies `patch_text` of `type` to `original`.
PatchOutcome apply_patch(const Json& original, PatchType type, const std::string& patch_text);

/// The strategic merge of `patch` into `original` (exposed for tests).
Json strategic_merge(const Json& original, const Json& patch);

}  // namespace opspilot::k8s_sim
