#include "examples/k8s-sim/selector.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace opspilot::k8s_sim {

namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 316) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
  });
}

// Splits on commas that are not inside parentheses ("a in (x,y),b=c" -> 2 parts).
std::vector<std::string> split_top_level(const std::string& text) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string label(const Json& labels, const std::string& key, bool* present) {
  *present = false;
  if (!labels.is_object()) return {};
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return {};
  *present = true;
  return it->get<std::string>();
}

}  // namespace

bool LabelSelector::parse(const std::string& text, LabelSelector* out, std::string* error) {
  *out = LabelSelector{};
  if (trim(text).empty()) return true;
  for (const std::string& raw : split_top_level(text)) {
    const std::string part = trim(raw);
    Requirement r;
    const auto fail = [&](const std::string& why) {
      *error = "unable to parse requirement '" + part + "' in label selector '" + text + "': " + why;
      return false;
    };
    if (part.empty()) return fail("empty requirement");
    std::size_t pos;
    if (part[0] == '!') {
      r.key = trim(part.substr(1));
      r.op = Op::DoesNotExist;
    } else if ((pos = part.find(" notin ")) != std::string::npos || (pos = part.find(" in ")) != std::string::npos) {
      const bool notin = part.compare(pos, 7, " notin ") == 0;
      r.key = trim(part.substr(0, pos));
      r.op = notin ? Op::NotIn : Op::In;
      std::string rest = trim(part.substr(pos + (notin ? 7 : 4)));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return fail("expected a value list in ( )");
      std::stringstream ss(rest.substr(1, rest.size() - 2));
      for (std::string v; std::getline(ss, v, ',');) r.values.push_back(trim(v));
    } else if ((pos = part.find("!=")) != std::string::npos) {
      r.key = trim(part.substr(0, pos));
      r.op = Op::NotEquals;
      r.values.push_back(trim(part.substr(pos + 2)));
    } else if ((pos = part.find("==")) != std::string::npos) {
      r.key = trim(part.substr(0, pos));
      r.values.push_back(trim(part.substr(pos + 2)));
    } else if ((pos = part.find('=')) != std::string::npos) {
      r.key = trim(part.substr(0, pos));
      r.values.push_back(trim(part.substr(pos + 1)));
    } else {
      r.key = part;
      r.op = Op::Exists;
    }
    if (!valid_key(r.key)) return fail("'" + r.key + "' is not a valid label key");
    out->requirements_.push_back(std::move(r));
  }
  return true;
}

bool LabelSelector::from_json(const Json& selector, LabelSelector* out, std::string* error) {
  *out = LabelSelector{};
  if (selector.is_null()) {
    out->match_nothing_ = true;
    return true;
  }
  if (!selector.is_object()) {
    *error = "selector is " + selector.dump() + ", expected an object with matchLabels/matchExpressions";
    return false;
  }
  if (auto it = selector.find("matchLabels"); it != selector.end() && !it->is_null() && !it->is_object()) {
    *error = "matchLabels is " + it->dump() + ", expected a map of strings";
    return false;
  }
  if (auto it = selector.find("matchLabels"); it != selector.end() && it->is_object()) {
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
      if (!kv->is_string()) {
        *error = "matchLabels." + kv.key() + " is " + kv->dump() + ", expected a string";
        return false;
      }
      out->requirements_.push_back({kv.key(), Op::Equals, {kv->get<std::string>()}});
    }
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end() && !it->is_null() && !it->is_array()) {
    *error = "matchExpressions is " + it->dump() + ", expected a list";
    return false;
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end() && it->is_array()) {
    for (const auto& e : *it) {
      Requirement r;
      r.key = string_at(e, {"key"});
      const std::string op = string_at(e, {"operator"});
      if (op == "In") r.op = Op::In;
      else if (op == "NotIn") r.op = Op::NotIn;
      else if (op == "Exists") r.op = Op::Exists;
      else if (op == "DoesNotExist") r.op = Op::DoesNotExist;
      else {
        *error = "matchExpressions operator is '" + op + "', expected In, NotIn, Exists or DoesNotExist";
        return false;
      }
      if (auto v = e.find("values"); v != e.end() && v->is_array()) {
        for (const auto& s : *v) {
          if (s.is_string()) r.values.push_back(s.get<std::string>());
        }
      }
      out->requirements_.push_back(std::move(r));
    }
  }
  return true;
}

bool LabelSelector::matches(const Json& labels) const {
  if (match_nothing_) return false;
  for (const auto& r : requirements_) {
    bool present = false;
    const std::string v = label(labels, r.key, &present);
    const bool in = std::find(r.values.begin(), r.values.end(), v) != r.values.end();
    switch (r.op) {
      case Op::Equals:
      case Op::In:
        if (!present || !in) return false;
        break;
      case Op::NotEquals:
      case Op::NotIn:
        if (present && in) return false;
        break;
      case Op::Exists:
        if (!present) return false;
        break;
      case Op::DoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::to_string() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ",";
    auto list = [&] {
      std::string s = "(";
      for (std::size_t i = 0; i < r.values.size(); ++i) s += (i ? "," : "") + r.values[i];
      return s + ")";
    };
    switch (r.op) {
      case Op::Equals: out += r.key + "=" + (r.values.empty() ? "" : r.values[0]); break;
      case Op::NotEquals: out += r.key + "!=" + (r.values.empty() ? "" : r.values[0]); break;
      case Op::In: out += r.key + " in " + list(); break;
      case Op::NotIn: out += r.key + " notin " + list(); break;
      case Op::Exists: out += r.key; break;
      case Op::DoesNotExist: out += "!" + r.key; break;
    }
  }
  return out;
}

bool FieldSelector::parse(const std::string& text, const std::vector<std::string>& supported, FieldSelector* out,
                          std::string* error) {
  *out = FieldSelector{};
  if (trim(text).empty()) return true;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    Term t;
    std::size_t pos;
    if ((pos = part.find("!=")) != std::string::npos) {
      t.equals = false;
      t.field = trim(part.substr(0, pos));
      t.value = trim(part.substr(pos + 2));
    } else if ((pos = part.find("==")) != std::string::npos) {
      t.field = trim(part.substr(0, pos));
      t.value = trim(part.substr(pos + 2));
    } else if ((pos = part.find('=')) != std::string::npos) {
      t.field = trim(part.substr(0, pos));
      t.value = trim(part.substr(pos + 1));
    } else {
      *error = "invalid selector: '" + text + "'; can't understand '" + part + "'";
      return false;
    }
    if (std::find(supported.begin(), supported.end(), t.field) == supported.end()) {
      *error = "field label not supported: " + t.field;
      return false;
    }
    out->terms_.push_back(std::move(t));
  }
  return true;
}

bool FieldSelector::matches(const Json& object) const {
  for (const auto& t : terms_) {
    if ((field_value(object, t.field) == t.value) != t.equals) return false;
  }
  return true;
}

std::string field_value(const Json& object, const std::string& field) {
  const Json* cur = &object;
  std::stringstream ss(field);
  for (std::string step; std::getline(ss, step, '.');) {
    if (!cur->is_object()) return {};
    auto it = cur->find(step);
    if (it == cur->end()) return {};
    cur = &*it;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return cur->dump();
  return {};
}

}  // namespace opspilot::k8s_sim
