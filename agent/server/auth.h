#pragma once
// Bearer-token authentication and role checks for /api/v1.
//
// Roles, each including the ones before it:
//   viewer   — read status, decisions, approvals and policies;
//   operator — also deny (veto) a pending approval request;
//   approver — also approve a request, when the policy that asked names the token or no one;
//   admin    — also reload the policies.
// A token may be limited to namespaces: it acts only on targets in them (reads are not limited).
// With no tokens configured, reads are open (the default listen address is loopback) and every
// write is refused with 403.
//
// Thread-safety: immutable after construction; authorize() may run concurrently.
#include <optional>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/server/http_server.h"

namespace opspilot::agent {

enum class Role { Viewer = 0, Operator = 1, Approver = 2, Admin = 3 };
const char* to_string(Role r);
std::optional<Role> role_from_string(const std::string& s);

struct Principal {
  std::string name;  // the token's name; "anonymous" when no tokens are configured
  Role role = Role::Viewer;
  std::vector<std::string> namespaces;  // empty = all
  bool anonymous = false;
};

struct AuthResult {
  std::optional<Principal> principal;  // set when allowed
  int status = 200;                    // 401 no or unknown token, 403 not allowed
  std::string error;
  bool ok() const { return principal.has_value(); }
};

class ApiAuth {
 public:
  explicit ApiAuth(const ApiSpec& spec);
  bool enabled() const { return !tokens_.empty(); }
  /// Who sent `req`, and whether they hold `needed`; `ns` (when not empty) must be among the
  /// token's namespaces.
  AuthResult authorize(const Request& req, Role needed, const std::string& ns = "") const;

 private:
  struct Token {
    std::string name, secret;
    Role role;
    std::vector<std::string> namespaces;
  };
  std::vector<Token> tokens_;
};

/// The 401/403 response for a refused AuthResult (with WWW-Authenticate on 401).
Response auth_error(const AuthResult& r);

}  // namespace opspilot::agent
