// The approval endpoints — /api/v1/approvals (bearer tokens with roles) and /slack/interactions
// (Slack's signed callbacks) — and the policy endpoints /api/v1/policies.
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/approve/approval_book.h"
#include "agent/approve/slack.h"
#include "agent/server/auth.h"
#include "agent/server/http_server.h"

namespace opspilot::agent {
namespace {

constexpr std::string_view kApprovalsPrefix = "/api/v1/approvals/";

Response json_ok(const nlohmann::json& j, int status = 200) {
  Response r;
  r.status = status;
  r.body = j.dump();
  return r;
}

nlohmann::json entry_json(const ApprovalEntry& e) {
  return {{"id", e.id},
          {"target", e.target},
          {"namespace", e.namespace_},
          {"action", e.action},
          {"from_replicas", e.from_replicas},
          {"to_replicas", e.to_replicas},
          {"reason", e.reason},
          {"approval", to_json(e.info)}};
}

/// The optional {"reason": "..."} body of approve / deny; nullopt (and `error`) when malformed.
std::optional<std::string> reason_from(const Request& req, std::string* error) {
  if (req.body.empty()) return std::string();
  const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "the body must be a JSON object such as {\"reason\": \"...\"}";
    return std::nullopt;
  }
  auto it = j.find("reason");
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    *error = "\"reason\" must be a string, got " + it->dump();
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string header(const Request& req, const char* name) {
  auto it = req.headers.find(name);
  return it == req.headers.end() ? std::string() : it->second;
}

/// Slack shows this text to the person who pressed the button (only to them).
Response slack_reply(const std::string& text) {
  return json_ok({{"response_type", "ephemeral"}, {"replace_original", false}, {"text", text}});
}

}  // namespace

void Agent::install_approval_routes(HttpServer& server) {
  server.route("GET", "/api/v1/approvals", [this](const Request& req) {
    const AuthResult a = auth_->authorize(req, Role::Viewer);
    if (!a.ok()) return auth_error(a);
    nlohmann::json arr = nlohmann::json::array();
    for (const ApprovalEntry& e : approvals_->list()) arr.push_back(entry_json(e));
    return json_ok({{"approvals", arr}});
  });

  server.route_prefix("GET", std::string(kApprovalsPrefix), [this](const Request& req) {
    const AuthResult a = auth_->authorize(req, Role::Viewer);
    if (!a.ok()) return auth_error(a);
    const std::string id = req.path.substr(kApprovalsPrefix.size());
    if (auto e = approvals_->get(id)) return json_ok(entry_json(*e));
    // Settled requests live on in the journal.
    if (auto d = journal_->get(id); d && d->approval.asked()) {
      ApprovalEntry e{d->id, d->target, d->namespace_, d->action, d->current_replicas, d->desired_replicas,
                      d->reason, d->approval};
      nlohmann::json j = entry_json(e);
      j["decision_state"] = to_string(d->state);
      return json_ok(j);
    }
    return json_error(404, "no approval request with id \"" + id + "\"");
  });

  server.route_prefix("POST", std::string(kApprovalsPrefix), [this](const Request& req) {
    // /api/v1/approvals/{id}/approve | /deny
    const std::string rest = req.path.substr(kApprovalsPrefix.size());
    const auto slash = rest.find('/');
    const std::string id = rest.substr(0, slash);
    const std::string verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (verb != "approve" && verb != "deny")
      return json_error(404, "use POST /api/v1/approvals/{id}/approve or /api/v1/approvals/{id}/deny");
    const bool approve = verb == "approve";
    const auto entry = approvals_->get(id);
    // Deny is a veto an operator may cast; approving needs the approver role.
    const AuthResult a = auth_->authorize(req, approve ? Role::Approver : Role::Operator,
                                          entry ? entry->namespace_ : std::string());
    if (!a.ok()) {
      metrics_.approval_answer_refused(a.status == 401 ? "unauthenticated" : "forbidden");
      return auth_error(a);
    }
    std::string err;
    const auto reason = reason_from(req, &err);
    if (!reason) return json_error(400, err);
    if (!approve && reason->empty())
      return json_error(400, "say why: a denial needs {\"reason\": \"...\"} (opspilot deny ID --reason ...)");
    Approver who{"token", a.principal->name, "", a.principal->namespaces};
    who.may_veto = !approve && a.principal->role >= Role::Operator;
    const AnswerResult r = approvals_->answer(id, approve, who, *reason, clock_->now());
    if (r.status != 200) {
      metrics_.approval_answer_refused(r.status == 403 ? "not_approver" : r.status == 404 ? "unknown_request" : "not_pending");
      Response resp = json_error(r.status, r.error);
      return resp;
    }
    nlohmann::json j = entry_json(*r.entry);
    j["message"] = std::string(approve ? "approved" : "denied") + "; the target's next tick " +
                   (approve ? "re-checks it against the policies and the current state, then acts"
                            : "records the denial");
    return json_ok(j);
  });

  server.route("POST", "/slack/interactions", [this](const Request& req) {
    // Slack stamps requests with the wall clock, also when the agent runs on a simulated one.
    const std::int64_t wall = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
    const slack::SignatureCheck c = slack::verify_request(
        config_.approvals.slack.signing_secret, header(req, "x-slack-request-timestamp"),
        header(req, "x-slack-signature"), req.body, wall, replay_guard_.get());
    if (!c.ok) {
      metrics_.approval_answer_refused(std::string(slack::refusal_name(c.refusal)));
      return json_error(c.http_status, c.reason);
    }
    std::string err;
    const auto in = slack::parse_interaction(req.body, &err);
    if (!in) {
      metrics_.approval_answer_refused("malformed");
      return json_error(400, err);
    }
    const Approver who{"slack", in->user_id, in->user_name, {}};
    const AnswerResult r =
        approvals_->answer(in->approval_id, in->action == "approve", who, "", clock_->now(), in->response_url);
    if (r.status != 200) {
      metrics_.approval_answer_refused(r.status == 403 ? "not_approver" : r.status == 404 ? "unknown_request" : "not_pending");
      return slack_reply(":no_entry: " + r.error);
    }
    return slack_reply(std::string(in->action == "approve" ? ":white_check_mark: Approved " : ":x: Denied ") +
                       in->approval_id + ". opspilot re-checks it against the policies at its next tick; the message "
                       "will show the outcome.");
  });

  server.route("GET", "/api/v1/policies", [this](const Request& req) {
    const AuthResult a = auth_->authorize(req, Role::Viewer);
    if (!a.ok()) return auth_error(a);
    if (!policy_set_) return json_ok({{"configured", false}, {"note", "no policies in the config: only targets[].limits apply"}});
    const policies::ReloadReport rep = policy_set_->last_report();
    return json_ok({{"configured", true},
                    {"paths", config_.policies.paths},
                    {"generation", policy_set_->generation()},
                    {"reloads_ok", policy_set_->reloads_ok()},
                    {"reloads_rejected", policy_set_->reloads_failed()},
                    {"last_reload", {{"summary", rep.summary()}, {"ok", rep.ok}, {"diagnostics", policies::diagnostics_to_json(rep.diagnostics)}}}});
  });

  server.route("POST", "/api/v1/policies/reload", [this](const Request& req) {
    const AuthResult a = auth_->authorize(req, Role::Admin);
    if (!a.ok()) return auth_error(a);
    if (!policy_set_) return json_error(409, "no policies in the config to reload");
    const policies::ReloadReport rep = *reload_policies(true);
    return json_ok({{"ok", rep.ok},
                    {"summary", rep.summary()},
                    {"generation", policy_set_->generation()},
                    {"diagnostics", policies::diagnostics_to_json(rep.diagnostics)}},
                   rep.ok ? 200 : 422);
  });
}

}  // namespace opspilot::agent
