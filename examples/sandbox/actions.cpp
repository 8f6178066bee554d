#include "examples/sandbox/actions.h"

#include <algorithm>

#include "examples/sandbox/config.h"
#include "examples/sandbox/model.h"

namespace opspilot::sandbox {

const char* to_string(ActionState s) {
  switch (s) {
    case ActionState::InProgress: return "in_progress";
    case ActionState::Done: return "done";
    case ActionState::Failed: return "failed";
  }
  return "unknown";
}

bool ActionRecord::same_request(const ActionRecord& o) const {
  return kind == o.kind && service == o.service && (kind != "scale" || replicas == o.replicas);
}

std::string ActionRecord::describe() const {
  if (kind == "scale") return "scale of " + service + " to " + std::to_string(replicas) + " replicas";
  return kind + " of " + service;
}

const ActionRecord* ActionBook::find(const std::string& decision_id) const {
  auto it = records_.find(decision_id);
  return it == records_.end() ? nullptr : &it->second;
}

const ActionRecord& ActionBook::add(ActionRecord record, const Model& model) {
  const std::string id = record.decision_id;
  evaluate(record, model);
  if (record.state == ActionState::InProgress) pending_.push_back(id);
  order_.push_back(id);
  auto& stored = records_[id] = std::move(record);
  // Bounded memory: forget the oldest finished actions first.
  while (records_.size() > capacity_) {
    auto victim = std::find_if(order_.begin(), order_.end(), [&](const std::string& k) {
      return k != id && records_.at(k).state != ActionState::InProgress;
    });
    if (victim == order_.end()) victim = order_.begin();
    if (*victim == id) break;
    std::erase(pending_, *victim);
    records_.erase(*victim);
    order_.erase(victim);
  }
  return stored;
}

void ActionBook::update(const Model& model) {
  std::erase_if(pending_, [&](const std::string& id) {
    auto it = records_.find(id);
    if (it == records_.end()) return true;
    evaluate(it->second, model);
    return it->second.state != ActionState::InProgress;
  });
}

void ActionBook::evaluate(ActionRecord& r, const Model& model) const {
  if (r.state != ActionState::InProgress) return;
  const double now = model.elapsed_s();
  const ServiceSim* s = model.find(r.service);
  auto finish = [&](ActionState st, std::string detail) {
    r.state = st;
    r.finished_s = now;
    r.detail = std::move(detail);
  };
  if (!s) {
    finish(ActionState::Failed, "service " + r.service + " no longer exists");
    return;
  }
  const int ready = s->ready_count(now);
  const std::string seen = std::to_string(ready) + " of " + std::to_string(s->desired()) + " replicas ready";
  if (r.kind == "scale") {
    if (s->desired() != r.replicas) {
      finish(ActionState::Failed, "superseded: desired replicas are now " + std::to_string(s->desired()) +
                                      ", not " + std::to_string(r.replicas));
      return;
    }
    if (ready == s->desired()) {
      finish(ActionState::Done, seen);
      return;
    }
  } else {
    if (s->rollout() != r.rollout) {
      finish(ActionState::Failed, "superseded by a later rollout (deploy, restart or rollback) of " + r.service);
      return;
    }
    if (r.kind == "rollback" && s->revision() != r.revision) {
      finish(ActionState::Failed, "revision is now " + std::to_string(s->revision()) + ", not " +
                                      std::to_string(r.revision));
      return;
    }
    if (s->settled(now)) {
      finish(ActionState::Done, seen + (r.kind == "rollback" ? " on revision " + std::to_string(r.revision) : ""));
      return;
    }
  }
  if (now - r.accepted_s > timeout_s_) {
    finish(ActionState::Failed, "not done after " + format_duration(timeout_s_) + ": " + seen);
    return;
  }
  r.detail = "waiting: " + seen;
}

}  // namespace opspilot::sandbox
