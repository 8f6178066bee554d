// monitoring.coreos.com/v1 ServiceMonitor and PrometheusRule, as a cluster with the
// prometheus-operator's CRDs and admission webhooks installed treats them:
//   - the CRDs' OpenAPI schemas (types, required fields, duration patterns, enums, PrometheusRule
//     groups as a list keyed by name) are checked by the API server: 422 causes worded as
//     apiextensions-apiserver words them ("... in body must be of type string: "integer"");
//   - the mutating webhook turns non-string rule label/annotation values into strings and marks
//     the object "prometheus-operator-validated";
//   - the validating webhook loads the rules as Prometheus would (rulefmt) and denies the write
//     with 422 "Rules are not valid", one cause per problem.
// Stricter than the real CRD: a ServiceMonitor endpoint must name port or targetPort (without
// either, the operator scrapes nothing useful); the cause is worded as a CEL rule's would be.
// PromQL is not parsed; only unbalanced brackets in `expr` are reported, as the parser would.
#include <cctype>
#include <set>

#include "examples/k8s-sim/field_errors.h"
#include "examples/k8s-sim/validation.h"

namespace opspilot::k8s_sim {

namespace {

using field::required;
using field::type_invalid;

constexpr const char* kDurationPattern =
    "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";

std::string idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// The operator's Duration type: "0", or number+unit pairs in the order y w d h m s ms, each at
// most once ("" matches too, as the pattern allows).
bool is_duration(const std::string& s) {
  if (s == "0") return true;
  static const std::vector<std::string> kUnits = {"y", "w", "d", "h", "m", "s", "ms"};
  std::size_t i = 0, next_unit = 0;
  while (i < s.size()) {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i == s.size()) return false;
    std::string unit(1, s[i]);
    if (s[i] == 'm' && i + 1 < s.size() && s[i + 1] == 's') unit = "ms";
    i += unit.size();
    std::size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u] != unit) ++u;
    if (u == kUnits.size()) return false;
    next_unit = u + 1;
  }
  return true;
}

// Schema checks of one value; each returns whether the value had the expected type.
bool want(const Json* v, bool ok, const char* type, const std::string& path, std::vector<Cause>* out) {
  if (!v || v->is_null() || ok) return true;
  out->push_back(type_invalid(path, type, *v));
  return false;
}
bool want_string(const Json* v, const std::string& path, std::vector<Cause>* out) {
  return want(v, v && v->is_string(), "string", path, out);
}
bool want_object(const Json* v, const std::string& path, std::vector<Cause>* out) {
  return want(v, v && v->is_object(), "object", path, out);
}
bool want_array(const Json* v, const std::string& path, std::vector<Cause>* out) {
  return want(v, v && v->is_array(), "array", path, out);
}

void want_duration(const Json& parent, const char* key, const std::string& at, std::vector<Cause>* out) {
  const Json* v = at_path(parent, {key});
  const std::string path = at + "." + key;
  if (!want_string(v, path, out) || !v || v->is_null()) return;
  if (!is_duration(v->get<std::string>())) {
    out->push_back(field::invalid(path, *v, path + " in body should match '" + kDurationPattern + "'"));
  }
}

void want_string_map(const Json& parent, const char* key, const std::string& at, std::vector<Cause>* out) {
  const Json* v = at_path(parent, {key});
  const std::string path = at + "." + key;
  if (!want_object(v, path, out) || !v || v->is_null()) return;
  for (auto it = v->begin(); it != v->end(); ++it) want_string(&*it, path + "." + it.key(), out);
}

void validate_selector(const Json* selector, const std::string& path, std::vector<Cause>* out) {
  if (!want_object(selector, path, out) || !selector) return;
  want_string_map(*selector, "matchLabels", path, out);
  want_array(at_path(*selector, {"matchExpressions"}), path + ".matchExpressions", out);
}

void validate_service_monitor(const Json& o, std::vector<Cause>* out) {
  const Json* spec = at_path(o, {"spec"});
  if (!spec || spec->is_null()) {
    out->push_back(required("spec"));
    return;
  }
  if (!want_object(spec, "spec", out)) return;
  const Json* selector = at_path(*spec, {"selector"});
  if (!selector || selector->is_null()) out->push_back(required("spec.selector"));
  else validate_selector(selector, "spec.selector", out);
  want_string(at_path(*spec, {"jobLabel"}), "spec.jobLabel", out);
  if (const Json* ns = at_path(*spec, {"namespaceSelector"}); want_object(ns, "spec.namespaceSelector", out) && ns) {
    want_array(at_path(*ns, {"matchNames"}), "spec.namespaceSelector.matchNames", out);
  }
  const Json* endpoints = at_path(*spec, {"endpoints"});
  if (!want_array(endpoints, "spec.endpoints", out) || !endpoints) return;
  for (std::size_t i = 0; i < endpoints->size(); ++i) {
    const Json& e = (*endpoints)[i];
    const std::string at = idx("spec.endpoints", i);
    if (!want_object(&e, at, out)) continue;
    want_string(at_path(e, {"port"}), at + ".port", out);
    want_string(at_path(e, {"path"}), at + ".path", out);
    if (const Json* t = at_path(e, {"targetPort"}); t && !t->is_null() && !t->is_string() && !t->is_number_integer()) {
      out->push_back(type_invalid(at + ".targetPort", "integer,string", *t));
    }
    if (const Json* scheme = at_path(e, {"scheme"}); want_string(scheme, at + ".scheme", out) && scheme && scheme->is_string()) {
      const std::string s = scheme->get<std::string>();
      if (s != "http" && s != "https" && s != "HTTP" && s != "HTTPS") {
        out->push_back(field::not_supported(at + ".scheme", s, {"http", "https", "HTTP", "HTTPS"}));
      }
    }
    want_duration(e, "interval", at, out);
    want_duration(e, "scrapeTimeout", at, out);
    if (const Json* h = at_path(e, {"honorLabels"}); h) want(h, h->is_boolean(), "boolean", at + ".honorLabels", out);
    const Json* port = at_path(e, {"port"});
    const Json* target = at_path(e, {"targetPort"});
    if ((!port || port->is_null() || *port == "") && (!target || target->is_null())) {
      out->push_back(field::invalid(at, "object", "an endpoint must name the Service port to scrape: set port (or targetPort)"));
    }
  }
}

void validate_prometheus_rule(const Json& o, std::vector<Cause>* out) {
  const Json* spec = at_path(o, {"spec"});
  if (!spec || spec->is_null()) {
    out->push_back(required("spec"));
    return;
  }
  if (!want_object(spec, "spec", out)) return;
  const Json* groups = at_path(*spec, {"groups"});
  if (!want_array(groups, "spec.groups", out) || !groups) return;
  std::set<std::string> names;
  for (std::size_t g = 0; g < groups->size(); ++g) {
    const Json& group = (*groups)[g];
    const std::string at = idx("spec.groups", g);
    if (!want_object(&group, at, out)) continue;
    const Json* name = at_path(group, {"name"});
    if (!name || name->is_null()) {
      out->push_back(required(at + ".name"));
    } else if (want_string(name, at + ".name", out)) {
      if (name->get<std::string>().empty()) {
        out->push_back(field::invalid(at + ".name", "", at + ".name in body should be at least 1 chars long"));
      } else if (!names.insert(name->get<std::string>()).second) {
        // groups is a list-map keyed by name (x-kubernetes-list-type: map).
        out->push_back(field::duplicate_printed(at, "map[string]interface {}{\"name\":" + name->dump() + "}"));
      }
    }
    want_duration(group, "interval", at, out);
    const Json* rules = at_path(group, {"rules"});
    if (!want_array(rules, at + ".rules", out) || !rules) continue;
    for (std::size_t r = 0; r < rules->size(); ++r) {
      const Json& rule = (*rules)[r];
      const std::string rp = idx(at + ".rules", r);
      if (!want_object(&rule, rp, out)) continue;
      want_string(at_path(rule, {"alert"}), rp + ".alert", out);
      want_string(at_path(rule, {"record"}), rp + ".record", out);
      const Json* expr = at_path(rule, {"expr"});
      if (!expr || expr->is_null()) out->push_back(required(rp + ".expr"));
      else if (!expr->is_string() && !expr->is_number_integer()) {
        out->push_back(type_invalid(rp + ".expr", "integer,string", *expr));
      }
      want_duration(rule, "for", rp, out);
      want_duration(rule, "keep_firing_for", rp, out);
      want_string_map(rule, "labels", rp, out);
      want_string_map(rule, "annotations", rp, out);
    }
  }
}

bool is_metric_name(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

bool is_label_name(const std::string& s) { return is_metric_name(s) && s.find(':') == std::string::npos; }

// What the PromQL lexer says of unbalanced brackets, or "" (the rest of PromQL is not checked).
std::string bracket_problem(const std::string& expr) {
  std::vector<std::pair<char, std::size_t>> open;
  char quote = 0;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') quote = c;
    else if (c == '(' || c == '[' || c == '{') open.emplace_back(c, i);
    else if (c == ')' || c == ']' || c == '}') {
      const char want_open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (open.empty() || open.back().first != want_open) {
        const char* what = c == ')' ? "right parenthesis" : c == ']' ? "right bracket" : "right brace";
        return "1:" + std::to_string(i + 1) + ": parse error: unexpected " + what + " '" + std::string(1, c) + "'";
      }
      open.pop_back();
    }
  }
  if (quote) return "1:" + std::to_string(expr.size()) + ": parse error: unterminated quoted string";
  if (open.empty()) return "";
  const char c = open.back().first;
  const char* what = c == '(' ? "left parenthesis" : c == '[' ? "left bracket" : "left brace";
  return "1:" + std::to_string(open.back().second + 1) + ": parse error: unclosed " + what;
}

// rulefmt's checks of one rule (github.com/prometheus/prometheus/model/rulefmt, RuleNode.Validate).
std::vector<std::string> rule_problems(const Json& rule) {
  std::vector<std::string> errs;
  const std::string alert = string_at(rule, {"alert"});
  const std::string record = string_at(rule, {"record"});
  if (!alert.empty() && !record.empty()) errs.push_back("only one of 'record' and 'alert' must be set");
  if (alert.empty() && record.empty()) errs.push_back("one of 'record' or 'alert' must be set");
  const Json* expr = at_path(rule, {"expr"});
  const std::string text = expr && expr->is_string() ? expr->get<std::string>() : expr && expr->is_number() ? expr->dump() : "";
  if (text.empty()) errs.push_back("field 'expr' must be set in rule");
  else if (const std::string p = bracket_problem(text); !p.empty()) errs.push_back("could not parse expression: " + p);
  if (!record.empty()) {
    if (at_path(rule, {"annotations"})) errs.push_back("invalid field 'annotations' in recording rule");
    if (at_path(rule, {"for"})) errs.push_back("invalid field 'for' in recording rule");
    if (at_path(rule, {"keep_firing_for"})) errs.push_back("invalid field 'keep_firing_for' in recording rule");
    if (!is_metric_name(record)) errs.push_back("invalid recording rule name: " + record);
  }
  for (const char* key : {"labels", "annotations"}) {
    const Json* m = at_path(rule, {key});
    if (!m || !m->is_object()) continue;
    for (auto it = m->begin(); it != m->end(); ++it) {
      if (!is_label_name(it.key())) {
        errs.push_back(std::string("invalid ") + (std::string(key) == "labels" ? "label" : "annotation") + " name: " + it.key());
      }
    }
  }
  return errs;
}

}  // namespace

bool is_monitoring_kind(const ResourceType& t) { return t.group == "monitoring.coreos.com"; }

void default_monitoring_kind(const ResourceType& type, Json& object) {
  if (type.plural != "prometheusrules") return;
  // The operator's mutating webhook: rule label/annotation values that are not strings become
  // strings, and the object is marked as seen by it.
  if (Json* groups = object.contains("spec") && object["spec"].is_object() && object["spec"].contains("groups")
                         ? &object["spec"]["groups"] : nullptr;
      groups && groups->is_array()) {
    for (auto& g : *groups) {
      if (!g.is_object() || !g.contains("rules") || !g["rules"].is_array()) continue;
      for (auto& r : g["rules"]) {
        for (const char* key : {"labels", "annotations"}) {
          if (!r.is_object() || !r.contains(key) || !r[key].is_object()) continue;
          for (auto& v : r[key]) {
            if (v.is_number() || v.is_boolean()) v = v.dump();
          }
        }
      }
    }
  }
  Json& meta = object["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) meta["annotations"] = Json::object();
  meta["annotations"]["prometheus-operator-validated"] = "true";
}

void validate_monitoring_kind(const ResourceType& type, const Json& object, std::vector<Cause>* out) {
  if (type.plural == "servicemonitors") validate_service_monitor(object, out);
  else if (type.plural == "prometheusrules") validate_prometheus_rule(object, out);
}

std::optional<ApiResult> monitoring_webhook(const ResourceType& type, const Json& object) {
  if (type.plural != "prometheusrules") return std::nullopt;
  Json causes = Json::array();
  const Json* groups = at_path(object, {"spec", "groups"});
  for (const auto& g : groups && groups->is_array() ? *groups : Json::array()) {
    const Json* rules = at_path(g, {"rules"});
    for (std::size_t i = 0; rules && rules->is_array() && i < rules->size(); ++i) {
      const Json& rule = (*rules)[i];
      const std::string name = string_at(rule, {"alert"}, string_at(rule, {"record"}));
      for (const auto& p : rule_problems(rule)) {
        causes.push_back({{"message", "group " + Json(string_at(g, {"name"})).dump() + ", rule " + std::to_string(i + 1) +
                                          ", " + Json(name).dump() + ": " + p}});
      }
    }
  }
  if (causes.empty()) return std::nullopt;
  // toAdmissionResponseFailure, then the API server's "admission webhook ... denied the request".
  Json body = status_body(422, "Invalid",
                          "admission webhook \"prometheusrulevalidate.monitoring.coreos.com\" denied the request: "
                          "Rules are not valid",
                          Json{{"name", "prometheusrules"}, {"causes", causes}});
  return ApiResult{422, std::move(body), {}};
}

}  // namespace opspilot::k8s_sim
