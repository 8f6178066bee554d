#include "policies/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace opspilot::policies::yaml {

SourcePos Reader::pos(const Node& n, std::string path) const {
  const LineColumn at = line_column(n.Mark());
  return SourcePos{sink_.file(), at.line, at.column, std::move(path)};
}

std::optional<MapView> Reader::map(const Node& node, const std::string& path, const Keys* known,
                                   const std::map<std::string_view, std::string_view>& misplaced) {
  MapView view;
  if (!node.IsDefined() || node.IsNull()) return view;
  if (!node.IsMap()) {
    error(Code::WrongType, node, path, msg::wrong_type("a map", describe(node)));
    return std::nullopt;
  }
  view.entries.reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const Node key = node.key(i);
    if (!key.IsScalar()) {
      error(Code::WrongType, key, path, msg::wrong_type("a plain text key", describe(key)));
      continue;
    }
    const std::string name(key.Scalar());
    if (const Entry* first = view.find(name)) {
      error(Code::DuplicateKey, key, child(path, name), msg::duplicate_key(name, pos(first->key_node, "").line));
    } else if (known != nullptr && std::find(known->begin(), known->end(), name) == known->end()) {
      if (auto it = misplaced.find(name); it != misplaced.end()) {
        error(Code::UnknownKey, key, child(path, name), msg::misplaced_key(name, it->second));
      } else {
        const auto suggestion = closest_match(name, *known);
        error(Code::UnknownKey, key, child(path, name), msg::unknown_key(name, suggestion.value_or("")));
      }
    } else {
      view.entries.push_back(Entry{name, key, node.value(i), child(path, name)});
    }
  }
  return view;
}

std::optional<MapView> Reader::section(const Entry* e, const Keys* known,
                                       const std::map<std::string_view, std::string_view>& misplaced) {
  return e != nullptr ? map(e->value, e->path, known, misplaced) : std::nullopt;
}

bool Reader::read_int(const Entry* e, long long lo, long long hi, int& out) {
  std::optional<int> v;
  if (!read_int(e, lo, hi, v)) return false;
  out = *v;
  return true;
}

bool Reader::read_int(const Entry* e, long long lo, long long hi, std::optional<int>& out) {
  std::string text;
  if (e == nullptr || !scalar(*e, "an integer", text)) return false;
  long long v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ptr != end || ec == std::errc::invalid_argument)
    return bad(*e, Code::WrongType, msg::wrong_type("an integer", describe(e->value)));
  const std::string expected = hi == LLONG_MAX ? "an integer of at least " + std::to_string(lo)
                                               : "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (ec == std::errc::result_out_of_range || v < lo || v > hi)
    return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, text, expected));
  out = static_cast<int>(v);
  return true;
}

bool Reader::read_number(const Entry* e, double lo, double hi, std::string_view expected,
                         std::optional<double>& out) {
  std::string text;
  if (e == nullptr || !scalar(*e, "a number", text)) return false;
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ptr != end || ec == std::errc::invalid_argument)
    return bad(*e, Code::WrongType, msg::wrong_type("a number", describe(e->value)));
  if (ec == std::errc::result_out_of_range || !std::isfinite(v) || v < lo || v > hi)
    return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, text, expected));
  out = v;
  return true;
}

bool Reader::read_bool(const Entry* e, bool& out) {
  std::string s;
  if (e == nullptr || !scalar(*e, "true or false", s)) return false;
  if (s != "true" && s != "True" && s != "TRUE" && s != "false" && s != "False" && s != "FALSE")
    return bad(*e, Code::WrongType, msg::wrong_type("true or false", describe(e->value)));
  out = s[0] == 't' || s[0] == 'T';
  return true;
}

bool Reader::read_duration(const Entry* e, std::chrono::seconds min, std::chrono::seconds& out,
                           std::chrono::seconds max) {
  std::string s;
  if (e == nullptr || !scalar(*e, "a duration such as \"15m\"", s)) return false;
  const auto d = parse_policy_duration(s);
  if (!d) return bad(*e, Code::BadDuration, msg::bad_duration(s));
  if (*d < min)
    return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, s, "a duration of at least " + format_policy_duration(min)));
  if (*d > max)
    return bad(*e, Code::OutOfRange, msg::out_of_range(e->key, s, "a duration of at most " + format_policy_duration(max)));
  out = *d;
  return true;
}

bool Reader::read_enum(const Entry* e, const Keys& allowed, std::string& out) {
  std::string s;
  if (e == nullptr || !scalar(*e, "a string", s)) return false;
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
    return bad(*e, Code::BadEnum, msg::bad_enum(e->key, s, allowed));
  out = std::move(s);
  return true;
}

bool Reader::read_verdict(const Entry* e, const Keys& allowed, Verdict& out) {
  std::string s;
  if (!read_enum(e, allowed, s)) return false;
  out = s == "allow" ? Verdict::Allow : s == "deny" ? Verdict::Deny : Verdict::NeedsApproval;
  return true;
}

bool Reader::read_strings(const Entry* e, std::vector<std::string>& out) {
  if (e == nullptr) return false;
  if (e->value.IsScalar()) {
    std::string s;
    if (!read_string(e, s)) return false;
    out.push_back(std::move(s));
    return true;
  }
  if (!e->value.IsSequence())
    return bad(*e, Code::WrongType, msg::wrong_type("a list of strings", describe(e->value)));
  bool ok = true;
  std::size_t i = 0;
  for (const Node n : e->value.items()) {
    const Entry el{e->key, e->key_node, n, item(e->path, i++)};
    std::string s;
    if (read_string(&el, s)) out.push_back(std::move(s));
    else ok = false;
  }
  return ok;
}

bool Reader::read_kind(const Entry* e, std::string& name, std::uint32_t& bits) {
  std::string s;
  if (!read_string(e, s)) return false;
  const std::uint32_t b = kind_bit(s);
  if (b == 0) {
    const auto suggestion = closest_match(s, known_action_kinds());
    return bad(*e, Code::UnknownActionKind, msg::unknown_action_kind(s, known_action_kinds(), suggestion.value_or("")));
  }
  name = std::move(s);
  bits = b;
  return true;
}

bool Reader::read_kinds(const Entry* e, std::uint32_t& out, std::string* text) {
  if (e == nullptr) return false;
  std::vector<Node> nodes;
  if (e->value.IsSequence()) {
    for (const Node n : e->value.items()) nodes.push_back(n);
  } else if (e->value.IsScalar()) {
    nodes.push_back(e->value);
  } else {
    return bad(*e, Code::WrongType, msg::wrong_type("a list of action kinds", describe(e->value)));
  }
  std::uint32_t bits = 0;
  std::string joined;
  bool ok = true;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Entry el{e->key, e->key_node, nodes[i], e->value.IsSequence() ? item(e->path, i) : e->path};
    std::string name;
    std::uint32_t b = 0;
    if (read_kind(&el, name, b)) {
      bits |= b;
      joined += (joined.empty() ? "" : ", ") + name;
    } else {
      ok = false;
    }
  }
  if (!ok) return false;
  if (nodes.empty()) return bad(*e, Code::EmptyValue, msg::empty_value(e->key));
  out = bits;
  if (text) *text = joined;
  return true;
}

bool Reader::read_time_zone(const Entry* e, std::shared_ptr<const TimeZone>& out) {
  std::string s, why;
  if (!read_string(e, s)) return false;
  auto zone = locate_time_zone(s, &why);
  if (!zone) return bad(*e, Code::BadTimeZone, msg::bad_time_zone(s, why));
  out = std::move(zone);
  return true;
}

bool Reader::read_time_of_day(const Entry* e, int& out) {
  std::string s;
  if (e == nullptr || !scalar(*e, "a time of day such as \"08:00\"", s)) return false;
  const auto t = parse_time_of_day(s);
  if (!t) return bad(*e, Code::BadTime, msg::bad_time_of_day(s));
  out = *t;
  return true;
}

bool Reader::read_days(const Entry* e, std::bitset<7>& out) {
  std::vector<std::string> names;
  if (!read_strings(e, names)) return false;
  std::bitset<7> days;
  bool ok = true;
  for (const std::string& n : names) {
    // "mon-fri" ranges wrap around the week ("fri-mon").
    const std::size_t dash = n.find('-');
    const auto a = parse_weekday(n.substr(0, dash));
    const auto b = dash == std::string::npos ? a : parse_weekday(n.substr(dash + 1));
    if (!a || !b) {
      ok = bad(*e, Code::BadEnum,
               msg::bad_enum("day", n, {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "mon-fri"}));
      continue;
    }
    for (int d = *a;; d = (d + 1) % 7) {
      days.set(static_cast<std::size_t>(d));
      if (d == *b) break;
    }
  }
  if (!ok) return false;
  out = days;
  return true;
}

void Reader::read_string_map(const Entry* e, std::map<std::string, std::string>& out) {
  const auto m = section(e, nullptr);
  if (!m) return;
  for (const Entry& kv : m->entries) {
    std::string v;
    if (scalar(kv, "a string", v)) out[kv.key] = v;
  }
}

}  // namespace opspilot::policies::yaml
