#include "examples/k8s-sim/auth.h"

#include <algorithm>

namespace opspilot::k8s_sim {

namespace {

bool covers(const std::vector<std::string>& allowed, const std::string& value) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return a == "*" || a == value; });
}

bool read_list(const Json& rule, const char* key, std::vector<std::string>* out, std::string* error,
               const std::string& where, const std::vector<std::string>& fallback) {
  auto it = rule.find(key);
  if (it == rule.end()) {
    *out = fallback;
    return true;
  }
  if (!it->is_array()) {
    *error = where + "." + key + " is " + it->dump() + ", expected a list of strings";
    return false;
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      *error = where + "." + key + " contains " + v.dump() + ", expected strings";
      return false;
    }
    out->push_back(v.get<std::string>());
  }
  return true;
}

}  // namespace

const TokenUser* Authenticator::authenticate(const std::string& header) const {
  static const std::string kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return nullptr;
  const std::string token = header.substr(kBearer.size());
  for (const auto& u : users_) {
    if (u.token == token) return &u;
  }
  return nullptr;
}

bool Authenticator::is_public(const std::string& path) {
  return path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz" ||
         path.rfind("/sim/", 0) == 0;
}

bool Authenticator::authorize(const TokenUser& user, const Attributes& a) const {
  if (!user.rules) return true;
  if (!a.resource_request) {
    // Discovery and OpenAPI documents are readable by every authenticated user
    // (system:discovery and system:basic-user in a real cluster).
    return a.verb == "get";
  }
  const std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  for (const auto& r : *user.rules) {
    if (covers(r.verbs, a.verb) && covers(r.api_groups, a.group) && covers(r.resources, resource) &&
        (covers(r.namespaces, a.ns) || (a.ns.empty() && covers(r.namespaces, "*")))) {
      return true;
    }
  }
  return false;
}

bool Authenticator::from_json(const Json& auth, Authenticator* out, std::string* error) {
  *out = Authenticator{};
  if (auth.is_null()) return true;
  const Json* tokens = at_path(auth, {"tokens"});
  if (!tokens) return true;
  if (!tokens->is_array()) {
    *error = "auth.tokens is " + tokens->dump() + ", expected a list of {token, user, rules}";
    return false;
  }
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    const Json& t = (*tokens)[i];
    const std::string where = "auth.tokens[" + std::to_string(i) + "]";
    TokenUser u;
    u.token = string_at(t, {"token"});
    u.user = string_at(t, {"user"});
    if (u.token.empty() || u.user.empty()) {
      *error = where + " is " + t.dump() + ", expected both 'token' and 'user' strings";
      return false;
    }
    if (auto rules = t.find("rules"); rules != t.end()) {
      if (!rules->is_array()) {
        *error = where + ".rules is " + rules->dump() + ", expected a list";
        return false;
      }
      u.rules.emplace();
      for (std::size_t j = 0; j < rules->size(); ++j) {
        const std::string rw = where + ".rules[" + std::to_string(j) + "]";
        AuthRule r;
        if (!read_list((*rules)[j], "verbs", &r.verbs, error, rw, {}) ||
            !read_list((*rules)[j], "apiGroups", &r.api_groups, error, rw, {"*"}) ||
            !read_list((*rules)[j], "resources", &r.resources, error, rw, {"*"}) ||
            !read_list((*rules)[j], "namespaces", &r.namespaces, error, rw, {"*"})) {
          return false;
        }
        u.rules->push_back(std::move(r));
      }
    }
    out->users_.push_back(std::move(u));
  }
  return true;
}

}  // namespace opspilot::k8s_sim
