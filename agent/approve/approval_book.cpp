#include "agent/approve/approval_book.h"

#include <algorithm>

#include "agent/journal/rfc3339.h"

namespace opspilot::agent {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::string Approver::label() const {
  std::string s = kind + ":" + id;
  if (!name.empty() && name != id) s += " (" + name + ")";
  return s;
}

ApprovalBook::ApprovalBook(GroupMembers group_members) : group_members_(std::move(group_members)) {}

void ApprovalBook::open(const Decision& d) {
  ApprovalEntry e;
  e.id = d.id;
  e.target = d.target;
  e.namespace_ = d.namespace_;
  e.action = d.action;
  e.from_replicas = d.current_replicas;
  e.to_replicas = d.desired_replicas;
  e.reason = d.reason;
  e.info = d.approval;
  if (e.info.status.empty()) e.info.status = "pending";
  std::lock_guard lock(mu_);
  entries_[e.id] = std::move(e);
}

void ApprovalBook::set_notification(const std::string& id, const std::string& channel,
                                    const std::string& ts, const std::string& error) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.info.slack_channel = channel;
  it->second.info.slack_ts = ts;
  it->second.info.notify_error = error;
}

std::string ApprovalBook::refusal(const ApprovalEntry& e, const Approver& who, bool veto) const {
  const ApprovalInfo& a = e.info;
  if (who.kind == "token") {
    if (!who.namespaces.empty() && !contains(who.namespaces, e.namespace_))
      return "token \"" + who.id + "\" may act on namespaces " + join_names(who.namespaces) + ", not \"" +
             e.namespace_ + "\"";
    if (veto) return "";  // a veto needs no place among the approvers
    const bool anyone = a.slack_users.empty() && a.slack_groups.empty() && a.tokens.empty();
    if (anyone || contains(a.tokens, who.id)) return "";
    return "token \"" + who.id + "\" is not among the approvers of " + e.id +
           (a.tokens.empty() ? std::string(" (the policy names no API tokens: approve it in Slack)")
                             : " (tokens: " + join_names(a.tokens) + ")");
  }
  if (who.kind == "slack") {
    const bool anyone = a.slack_users.empty() && a.slack_groups.empty() && a.tokens.empty();
    if (anyone || contains(a.slack_users, who.id)) return "";
    std::string lookup_errors;
    for (const auto& g : a.slack_groups) {
      if (!group_members_) {
        lookup_errors = "user groups cannot be looked up without a Slack bot token";
        break;
      }
      std::string err;
      const auto members = group_members_(g, &err);
      if (members && contains(*members, who.id)) return "";
      if (!members) lookup_errors += (lookup_errors.empty() ? "" : "; ") + g + ": " + err;
    }
    std::string why = "Slack user " + who.label().substr(6) + " is not among the approvers of " + e.id;
    std::string names;
    if (!a.slack_users.empty()) names += "users " + join_names(a.slack_users);
    if (!a.slack_groups.empty()) names += (names.empty() ? "" : "; ") + std::string("groups ") + join_names(a.slack_groups);
    if (names.empty()) names = "the policy names only API tokens";
    why += " (" + names + ")";
    if (!lookup_errors.empty()) why += "; group lookup failed: " + lookup_errors;
    return why;
  }
  return "unknown kind of approver \"" + who.kind + "\"";
}

AnswerResult ApprovalBook::answer(const std::string& id, bool approve, const Approver& who,
                                  const std::string& note, TimePoint now, const std::string& response_url) {
  AnswerResult r;
  ApprovalEntry snapshot;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
      r.status = 404;
      r.error = "no open approval request with id \"" + id + "\"";
      return r;
    }
    const ApprovalInfo& a = it->second.info;
    if (a.status != "pending") {
      r.status = 409;
      r.error = id + " was already " + a.status + " by " + a.decided_by + " at " + format_rfc3339_ms(a.decided);
      r.entry = it->second;
      return r;
    }
    if (now >= a.expires) {
      r.status = 409;
      r.error = id + " expired at " + format_rfc3339_ms(a.expires) + " (then " + a.on_expiry + ")";
      r.entry = it->second;
      return r;
    }
    snapshot = it->second;
  }
  // The group lookup may go to Slack: outside the lock.
  if (const std::string why = refusal(snapshot, who, !approve && who.may_veto); !why.empty()) {
    r.status = 403;
    r.error = why;
    r.entry = snapshot;
    return r;
  }
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.info.status != "pending") {  // answered meanwhile
    r.status = it == entries_.end() ? 404 : 409;
    r.error = it == entries_.end() ? "no open approval request with id \"" + id + "\""
                                   : id + " was answered meanwhile by " + it->second.info.decided_by;
    if (it != entries_.end()) r.entry = it->second;
    return r;
  }
  ApprovalInfo& a = it->second.info;
  a.status = approve ? "approved" : "denied";
  a.decided_by = who.label();
  a.via = who.kind == "slack" ? "slack" : "api";
  a.decided = now;
  a.note = note;
  if (!response_url.empty()) a.slack_response_url = response_url;
  r.entry = it->second;
  return r;
}

std::optional<ApprovalEntry> ApprovalBook::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::vector<ApprovalEntry> ApprovalBook::list() const {
  std::lock_guard lock(mu_);
  std::vector<ApprovalEntry> out;
  for (const auto& [id, e] : entries_) out.push_back(e);
  return out;
}

void ApprovalBook::close(const std::string& id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

std::size_t ApprovalBook::pending_count() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) {
    return kv.second.info.status == "pending";
  }));
}

}  // namespace opspilot::agent
