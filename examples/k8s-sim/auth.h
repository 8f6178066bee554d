#pragma once
// Bearer-token authentication and RBAC-like authorization. With no tokens configured every
// request is served as "admin". Otherwise a request without a token or with an unknown one gets
// 401 (except the public-info paths /version, /healthz, /livez, /readyz, readable by anyone as
// kube-apiserver's system:public-info-viewer allows, and the simulator's own /sim/ endpoints,
// which belong to the test harness, not to the API), and a token whose rules do not cover the
// verb, group, resource (or "resource/subresource") and namespace gets 403 worded as the RBAC
// authorizer words it.
// Thread-safety: immutable after construction; safe to share.
#include <optional>
#include <string>
#include <vector>

#include "examples/k8s-sim/util.h"

namespace opspilot::k8s_sim {

struct AuthRule {
  std::vector<std::string> verbs;       // "get", "list", "watch", "create", "update", "patch", "delete", "*"
  std::vector<std::string> api_groups;  // "" (core), "apps", "*"
  std::vector<std::string> resources;   // "deployments", "deployments/scale", "*"
  std::vector<std::string> namespaces;  // "*" = all namespaces and cluster scope
};

struct TokenUser {
  std::string token;
  std::string user;
  /// nullopt = full access (cluster-admin); an empty list = nothing but non-resource paths.
  std::optional<std::vector<AuthRule>> rules;
};

/// What a request asks to do, for authorization.
struct Attributes {
  bool resource_request = false;
  std::string verb;
  std::string group, resource, subresource, ns, name;
  std::string path;  // non-resource requests
};

class Authenticator {
 public:
  Authenticator() = default;
  explicit Authenticator(std::vector<TokenUser> users) : users_(std::move(users)) {}

  bool enabled() const { return !users_.empty(); }
  /// The user for an Authorization header value, or nullptr for a missing/unknown token.
  const TokenUser* authenticate(const std::string& authorization_header) const;
  bool authorize(const TokenUser& user, const Attributes& attrs) const;
  /// Whether a path is served without authentication.
  static bool is_public(const std::string& path);

  /// Reads `auth.tokens` from the seed document; false with `error` on a malformed entry.
  static bool from_json(const Json& auth, Authenticator* out, std::string* error);

 private:
  std::vector<TokenUser> users_;
};

}  // namespace opspilot::k8s_sim
