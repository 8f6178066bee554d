#pragma once
// Open approval requests and the answers people give them, through Slack or the HTTP API.
//
// The decision record stays the source of truth: the reconciler journals the request when a
// policy asks for approval, and journals the outcome when it acts on the answer. The book is
// where the two meet — the HTTP handlers record an answer here, and the target's next tick picks
// it up, re-checks the action against the policies and the current state, and only then acts
// (see Reconciler::resolve_pending). An answer is accepted only from someone the policy named
// (Slack user, member of a named Slack user group, or a named API token; with no names at all,
// any authenticated approver), only while the request is pending and not expired.
//
// Thread-safety: every method may be called from any thread; one mutex guards the book. The
// group-membership callback is called without the lock held (it may do network I/O).
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "agent/journal/decision.h"

namespace opspilot::agent {

/// Who is answering, as authenticated by the caller (a verified Slack callback or a bearer token).
struct Approver {
  std::string kind;  // slack | token
  std::string id;    // Slack user ID, or the token's name
  std::string name;  // Slack user name, for people reading the record
  std::vector<std::string> namespaces;  // token: the namespaces it may act on; empty = all
  /// May deny any request in its namespaces, approver or not (an operator's veto).
  bool may_veto = false;
  /// "slack:U024BE7LH (alice)" or "token:oncall" — what the record says decided.
  std::string label() const;
};

/// One request as the book holds it.
struct ApprovalEntry {
  std::string id;  // the decision's id
  std::string target;
  std::string namespace_;
  std::string action;
  int from_replicas = 0;
  int to_replicas = 0;
  std::string reason;  // why the planner proposed it
  ApprovalInfo info;
};

struct AnswerResult {
  int status = 200;   // 200 recorded; 403 not an approver; 404 unknown id; 409 no longer open
  std::string error;  // in words, for the HTTP response and the Slack ephemeral reply
  std::optional<ApprovalEntry> entry;  // the entry after the answer (or as it stands on 409)
};

class ApprovalBook {
 public:
  /// Members of a Slack user group, or nullopt with `error` set (e.g. the API is unreachable).
  using GroupMembers =
      std::function<std::optional<std::vector<std::string>>(const std::string& group, std::string* error)>;

  explicit ApprovalBook(GroupMembers group_members = {});

  /// Opens (or re-opens after a restart) the request of a decision awaiting approval.
  void open(const Decision& d);
  /// Records where the request was posted (or why posting failed).
  void set_notification(const std::string& id, const std::string& channel, const std::string& ts,
                        const std::string& error);
  /// Records an answer. Checks, in order: the id is open (404), still pending and not expired
  /// (409), and `who` may answer it (403).
  AnswerResult answer(const std::string& id, bool approve, const Approver& who, const std::string& note,
                      TimePoint now, const std::string& response_url = "");
  std::optional<ApprovalEntry> get(const std::string& id) const;
  /// Open requests (pending, or answered and not yet acted on), oldest first.
  std::vector<ApprovalEntry> list() const;
  /// The reconciler settled the request (acted, denied, expired or superseded): forget it.
  void close(const std::string& id);
  std::size_t pending_count() const;

 private:
  /// Empty when `who` may answer `e`; otherwise why not.
  std::string refusal(const ApprovalEntry& e, const Approver& who, bool veto) const;

  GroupMembers group_members_;
  mutable std::mutex mu_;
  std::map<std::string, ApprovalEntry> entries_;  // by id (ids sort by creation)
};

}  // namespace opspilot::agent
