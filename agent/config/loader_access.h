#pragma once
// The opspilot.yaml sections that govern who and what may act — `policies:`, `approvals:`,
// `api:` and `leader_election:` — split from loader.cpp to keep each file to one concern. Private to agent/config, like
// yaml_reader.h (it includes yaml-cpp).
//
// Secrets (Slack tokens, API tokens) are read here, at load time, from a file (`*_file`, relative
// paths start at the config's directory) or an environment variable (`*_env`); a literal
// `token:` is accepted with a warning. No diagnostic ever carries a secret: messages name the
// key, file or variable, and the source line of a literal secret has the secret masked (redact()).
//
// Thread-safety: the functions share no state; each LoadContext serves one load on one thread.
// Reading `*_env` calls getenv, which must not race with setenv elsewhere in the process.
#include <filesystem>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/config/diagnostics.h"
#include "agent/config/yaml_reader.h"

namespace opspilot::agent::config_access {

/// Where a secret written into the config file sits, so its text can be masked in source lines.
struct Redaction {
  int line = 0;    // 1-based
  int column = 0;  // 1-based: the scalar's first character (an opening quote included)
  std::string text;
};

/// What the sections of one load share.
struct LoadContext {
  config_yaml::Reader& reader;
  std::filesystem::path base_dir;  // relative paths start here; empty = the current directory
  std::vector<Redaction> redactions;
};

// The keys of each section, for unknown-key suggestions and "it belongs under" hints.
extern const config_yaml::Keys kPolicyKeys;
extern const config_yaml::Keys kApprovalsKeys;
extern const config_yaml::Keys kSlackKeys;
extern const config_yaml::Keys kApiKeys;
extern const config_yaml::Keys kTokenKeys;
/// `api.tokens[].role`.
extern const config_yaml::Keys kTokenRoles;
extern const config_yaml::Keys kLeaderElectionKeys;

/// `policies:` — a path, a list of paths, or {paths, reload_interval}. `e` null: absent.
void load_policies(LoadContext& ctx, const config_yaml::Entry* e, PolicySourceSpec& out);
/// `approvals:` — default_ttl and slack.
void load_approvals(LoadContext& ctx, const config_yaml::Entry* e, ApprovalsSpec& out);
/// `api:` — tokens, with duplicate names and duplicate secrets refused.
void load_api(LoadContext& ctx, const config_yaml::Entry* e, ApiSpec& out);

/// `leader_election:` — with lease_duration > renew_deadline > retry_period, as client-go requires.
void load_leader_election(LoadContext& ctx, const config_yaml::Entry* e, LeaderElectionSpec& out);

/// Masks every redaction's text in the source lines of `diagnostics` (same length, '*').
void redact(std::vector<Diagnostic>& diagnostics, const std::vector<Redaction>& redactions);

}  // namespace opspilot::agent::config_access
