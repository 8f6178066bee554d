#include "examples/k8s-sim/watch.h"

namespace opspilot::k8s_sim {

bool WatchFilter::matches_object(const Json& object) const {
  if (!ns.empty() && type->namespaced && string_at(object, {"metadata", "namespace"}) != ns) return false;
  const Json* l = at_path(object, {"metadata", "labels"});
  return labels.matches(l ? *l : Json::object()) && fields.matches(object);
}

bool WatchFilter::matches(const WatchEvent& event) const {
  return event.type == type && matches_object(event.object);
}

std::string encode_watch_event(const std::string& type, const Json& object) {
  Json line = {{"type", type}, {"object", object}};
  return line.dump() + "\n";
}

}  // namespace opspilot::k8s_sim
