#pragma once
// The object store (the simulator's etcd): objects by type, namespace and name, one global
// resourceVersion counter bumped by every write, a bounded history of change events for watches
// that resume from a resourceVersion, and subscribers told about each event as it happens.
// Only the API layer and the controllers write here; both stamp metadata before calling.
// Thread-safety: none; the simulator owns the store and uses it from one thread (the server's
// io_context thread). Entry pointers stay valid until that entry is erased.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

/// Simulator-only bookkeeping kept beside an object and never served.
struct SimState {
  TimePoint ready_at{};      // pods: when their containers pass readiness
  bool never_ready = false;  // pods: readiness never passes (a rollout made to fail)
  TimePoint progress_at{};   // deployments: last progress, measured against progressDeadlineSeconds
};

struct Entry {
  Json object;
  SimState sim;
};

enum class EventType { Added, Modified, Deleted };
const char* event_type_name(EventType t);

struct WatchEvent {
  const ResourceType* type = nullptr;
  EventType kind = EventType::Added;
  Json object;  // with kind and apiVersion, as watch streams carry it
  std::uint64_t resource_version = 0;
};

class Store {
 public:
  explicit Store(std::uint64_t seed, std::size_t history_limit = 4096);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// The newest resourceVersion handed out (0 before any write).
  std::uint64_t resource_version() const { return rv_; }
  std::mt19937_64& rng() { return rng_; }

  Entry* find(const ResourceType& type, const std::string& ns, const std::string& name);
  /// Objects of `type` in `ns` ("" = all namespaces), ordered by namespace then name like etcd keys.
  std::vector<Entry*> list(const ResourceType& type, const std::string& ns);
  bool uid_exists(const std::string& uid) const { return uids_.count(uid) > 0; }

  /// Adds `object` (metadata.name/namespace/uid set by the caller), stamping a new resourceVersion.
  Entry& insert(const ResourceType& type, Json object, SimState sim = {});
  /// Replaces the stored object with `object`, stamping a new resourceVersion.
  Entry& replace(const ResourceType& type, Json object);
  /// As replace(), but only when `object` differs from what is stored (controllers' writes), so an
  /// idle cluster does not churn resourceVersions. Returns whether it wrote.
  bool replace_if_changed(const ResourceType& type, Json object);
  /// Removes the object; the returned copy carries the deletion's resourceVersion.
  std::optional<Json> erase(const ResourceType& type, const std::string& ns, const std::string& name);

  /// Events with resourceVersion > `rv`, oldest first; false when `rv` is older than the retained
  /// history (the caller answers 410 Gone).
  bool events_after(std::uint64_t rv, std::vector<const WatchEvent*>* out) const;

  using Listener = std::function<void(const WatchEvent&)>;
  /// Listeners are called after each write, in order; they must not write to the store or
  /// unsubscribe from inside the call.
  int subscribe(Listener listener);
  void unsubscribe(int id);

 private:
  using Bucket = std::map<std::string, Entry>;  // "namespace/name" -> entry
  static std::string key(const std::string& ns, const std::string& name) { return ns + "/" + name; }
  void record(const ResourceType& type, EventType kind, const Json& object);

  std::map<const ResourceType*, Bucket> buckets_;
  std::set<std::string> uids_;
  std::uint64_t rv_ = 0;
  std::mt19937_64 rng_;
  std::size_t history_limit_;
  std::deque<WatchEvent> history_;
  std::uint64_t evicted_up_to_ = 0;  // newest resourceVersion dropped from history_
  std::map<int, Listener> listeners_;
  int next_listener_ = 1;
};

}  // namespace opspilot::k8s_sim
