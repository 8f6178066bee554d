#include "examples/k8s-sim/field_errors.h"

#include <algorithm>
#include <cctype>

namespace opspilot::k8s_sim::field {

namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label(const std::string& s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

// label(\.label)*
bool is_subdomain(const std::string& s) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    if (!is_label(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_name_part(const std::string& s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// Go's validation.RegexError: the examples joined as "'a',  or 'b', " (two spaces: kube's own quirk).
std::string regex_error(const std::string& msg, const std::string& fmt, const std::vector<std::string>& examples) {
  if (examples.empty()) return msg + " (regex used for validation is '" + fmt + "')";
  std::string out = msg + " (e.g. ";
  for (std::size_t i = 0; i < examples.size(); ++i) {
    if (i > 0) out += " or ";
    out += "'" + examples[i] + "', ";
  }
  return out + "regex used for validation is '" + fmt + "')";
}

std::string max_len(std::size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

void dot_prefix_errors(const std::string& value, std::vector<std::string>* errs) {
  if (value == ".") errs->push_back("must not be '.'");
  else if (value == "..") errs->push_back("must not be '..'");
  else if (value.rfind("..", 0) == 0) errs->push_back("must not start with '..'");
}

const char* kQualifiedNameMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const char* kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

Cause make(const char* reason, const std::string& path, const std::string& message) { return {reason, message, path}; }

}  // namespace

std::string go_value(const Json& value) {
  if (value.is_null()) return "null";
  return value.dump();  // strings come out quoted and escaped, as %q does for printable text
}

std::string go_string_slice(const Json& list) {
  std::string out = "[]string{";
  bool first = true;
  for (const auto& v : list.is_array() ? list : Json::array()) {
    out += (first ? "" : ", ") + (v.is_string() ? v.dump() : "\"" + v.dump() + "\"");
    first = false;
  }
  return out + "}";
}

Cause invalid(const std::string& path, const Json& value, const std::string& detail) {
  return invalid_printed(path, go_value(value), detail);
}

Cause invalid_printed(const std::string& path, const std::string& printed, const std::string& detail) {
  return make("FieldValueInvalid", path, "Invalid value: " + printed + (detail.empty() ? "" : ": " + detail));
}

Cause required(const std::string& path, const std::string& detail) {
  return make("FieldValueRequired", path, "Required value" + (detail.empty() ? "" : ": " + detail));
}

Cause not_found(const std::string& path, const Json& value) {
  return make("FieldValueNotFound", path, "Not found: " + go_value(value));
}

Cause duplicate(const std::string& path, const Json& value) { return duplicate_printed(path, go_value(value)); }

Cause duplicate_printed(const std::string& path, const std::string& printed) {
  return make("FieldValueDuplicate", path, "Duplicate value: " + printed);
}

Cause not_supported(const std::string& path, const Json& value, const std::vector<std::string>& supported) {
  std::string list;
  for (const auto& s : supported) list += (list.empty() ? "" : ", ") + Json(s).dump();
  return make("FieldValueNotSupported", path,
              "Unsupported value: " + go_value(value) + (list.empty() ? "" : ": supported values: " + list));
}

Cause forbidden(const std::string& path, const std::string& detail) {
  return make("FieldValueForbidden", path, "Forbidden" + (detail.empty() ? "" : ": " + detail));
}

Cause too_long(const std::string& path, std::size_t max_bytes) {
  return make("FieldValueTooLong", path, "Too long: may not be more than " + std::to_string(max_bytes) + " bytes");
}

std::string openapi_type(const Json& value) {
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  if (value.is_array()) return "array";
  if (value.is_object()) return "object";
  return "null";
}

Cause type_invalid(const std::string& path, const std::string& want_type, const Json& value) {
  const std::string got = Json(openapi_type(value)).dump();
  return make("FieldValueTypeInvalid", path,
              "Invalid value: " + got + ": " + path + " in body must be of type " + want_type + ": " + got);
}

void each_invalid(std::vector<Cause>* out, const std::string& path, const Json& value,
                  const std::vector<std::string>& messages) {
  for (const auto& m : messages) out->push_back(invalid(path, value, m));
}

std::vector<std::string> dns1123_label(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len(63));
  if (!is_label(value)) {
    if (is_subdomain(value)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                                 "and must start and end with an alphanumeric character",
                                 "[a-z0-9]([-a-z0-9]*[a-z0-9])?", {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> dns1123_subdomain(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(max_len(253));
  if (!is_subdomain(value)) {
    errs.push_back(regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                               "'.', and must start and end with an alphanumeric character",
                               "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", {"example.com"}));
  }
  return errs;
}

std::vector<std::string> dns1035_label(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len(63));
  if (!is_label(value) || !(value.front() >= 'a' && value.front() <= 'z')) {
    errs.push_back(regex_error("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                               "alphabetic character, and end with an alphanumeric character",
                               "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> port_name(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 15) errs.push_back(max_len(15));
  if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return lower_alnum(c) || c == '-'; })) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!std::any_of(value.begin(), value.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    errs.push_back("must contain at least one letter (a-z)");
  }
  if (value.find("--") != std::string::npos) errs.push_back("must not contain consecutive hyphens");
  if (!value.empty() && (value.front() == '-' || value.back() == '-')) errs.push_back("must not begin or end with a hyphen");
  return errs;
}

std::vector<std::string> port_number(std::int64_t value) {
  if (value >= 1 && value <= 65535) return {};
  return {inclusive_range(1, 65535)};
}

std::vector<std::string> config_map_key(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(max_len(253));
  const bool chars = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return alnum(c) || c == '-' || c == '_' || c == '.';
  });
  if (!chars) {
    errs.push_back(regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                               "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  dot_prefix_errors(value, &errs);
  return errs;
}

std::vector<std::string> path_segment_name(const std::string& value) {
  for (const char* bad : {".", ".."}) {
    if (value == bad) return {std::string("may not be '") + bad + "'"};
  }
  std::vector<std::string> errs;
  for (const char* bad : {"/", "%"}) {
    if (value.find(bad) != std::string::npos) errs.push_back(std::string("may not contain '") + bad + "'");
  }
  return errs;
}

std::vector<std::string> qualified_name(const std::string& value) {
  std::vector<std::string> errs;
  const auto slash = value.find('/');
  std::string name = value;
  if (slash != std::string::npos) {
    if (value.find('/', slash + 1) != std::string::npos) {
      return {"a qualified name " +
              regex_error(kQualifiedNameMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
              " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    }
    const std::string prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& m : dns1123_subdomain(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) errs.push_back("name part must be non-empty");
  else if (name.size() > 63) errs.push_back("name part " + max_len(63));
  if (!is_qualified_name_part(name)) {
    errs.push_back("name part " + regex_error(kQualifiedNameMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> label_value(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back(max_len(63));
  if (!value.empty() && !is_qualified_name_part(value)) {
    errs.push_back(regex_error("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                               "'.', and must start and end with an alphanumeric character",
                               "(" + std::string(kQualifiedNameFmt) + ")?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> env_var_name(const std::string& value) {
  std::vector<std::string> errs;
  const bool ok = !value.empty() && !std::isdigit(static_cast<unsigned char>(value.front())) &&
                  std::all_of(value.begin(), value.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
  if (!ok) {
    errs.push_back(regex_error("a valid environment variable name must consist of alphabetic characters, digits, '_', "
                               "'-', or '.', and must not start with a digit",
                               "[-._a-zA-Z][-._a-zA-Z0-9]*", {"my.env-name", "MY_ENV.NAME", "MyEnvName1"}));
  }
  dot_prefix_errors(value, &errs);
  return errs;
}

std::string inclusive_range(std::int64_t lo, std::int64_t hi) {
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", inclusive";
}

void validate_labels(const Json* labels, const std::string& path, std::vector<Cause>* out) {
  if (!labels || !labels->is_object()) return;
  const std::string at = path + ".labels";
  // Go ranges over the map in random order; sorted keys (nlohmann's order) keep causes stable.
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    each_invalid(out, at, it.key(), qualified_name(it.key()));
    if (it->is_string()) each_invalid(out, at, *it, label_value(it->get<std::string>()));
  }
}

void validate_annotations(const Json* annotations, const std::string& path, std::vector<Cause>* out) {
  if (!annotations || !annotations->is_object()) return;
  const std::string at = path + ".annotations";
  std::size_t total = 0;
  for (auto it = annotations->begin(); it != annotations->end(); ++it) {
    std::string lower = it.key();
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    each_invalid(out, at, it.key(), qualified_name(lower));
    total += it.key().size() + (it->is_string() ? it->get<std::string>().size() : 0);
  }
  constexpr std::size_t kTotalAnnotationSizeLimit = 256 * 1024;
  if (total > kTotalAnnotationSizeLimit) out->push_back(too_long(at, kTotalAnnotationSizeLimit));
}

}  // namespace opspilot::k8s_sim::field
