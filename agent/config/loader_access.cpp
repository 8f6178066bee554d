#include "agent/config/loader_access.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "agent/config/loader.h"

namespace opspilot::agent::config_access {

using config_yaml::describe;
using config_yaml::Entry;
using config_yaml::item;
using config_yaml::Keys;
using config_yaml::MapView;
using config_yaml::Reader;
using Code = DiagnosticCode;
namespace msg = config_messages;
namespace fs = std::filesystem;

const Keys kPolicyKeys{"paths", "reload_interval"};
const Keys kApprovalsKeys{"default_ttl", "slack"};
const Keys kSlackKeys{"webhook_url",         "api_url",            "channel", "bot_token_file", "bot_token_env",
                      "signing_secret_file", "signing_secret_env", "timeout"};
const Keys kApiKeys{"tokens"};
const Keys kTokenKeys{"name", "role", "namespaces", "token_file", "token_env", "token"};
const Keys kTokenRoles{"viewer", "operator", "approver", "admin"};

namespace {

// A secret file holds one token; anything bigger is a mistake (or /dev/zero), not a secret.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

// `written` against the config's directory, absolute and normalised, without a trailing '/', so
// the stored path does not depend on the working directory of whoever reads Config later.
fs::path resolve(const fs::path& base, const std::string& written) {
  fs::path p(written);
  if (p.is_relative()) p = base / p;
  std::error_code ec;
  if (fs::path abs = fs::absolute(p, ec); !ec) p = std::move(abs);
  p = p.lexically_normal();
  if (!p.has_filename() && p != p.root_path()) p = p.parent_path();
  return p;
}

void trim_trailing_space(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The contents of a secret file, or nullopt with `reason` set.
std::optional<std::string> read_secret_file(const fs::path& p, std::string& reason) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (!fs::exists(st)) {
    reason = std::strerror(ENOENT);
    return std::nullopt;
  }
  if (fs::is_directory(st)) {
    reason = "it is a directory, not a file";
    return std::nullopt;
  }
  if (!fs::is_regular_file(st)) {
    reason = "not a regular file";
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    reason = errno != 0 ? std::strerror(errno) : "cannot open";
    return std::nullopt;
  }
  std::string s(kMaxSecretBytes + 1, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  if (in.bad()) {
    reason = "read failed";
    return std::nullopt;
  }
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

// The keys one secret may come from; `literal` empty: no literal form.
struct SecretKeys {
  std::string_view file;
  std::string_view env;
  std::string_view literal;

  std::string choices() const {
    Keys k{file, env};
    if (!literal.empty()) k.push_back(literal);
    return msg::join_allowed(k);
  }
};

struct SecretRead {
  const Entry* given = nullptr;  // the key the secret was taken from; null: no key was set
  bool ok = false;
};

// Reads the one secret `keys` names into `out` (left empty on any problem). Two keys set is an
// error at each later key; nothing is read then, so the choice is never a guess.
SecretRead read_secret(LoadContext& ctx, const MapView& m, const SecretKeys& keys, std::string& out) {
  Reader& r = ctx.reader;
  SecretRead result;
  for (const Entry& e : m.entries) {  // file order
    const bool literal = !keys.literal.empty() && e.key == keys.literal;
    if (e.key != keys.file && e.key != keys.env && !literal) continue;
    // Masked even when it is refused below: any diagnostic on its line must not show it.
    if (literal && e.value.IsScalar() && !e.value.Scalar().empty()) {
      const SourcePos at = r.pos(e.value);
      ctx.redactions.push_back(Redaction{at.line, at.column, e.value.Scalar()});
    }
    if (result.given == nullptr) {
      result.given = &e;
    } else {
      r.error(Code::ConflictingKeys, e.key_node, e.path, msg::conflicting_keys(e.key, result.given->key, keys.choices()));
      result.ok = false;
      return result;
    }
  }
  const Entry* e = result.given;
  if (e == nullptr) return result;
  std::string value;
  if (e->key == keys.literal) {
    if (!r.scalar(*e, msg::expect_string(), value)) return result;
    if (value.empty()) {
      r.bad(*e, Code::EmptyValue, msg::empty_value(e->key));
      return result;
    }
    r.warning(Code::LiteralSecret, e->key_node, e->path, msg::literal_secret(e->key, keys.file, keys.env));
  } else if (e->key == keys.env) {
    if (!r.scalar(*e, msg::expect_string(), value)) return result;
    if (!is_env_name(value)) {
      r.bad(*e, Code::WrongType, msg::bad_env_name(e->key));
      return result;
    }
    const char* v = std::getenv(value.c_str());
    if (v == nullptr) {
      r.error(Code::SecretUnavailable, e->key_node, e->path, msg::secret_env_unset(e->key, value));
      return result;
    }
    std::string secret = v;
    trim_trailing_space(secret);
    if (secret.empty()) {
      r.error(Code::SecretUnavailable, e->key_node, e->path, msg::secret_env_empty(e->key, value));
      return result;
    }
    value = std::move(secret);
  } else {
    std::string file;
    if (!r.read_string(e, file)) return result;
    std::string reason;
    std::optional<std::string> secret = read_secret_file(resolve(ctx.base_dir, file), reason);
    if (!secret) {
      r.error(Code::SecretUnavailable, e->key_node, e->path, msg::secret_file_unreadable(e->key, file, reason));
      return result;
    }
    if (secret->size() > kMaxSecretBytes) {
      r.error(Code::SecretUnavailable, e->key_node, e->path, msg::secret_file_too_large(e->key, file, kMaxSecretBytes));
      return result;
    }
    trim_trailing_space(*secret);
    if (secret->empty()) {
      r.error(Code::SecretUnavailable, e->key_node, e->path, msg::secret_file_empty(e->key, file));
      return result;
    }
    value = std::move(*secret);
  }
  out = std::move(value);
  result.ok = true;
  return result;
}

void add_policy_path(LoadContext& ctx, const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
  Reader& r = ctx.reader;
  if (!node.IsScalar()) {
    r.error(Code::WrongType, node, path, msg::wrong_type(msg::expect_string(), describe(node)));
    return;
  }
  const std::string written = node.Scalar();
  if (written.empty()) {
    r.error(Code::EmptyValue, node, path, msg::empty_value("a policy path"));
    return;
  }
  const fs::path resolved = resolve(ctx.base_dir, written);
  std::error_code ec;
  const bool exists = fs::exists(resolved, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    r.error(Code::MissingPath, node, path, msg::policy_path_unusable(written, ec.message()));
  } else if (!exists) {
    r.error(Code::MissingPath, node, path, msg::policy_path_missing(written, resolved.string()));
  } else {
    out.push_back(resolved.string());
  }
}

// One path or a list of them (`policies: x`, `policies: [x, y]`, `paths: ...`).
void read_policy_paths(LoadContext& ctx, const Entry& e, std::vector<std::string>& out) {
  if (e.value.IsNull()) return;
  if (e.value.IsScalar()) {
    add_policy_path(ctx, e.value, e.path, out);
  } else if (e.value.IsSequence()) {
    for (std::size_t i = 0; i < e.value.size(); ++i) add_policy_path(ctx, e.value[i], item(e.path, i), out);
  } else {
    ctx.reader.bad(e, Code::WrongType, msg::wrong_type(msg::expect_paths(), describe(e.value)));
  }
}

void read_namespaces(Reader& r, const Entry* e, std::vector<std::string>& out) {
  if (e == nullptr || e->value.IsNull()) return;
  if (!e->value.IsSequence()) {
    r.bad(*e, Code::WrongType, msg::wrong_type(msg::expect_list(), describe(e->value)));
    return;
  }
  for (std::size_t i = 0; i < e->value.size(); ++i) {
    const YAML::Node node = e->value[i];
    const std::string path = item(e->path, i);
    if (!node.IsScalar()) {
      r.error(Code::WrongType, node, path, msg::wrong_type(msg::expect_string(), describe(node)));
    } else if (!is_dns_label(node.Scalar())) {
      r.error(Code::BadName, node, path, msg::bad_name("namespace", node.Scalar()));
    } else {
      out.push_back(node.Scalar());
    }
  }
}

void load_slack(LoadContext& ctx, const Entry* e, SlackSpec& s) {
  if (e == nullptr) return;
  Reader& r = ctx.reader;
  s.pos = r.pos(e->key_node);
  const std::optional<MapView> m = r.section(e, &kSlackKeys);
  if (!m) return;
  r.read_url(m->find("webhook_url"), s.webhook_url);
  r.read_url(m->find("api_url"), s.api_url);
  r.read_string(m->find("channel"), s.channel);
  const SecretRead bot = read_secret(ctx, *m, {"bot_token_file", "bot_token_env", ""}, s.bot_token);
  const SecretRead signing = read_secret(ctx, *m, {"signing_secret_file", "signing_secret_env", ""}, s.signing_secret);
  r.read_duration(m->find("timeout"), Duration(1), s.timeout);

  // Judged on the keys written, not on whether their values could be read: a missing secret file
  // is already an error, and should not also turn into "Slack is not configured".
  const bool webhook = m->find("webhook_url") != nullptr;
  const bool bot_token = bot.given != nullptr;
  if (bot_token && m->find("channel") == nullptr) {
    r.error(Code::MissingKey, e->key_node, e->path, msg::bot_token_needs_channel());
  }
  if (signing.given != nullptr && !webhook && !bot_token) {
    r.warning(Code::ApprovalsIncomplete, signing.given->key_node, signing.given->path, msg::signing_secret_unused());
  } else if ((webhook || bot_token) && signing.given == nullptr) {
    r.warning(Code::ApprovalsIncomplete, e->key_node, e->path, msg::no_signing_secret());
  }
}

// Returns the key the token's secret came from (null when none was given).
const Entry* load_token(LoadContext& ctx, const YAML::Node& node, const std::string& path, ApiTokenSpec& t,
                        std::optional<MapView>& view) {
  Reader& r = ctx.reader;
  view = r.map(node, path, &kTokenKeys);
  t.pos = r.pos(node);
  if (!view) return nullptr;
  const MapView& m = *view;
  if (m.find("name") == nullptr) r.error(Code::MissingKey, node, path, msg::missing_key("name"));
  r.read_string(m.find("name"), t.name);
  if (m.find("role") == nullptr) r.error(Code::MissingKey, node, path, msg::missing_key("role"));
  r.read_enum(m.find("role"), kTokenRoles, t.role);
  read_namespaces(r, m.find("namespaces"), t.namespaces);
  const SecretKeys keys{"token_file", "token_env", "token"};
  const SecretRead secret = read_secret(ctx, m, keys, t.token);
  if (secret.given == nullptr) r.error(Code::MissingKey, node, path, msg::missing_secret(keys.choices()));
  return secret.given;
}

}  // namespace

void load_policies(LoadContext& ctx, const Entry* e, PolicySourceSpec& out) {
  if (e == nullptr) return;
  Reader& r = ctx.reader;
  out.pos = r.pos(e->key_node);
  if (!e->value.IsMap()) {  // the shorthands: one path, or a list of paths
    read_policy_paths(ctx, *e, out.paths);
    return;
  }
  const std::optional<MapView> m = r.map(e->value, e->path, &kPolicyKeys);
  if (!m) return;
  if (const Entry* paths = m->find("paths")) {
    read_policy_paths(ctx, *paths, out.paths);
  } else {
    r.error(Code::MissingKey, e->key_node, e->path, msg::missing_key("paths"));
  }
  r.read_duration(m->find("reload_interval"), std::chrono::seconds(1), out.reload_interval);
}

void load_approvals(LoadContext& ctx, const Entry* e, ApprovalsSpec& out) {
  if (e == nullptr) return;
  Reader& r = ctx.reader;
  const std::optional<MapView> m = r.map(e->value, e->path, &kApprovalsKeys, {{"slack", &kSlackKeys}});
  if (!m) return;
  r.read_duration(m->find("default_ttl"), std::chrono::minutes(1), out.default_ttl);
  load_slack(ctx, m->find("slack"), out.slack);
}

const Keys kLeaderElectionKeys{"enabled",        "namespace",    "name",       "identity",  "lease_duration",
                                "renew_deadline", "retry_period", "kubeconfig", "context"};

void load_leader_election(LoadContext& ctx, const Entry* e, LeaderElectionSpec& out) {
  if (e == nullptr) return;
  Reader& r = ctx.reader;
  out.pos = r.pos(e->key_node);
  const std::optional<MapView> m = r.map(e->value, e->path, &kLeaderElectionKeys);
  if (!m) return;
  out.enabled = true;  // a section present means "on" unless it says otherwise
  r.read_bool(m->find("enabled"), out.enabled);
  r.read_string(m->find("namespace"), out.namespace_);
  r.read_string(m->find("name"), out.name);
  r.read_string(m->find("identity"), out.identity);
  const bool lease_ok = r.read_duration(m->find("lease_duration"), std::chrono::seconds(1), out.lease_duration);
  const bool renew_ok = r.read_duration(m->find("renew_deadline"), std::chrono::milliseconds(100), out.renew_deadline);
  const bool retry_ok = r.read_duration(m->find("retry_period"), std::chrono::milliseconds(100), out.retry_period);
  if (r.read_string(m->find("kubeconfig"), out.kubeconfig) && !out.kubeconfig.empty())
    out.kubeconfig = (ctx.base_dir / out.kubeconfig).lexically_normal().string();
  r.read_string(m->find("context"), out.context);
  // client-go's rules: a leader must give up (renew_deadline) before anyone may take over
  // (lease_duration), and must try to renew more than once within its deadline.
  const Entry* renew = m->find("renew_deadline");
  const Entry* lease = m->find("lease_duration");
  if (lease_ok && renew_ok && out.renew_deadline >= out.lease_duration) {
    const Entry* at = renew ? renew : lease ? lease : nullptr;
    if (at) r.bad(*at, Code::OutOfRange, "renew_deadline must be shorter than lease_duration, or two agents could both act");
  } else if (renew_ok && retry_ok && out.retry_period * 12 / 10 >= out.renew_deadline) {
    if (const Entry* at = m->find("retry_period")) r.bad(*at, Code::OutOfRange, "retry_period × 1.2 must be shorter than renew_deadline");
  }
}

void load_api(LoadContext& ctx, const Entry* e, ApiSpec& out) {
  if (e == nullptr) return;
  Reader& r = ctx.reader;
  const std::optional<MapView> m = r.map(e->value, e->path, &kApiKeys, {{"tokens", &kTokenKeys}});
  if (!m) return;
  const Entry* tokens = m->find("tokens");
  if (tokens == nullptr || tokens->value.IsNull()) return;
  if (!tokens->value.IsSequence()) {
    r.bad(*tokens, Code::WrongType, msg::wrong_type(msg::expect_list(), describe(tokens->value)));
    return;
  }
  struct First {
    std::string name;
    int line = 0;
  };
  std::map<std::string, int> name_lines;      // name -> line of its first use
  std::map<std::string, First> secret_owner;  // secret -> the first token that has it
  for (std::size_t i = 0; i < tokens->value.size(); ++i) {
    const YAML::Node node = tokens->value[i];
    const std::string path = item(tokens->path, i);
    ApiTokenSpec t;
    std::optional<MapView> view;
    const Entry* secret_key = load_token(ctx, node, path, t, view);
    if (!t.name.empty()) {
      const Entry* name = view->find("name");
      const auto [it, inserted] = name_lines.emplace(t.name, r.pos(name->value).line);
      if (!inserted) r.error(Code::DuplicateName, name->value, name->path, msg::duplicate_token_name(t.name, it->second));
    }
    if (!t.token.empty()) {
      const std::string label = t.name.empty() ? path : t.name;
      const auto [it, inserted] = secret_owner.emplace(t.token, First{label, t.pos.line});
      if (!inserted) {
        r.error(Code::DuplicateSecret, secret_key->key_node, secret_key->path,
                msg::duplicate_token_secret(label, it->second.name, it->second.line));
      }
    }
    out.tokens.push_back(std::move(t));
  }
}

void redact(std::vector<Diagnostic>& diagnostics, const std::vector<Redaction>& redactions) {
  for (Diagnostic& d : diagnostics) {
    for (const Redaction& x : redactions) {
      if (d.line != x.line || x.column < 1 || d.source_line.empty()) continue;
      const std::size_t from = std::min(d.source_line.size(), static_cast<std::size_t>(x.column - 1));
      const std::size_t at = d.source_line.find(x.text, from);
      // Not found as written (a quoted scalar with escapes): mask the rest of the line instead.
      const std::size_t len = at == std::string::npos ? d.source_line.size() - from : x.text.size();
      d.source_line.replace(at == std::string::npos ? from : at, len, len, '*');
    }
  }
}

}  // namespace opspilot::agent::config_access
