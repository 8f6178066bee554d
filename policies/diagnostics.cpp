// Diagnostics for policy files: the names and descriptions of the codes.
#include "policies/diagnostics.h"

namespace opspilot::policies {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::FileUnreadable: return "file-unreadable";
    case Code::YamlSyntax: return "yaml-syntax";
    case Code::UnknownKey: return "unknown-key";
    case Code::DuplicateKey: return "duplicate-key";
    case Code::WrongType: return "wrong-type";
    case Code::MissingKey: return "missing-key";
    case Code::BadEnum: return "bad-enum";
    case Code::BadVersion: return "bad-version";
    case Code::BadDuration: return "bad-duration";
    case Code::BadTime: return "bad-time";
    case Code::OutOfRange: return "out-of-range";
    case Code::EmptyValue: return "empty-value";
    case Code::UnknownActionKind: return "unknown-action-kind";
    case Code::BadTimeZone: return "bad-time-zone";
    case Code::BadCron: return "bad-cron";
    case Code::DuplicateName: return "duplicate-name";
    case Code::Conflict: return "conflict";
    case Code::NeverMatches: return "never-matches";
  }
  return "unknown";
}

std::string_view code_description(Code code) {
  switch (code) {
    case Code::FileUnreadable: return "The policy file or directory is missing or unreadable.";
    case Code::YamlSyntax: return "The text is not valid YAML.";
    case Code::UnknownKey: return "A key the policy schema does not define, usually a typo.";
    case Code::DuplicateKey: return "The same key appears twice in one map.";
    case Code::WrongType: return "A value of the wrong type.";
    case Code::MissingKey: return "A required key is absent.";
    case Code::BadEnum: return "A value outside its fixed set of allowed values.";
    case Code::BadVersion: return "apiVersion or kind is not opspilot.dev/v1 Policy.";
    case Code::BadDuration: return "Not a duration such as 30s, 15m, 1h30m or 2d.";
    case Code::BadTime: return "Not a date (YYYY-MM-DD) or time of day (HH:MM).";
    case Code::OutOfRange: return "A number outside its allowed range.";
    case Code::EmptyValue: return "An empty string where text is required.";
    case Code::UnknownActionKind: return "An action kind the agent never proposes.";
    case Code::BadTimeZone: return "Not an IANA time zone of the system tz database.";
    case Code::BadCron: return "Not a 5-field cron expression.";
    case Code::DuplicateName: return "Two policies or rules share one name.";
    case Code::Conflict: return "Rules that contradict each other or can never allow anything.";
    case Code::NeverMatches: return "A selector or rule that can never apply.";
  }
  return "";
}

}  // namespace opspilot::policies
