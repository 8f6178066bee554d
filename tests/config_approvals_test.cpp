// Tests of the opspilot.yaml keys about who and what may act (agent/config/loader_access.cpp):
// `policies:` (paths resolved against the config's directory, shorthands), `approvals:` (Slack,
// secrets from files and environment variables, cross-field warnings), `api.tokens` (roles,
// namespaces, duplicate names and secrets), `environment` — with real files under a TempDir,
// exact messages (from config_messages) and positions — and `opspilot validate -c` run as the real
// binary on a config that references good and bad policy files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/config/diagnostics.h"
#include "agent/config/loader.h"
#include "tests/test_support.h"

namespace opspilot::agent {
namespace {

namespace fs = std::filesystem;
namespace msg = config_messages;
using opspilot::test::TempDir;
using Code = DiagnosticCode;
using Severity = DiagnosticSeverity;

// A valid sidecar-mode target, after the sections under test (with what it needs to scale, so
// it draws no cannot-scale warning).
const std::string kTarget = R"(targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
)";

// Secrets the tests plant; none may ever appear in a report, JSON or source line.
const std::string kBotToken = "xoxb-1111-bot-token-value";
const std::string kSigningSecret = "8f14e45fceea167a5a36dedd4bea2543";
const std::string kAliceToken = "alice-token-4c1d2b7e";
const std::string kBobToken = "bob-token-99aa0f3c";

// Writes `yaml` as DIR/opspilot.yaml (the first newline of a raw string dropped) and loads it.
LoadResult load_in(const TempDir& dir, std::string yaml, const std::string& name = "opspilot.yaml") {
  if (!yaml.empty() && yaml.front() == '\n') yaml.erase(0, 1);
  return load_config_file(dir.write(name, yaml));
}

const Diagnostic* find_message(const LoadResult& r, const std::string& message) {
  for (const Diagnostic& d : r.diagnostics)
    if (d.message == message) return &d;
  return nullptr;
}

// Asserts a diagnostic with exactly this message at this file:line:col, with this code and path.
void expect_at(const LoadResult& r, int line, int column, Code code, const std::string& path,
               const std::string& message, Severity severity = Severity::Error) {
  const Diagnostic* d = find_message(r, message);
  ASSERT_NE(d, nullptr) << "no diagnostic \"" << message << "\"; got:\n" << r.report();
  EXPECT_EQ(d->file, r.config.file) << message;
  EXPECT_EQ(d->line, line) << message;
  EXPECT_EQ(d->column, column) << message;
  EXPECT_EQ(d->code, code) << message << " is " << code_name(d->code);
  EXPECT_EQ(d->path, path) << message;
  EXPECT_EQ(d->severity, severity) << message;
}

// The report and the JSON of `r` hold none of the planted secrets.
void expect_no_secrets(const LoadResult& r) {
  const std::string text = r.report() + diagnostics_to_json(r.diagnostics).dump();
  for (const std::string& s : {kBotToken, kSigningSecret, kAliceToken, kBobToken})
    EXPECT_EQ(text.find(s), std::string::npos) << "secret " << s << " leaked:\n" << text;
}

// Sets an environment variable for one test and removes it after.
class EnvVar {
 public:
  EnvVar(std::string name, const std::string& value) : name_(std::move(name)) { ::setenv(name_.c_str(), value.c_str(), 1); }
  ~EnvVar() { ::unsetenv(name_.c_str()); }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  std::string name_;
};

std::string policy_file(const std::string& name, const std::string& ns, const std::string& target) {
  return "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec:\n  targets: [{namespace: " +
         ns + ", name: " + target + "}]\n  bounds: {min_replicas: 1, max_replicas: 6}\n";
}

// ---- policies ----

TEST(ConfigPolicies, ListShorthandResolvesAgainstTheConfigDirectory) {
  TempDir dir;
  fs::create_directories(dir.path() / "policies");
  dir.write("policies/web.yaml", policy_file("web", "default", "web"));
  dir.write("extra.yaml", policy_file("extra", "default", "web"));
  const LoadResult r = load_in(dir, "mode: active\npolicies: [policies/, extra.yaml]\n" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty()) << r.report();
  const PolicySourceSpec& p = r.config.policies;
  EXPECT_EQ(p.paths, (std::vector<std::string>{(dir.path() / "policies").string(), dir.file("extra.yaml")}));
  EXPECT_EQ(p.reload_interval, std::chrono::seconds(10));
  EXPECT_EQ(p.pos.file, r.config.file);
  EXPECT_EQ(p.pos.line, 2);
  EXPECT_EQ(p.pos.column, 1);
}

TEST(ConfigPolicies, ScalarShorthandAndMapFormAndParentDirectories) {
  TempDir dir;
  fs::create_directories(dir.path() / "conf");
  fs::create_directories(dir.path() / "policies");
  dir.write("policies/web.yaml", policy_file("web", "default", "web"));
  LoadResult r = load_in(dir, "policies: ../policies\n" + kTarget, "conf/opspilot.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.policies.paths, std::vector<std::string>{(dir.path() / "policies").string()});

  r = load_in(dir, R"(
policies:
  paths: [policies/web.yaml]
  reload_interval: 2m
)" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.policies.paths, std::vector<std::string>{dir.file("policies/web.yaml")});
  EXPECT_EQ(r.config.policies.reload_interval, std::chrono::minutes(2));
  EXPECT_EQ(r.config.policies.pos.line, 1);

  r = load_in(dir, "policies:\n  paths: policies\n" + kTarget);  // one path under `paths` too
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.policies.paths, std::vector<std::string>{(dir.path() / "policies").string()});
}

TEST(ConfigPolicies, LoadConfigStringResolvesAgainstTheCurrentDirectory) {
  TempDir dir;
  dir.write("here.yaml", policy_file("web", "default", "web"));
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  const LoadResult r = load_config_string("policies: here.yaml\n" + kTarget, "inline.yaml");
  const LoadResult missing = load_config_string("policies: [nowhere.yaml]\n" + kTarget, "inline.yaml");
  fs::current_path(before);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.policies.paths, std::vector<std::string>{dir.file("here.yaml")});
  expect_at(missing, 1, 12, Code::MissingPath, "policies[0]",
            msg::policy_path_missing("nowhere.yaml", dir.file("nowhere.yaml")));
}

TEST(ConfigPolicies, EveryMissingPathIsAnErrorAtItsPosition) {
  TempDir dir;
  dir.write("ok.yaml", policy_file("web", "default", "web"));
  const LoadResult r = load_in(dir, R"(
policies:
  paths:
    - ok.yaml
    - policies/
    - /nonexistent/opspilot-policies
)" + kTarget);
  EXPECT_EQ(r.error_count(), 2u) << r.report();
  expect_at(r, 4, 7, Code::MissingPath, "policies.paths[1]",
            msg::policy_path_missing("policies/", (dir.path() / "policies").string()));
  expect_at(r, 5, 7, Code::MissingPath, "policies.paths[2]",
            msg::policy_path_missing("/nonexistent/opspilot-policies", "/nonexistent/opspilot-policies"));
  EXPECT_EQ(msg::policy_path_missing("/nonexistent/x", "/nonexistent/x"), "policy path \"/nonexistent/x\" does not exist");
  EXPECT_EQ(r.config.policies.paths, std::vector<std::string>{dir.file("ok.yaml")});
}

TEST(ConfigPolicies, BadShapesAndKeys) {
  TempDir dir;
  const LoadResult r = load_in(dir, R"(
policies:
  reload_intervall: 5s
  reload_interval: 500ms
approvals:
  default_ttl: 30s
)" + kTarget);
  expect_at(r, 1, 1, Code::MissingKey, "policies", msg::missing_key("paths"));
  expect_at(r, 2, 3, Code::UnknownKey, "policies.reload_intervall", msg::unknown_key("reload_intervall", "reload_interval"));
  expect_at(r, 3, 20, Code::OutOfRange, "policies.reload_interval",
            msg::out_of_range("reload_interval", "500ms", msg::duration_at_least("1s")));
  expect_at(r, 5, 16, Code::OutOfRange, "approvals.default_ttl",
            msg::out_of_range("default_ttl", "30s", msg::duration_at_least("1m")));
  EXPECT_EQ(r.error_count(), 4u) << r.report();

  const LoadResult shapes = load_in(dir, "policies: [[a]]\n" + kTarget);
  expect_at(shapes, 1, 12, Code::WrongType, "policies[0]", msg::wrong_type(msg::expect_string(), msg::got_list()));
  const LoadResult paths_map = load_in(dir, "policies: {paths: {a: b}}\n" + kTarget);
  expect_at(paths_map, 1, 19, Code::WrongType, "policies.paths", msg::wrong_type(msg::expect_paths(), msg::got_map()));
}

TEST(ConfigPolicies, MisspelledAndMisplacedTopLevelKeysSayWhatWasMeant) {
  TempDir dir;
  const LoadResult r = load_in(dir, R"(
polices: [p.yaml]
tokens: []
slack: {channel: "#ops"}
enviroment: production
)" + kTarget);
  expect_at(r, 1, 1, Code::UnknownKey, "polices", msg::unknown_key("polices", "policies"));
  expect_at(r, 2, 1, Code::UnknownKey, "tokens", msg::misplaced_key("tokens", "api"));
  expect_at(r, 3, 1, Code::UnknownKey, "slack", msg::misplaced_key("slack", "approvals"));
  expect_at(r, 4, 1, Code::UnknownKey, "enviroment", msg::unknown_key("enviroment", "environment"));
  EXPECT_EQ(r.error_count(), 4u) << r.report();
}

// ---- environment ----

TEST(ConfigEnvironment, TargetsDefaultToTheTopLevelEnvironment) {
  TempDir dir;
  LoadResult r = load_in(dir, R"(
environment: production
targets:
  - name: web
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x)}
  - name: batch
    environment: staging
    scrape: http://127.0.0.1:9464/services/batch/metrics
    metrics: {load: sum(y)}
)");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.environment, "production");
  EXPECT_EQ(r.config.targets[0].environment, "production");
  EXPECT_EQ(r.config.targets[1].environment, "staging");

  r = load_in(dir, kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config.targets[0].environment, "") << "no default: unknown";

  r = load_in(dir, "environment: \"\"\n" + kTarget);
  expect_at(r, 1, 14, Code::EmptyValue, "environment", msg::empty_value("environment"));
}

TEST(ConfigEnvironment, ActiveModeWithoutPoliciesOrTokensIsFine) {
  TempDir dir;
  const LoadResult r = load_in(dir, "mode: active\n" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty()) << r.report();
  EXPECT_TRUE(r.config.policies.paths.empty());
  EXPECT_TRUE(r.config.api.tokens.empty());
  EXPECT_FALSE(r.config.approvals.slack.enabled());
}

// ---- approvals ----

TEST(ConfigApprovals, ReadsSlackAndItsSecretsFromFilesAndVariables) {
  TempDir dir;
  fs::create_directories(dir.path() / "secrets");
  dir.write("secrets/bot-token", kBotToken + "\n");  // as `kubectl create secret` writes it
  EnvVar signing("OPSPILOT_TEST_SIGNING_SECRET", kSigningSecret);
  const LoadResult r = load_in(dir, R"(
approvals:
  default_ttl: 45m
  slack:
    webhook_url: https://hooks.slack.com/services/T000/B000/XXXX
    api_url: http://127.0.0.1:8080/api
    channel: "#ops-approvals"
    bot_token_file: secrets/bot-token
    signing_secret_env: OPSPILOT_TEST_SIGNING_SECRET
    timeout: 2s
)" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_TRUE(r.diagnostics.empty()) << r.report();
  const ApprovalsSpec& a = r.config.approvals;
  EXPECT_EQ(a.default_ttl, std::chrono::minutes(45));
  EXPECT_EQ(a.slack.webhook_url, "https://hooks.slack.com/services/T000/B000/XXXX");
  EXPECT_EQ(a.slack.api_url, "http://127.0.0.1:8080/api");
  EXPECT_EQ(a.slack.channel, "#ops-approvals");
  EXPECT_EQ(a.slack.bot_token, kBotToken) << "the trailing newline is trimmed";
  EXPECT_EQ(a.slack.signing_secret, kSigningSecret);
  EXPECT_EQ(a.slack.timeout, std::chrono::seconds(2));
  EXPECT_EQ(a.slack.pos.line, 3);
  EXPECT_EQ(a.slack.pos.column, 3);
  EXPECT_TRUE(a.slack.enabled());

  const LoadResult defaults = load_in(dir, kTarget);
  EXPECT_EQ(defaults.config.approvals.default_ttl, std::chrono::minutes(30));
  EXPECT_EQ(defaults.config.approvals.slack.api_url, "https://slack.com/api");
}

TEST(ConfigApprovals, UnavailableSecretsAreErrorsAtTheKeyNamingTheFileOrVariable) {
  TempDir dir;
  dir.write("empty-secret", "\n \n");
  fs::create_directories(dir.path() / "a-directory");
  ::unsetenv("OPSPILOT_TEST_UNSET_VARIABLE");
  EnvVar empty("OPSPILOT_TEST_EMPTY_VARIABLE", "");
  const LoadResult r = load_in(dir, R"(
approvals:
  slack:
    channel: "#ops"
    bot_token_file: /nonexistent/bot-token
    signing_secret_env: OPSPILOT_TEST_UNSET_VARIABLE
api:
  tokens:
    - {name: a, role: viewer, token_file: empty-secret}
    - {name: b, role: viewer, token_env: OPSPILOT_TEST_EMPTY_VARIABLE}
    - {name: c, role: viewer, token_file: a-directory}
    - {name: d, role: viewer, token_file: /dev/zero}
)" + kTarget);
  EXPECT_EQ(r.error_count(), 6u) << r.report();
  expect_at(r, 4, 5, Code::SecretUnavailable, "approvals.slack.bot_token_file",
            msg::secret_file_unreadable("bot_token_file", "/nonexistent/bot-token", "No such file or directory"));
  expect_at(r, 5, 5, Code::SecretUnavailable, "approvals.slack.signing_secret_env",
            msg::secret_env_unset("signing_secret_env", "OPSPILOT_TEST_UNSET_VARIABLE"));
  expect_at(r, 8, 31, Code::SecretUnavailable, "api.tokens[0].token_file",
            msg::secret_file_empty("token_file", "empty-secret"));
  expect_at(r, 9, 31, Code::SecretUnavailable, "api.tokens[1].token_env",
            msg::secret_env_empty("token_env", "OPSPILOT_TEST_EMPTY_VARIABLE"));
  expect_at(r, 10, 31, Code::SecretUnavailable, "api.tokens[2].token_file",
            msg::secret_file_unreadable("token_file", "a-directory", "it is a directory, not a file"));
  expect_at(r, 11, 31, Code::SecretUnavailable, "api.tokens[3].token_file",
            msg::secret_file_unreadable("token_file", "/dev/zero", "not a regular file"));
  EXPECT_EQ(msg::secret_env_unset("token_env", "X"), "environment variable \"X\" (token_env) is not set");
}

TEST(ConfigApprovals, TwoSourcesForOneSecretIsAnError) {
  TempDir dir;
  dir.write("bot", kBotToken);
  EnvVar bot("OPSPILOT_TEST_BOT_TOKEN", kBotToken);
  const LoadResult r = load_in(dir, R"(
approvals:
  slack:
    channel: "#ops"
    bot_token_file: bot
    bot_token_env: OPSPILOT_TEST_BOT_TOKEN
    signing_secret_env: OPSPILOT_TEST_BOT_TOKEN
)" + kTarget);
  EXPECT_EQ(r.error_count(), 1u) << r.report();
  expect_at(r, 5, 5, Code::ConflictingKeys, "approvals.slack.bot_token_env",
            msg::conflicting_keys("bot_token_env", "bot_token_file", "\"bot_token_file\", \"bot_token_env\""));
  EXPECT_EQ(r.config.approvals.slack.bot_token, "") << "neither source is guessed";
  expect_no_secrets(r);
}

TEST(ConfigApprovals, BotTokenNeedsAChannel) {
  TempDir dir;
  dir.write("bot", kBotToken);
  dir.write("signing", kSigningSecret);
  const LoadResult r = load_in(dir, R"(
approvals:
  slack:
    bot_token_file: bot
    signing_secret_file: signing
)" + kTarget);
  EXPECT_EQ(r.error_count(), 1u) << r.report();
  EXPECT_EQ(r.warning_count(), 0u) << r.report();
  expect_at(r, 2, 3, Code::MissingKey, "approvals.slack", msg::bot_token_needs_channel());
  expect_no_secrets(r);
}

TEST(ConfigApprovals, SigningSecretWithNothingToPostIsAWarning) {
  TempDir dir;
  dir.write("signing", kSigningSecret);
  const LoadResult r = load_in(dir, R"(
approvals:
  slack:
    channel: "#ops"
    signing_secret_file: signing
)" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_at(r, 4, 5, Code::ApprovalsIncomplete, "approvals.slack.signing_secret_file", msg::signing_secret_unused(),
            Severity::Warning);
  EXPECT_FALSE(r.config.approvals.slack.enabled());
  EXPECT_EQ(r.config.approvals.slack.signing_secret, kSigningSecret);
}

TEST(ConfigApprovals, PostingWithoutASigningSecretIsAWarning) {
  TempDir dir;
  const LoadResult r = load_in(dir, R"(
approvals:
  slack:
    webhook_url: https://hooks.slack.com/services/T000/B000/XXXX
)" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_at(r, 2, 3, Code::ApprovalsIncomplete, "approvals.slack", msg::no_signing_secret(), Severity::Warning);
  EXPECT_EQ(msg::no_signing_secret().rfind("Approve/Deny buttons will be refused: no signing secret", 0), 0u);
  EXPECT_TRUE(r.config.approvals.slack.enabled());
}

TEST(ConfigApprovals, BadValuesAndKeys) {
  TempDir dir;
  const LoadResult r = load_in(dir, R"(
approvals:
  webhook_url: https://hooks.slack.com/x
  slack:
    webhook_ur: https://hooks.slack.com/x
    api_url: slack.com/api
    channel: ""
    bot_token_env: xoxb-pasted-token-value
    timeout: 0s
)" + kTarget);
  expect_at(r, 2, 3, Code::UnknownKey, "approvals.webhook_url", msg::misplaced_key("webhook_url", "slack"));
  expect_at(r, 4, 5, Code::UnknownKey, "approvals.slack.webhook_ur", msg::unknown_key("webhook_ur", "webhook_url"));
  expect_at(r, 5, 14, Code::BadUrl, "approvals.slack.api_url", msg::bad_url("slack.com/api"));
  expect_at(r, 6, 14, Code::EmptyValue, "approvals.slack.channel", msg::empty_value("channel"));
  expect_at(r, 7, 20, Code::WrongType, "approvals.slack.bot_token_env", msg::bad_env_name("bot_token_env"));
  expect_at(r, 8, 14, Code::OutOfRange, "approvals.slack.timeout",
            msg::out_of_range("timeout", "0s", msg::duration_at_least("1ms")));
  EXPECT_EQ(r.error_count(), 6u) << r.report();
  // A value that is no variable name is probably the secret pasted in: it is never quoted.
  EXPECT_EQ(msg::bad_env_name("x").find("xoxb"), std::string::npos);
  for (const Diagnostic& d : r.diagnostics) EXPECT_EQ(d.message.find("xoxb-pasted"), std::string::npos) << d.message;
}

// ---- api tokens ----

TEST(ConfigApi, ReadsTokensFromFilesVariablesAndLiteralsWithAWarning) {
  TempDir dir;
  dir.write("alice", kAliceToken + "\r\n");
  EnvVar bob("OPSPILOT_TEST_BOB_TOKEN", kBobToken);
  const LoadResult r = load_in(dir, R"(
api:
  tokens:
    - name: alice
      role: approver
      namespaces: [shop, payments]
      token_file: alice
    - name: bob
      role: operator
      token_env: OPSPILOT_TEST_BOB_TOKEN
    - {name: ci, role: viewer, token: "literal-ci-token-0123"}
)" + kTarget);
  ASSERT_TRUE(r.ok()) << r.report();
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.report();
  expect_at(r, 10, 32, Code::LiteralSecret, "api.tokens[2].token", msg::literal_secret("token", "token_file", "token_env"),
            Severity::Warning);
  // The warning's source line shows where the secret is, not what it is.
  const Diagnostic& w = r.diagnostics[0];
  EXPECT_EQ(w.source_line, "    - {name: ci, role: viewer, token: \"" + std::string(21, '*') + "\"}");
  EXPECT_EQ(r.report().find("literal-ci-token-0123"), std::string::npos) << r.report();
  EXPECT_EQ(diagnostics_to_json(r.diagnostics).dump().find("literal-ci-token-0123"), std::string::npos);

  const std::vector<ApiTokenSpec>& t = r.config.api.tokens;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].name, "alice");
  EXPECT_EQ(t[0].role, "approver");
  EXPECT_EQ(t[0].namespaces, (std::vector<std::string>{"shop", "payments"}));
  EXPECT_EQ(t[0].token, kAliceToken);
  EXPECT_EQ(t[0].pos.line, 3);
  EXPECT_EQ(t[0].pos.column, 7);
  EXPECT_EQ(t[1].name, "bob");
  EXPECT_EQ(t[1].role, "operator");
  EXPECT_TRUE(t[1].namespaces.empty()) << "empty = all";
  EXPECT_EQ(t[1].token, kBobToken);
  EXPECT_EQ(t[2].token, "literal-ci-token-0123");
  EXPECT_EQ(t[2].role, "viewer");
}

TEST(ConfigApi, DuplicateNamesAndSecretsAreErrorsThatNeverShowTheSecret) {
  TempDir dir;
  dir.write("alice", kAliceToken + "\n");
  dir.write("alice-again", kAliceToken);
  EnvVar same("OPSPILOT_TEST_ALICE_TOKEN", kAliceToken);
  const LoadResult r = load_in(dir, R"(
api:
  tokens:
    - {name: alice, role: admin, token_file: alice}
    - {name: alice, role: viewer, token_env: OPSPILOT_TEST_ALICE_TOKEN}
    - {name: carol, role: viewer, token_file: alice-again}
)" + kTarget);
  EXPECT_EQ(r.error_count(), 3u) << r.report();
  expect_at(r, 4, 14, Code::DuplicateName, "api.tokens[1].name", msg::duplicate_token_name("alice", 3));
  expect_at(r, 4, 35, Code::DuplicateSecret, "api.tokens[1].token_env", msg::duplicate_token_secret("alice", "alice", 3));
  expect_at(r, 5, 35, Code::DuplicateSecret, "api.tokens[2].token_file", msg::duplicate_token_secret("carol", "alice", 3));
  expect_no_secrets(r);
}

TEST(ConfigApi, BadTokens) {
  TempDir dir;
  dir.write("t", kBobToken);
  const LoadResult r = load_in(dir, R"(
api:
  tokens:
    - {name: a, role: superuser, token_file: t, token: "literal-token-xyz"}
    - {role: viewer, namespaces: [Shop, [x]], token_env: OPSPILOT_TEST_UNSET_TOO}
    - {name: c, tokn: x}
    - just-a-string
)" + kTarget);
  expect_at(r, 3, 23, Code::BadEnum, "api.tokens[0].role",
            msg::bad_enum("role", "superuser", {"viewer", "operator", "approver", "admin"}));
  expect_at(r, 3, 49, Code::ConflictingKeys, "api.tokens[0].token",
            msg::conflicting_keys("token", "token_file", "\"token_file\", \"token_env\", \"token\""));
  expect_at(r, 4, 7, Code::MissingKey, "api.tokens[1]", msg::missing_key("name"));
  expect_at(r, 4, 35, Code::BadName, "api.tokens[1].namespaces[0]", msg::bad_name("namespace", "Shop"));
  expect_at(r, 4, 41, Code::WrongType, "api.tokens[1].namespaces[1]", msg::wrong_type(msg::expect_string(), msg::got_list()));
  expect_at(r, 4, 47, Code::SecretUnavailable, "api.tokens[1].token_env",
            msg::secret_env_unset("token_env", "OPSPILOT_TEST_UNSET_TOO"));
  expect_at(r, 5, 17, Code::UnknownKey, "api.tokens[2].tokn", msg::unknown_key("tokn", "token"));
  expect_at(r, 5, 7, Code::MissingKey, "api.tokens[2]", msg::missing_key("role"));
  expect_at(r, 5, 7, Code::MissingKey, "api.tokens[2]", msg::missing_secret("\"token_file\", \"token_env\", \"token\""));
  expect_at(r, 6, 7, Code::WrongType, "api.tokens[3]", msg::wrong_type(msg::expect_map(), "\"just-a-string\""));
  EXPECT_EQ(r.error_count(), 10u) << r.report();
  EXPECT_EQ(r.report().find("literal-token-xyz"), std::string::npos) << r.report();
  EXPECT_EQ(r.report().find(kBobToken), std::string::npos) << r.report();

  const LoadResult not_a_list = load_in(dir, "api: {tokens: {alice: x}}\n" + kTarget);
  expect_at(not_a_list, 1, 15, Code::WrongType, "api.tokens", msg::wrong_type(msg::expect_list(), msg::got_map()));
}

TEST(ConfigApi, EveryNewCodeHasANameAndDescription) {
  for (Code c : {Code::MissingPath, Code::SecretUnavailable, Code::ConflictingKeys, Code::LiteralSecret,
                 Code::DuplicateSecret, Code::ApprovalsIncomplete}) {
    EXPECT_NE(code_name(c), "unknown");
    EXPECT_FALSE(code_description(c).empty());
  }
  EXPECT_EQ(code_name(Code::SecretUnavailable), "secret-unavailable");
}

// ---- `opspilot validate -c` with the policies a config references, as the real binary ----

int run_validate(const std::string& args, std::string* out) {
  return opspilot::test::run_command(std::string(OPSPILOT_BIN) + " validate " + args + " 2>&1", out);
}

const char* kConfigWithPolicies = R"(policies: [policies/]
targets:
  - name: web
    namespace: prod
    scrape: http://127.0.0.1:9464/services/web/metrics
    metrics: {load: sum(x), replicas: max(r), saturation: avg(cpu)}
)";

TEST(ValidateCli, ChecksTheReferencedPoliciesToo) {
  TempDir dir;
  fs::create_directories(dir.path() / "policies");
  dir.write("policies/web.yaml", policy_file("web", "prod", "web"));
  const std::string cfg = dir.write("opspilot.yaml", kConfigWithPolicies);
  std::string out;
  EXPECT_EQ(run_validate("-c " + cfg, &out), 0) << out;
  EXPECT_EQ(out, cfg + ": ok (1 target, sidecar mode, dry-run)\npolicies: ok (1 file, 1 policy, 3 rules)\n");

  // A selector that matches none of the config's targets is a warning, not a failure.
  dir.write("policies/other.yaml", policy_file("other", "prod", "checkout"));
  EXPECT_EQ(run_validate("-c " + cfg, &out), 0) << out;
  EXPECT_NE(out.find(dir.file("policies/other.yaml") + ":5:13: warning: "), std::string::npos) << out;
  EXPECT_NE(out.find("policies: ok (2 files, 2 policies, 6 rules)\n"), std::string::npos) << out;
}

TEST(ValidateCli, ReportsABadPolicyAtItsOwnFilePositionAndExitsOne) {
  TempDir dir;
  fs::create_directories(dir.path() / "policies");
  dir.write("policies/good.yaml", policy_file("good", "prod", "web"));
  const std::string bad = dir.write("policies/bad.yaml", R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata: {name: bad}
spec:
  bounds: {min_replicas: 2, max_replicas: six}
)");
  const std::string cfg = dir.write("opspilot.yaml", kConfigWithPolicies);
  std::string out;
  EXPECT_EQ(run_validate("-c " + cfg, &out), 1) << out;
  EXPECT_EQ(out, bad + ":5:43: error: expected an integer, got \"six\" (at spec.bounds.max_replicas)\n"
                 "    bounds: {min_replicas: 2, max_replicas: six}\n" +
                 std::string(2 + 42, ' ') + "^\n"
                 "1 error, 0 warnings\n" +
                 cfg + ": ok (1 target, sidecar mode, dry-run)\n"
                 "policies: 1 error in 2 files read\n");

  EXPECT_EQ(run_validate("--json -c " + cfg, &out), 1) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["diagnostics"]["ok"], true) << "the config itself is fine";
  EXPECT_EQ(j["policies"]["ok"], false);
  EXPECT_EQ(j["policies"]["errors"], 1);
  EXPECT_EQ(j["policies"]["files"].size(), 2u);
  ASSERT_EQ(j["policies"]["diagnostics"].size(), 1u);
  const nlohmann::json& d = j["policies"]["diagnostics"][0];
  EXPECT_EQ(d["file"], bad);
  EXPECT_EQ(d["line"], 5);
  EXPECT_EQ(d["column"], 43);
  EXPECT_EQ(d["code"], "wrong-type");
}

TEST(ValidateCli, AMissingPolicyPathIsAConfigErrorAndPoliciesAreNotRead) {
  TempDir dir;
  dir.write("bot", kBotToken);
  const std::string cfg = dir.write("opspilot.yaml", std::string("approvals:\n  slack: {bot_token_file: bot}\n") +
                                                         kConfigWithPolicies);
  std::string out;
  EXPECT_EQ(run_validate("-c " + cfg, &out), 1) << out;
  EXPECT_NE(out.find(cfg + ":2:3: error: " + msg::bot_token_needs_channel()), std::string::npos) << out;
  EXPECT_NE(out.find(cfg + ":3:12: error: " +
                     msg::policy_path_missing("policies/", (dir.path() / "policies").string())),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("\npolicies: "), std::string::npos) << "no policy summary when the config is broken:\n" << out;
  EXPECT_EQ(out.find(kBotToken), std::string::npos) << out;
  EXPECT_EQ(run_validate("--json -c " + cfg, &out), 1) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_FALSE(j.contains("policies"));
  EXPECT_EQ(j["diagnostics"]["errors"], 2);
}

}  // namespace
}  // namespace opspilot::agent

namespace opspilot::agent {
namespace {

TEST(ConfigLeaderElection, DefaultsOffAndASectionTurnsItOn) {
  const LoadResult off = load_config_string(kTarget, "inline.yaml");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off.config.leader_election.enabled);

  TempDir dir;
  const LoadResult on = load_in(dir,
      "leader_election: {namespace: shop, name: opspilot, identity: agent-a, lease_duration: 20s, "
      "renew_deadline: 12s, retry_period: 3s, kubeconfig: kube/config, context: prod}\n" + kTarget);
  ASSERT_TRUE(on.ok()) << (on.diagnostics.empty() ? "" : on.diagnostics[0].message);
  const LeaderElectionSpec& le = on.config.leader_election;
  EXPECT_TRUE(le.enabled);
  EXPECT_EQ(le.namespace_, "shop");
  EXPECT_EQ(le.identity, "agent-a");
  EXPECT_EQ(le.lease_duration, std::chrono::seconds(20));
  EXPECT_EQ(le.renew_deadline, std::chrono::seconds(12));
  EXPECT_EQ(le.retry_period, std::chrono::seconds(3));
  EXPECT_EQ(le.context, "prod");
  EXPECT_EQ(le.kubeconfig, (dir.path() / "kube/config").lexically_normal().string()) << "relative to the config file";

  const LoadResult disabled = load_config_string("leader_election: {enabled: false}\n" + kTarget, "inline.yaml");
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled.config.leader_election.enabled);
}

TEST(ConfigLeaderElection, TimingsThatCouldLetTwoReplicasActAreRefused) {
  const LoadResult r = load_config_string("leader_election: {lease_duration: 10s, renew_deadline: 10s}\n" + kTarget,
                                          "inline.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics[0].message.find("renew_deadline must be shorter than lease_duration"), std::string::npos)
      << r.diagnostics[0].message;
  EXPECT_EQ(r.diagnostics[0].line, 1);

  const LoadResult retry = load_config_string("leader_election: {renew_deadline: 5s, retry_period: 5s}\n" + kTarget,
                                              "inline.yaml");
  ASSERT_FALSE(retry.ok());
  EXPECT_NE(retry.diagnostics[0].message.find("retry_period"), std::string::npos) << retry.diagnostics[0].message;

  const LoadResult typo = load_config_string("leader_election: {lease_durations: 10s}\n" + kTarget, "inline.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.diagnostics[0].message.find("lease_duration"), std::string::npos) << "suggests the key";
}

}  // namespace
}  // namespace opspilot::agent
