#include "agent/config/yaml_reader.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

#include "agent/config/duration.h"
#include "agent/config/loader.h"

namespace opspilot::agent::config_yaml {

SourcePos Reader::pos(const YAML::Node& n) const {
  const policies::yaml::LineColumn at = policies::yaml::line_column(n.Mark());
  return SourcePos{sink_.file(), at.line, at.column};
}

std::optional<MapView> Reader::map(const YAML::Node& node, const std::string& path, const Keys* known,
                                   const std::vector<Nested>& nested) {
  MapView view;
  if (!node.IsDefined() || node.IsNull()) return view;
  if (!node.IsMap()) {
    error(Code::WrongType, node, path, msg::wrong_type(msg::expect_map(), describe(node)));
    return std::nullopt;
  }
  for (const auto& kv : node) {  // copies: yaml-cpp's iterator hands out temporaries
    const YAML::Node key = kv.first;
    if (!key.IsScalar()) {
      error(Code::WrongType, key, path, msg::wrong_type(msg::expect_key(), describe(key)));
      continue;
    }
    const std::string name = key.Scalar();
    if (const Entry* first = view.find(name)) {
      error(Code::DuplicateKey, key, child(path, name), msg::duplicate_key(name, pos(first->key_node).line));
    } else if (known != nullptr && std::find(known->begin(), known->end(), name) == known->end()) {
      unknown_key(key, name, path, *known, nested);
    } else {
      view.entries.push_back(Entry{name, key, kv.second, child(path, name)});
    }
  }
  return view;
}

std::optional<MapView> Reader::section(const Entry* e, const Keys* known) {
  return e != nullptr ? map(e->value, e->path, known) : std::nullopt;
}

bool Reader::read_number(const Entry* e, bool (*valid)(double), const std::string& expected, double& out) {
  std::string text;
  const std::optional<double> v = e ? parse_number<double>(*e, msg::expect_number(), text) : std::nullopt;
  if (!v) return false;
  if (!std::isfinite(*v) || !valid(*v)) return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, text, expected));
  out = *v;
  return true;
}

bool Reader::read_bool(const Entry* e, bool& out) {
  std::string s;
  if (e == nullptr || !scalar(*e, msg::expect_bool(), s)) return false;
  // YAML 1.2 core schema spellings only: "yes"/"on" are strings there, and meant differently
  // by different tools, so they are refused rather than guessed.
  if (s != "true" && s != "True" && s != "TRUE" && s != "false" && s != "False" && s != "FALSE") {
    return bad(*e, Code::WrongType, msg::wrong_type(msg::expect_bool(), describe(e->value)));
  }
  out = s[0] == 't' || s[0] == 'T';
  return true;
}

bool Reader::read_duration(const Entry* e, Duration min, Duration& out) {
  std::string s, reason;
  if (e == nullptr || !scalar(*e, msg::expect_duration(), s)) return false;
  const std::optional<Duration> d = parse_duration(s, &reason);
  if (!d) return bad(*e, Code::BadDuration, msg::bad_duration(reason));
  if (*d < min) {
    return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, s, msg::duration_at_least(format_duration(min))));
  }
  out = *d;
  return true;
}

bool Reader::read_enum(const Entry* e, const Keys& allowed, std::string& out) {
  std::string s;
  if (e == nullptr || !scalar(*e, msg::expect_string(), s)) return false;
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    return bad(*e, Code::BadEnum, msg::bad_enum(e->key, s, allowed));
  }
  out = std::move(s);
  return true;
}

bool Reader::read_url(const Entry* e, std::string& out) {
  std::string s;
  if (!read_string(e, s)) return false;
  if (!is_http_url(s)) return bad(*e, Code::BadUrl, msg::bad_url(s));
  out = std::move(s);
  return true;
}

void Reader::read_string_map(const Entry* e, std::map<std::string, std::string>& out) {
  const std::optional<MapView> m = section(e, nullptr);
  if (!m) return;
  for (const Entry& kv : m->entries) {
    std::string v;
    if (scalar(kv, msg::expect_string(), v)) out[kv.key] = v;
  }
}

void Reader::unknown_key(const YAML::Node& key, const std::string& name, const std::string& path,
                         const Keys& known, const std::vector<Nested>& nested) {
  // An exact key of a nested section is a clearer hint than a spelling suggestion.
  for (const Nested& n : nested) {
    if (std::find(n.keys->begin(), n.keys->end(), name) != n.keys->end()) {
      error(Code::UnknownKey, key, child(path, name), msg::misplaced_key(name, n.parent));
      return;
    }
  }
  const std::optional<std::string> suggestion = closest_match(name, known);
  error(Code::UnknownKey, key, child(path, name), msg::unknown_key(name, suggestion.value_or("")));
}

}  // namespace opspilot::agent::config_yaml
