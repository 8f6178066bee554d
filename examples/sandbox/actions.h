#pragma once
// Actions taken through the generic-webhook actuator protocol, remembered by decision id: the
// decision id is the idempotency key, so a replayed request finds its record and changes nothing.
// Each record follows its action to done or failed:
//   scale    — done once ready replicas == desired replicas;
//   restart  — done once its rollout has replaced every old replica and all are ready;
//   rollback — the same, on the previous revision.
// An action overtaken by a later one on the same service (different desired count, a newer
// rollout) fails as "superseded"; one not done within the timeout fails with what was seen.
// Thread-safety: none; SandboxApi serialises access.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace opspilot::sandbox {

class Model;

enum class ActionState { InProgress, Done, Failed };
const char* to_string(ActionState s);  // in_progress | done | failed

struct ActionRecord {
  std::string decision_id;
  std::string kind;           // scale | restart | rollback
  std::string service;
  std::string target_kind;    // as sent (Deployment, StatefulSet)
  std::string namespace_;     // as sent
  int replicas = 0;           // scale: the desired count
  double accepted_s = 0;      // elapsed simulated seconds
  int rollout = 0;            // restart/rollback: the service's rollout number it started
  int revision = 0;           // rollback: the revision it went back to
  ActionState state = ActionState::InProgress;
  std::optional<double> finished_s;
  std::string detail;         // in words: why failed, or what is awaited

  /// Whether `other` asks for the same thing (a replay), ignoring ids and times.
  bool same_request(const ActionRecord& other) const;
  /// "scale of checkout to 8 replicas", "restart of payments", ...
  std::string describe() const;
};

class ActionBook {
 public:
  explicit ActionBook(double timeout_s, std::size_t capacity = 10000)
      : timeout_s_(timeout_s), capacity_(capacity) {}

  const ActionRecord* find(const std::string& decision_id) const;
  /// Stores a new record (evicting the oldest finished one beyond capacity) and evaluates it.
  const ActionRecord& add(ActionRecord record, const Model& model);
  /// Re-evaluates every in-progress action against the model as it is now.
  void update(const Model& model);
  std::size_t size() const { return records_.size(); }
  std::size_t pending() const { return pending_.size(); }

 private:
  void evaluate(ActionRecord& r, const Model& model) const;

  double timeout_s_;
  std::size_t capacity_;
  std::map<std::string, ActionRecord> records_;
  std::deque<std::string> order_;     // insertion order, for eviction
  std::deque<std::string> pending_;   // in progress
};

}  // namespace opspilot::sandbox
