#include "examples/k8s-sim/store.h"

namespace opspilot::k8s_sim {

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::Added: return "ADDED";
    case EventType::Modified: return "MODIFIED";
    case EventType::Deleted: return "DELETED";
  }
  return "ERROR";
}

Store::Store(std::uint64_t seed, std::size_t history_limit) : rng_(seed), history_limit_(history_limit) {}

Entry* Store::find(const ResourceType& type, const std::string& ns, const std::string& name) {
  auto b = buckets_.find(&type);
  if (b == buckets_.end()) return nullptr;
  auto it = b->second.find(key(type.namespaced ? ns : "", name));
  return it == b->second.end() ? nullptr : &it->second;
}

std::vector<Entry*> Store::list(const ResourceType& type, const std::string& ns) {
  std::vector<Entry*> out;
  auto b = buckets_.find(&type);
  if (b == buckets_.end()) return out;
  for (auto& [k, e] : b->second) {
    if (!ns.empty() && type.namespaced && string_at(e.object, {"metadata", "namespace"}) != ns) continue;
    out.push_back(&e);
  }
  return out;
}

Entry& Store::insert(const ResourceType& type, Json object, SimState sim) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  const std::string ns = string_at(object, {"metadata", "namespace"});
  const std::string name = string_at(object, {"metadata", "name"});
  uids_.insert(string_at(object, {"metadata", "uid"}));
  Entry& e = buckets_[&type][key(ns, name)];
  e.object = std::move(object);
  e.sim = sim;
  record(type, EventType::Added, e.object);
  return e;
}

Entry& Store::replace(const ResourceType& type, Json object) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  const std::string ns = string_at(object, {"metadata", "namespace"});
  const std::string name = string_at(object, {"metadata", "name"});
  Entry& e = buckets_[&type][key(ns, name)];
  e.object = std::move(object);
  record(type, EventType::Modified, e.object);
  return e;
}

bool Store::replace_if_changed(const ResourceType& type, Json object) {
  Entry* e = find(type, string_at(object, {"metadata", "namespace"}), string_at(object, {"metadata", "name"}));
  if (e) {
    object["metadata"]["resourceVersion"] = e->object["metadata"]["resourceVersion"];
    if (object == e->object) return false;
  }
  replace(type, std::move(object));
  return true;
}

std::optional<Json> Store::erase(const ResourceType& type, const std::string& ns, const std::string& name) {
  auto b = buckets_.find(&type);
  if (b == buckets_.end()) return std::nullopt;
  auto it = b->second.find(key(type.namespaced ? ns : "", name));
  if (it == b->second.end()) return std::nullopt;
  Json object = std::move(it->second.object);
  b->second.erase(it);
  uids_.erase(string_at(object, {"metadata", "uid"}));
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  record(type, EventType::Deleted, object);
  return object;
}

bool Store::events_after(std::uint64_t rv, std::vector<const WatchEvent*>* out) const {
  if (rv < evicted_up_to_) return false;
  for (const auto& ev : history_) {
    if (ev.resource_version > rv) out->push_back(&ev);
  }
  return true;
}

int Store::subscribe(Listener listener) {
  const int id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Store::unsubscribe(int id) { listeners_.erase(id); }

void Store::record(const ResourceType& type, EventType kind, const Json& object) {
  WatchEvent ev{&type, kind, object, rv_};
  ev.object["kind"] = type.kind;
  ev.object["apiVersion"] = type.api_version();
  history_.push_back(std::move(ev));
  while (history_.size() > history_limit_) {
    evicted_up_to_ = history_.front().resource_version;
    history_.pop_front();
  }
  const WatchEvent& stored = history_.back();
  for (auto& [id, fn] : listeners_) fn(stored);
}

}  // namespace opspilot::k8s_sim
