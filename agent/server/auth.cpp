#include "agent/server/auth.h"

#include <algorithm>

#include "actuators/common/hmac.h"

namespace opspilot::agent {

const char* to_string(Role r) {
  switch (r) {
    case Role::Viewer: return "viewer";
    case Role::Operator: return "operator";
    case Role::Approver: return "approver";
    case Role::Admin: return "admin";
  }
  return "?";
}

std::optional<Role> role_from_string(const std::string& s) {
  for (Role r : {Role::Viewer, Role::Operator, Role::Approver, Role::Admin})
    if (s == to_string(r)) return r;
  return std::nullopt;
}

ApiAuth::ApiAuth(const ApiSpec& spec) {
  for (const auto& t : spec.tokens) {
    // The config loader refuses unknown roles; a token that still has none stays powerless.
    const auto role = role_from_string(t.role);
    if (!role || t.token.empty()) continue;
    tokens_.push_back({t.name, t.token, *role, t.namespaces});
  }
}

AuthResult ApiAuth::authorize(const Request& req, Role needed, const std::string& ns) const {
  AuthResult r;
  if (tokens_.empty()) {
    if (needed == Role::Viewer) {
      r.principal = Principal{"anonymous", Role::Viewer, {}, true};
      return r;
    }
    r.status = 403;
    r.error = std::string("this needs the ") + to_string(needed) +
              " role, and no API tokens are configured (api.tokens in the config): the API is read-only";
    return r;
  }
  const auto it = req.headers.find("authorization");
  if (it == req.headers.end() || it->second.empty()) {
    r.status = 401;
    r.error = "no credentials: send \"Authorization: Bearer <token>\"";
    return r;
  }
  constexpr std::string_view kScheme = "Bearer ";
  const std::string& h = it->second;
  if (h.size() <= kScheme.size() || !std::equal(kScheme.begin(), kScheme.end(), h.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      })) {
    r.status = 401;
    r.error = "the Authorization header must be \"Bearer <token>\"";
    return r;
  }
  const std::string_view secret = std::string_view(h).substr(kScheme.size());
  const Token* found = nullptr;
  for (const auto& t : tokens_)  // every token compared, in constant time: no timing oracle
    if (actuators::constant_time_equal(secret, t.secret)) found = &t;
  if (!found) {
    r.status = 401;
    r.error = "unknown or revoked token";
    return r;
  }
  if (found->role < needed) {
    r.status = 403;
    r.error = "token \"" + found->name + "\" has the " + to_string(found->role) + " role; this needs " +
              to_string(needed);
    return r;
  }
  if (!ns.empty() && !found->namespaces.empty() &&
      std::find(found->namespaces.begin(), found->namespaces.end(), ns) == found->namespaces.end()) {
    std::string list;
    for (const auto& n : found->namespaces) list += (list.empty() ? "" : ", ") + n;
    r.status = 403;
    r.error = "token \"" + found->name + "\" may act on namespaces " + list + ", not \"" + ns + "\"";
    return r;
  }
  r.principal = Principal{found->name, found->role, found->namespaces, false};
  return r;
}

Response auth_error(const AuthResult& r) {
  Response resp = json_error(r.status, r.error);
  if (r.status == 401) resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"opspilot\"");
  return resp;
}

}  // namespace opspilot::agent
