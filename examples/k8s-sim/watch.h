#pragma once
// Watches: which change events a `?watch=1` request receives, and how they are written — one
// JSON object per line, {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}, as
// kube-apiserver streams them over a chunked response.
// Thread-safety: WatchFilter is immutable after construction; WatchPlan is a plain value.
#include <chrono>
#include <string>
#include <vector>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/selector.h"
#include "examples/k8s-sim/store.h"

namespace opspilot::k8s_sim {

struct WatchFilter {
  const ResourceType* type = nullptr;
  std::string ns;  // "" = all namespaces
  LabelSelector labels;
  FieldSelector fields;

  bool matches(const WatchEvent& event) const;
  bool matches_object(const Json& object) const;
};

/// One watch event line, newline-terminated.
std::string encode_watch_event(const std::string& type, const Json& object);

/// What the server streams for one watch request: the initial lines (synthetic ADDED events for
/// the current state, or the replay after the requested resourceVersion), then live events
/// matching `filter` until `timeout` passes or the client goes away.
struct WatchPlan {
  WatchFilter filter;
  std::vector<std::string> initial;
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  bool finish_after_initial = false;  // the initial lines end in an ERROR (410 Expired) event
  bool as_table = false;              // objects as one-row Tables (kubectl get --watch asks so)
  std::string include_object = "Metadata";
};

}  // namespace opspilot::k8s_sim
