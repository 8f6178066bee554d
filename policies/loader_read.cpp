// Stage 1 of the policy loader: YAML text -> PolicyDocument values. The schema (which keys
// exist where) lives here; value conversion and reporting in yaml_reader.cpp.
#include <algorithm>
#include <climits>

#include "policies/loader.h"
#include "policies/yaml_reader.h"

namespace opspilot::policies {
namespace {

using namespace yaml;
using std::chrono::seconds;

const Keys kTopKeys{"apiVersion", "kind", "metadata", "spec"};
const Keys kMetadataKeys{"name", "description"};
const Keys kSpecKeys{"targets",      "timezone", "actions",     "default",     "bounds",
                     "step",         "cooldowns", "rate_limits", "blast_radius", "windows",
                     "freezes",      "protections", "approval"};
const Keys kSelectorKeys{"namespace", "name", "labels", "environments"};
const Keys kBoundsKeys{"min_replicas", "max_replicas", "slo_floor"};
const Keys kStepKeys{"max_up", "max_down", "max_up_percent", "max_down_percent", "on_exceed"};
const Keys kRateKeys{"name", "kind", "max", "window"};
const Keys kBlastKeys{"max_pods_at_once", "max_percent_at_once", "max_pods_per_hour", "max_percent_per_hour",
                      "max_rollbacks_per_deploy"};
const Keys kWindowsKeys{"allowed_hours", "kinds", "outside"};
const Keys kHoursKeys{"days", "from", "to"};
const Keys kFreezeKeys{"name", "from", "to", "cron", "duration", "timezone", "kinds", "verdict"};
const Keys kProtectionKeys{"max_burn_rate_for_scale_down", "max_data_age", "require_complete_data",
                           "max_forecast_mase", "min_interval_coverage"};
const Keys kApprovalKeys{"ttl", "on_expiry", "rules"};
const Keys kApprovalRuleKeys{"name",         "kinds", "min_step", "min_step_percent", "confidence_below",
                             "environments", "hours", "approvers", "ttl",            "on_expiry"};
const Keys kApproverKeys{"slack_users", "slack_groups", "tokens"};
const Keys kVerdicts{"allow", "deny", "needs_approval"};
const Keys kBlocking{"deny", "needs_approval"};

// Keys written one level too high, and where they belong.
std::map<std::string_view, std::string_view> spec_misplaced() {
  std::map<std::string_view, std::string_view> m;
  for (auto k : kBoundsKeys) m[k] = "bounds";
  for (auto k : kStepKeys) m[k] = "step";
  for (auto k : kBlastKeys) m[k] = "blast_radius";
  for (auto k : kProtectionKeys) m[k] = "protections";
  m["allowed_hours"] = "windows";
  m["rules"] = "approval";
  return m;
}
std::map<std::string_view, std::string_view> top_misplaced() {
  std::map<std::string_view, std::string_view> m;
  for (auto k : kSpecKeys) m[k] = "spec";
  m["name"] = "metadata";
  return m;
}

template <class F>
void each_item(Reader& r, const Entry* e, std::string_view expected, F&& f) {
  if (e == nullptr || e->value.IsNull()) return;
  if (!e->value.IsSequence()) {
    r.bad(*e, Code::WrongType, msg::wrong_type(expected, describe(e->value)));
    return;
  }
  std::size_t i = 0;
  for (const Node n : e->value.items()) {
    const std::string path = item(e->path, i);
    f(n, path, i);
    ++i;
  }
}

class DocumentReader {
 public:
  DocumentReader(Reader& r, DiagnosticSink& sink) : r_(r), sink_(sink) {}

  bool read(const Node& root, PolicyDocument& d) {
    const std::size_t errors_before = error_count();
    d.pos = r_.pos(root, "");
    d.zone = TimeZone::utc();
    const auto top = r_.map(root, "", &kTopKeys, top_misplaced());
    if (!top) return false;
    std::string s;
    if (const Entry* e = top->find("apiVersion")) {
      if (r_.read_string(e, s) && s != "opspilot.dev/v1") r_.bad(*e, Code::BadVersion, msg::bad_api_version(s));
    } else {
      r_.error(Code::MissingKey, root, "", msg::missing_key("apiVersion"));
    }
    if (const Entry* e = top->find("kind")) {
      if (r_.read_string(e, s) && s != "Policy") r_.bad(*e, Code::BadVersion, msg::bad_kind(s));
    } else {
      r_.error(Code::MissingKey, root, "", msg::missing_key("kind"));
    }
    const Entry* meta = top->find("metadata");
    if (const auto m = r_.section(meta, &kMetadataKeys)) {
      if (const Entry* n = m->find("name")) {
        if (r_.read_string(n, d.name)) d.pos = r_.pos(*n);
      } else {
        r_.error(Code::MissingKey, meta->value.IsNull() ? meta->key_node : meta->value, meta->path,
                 msg::missing_key("name"));
      }
      r_.read_string(m->find("description"), d.description);
    } else if (meta == nullptr) {
      r_.error(Code::MissingKey, root, "", msg::missing_key("metadata"));
    }
    d.prefix = d.name.empty() ? "policy/" : d.name + "/";
    const Entry* spec_entry = top->find("spec");
    if (spec_entry == nullptr) r_.error(Code::MissingKey, root, "", msg::missing_key("spec"));
    if (const auto spec = r_.section(spec_entry, &kSpecKeys, spec_misplaced())) read_spec(*spec, d);
    return error_count() == errors_before;
  }

 private:
  std::size_t error_count() const {
    return static_cast<std::size_t>(std::count_if(sink_.diagnostics().begin(), sink_.diagnostics().end(),
                                                  [](const Diagnostic& x) { return x.is_error(); }));
  }

  void read_spec(const MapView& spec, PolicyDocument& d) {
    // The zone first: windows, freezes and approval hours are read in it.
    if (const Entry* e = spec.find("timezone")) r_.read_time_zone(e, d.zone);
    each_item(r_, spec.find("targets"), "a list of target selectors", [&](const Node& n, const std::string& path, std::size_t) {
      read_selector(n, path, d);
    });
    if (const Entry* e = spec.find("actions")) {
      if (r_.read_kinds(e, d.allowed_kinds, &d.actions_text)) d.actions_listed = true;
    }
    r_.read_verdict(spec.find("default"), kVerdicts, d.default_verdict);
    read_bounds(spec.find("bounds"), d);
    read_step(spec.find("step"), d);
    read_cooldowns(spec.find("cooldowns"), d);
    each_item(r_, spec.find("rate_limits"), "a list of rate limits",
              [&](const Node& n, const std::string& path, std::size_t) { read_rate_limit(n, path, d); });
    read_blast_radius(spec.find("blast_radius"), d);
    read_windows(spec.find("windows"), d);
    std::map<std::string, int> freeze_names;
    each_item(r_, spec.find("freezes"), "a list of freezes", [&](const Node& n, const std::string& path, std::size_t i) {
      read_freeze(n, path, i, d, freeze_names);
    });
    read_protections(spec.find("protections"), d);
    read_approval(spec.find("approval"), d);
  }

  void read_selector(const Node& n, const std::string& path, PolicyDocument& d) {
    const auto m = r_.map(n, path, &kSelectorKeys);
    if (!m) return;
    Selector s;
    s.pos = r_.pos(n, path);
    r_.read_string(m->find("namespace"), s.namespace_);
    r_.read_string(m->find("name"), s.name);
    r_.read_string_map(m->find("labels"), s.labels);
    r_.read_strings(m->find("environments"), s.environments);
    d.targets.push_back(std::move(s));
  }

  void read_bounds(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, &kBoundsKeys);
    if (!m) return;
    Bounds b;
    b.pos = r_.pos(*e);
    r_.read_int(m->find("min_replicas"), 0, 1000000, b.min_replicas);
    r_.read_int(m->find("max_replicas"), 0, 1000000, b.max_replicas);
    r_.read_bool(m->find("slo_floor"), b.slo_floor);
    if (b.min_replicas && b.max_replicas && *b.min_replicas > *b.max_replicas) {
      r_.error(Code::Conflict, m->find("min_replicas")->value, m->find("min_replicas")->path,
               msg::min_above_max("replicas", *b.min_replicas, *b.max_replicas));
    }
    d.bounds = b;
  }

  void read_step(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, &kStepKeys);
    if (!m) return;
    StepLimits s;
    s.pos = r_.pos(*e);
    const std::string pct = "a percentage greater than 0, e.g. 50";
    r_.read_int(m->find("max_up"), 1, 1000000, s.max_up);
    r_.read_int(m->find("max_down"), 1, 1000000, s.max_down);
    r_.read_number(m->find("max_up_percent"), 1e-9, 1e6, pct, s.max_up_percent);
    r_.read_number(m->find("max_down_percent"), 1e-9, 100, "a percentage in (0, 100]", s.max_down_percent);
    std::string on;
    if (r_.read_enum(m->find("on_exceed"), {"clamp", "deny", "needs_approval"}, on))
      s.on_exceed = on == "clamp" ? OnExceed::Clamp : on == "deny" ? OnExceed::Deny : OnExceed::NeedsApproval;
    d.step = s;
  }

  void read_cooldowns(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, nullptr);
    if (!m) return;
    for (const Entry& kv : m->entries) {
      KindDuration c;
      const Entry key_entry{kv.key, kv.key_node, kv.key_node, kv.path};
      if (!r_.read_kind(&key_entry, c.kind, c.kinds)) continue;
      if (!r_.read_duration(&kv, seconds(1), c.period)) continue;
      c.pos = r_.pos(kv.key_node, kv.path);
      d.cooldowns.push_back(std::move(c));
    }
  }

  void read_rate_limit(const Node& n, const std::string& path, PolicyDocument& d) {
    const auto m = r_.map(n, path, &kRateKeys);
    if (!m) return;
    RateLimit rl;
    rl.pos = r_.pos(n, path);
    bool ok = true;
    if (const Entry* k = m->find("kind")) ok &= r_.read_kind(k, rl.kind, rl.kinds);
    else ok = false, r_.error(Code::MissingKey, n, path, msg::missing_key("kind"));
    if (const Entry* k = m->find("max")) ok &= r_.read_int(k, 1, 1000000, rl.max);
    else ok = false, r_.error(Code::MissingKey, n, path, msg::missing_key("max"));
    if (const Entry* k = m->find("window")) ok &= r_.read_duration(k, seconds(1), rl.window);
    else ok = false, r_.error(Code::MissingKey, n, path, msg::missing_key("window"));
    if (!ok) return;
    if (!r_.read_string(m->find("name"), rl.name))
      rl.name = rl.kind + "-" + std::to_string(rl.max) + "-per-" + format_policy_duration(rl.window);
    d.rate_limits.push_back(std::move(rl));
  }

  void read_blast_radius(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, &kBlastKeys);
    if (!m) return;
    BlastRadius b;
    b.pos = r_.pos(*e);
    const std::string pct = "a percentage in (0, 100]";
    r_.read_int(m->find("max_pods_at_once"), 1, INT_MAX, b.max_pods_at_once);
    r_.read_int(m->find("max_pods_per_hour"), 1, INT_MAX, b.max_pods_per_hour);
    r_.read_number(m->find("max_percent_at_once"), 1e-9, 100, pct, b.max_percent_at_once);
    r_.read_number(m->find("max_percent_per_hour"), 1e-9, 100, pct, b.max_percent_per_hour);
    r_.read_int(m->find("max_rollbacks_per_deploy"), 0, 1000, b.max_rollbacks_per_deploy);
    d.blast_radius = b;
  }

  bool read_hours(const Node& n, const std::string& path, HoursWindow& w) {
    const auto m = r_.map(n, path, &kHoursKeys);
    if (!m) return false;
    w.pos = r_.pos(n, path);
    bool ok = true;
    if (const Entry* e = m->find("days")) {
      ok &= r_.read_days(e, w.days);
      if (ok && w.days.none()) ok = r_.bad(*e, Code::Conflict, msg::empty_days());
    }
    const Entry* from = m->find("from");
    const Entry* to = m->find("to");
    if (from == nullptr) ok = false, r_.error(Code::MissingKey, n, path, msg::missing_key("from"));
    else ok &= r_.read_time_of_day(from, w.from);
    if (to == nullptr) ok = false, r_.error(Code::MissingKey, n, path, msg::missing_key("to"));
    else ok &= r_.read_time_of_day(to, w.to);
    if (ok && (w.from == w.to || (w.from == 0 && w.to == 0)))
      ok = r_.bad(*to, Code::Conflict, msg::empty_window(from->value.Scalar(), to->value.Scalar()));
    return ok;
  }

  void read_windows(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, &kWindowsKeys);
    if (!m) return;
    Windows w;
    w.pos = r_.pos(*e);
    const Entry* hours = m->find("allowed_hours");
    if (hours == nullptr) r_.error(Code::MissingKey, r_.at(*e), e->path, msg::missing_key("allowed_hours"));
    each_item(r_, hours, "a list of windows", [&](const Node& n, const std::string& path, std::size_t) {
      HoursWindow h;
      if (read_hours(n, path, h)) w.allowed.push_back(h);
    });
    r_.read_kinds(m->find("kinds"), w.kinds);
    r_.read_verdict(m->find("outside"), kBlocking, w.outside);
    d.windows = std::move(w);
  }

  void read_freeze(const Node& n, const std::string& path, std::size_t i, PolicyDocument& d,
                   std::map<std::string, int>& names) {
    const auto m = r_.map(n, path, &kFreezeKeys);
    if (!m) return;
    Freeze f;
    f.pos = r_.pos(n, path);
    f.zone = d.zone;
    bool ok = true;
    if (const Entry* e = m->find("name")) {
      if (r_.read_string(e, f.name)) {
        if (auto it = names.find(f.name); it != names.end())
          ok = r_.bad(*e, Code::DuplicateName, msg::duplicate_rule(f.name, it->second));
        else
          names[f.name] = r_.pos(*e).line;
      }
    } else {
      f.name = "freeze-" + std::to_string(i + 1);
    }
    if (const Entry* e = m->find("timezone")) ok &= r_.read_time_zone(e, f.zone);
    const Entry* from = m->find("from");
    const Entry* to = m->find("to");
    const Entry* cron = m->find("cron");
    const Entry* duration = m->find("duration");
    auto date = [&](const Entry* e, std::optional<std::int64_t>& out, std::string& text, bool end) {
      if (!r_.scalar(*e, "a date such as \"2026-12-24\"", text)) return false;
      bool date_only = false;
      const auto v = parse_local_date(text, &date_only);
      if (!v) return r_.bad(*e, Code::BadTime, msg::bad_date(text));
      out = *v + (end && date_only ? 1440 : 0);  // a date-only end includes that whole day
      return true;
    };
    if (from && to && !cron) {
      const bool a = date(from, f.from, f.from_text, false);
      const bool b = date(to, f.to, f.to_text, true);
      if (a && b && *f.to <= *f.from) ok = r_.bad(*to, Code::Conflict, msg::freeze_ends_before_start(f.from_text, f.to_text));
      ok &= a && b;
    } else if (cron && duration && !from && !to) {
      std::string why;
      if (r_.scalar(*cron, "a cron expression such as \"0 18 * * fri\"", f.cron_text)) {
        f.cron = CronSchedule::parse(f.cron_text, &why);
        if (!f.cron) ok = r_.bad(*cron, Code::BadCron, msg::bad_cron(f.cron_text, why));
        else if (!f.cron->can_fire()) r_.warning(Code::NeverMatches, cron->value, cron->path, msg::cron_never_fires(f.cron_text));
      } else {
        ok = false;
      }
      // At most a year: a longer recurring freeze is a calendar freeze, and the evaluator walks
      // the days of the span.
      ok &= r_.read_duration(duration, seconds(60), f.duration, std::chrono::hours(24 * 366));
    } else {
      ok = false;
      r_.error(Code::MissingKey, n, path, msg::freeze_needs_dates_or_cron());
    }
    r_.read_kinds(m->find("kinds"), f.kinds);
    r_.read_verdict(m->find("verdict"), kBlocking, f.verdict);
    if (ok) d.freezes.push_back(std::move(f));
  }

  void read_protections(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, &kProtectionKeys);
    if (!m) return;
    Protections p;
    p.pos = r_.pos(*e);
    r_.read_number(m->find("max_burn_rate_for_scale_down"), 0, 1e9, "a number of at least 0, e.g. 2",
                   p.max_burn_rate_for_scale_down);
    seconds age{0};
    if (r_.read_duration(m->find("max_data_age"), seconds(1), age)) p.max_data_age = age;
    r_.read_bool(m->find("require_complete_data"), p.require_complete_data);
    r_.read_number(m->find("max_forecast_mase"), 1e-9, 1e9, "a number greater than 0, e.g. 1.0", p.max_forecast_mase);
    r_.read_number(m->find("min_interval_coverage"), 0, 1, "a number in [0, 1], e.g. 0.8", p.min_interval_coverage);
    d.protections = p;
  }

  void read_approval(const Entry* e, PolicyDocument& d) {
    const auto m = r_.section(e, &kApprovalKeys);
    if (!m) return;
    seconds ttl = std::chrono::minutes(30);
    Verdict on_expiry = Verdict::Deny;
    r_.read_duration(m->find("ttl"), seconds(1), ttl);
    r_.read_verdict(m->find("on_expiry"), {"deny", "allow"}, on_expiry);
    std::map<std::string, int> names;
    each_item(r_, m->find("rules"), "a list of approval rules", [&](const Node& n, const std::string& path, std::size_t i) {
      const auto rm = r_.map(n, path, &kApprovalRuleKeys);
      if (!rm) return;
      ApprovalRule a;
      a.pos = r_.pos(n, path);
      a.ttl = ttl;
      a.on_expiry = on_expiry;
      if (const Entry* ne = rm->find("name"); ne && r_.read_string(ne, a.name)) {
        if (auto it = names.find(a.name); it != names.end()) r_.bad(*ne, Code::DuplicateName, msg::duplicate_rule(a.name, it->second));
        names.emplace(a.name, r_.pos(*ne).line);
      }
      if (a.name.empty()) a.name = "rule-" + std::to_string(i + 1);
      r_.read_kinds(rm->find("kinds"), a.kinds);
      r_.read_int(rm->find("min_step"), 1, 1000000, a.min_step);
      r_.read_number(rm->find("min_step_percent"), 1e-9, 1e6, "a percentage greater than 0", a.min_step_percent);
      r_.read_number(rm->find("confidence_below"), 1e-9, 1, "a number in (0, 1]", a.confidence_below);
      r_.read_strings(rm->find("environments"), a.environments);
      if (const Entry* h = rm->find("hours")) {
        HoursWindow w;
        if (read_hours(h->value, h->path, w)) a.hours = w;
      }
      if (const auto ap = r_.section(rm->find("approvers"), &kApproverKeys)) {
        r_.read_strings(ap->find("slack_users"), a.slack_users);
        r_.read_strings(ap->find("slack_groups"), a.slack_groups);
        r_.read_strings(ap->find("tokens"), a.tokens);
      }
      if (a.slack_users.empty() && a.slack_groups.empty() && a.tokens.empty())
        r_.error(Code::MissingKey, n, path, msg::approvers_missing());
      r_.read_duration(rm->find("ttl"), seconds(1), a.ttl);
      r_.read_verdict(rm->find("on_expiry"), {"deny", "allow"}, a.on_expiry);
      d.approvals.push_back(std::move(a));
    });
  }

  Reader& r_;
  DiagnosticSink& sink_;
};

}  // namespace

std::vector<PolicyDocument> read_policy_documents(std::string_view text, DiagnosticSink& sink,
                                                  std::vector<bool>* document_ok) {
  std::vector<PolicyDocument> out;
  Reader r(sink);
  const ParsedText parsed = parse(text);
  if (!parsed.ok) {
    r.report(Severity::Error, Code::YamlSyntax, parsed.error_mark, "", msg::yaml_syntax(parsed.error_message));
    return out;
  }
  DocumentReader reader(r, sink);
  for (const Node& root : parsed.documents) {
    if (!root.IsDefined() || root.IsNull()) continue;  // an empty document between `---`
    PolicyDocument d;
    const bool ok = reader.read(root, d);
    if (document_ok) document_ok->push_back(ok);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace opspilot::policies
