// The names and descriptions of the config loader's diagnostic codes.
#include "agent/config/diagnostics.h"

namespace opspilot::agent {

std::string_view code_name(DiagnosticCode code) {
  switch (code) {
    case DiagnosticCode::FileUnreadable: return "file-unreadable";
    case DiagnosticCode::YamlSyntax: return "yaml-syntax";
    case DiagnosticCode::UnknownKey: return "unknown-key";
    case DiagnosticCode::DuplicateKey: return "duplicate-key";
    case DiagnosticCode::WrongType: return "wrong-type";
    case DiagnosticCode::MissingKey: return "missing-key";
    case DiagnosticCode::BadEnum: return "bad-enum";
    case DiagnosticCode::BadDuration: return "bad-duration";
    case DiagnosticCode::BadTime: return "bad-time";
    case DiagnosticCode::OutOfRange: return "out-of-range";
    case DiagnosticCode::BadName: return "bad-name";
    case DiagnosticCode::DuplicateName: return "duplicate-name";
    case DiagnosticCode::BadUrl: return "bad-url";
    case DiagnosticCode::BadAddress: return "bad-address";
    case DiagnosticCode::EmptyValue: return "empty-value";
    case DiagnosticCode::Inconsistent: return "inconsistent";
    case DiagnosticCode::MissingScrape: return "missing-scrape";
    case DiagnosticCode::ScrapeIgnored: return "scrape-ignored";
    case DiagnosticCode::MissingPath: return "missing-path";
    case DiagnosticCode::SecretUnavailable: return "secret-unavailable";
    case DiagnosticCode::ConflictingKeys: return "conflicting-keys";
    case DiagnosticCode::LiteralSecret: return "literal-secret";
    case DiagnosticCode::DuplicateSecret: return "duplicate-secret";
    case DiagnosticCode::ApprovalsIncomplete: return "approvals-incomplete";
    case DiagnosticCode::CannotScale: return "cannot-scale";
  }
  return "unknown";
}

std::string_view code_description(DiagnosticCode code) {
  switch (code) {
    case DiagnosticCode::FileUnreadable: return "The config file is missing, a directory, or unreadable.";
    case DiagnosticCode::YamlSyntax: return "The text is not valid YAML.";
    case DiagnosticCode::UnknownKey: return "A key the schema does not define, usually a typo.";
    case DiagnosticCode::DuplicateKey: return "The same key appears twice in one map.";
    case DiagnosticCode::WrongType: return "A value of the wrong type, e.g. a map where a scalar is expected.";
    case DiagnosticCode::MissingKey: return "A required key is absent.";
    case DiagnosticCode::BadEnum: return "A value outside its fixed set of allowed values.";
    case DiagnosticCode::BadDuration: return "Not a duration such as 500ms, 15s, 2m, 1h30m or 1d.";
    case DiagnosticCode::BadTime: return "Not an RFC 3339 timestamp such as 2026-01-05T00:00:00Z.";
    case DiagnosticCode::OutOfRange: return "A number or duration outside its allowed range.";
    case DiagnosticCode::BadName: return "Not a DNS-1123 label (lowercase letters, digits, '-').";
    case DiagnosticCode::DuplicateName: return "Two targets, or two API tokens, share one name.";
    case DiagnosticCode::BadUrl: return "Not an http:// or https:// URL.";
    case DiagnosticCode::BadAddress: return "Not a HOST:PORT listen address.";
    case DiagnosticCode::EmptyValue: return "An empty string where text is required.";
    case DiagnosticCode::Inconsistent: return "Settings that contradict each other.";
    case DiagnosticCode::MissingScrape: return "A target has no scrape URL and prometheus.url is unset.";
    case DiagnosticCode::ScrapeIgnored: return "A scrape URL that controller mode does not use.";
    case DiagnosticCode::MissingPath: return "A policy file or directory named in the config does not exist.";
    case DiagnosticCode::SecretUnavailable:
      return "A secret's file is unreadable or empty, or its environment variable unset or empty.";
    case DiagnosticCode::ConflictingKeys: return "Keys that exclude each other, e.g. token_file and token_env.";
    case DiagnosticCode::LiteralSecret: return "A secret written in the config file; prefer a file or a variable.";
    case DiagnosticCode::DuplicateSecret: return "Two API tokens share one secret.";
    case DiagnosticCode::ApprovalsIncomplete: return "Slack settings that cannot post or cannot verify approvals.";
    case DiagnosticCode::CannotScale:
      return "A target without capacity.per_replica or a saturation metric, or without a replicas metric: it never scales.";
  }
  return "";
}

}  // namespace opspilot::agent
