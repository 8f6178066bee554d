// Decision records: names of states and the JSON round trip. The renderings for people
// (summary, explain) are in decision_explain.cpp.
#include "agent/journal/decision.h"

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "agent/journal/journal_detail.h"
#include "agent/journal/rfc3339.h"

namespace opspilot::agent {
namespace {

using journal_detail::cat;
using journal_detail::shorten;
using nlohmann::json;

struct StateName {
  DecisionState state;
  const char* name;
};
constexpr StateName kStates[] = {
    {DecisionState::Proposed, "proposed"},
    {DecisionState::Held, "held"},
    {DecisionState::Planned, "planned"},
    {DecisionState::Denied, "denied"},
    {DecisionState::PendingApproval, "pending_approval"},
    {DecisionState::Acting, "acting"},
    {DecisionState::Applied, "applied"},
    {DecisionState::Verified, "verified"},
    {DecisionState::Failed, "failed"},
    {DecisionState::Superseded, "superseded"},
};

std::optional<DecisionState> parse_state(const std::string& s) {
  for (const auto& e : kStates)
    if (s == e.name) return e.state;
  return std::nullopt;
}

std::optional<policies::Verdict> parse_verdict(const std::string& s) {
  for (auto v :
       {policies::Verdict::Allow, policies::Verdict::Deny, policies::Verdict::NeedsApproval})
    if (s == policies::to_string(v)) return v;
  return std::nullopt;
}

// Reads fields leniently: a missing key keeps the default, a wrong type is an error that names
// the field and quotes the value found.
class Reader {
 public:
  explicit Reader(std::string* error) : error_(error) {}
  bool ok() const { return ok_; }

  const json* field(const json& obj, const char* key) {
    if (!ok_ || !obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  void fail(const std::string& where, const char* expected, const json& got) {
    if (!ok_) return;
    ok_ = false;
    if (error_) {
      *error_ = cat({"decision field \"", where, "\": expected ", expected, ", got ",
                     shorten(got.dump(-1, ' ', false, json::error_handler_t::replace), 80)});
    }
  }
  void str(const json& obj, const char* key, const std::string& where, std::string& out) {
    if (const json* v = field(obj, key)) {
      if (v->is_string())
        out = v->get<std::string>();
      else if (!v->is_null())
        fail(where + key, "a string", *v);
    }
  }
  void num(const json& obj, const char* key, const std::string& where, double& out) {
    if (const json* v = field(obj, key)) {
      if (v->is_number())
        out = v->get<double>();
      else if (v->is_null())
        out = std::numeric_limits<double>::quiet_NaN();  // NaN is written as null
      else
        fail(where + key, "a number", *v);
    }
  }
  template <typename Int>
  void integer(const json& obj, const char* key, const std::string& where, Int& out) {
    if (const json* v = field(obj, key)) {
      const double d = v->is_number() ? v->get<double>() : std::nan("");
      if (v->is_number_integer())
        out = v->get<Int>();
      else if (v->is_number() && std::floor(d) == d && std::fabs(d) < 9e15)
        out = static_cast<Int>(d);
      else if (!v->is_null())
        fail(where + key, "an integer", *v);
    }
  }
  void boolean(const json& obj, const char* key, const std::string& where, bool& out) {
    if (const json* v = field(obj, key)) {
      if (v->is_boolean())
        out = v->get<bool>();
      else if (!v->is_null())
        fail(where + key, "true or false", *v);
    }
  }
  // Unix milliseconds win when present (exact); otherwise the RFC 3339 text.
  void time(const json& obj, const std::string& key, TimePoint& out) {
    const std::string ms_key = key + "_unix_ms";
    if (const json* v = field(obj, ms_key.c_str()); v && !v->is_null()) {
      if (v->is_number_integer())
        out = TimePoint(Duration(v->get<std::int64_t>()));
      else
        fail(ms_key, "integer milliseconds since 1970", *v);
      return;
    }
    if (const json* v = field(obj, key.c_str()); v && !v->is_null()) {
      if (!v->is_string() || !parse_rfc3339(v->get<std::string>(), &out))
        fail(key, "an RFC 3339 time such as \"2024-05-01T10:00:00.000Z\"", *v);
    }
  }
  const json* array(const json& obj, const char* key) {
    const json* v = field(obj, key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_array()) {
      fail(key, "an array", *v);
      return nullptr;
    }
    return v;
  }
  const json* object(const json& obj, const char* key) {
    const json* v = field(obj, key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object()) {
      fail(key, "an object", *v);
      return nullptr;
    }
    return v;
  }

 private:
  std::string* error_;
  bool ok_ = true;
};

}  // namespace

const char* to_string(DecisionState s) {
  for (const auto& e : kStates)
    if (e.state == s) return e.name;
  return "proposed";
}

// Unknown names map to Proposed (not terminal), so a record from a newer agent is resumed
// rather than silently treated as finished; from_json reports them as errors instead.
DecisionState decision_state_from_string(const std::string& s) {
  return parse_state(s).value_or(DecisionState::Proposed);
}

bool is_terminal(DecisionState s) {
  return s == DecisionState::Held || s == DecisionState::Planned || s == DecisionState::Denied ||
         s == DecisionState::Verified || s == DecisionState::Failed || s == DecisionState::Superseded;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& x : names) out += (out.empty() ? "" : ", ") + x;
  return out;
}

json to_json(const ApprovalInfo& a) {
  json j = {{"status", a.status},
            {"requested", format_rfc3339_ms(a.requested)},
            {"requested_unix_ms", a.requested.time_since_epoch().count()},
            {"expires", format_rfc3339_ms(a.expires)},
            {"expires_unix_ms", a.expires.time_since_epoch().count()},
            {"rules", a.rules},
            {"approvers", {{"slack_users", a.slack_users}, {"slack_groups", a.slack_groups}, {"tokens", a.tokens}}},
            {"on_expiry", a.on_expiry}};
  if (!a.decided_by.empty() || !a.via.empty()) {
    j["decided_by"] = a.decided_by;
    j["via"] = a.via;
    j["decided"] = format_rfc3339_ms(a.decided);
    j["decided_unix_ms"] = a.decided.time_since_epoch().count();
    j["note"] = a.note;
  }
  if (!a.slack_channel.empty() || !a.slack_ts.empty())
    j["slack"] = {{"channel", a.slack_channel}, {"ts", a.slack_ts}, {"response_url", a.slack_response_url}};
  if (!a.notify_error.empty()) j["notify_error"] = a.notify_error;
  return j;
}

namespace {

void read_strings(Reader& r, const json& obj, const char* key, const std::string& at,
                  std::vector<std::string>& out) {
  if (const json* arr = r.field(obj, key); arr && !arr->is_null()) {
    if (!arr->is_array()) return r.fail(at + key, "an array of strings", *arr);
    out.clear();
    for (const auto& v : *arr) {
      if (!v.is_string()) return r.fail(at + key, "an array of strings", *arr);
      out.push_back(v.get<std::string>());
    }
  }
}

void read_approval(Reader& r, const json& j, ApprovalInfo& a) {
  r.str(j, "status", "approval.", a.status);
  r.time(j, "requested", a.requested);
  r.time(j, "expires", a.expires);
  read_strings(r, j, "rules", "approval.", a.rules);
  if (const json* who = r.field(j, "approvers"); who && who->is_object()) {
    read_strings(r, *who, "slack_users", "approval.approvers.", a.slack_users);
    read_strings(r, *who, "slack_groups", "approval.approvers.", a.slack_groups);
    read_strings(r, *who, "tokens", "approval.approvers.", a.tokens);
  }
  r.str(j, "on_expiry", "approval.", a.on_expiry);
  r.str(j, "decided_by", "approval.", a.decided_by);
  r.str(j, "via", "approval.", a.via);
  r.time(j, "decided", a.decided);
  r.str(j, "note", "approval.", a.note);
  if (const json* sl = r.field(j, "slack"); sl && sl->is_object()) {
    r.str(*sl, "channel", "approval.slack.", a.slack_channel);
    r.str(*sl, "ts", "approval.slack.", a.slack_ts);
    r.str(*sl, "response_url", "approval.slack.", a.slack_response_url);
  }
  r.str(j, "notify_error", "approval.", a.notify_error);
}

json time_or_null(const std::optional<TimePoint>& t) { return t ? json(format_rfc3339_ms(*t)) : json(nullptr); }
json ms_or_null(const std::optional<TimePoint>& t) {
  return t ? json(t->time_since_epoch().count()) : json(nullptr);
}

json remediation_json(const RemediationInfo& m) {
  json evidence = json::array();
  for (const auto& e : m.evidence)
    evidence.push_back({{"signal", e.signal}, {"value", e.value}, {"baseline", e.baseline}, {"note", e.note}});
  json j = {{"class", m.incident_class},     {"proposed", m.proposed},     {"confidence", m.confidence},
            {"expected_effect", m.expected_effect}, {"evidence", std::move(evidence)},
            {"signal", m.signal},            {"threshold", m.threshold},   {"recovery", m.recovery},
            {"recovery_detail", m.recovery_detail}, {"follow_up_of", m.follow_up_of}};
  for (const auto& [key, t] : {std::pair{"onset", &m.onset}, std::pair{"deadline", &m.deadline},
                               std::pair{"rolled_out", &m.rolled_out}}) {
    j[key] = time_or_null(*t);
    j[std::string(key) + "_unix_ms"] = ms_or_null(*t);
  }
  if (!m.notify_error.empty()) j["notify_error"] = m.notify_error;
  return j;
}

void read_remediation(Reader& r, const json& j, RemediationInfo& m) {
  const std::string at = "remediation.";
  r.str(j, "class", at, m.incident_class);
  r.str(j, "proposed", at, m.proposed);
  r.num(j, "confidence", at, m.confidence);
  r.str(j, "expected_effect", at, m.expected_effect);
  r.str(j, "signal", at, m.signal);
  r.num(j, "threshold", at, m.threshold);
  r.str(j, "recovery", at, m.recovery);
  r.str(j, "recovery_detail", at, m.recovery_detail);
  r.str(j, "follow_up_of", at, m.follow_up_of);
  r.str(j, "notify_error", at, m.notify_error);
  for (const auto& [key, t] : {std::pair{"onset", &m.onset}, std::pair{"deadline", &m.deadline},
                               std::pair{"rolled_out", &m.rolled_out}}) {
    const json* ms = r.field(j, (std::string(key) + "_unix_ms").c_str());
    const json* text = r.field(j, key);
    if ((ms && !ms->is_null()) || (text && !text->is_null())) {
      TimePoint v{};
      r.time(j, key, v);
      *t = v;
    }
  }
  if (const json* arr = r.array(j, "evidence")) {
    m.evidence.clear();
    for (std::size_t i = 0; i < arr->size() && r.ok(); ++i) {
      const json& o = (*arr)[i];
      const std::string eat = cat({"remediation.evidence[", std::to_string(i), "]."});
      if (!o.is_object()) r.fail(eat.substr(0, eat.size() - 1), "an object", o);
      RemediationEvidence e;
      r.str(o, "signal", eat, e.signal);
      r.num(o, "value", eat, e.value);
      r.num(o, "baseline", eat, e.baseline);
      r.str(o, "note", eat, e.note);
      m.evidence.push_back(std::move(e));
    }
  }
}

}  // namespace

json to_json(const Decision& d) {
  json j;
  j["id"] = d.id;
  j["target"] = d.target;
  j["namespace"] = d.namespace_;
  j["target_kind"] = d.target_kind;
  j["created"] = format_rfc3339_ms(d.created);
  j["created_unix_ms"] = d.created.time_since_epoch().count();
  j["updated"] = format_rfc3339_ms(d.updated);
  j["updated_unix_ms"] = d.updated.time_since_epoch().count();
  if (d.applied) {
    j["applied"] = time_or_null(d.applied);
    j["applied_unix_ms"] = ms_or_null(d.applied);
  }
  j["mode"] = d.mode;
  j["state"] = to_string(d.state);
  j["action"] = d.action;
  j["current_replicas"] = d.current_replicas;
  j["desired_replicas"] = d.desired_replicas;
  j["reason"] = d.reason;
  if (!d.params.empty()) j["params"] = d.params;
  if (d.remediation.classified()) j["remediation"] = remediation_json(d.remediation);
  json observed = json::array();
  for (const auto& o : d.observed) {
    observed.push_back({{"role", o.role},
                        {"query", o.query},
                        {"status", o.status},
                        {"value", o.value},
                        {"age_seconds", o.age_seconds},
                        {"error", o.error}});
  }
  j["observed"] = std::move(observed);
  const auto& p = d.prediction;
  j["prediction"] = {{"model", p.model},
                     {"enough_data", p.enough_data},
                     {"horizon_seconds", p.horizon_seconds},
                     {"mean", p.mean},
                     {"lower", p.lower},
                     {"upper", p.upper},
                     {"level", p.level},
                     {"confidence", p.confidence},
                     {"note", p.note},
                     {"trusted", p.trusted},
                     {"accuracy",
                      {{"scored", p.accuracy.scored},
                       {"window", p.accuracy.window},
                       {"mase", p.accuracy.mase},
                       {"coverage", p.accuracy.coverage},
                       {"abs_pct_error", p.accuracy.abs_pct_error}}}};
  if (d.incident.assessed) {
    json drivers = json::array();
    for (const auto& r : d.incident.drivers) {
      json dj = {{"detector", r.detector}, {"series", r.series},       {"score", r.score},
                 {"value", r.value},       {"expected", r.expected},   {"deviation", r.deviation},
                 {"unit", r.unit},         {"explanation", r.explanation}};
      if (r.since) {
        dj["since"] = format_rfc3339_ms(*r.since);
        dj["since_unix_ms"] = r.since->time_since_epoch().count();
      }
      drivers.push_back(std::move(dj));
    }
    j["incident"] = {{"risk", d.incident.risk},
                     {"level", d.incident.level},
                     {"summary", d.incident.summary},
                     {"drivers", std::move(drivers)},
                     {"burn_rate", d.incident.burn_rate},
                     {"detection_precision", d.incident.detection_precision},
                     {"detection_recall", d.incident.detection_recall}};
  }
  j["policy_checked"] = d.policy_checked;
  json rules = json::array();
  for (const auto& r : d.policy.rules) {
    json rj = {{"rule", r.rule}, {"verdict", policies::to_string(r.verdict)}, {"reason", r.reason}};
    if (r.adjusted_replicas) rj["adjusted_replicas"] = *r.adjusted_replicas;
    rules.push_back(std::move(rj));
  }
  j["policy"] = {{"verdict", policies::to_string(d.policy.verdict)},
                 {"replicas", d.policy.replicas},
                 {"rules", std::move(rules)}};
  if (d.approval.asked()) j["approval"] = to_json(d.approval);
  json calls = json::array();
  for (const auto& c : d.calls) {
    calls.push_back({{"method", c.method},
                     {"url", c.url},
                     {"body", c.body},
                     {"status", c.status},
                     {"response", c.response}});
  }
  j["calls"] = std::move(calls);
  j["outcome"] = d.outcome;
  j["error"] = d.error;
  return j;
}

bool from_json(const json& j, Decision& d, std::string* error) {
  Reader r(error);
  if (!j.is_object()) {
    r.fail("(record)", "a JSON object", j);
    return false;
  }
  r.str(j, "id", "", d.id);
  r.str(j, "target", "", d.target);
  r.str(j, "namespace", "", d.namespace_);
  r.str(j, "target_kind", "", d.target_kind);
  r.time(j, "created", d.created);
  r.time(j, "updated", d.updated);
  if (const json* ms = r.field(j, "applied_unix_ms"); ms && !ms->is_null()) {
    TimePoint v{};
    r.time(j, "applied", v);
    d.applied = v;
  }
  r.str(j, "mode", "", d.mode);
  std::string state;
  r.str(j, "state", "", state);
  if (r.ok() && !state.empty()) {
    if (auto s = parse_state(state))
      d.state = *s;
    else
      r.fail("state",
             "one of proposed, held, planned, denied, pending_approval, acting, "
             "applied, verified, failed, superseded",
             j.at("state"));
  }
  r.str(j, "action", "", d.action);
  r.integer(j, "current_replicas", "", d.current_replicas);
  r.integer(j, "desired_replicas", "", d.desired_replicas);
  r.str(j, "reason", "", d.reason);
  if (const json* p = r.object(j, "params")) {
    d.params.clear();
    for (const auto& [k, v] : p->items()) {
      if (!v.is_string()) {
        r.fail("params." + k, "a string", v);
        break;
      }
      d.params[k] = v.get<std::string>();
    }
  }
  if (const json* m = r.object(j, "remediation")) read_remediation(r, *m, d.remediation);
  if (const json* arr = r.array(j, "observed")) {
    d.observed.clear();
    for (std::size_t i = 0; i < arr->size() && r.ok(); ++i) {
      const json& o = (*arr)[i];
      const std::string at = cat({"observed[", std::to_string(i), "]."});
      if (!o.is_object()) r.fail(at.substr(0, at.size() - 1), "an object", o);
      ObservedSignal s;
      r.str(o, "role", at, s.role);
      r.str(o, "query", at, s.query);
      r.str(o, "status", at, s.status);
      r.num(o, "value", at, s.value);
      r.num(o, "age_seconds", at, s.age_seconds);
      r.str(o, "error", at, s.error);
      d.observed.push_back(std::move(s));
    }
  }
  if (const json* p = r.object(j, "prediction")) {
    auto& pr = d.prediction;
    r.str(*p, "model", "prediction.", pr.model);
    r.boolean(*p, "enough_data", "prediction.", pr.enough_data);
    r.num(*p, "horizon_seconds", "prediction.", pr.horizon_seconds);
    r.num(*p, "mean", "prediction.", pr.mean);
    r.num(*p, "lower", "prediction.", pr.lower);
    r.num(*p, "upper", "prediction.", pr.upper);
    r.num(*p, "level", "prediction.", pr.level);
    r.num(*p, "confidence", "prediction.", pr.confidence);
    r.str(*p, "note", "prediction.", pr.note);
    r.boolean(*p, "trusted", "prediction.", pr.trusted);
    if (const json* a = r.object(*p, "accuracy")) {
      r.integer(*a, "scored", "prediction.accuracy.", pr.accuracy.scored);
      r.integer(*a, "window", "prediction.accuracy.", pr.accuracy.window);
      r.num(*a, "mase", "prediction.accuracy.", pr.accuracy.mase);
      r.num(*a, "coverage", "prediction.accuracy.", pr.accuracy.coverage);
      r.num(*a, "abs_pct_error", "prediction.accuracy.", pr.accuracy.abs_pct_error);
    }
  }
  if (const json* inc = r.object(j, "incident")) {
    auto& ia = d.incident;
    ia.assessed = true;
    r.num(*inc, "risk", "incident.", ia.risk);
    r.str(*inc, "level", "incident.", ia.level);
    r.str(*inc, "summary", "incident.", ia.summary);
    r.num(*inc, "detection_precision", "incident.", ia.detection_precision);
    r.num(*inc, "burn_rate", "incident.", ia.burn_rate);
    r.num(*inc, "detection_recall", "incident.", ia.detection_recall);
    if (const json* arr = r.array(*inc, "drivers")) {
      for (std::size_t i = 0; i < arr->size() && r.ok(); ++i) {
        const json& o = (*arr)[i];
        const std::string at = cat({"incident.drivers[", std::to_string(i), "]."});
        if (!o.is_object()) r.fail(at.substr(0, at.size() - 1), "an object", o);
        RiskDriver rd;
        r.str(o, "detector", at, rd.detector);
        r.str(o, "series", at, rd.series);
        r.num(o, "score", at, rd.score);
        r.num(o, "value", at, rd.value);
        r.num(o, "expected", at, rd.expected);
        r.num(o, "deviation", at, rd.deviation);
        r.str(o, "unit", at, rd.unit);
        r.str(o, "explanation", at, rd.explanation);
        if (o.is_object() && (o.contains("since_unix_ms") || o.contains("since"))) {
          TimePoint since{};
          r.time(o, "since", since);
          rd.since = since;
        }
        ia.drivers.push_back(std::move(rd));
      }
    }
  }
  r.boolean(j, "policy_checked", "", d.policy_checked);
  if (const json* p = r.object(j, "policy")) {
    std::string verdict;
    r.str(*p, "verdict", "policy.", verdict);
    if (r.ok() && !verdict.empty()) {
      if (auto v = parse_verdict(verdict))
        d.policy.verdict = *v;
      else
        r.fail("policy.verdict", "allow, deny or needs_approval", p->at("verdict"));
    }
    r.integer(*p, "replicas", "policy.", d.policy.replicas);
    if (const json* rules = r.array(*p, "rules")) {
      d.policy.rules.clear();
      for (std::size_t i = 0; i < rules->size() && r.ok(); ++i) {
        const json& o = (*rules)[i];
        const std::string at = cat({"policy.rules[", std::to_string(i), "]."});
        if (!o.is_object()) r.fail(at.substr(0, at.size() - 1), "an object", o);
        policies::RuleResult rr;
        r.str(o, "rule", at, rr.rule);
        std::string v;
        r.str(o, "verdict", at, v);
        if (r.ok() && !v.empty()) {
          if (auto pv = parse_verdict(v))
            rr.verdict = *pv;
          else
            r.fail(at + "verdict", "allow, deny or needs_approval", o.at("verdict"));
        }
        r.str(o, "reason", at, rr.reason);
        if (o.is_object() && o.contains("adjusted_replicas") && !o["adjusted_replicas"].is_null()) {
          int adj = 0;
          r.integer(o, "adjusted_replicas", at, adj);
          rr.adjusted_replicas = adj;
        }
        d.policy.rules.push_back(std::move(rr));
      }
    }
  }
  if (const json* a = r.field(j, "approval"); a && a->is_object())
    read_approval(r, *a, d.approval);
  else if (a && !a->is_null() && !a->is_string())  // a string: older records' free text
    r.fail("approval", "an object", *a);
  if (const json* arr = r.array(j, "calls")) {
    d.calls.clear();
    for (std::size_t i = 0; i < arr->size() && r.ok(); ++i) {
      const json& o = (*arr)[i];
      const std::string at = cat({"calls[", std::to_string(i), "]."});
      if (!o.is_object()) r.fail(at.substr(0, at.size() - 1), "an object", o);
      actuators::ApiCall c;
      r.str(o, "method", at, c.method);
      r.str(o, "url", at, c.url);
      r.str(o, "body", at, c.body);
      r.integer(o, "status", at, c.status);
      r.str(o, "response", at, c.response);
      d.calls.push_back(std::move(c));
    }
  }
  r.str(j, "outcome", "", d.outcome);
  r.str(j, "error", "", d.error);
  return r.ok();
}

}  // namespace opspilot::agent
