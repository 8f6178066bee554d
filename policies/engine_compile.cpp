// The compile stage: rule names and constant reason fragments of a document, formatted once
// (engine_compiled.h). The wording here must stay the evaluator's (engine.cpp) — the two halves
// of each reason meet there; tests/policy_engine_equivalence_test.cpp holds them to the
// reference wording.
#include <algorithm>

#include "policies/engine_compiled.h"

namespace opspilot::policies::compiled {

Pattern compile_pattern(const std::string& glob) {
  const auto stars = static_cast<std::size_t>(std::count(glob.begin(), glob.end(), '*'));
  if (stars == glob.size()) return {stars == 0 ? Pattern::Shape::Exact : Pattern::Shape::Any, ""};
  if (stars == 0) return {Pattern::Shape::Exact, glob};
  if (stars == 1 && glob.back() == '*') return {Pattern::Shape::Prefix, glob.substr(0, glob.size() - 1)};
  if (stars == 1 && glob.front() == '*') return {Pattern::Shape::Suffix, glob.substr(1)};
  return {Pattern::Shape::Glob, glob};
}

bool selects(const CompiledDocument& c, const Proposal& p) {
  if (c.selectors.empty()) return true;
  for (const CompiledSelector& cs : c.selectors) {
    if (!cs.namespace_.matches(p.namespace_) || !cs.name.matches(p.target)) continue;
    if (cs.source->matches_labels_and_environment(p)) return true;
  }
  return false;
}

namespace {

std::string num(double v) {
  char b[32];
  return std::string(b, format_num(b, b + sizeof b, v));
}
std::string dur(std::chrono::seconds d) { return format_policy_duration(d); }

// "2 pods and 25%": a blast-radius limit as the reasons state it.
std::string pods_and_percent(const std::optional<int>& pods, const std::optional<double>& percent) {
  std::string limit;
  if (pods) limit += std::to_string(*pods) + " pods";
  if (percent) limit += (limit.empty() ? "" : " and ") + num(*percent) + "%";
  return limit;
}

}  // namespace

CompiledDocument compile_document(const PolicyDocument& d, Arena& a) {
  CompiledDocument c;
  c.source = &d;
  c.actions_listed = d.actions_listed;
  c.allowed_kinds = d.allowed_kinds;
  c.has_protections = d.protections.has_value();
  c.has_bounds = d.bounds.has_value();
  c.has_step = d.step.has_value();
  c.has_blast_radius = d.blast_radius.has_value();
  c.window_kinds = d.windows ? d.windows->kinds : 0;
  c.default_verdict = d.default_verdict;
  for (const Selector& s : d.targets)
    c.selectors.push_back(CompiledSelector{compile_pattern(s.namespace_), compile_pattern(s.name), &s});
  const std::string& pre = d.prefix;
  auto name = [&](std::string_view rule) { return a.add(pre + std::string(rule)); };
  c.actions = name("actions");
  c.actions_tail = a.add(" (" + d.actions_text + ")");
  c.default_rule = name("default");
  c.default_head = a.add("no rule of policy \"" + d.name + "\" applies to a ");
  c.default_tail = a.add(std::string("; its default is ") + to_string(d.default_verdict));
  c.zone = a.add(d.zone->name());
  if (const auto& pr = d.protections) {
    c.complete_data = name("protections.complete_data");
    c.max_data_age = name("protections.max_data_age");
    c.max_forecast_mase = name("protections.max_forecast_mase");
    c.min_interval_coverage = name("protections.min_interval_coverage");
    c.max_burn_rate = name("protections.max_burn_rate_for_scale_down");
    if (pr->max_data_age) c.max_data_age_tail = a.add("s old, limit " + dur(*pr->max_data_age));
    if (pr->max_forecast_mase) c.mase_tail = a.add(", limit " + num(*pr->max_forecast_mase));
    if (pr->min_interval_coverage) c.coverage_tail = a.add("%, floor " + num(*pr->min_interval_coverage * 100) + "%");
    if (pr->max_burn_rate_for_scale_down) {
      c.burn_refused_tail = a.add("x, scale-down refused above " + num(*pr->max_burn_rate_for_scale_down) + "x");
      c.burn_allowed_tail = a.add("x, scale-down allowed up to " + num(*pr->max_burn_rate_for_scale_down) + "x");
    }
  }
  if (d.bounds) {
    c.bounds = name("bounds");
    c.bounds_max = name("bounds.max_replicas");
    c.bounds_min = name("bounds.min_replicas");
    c.bounds_slo_floor = name("bounds.slo_floor");
    if (d.bounds->max_replicas) c.max_replicas = a.add(std::to_string(*d.bounds->max_replicas));
  }
  if (d.step) {
    c.step_up = name("step.max_up");
    c.step_down = name("step.max_down");
  }
  if (const auto& b = d.blast_radius) {
    c.at_once = name("blast_radius.at_once");
    c.per_hour = name("blast_radius.per_hour");
    c.rollbacks_per_deploy = name("blast_radius.rollbacks_per_deploy");
    c.at_once_limit = a.add(pods_and_percent(b->max_pods_at_once, b->max_percent_at_once));
    c.per_hour_limit = a.add(pods_and_percent(b->max_pods_per_hour, b->max_percent_per_hour));
    if (b->max_rollbacks_per_deploy)
      c.rollbacks_tail = a.add(" rollback(s) already done for this deploy, limit " + std::to_string(*b->max_rollbacks_per_deploy));
  }
  if (d.windows) {
    c.allowed_hours = name("windows.allowed_hours");
    std::string all;
    for (const HoursWindow& w : d.windows->allowed) {
      const std::string text = w.describe();
      c.window_describe.push_back(a.add(text));
      all += (all.empty() ? "" : "; ") + text;
    }
    c.windows_all = a.add(all);
  }
  for (const KindDuration& k : d.cooldowns) {
    c.cooldowns.push_back(Cooldown{k.kinds, k.period, name("cooldowns." + k.kind), a.add("no earlier " + k.kind + " on record"),
                                   a.add("last " + k.kind + " was "), a.add(" ago; cooldown " + dur(k.period)),
                                   a.add(" ago (cooldown " + dur(k.period) + ")")});
  }
  for (const RateLimit& rl : d.rate_limits) {
    const std::string tail = " in the last " + dur(rl.window) + ", limit " + std::to_string(rl.max);
    c.rate_limits.push_back(RateLimitCheck{rl.kinds, rl.max, rl.window, name("rate_limits." + rl.name),
                                           a.add(" " + rl.kind + " action" + tail), a.add(" " + rl.kind + " actions" + tail)});
  }
  for (const Freeze& f : d.freezes) {
    const std::string what =
        f.cron ? "recurring freeze \"" + f.name + "\" (" + f.cron_text + " for " + dur(f.duration) + ", " + f.zone->name() + ")"
               : "freeze \"" + f.name + "\" (" + f.from_text + " to " + f.to_text + ", " + f.zone->name() + ")";
    c.freezes.push_back(FreezeCheck{f.kinds, &f, name("freezes." + f.name), a.add(what + " is in force"),
                                    a.add(what + " is not in force")});
  }
  for (const ApprovalRule& r : d.approvals) {
    ApprovalCheck t;
    t.kinds = r.kinds;
    t.min_step = r.min_step;
    t.min_step_percent = r.min_step_percent;
    t.confidence_below = r.confidence_below;
    if (!r.environments.empty()) t.environments = &r.environments;
    if (r.hours) t.hours = &*r.hours;
    t.source = &r;
    t.rule = name("approval." + r.name);
    if (r.min_step) {
      t.min_step_holds = a.add(" >= " + std::to_string(*r.min_step));
      t.min_step_fails = a.add(" < " + std::to_string(*r.min_step));
    }
    if (r.min_step_percent) {
      t.min_step_percent_holds = a.add("% >= " + num(*r.min_step_percent) + "%");
      t.min_step_percent_fails = a.add("% < " + num(*r.min_step_percent) + "%");
    }
    if (r.confidence_below) {
      t.confidence_holds = a.add(" < " + num(*r.confidence_below));
      t.confidence_fails = a.add(" >= " + num(*r.confidence_below));
    }
    if (r.hours) {
      t.hours_holds = a.add(" in " + r.hours->describe());
      t.hours_fails = a.add(" not in " + r.hours->describe());
    }
    t.lives_tail = a.add("; request lives " + dur(r.ttl));
    c.approvals.push_back(t);
  }
  return c;
}

}  // namespace opspilot::policies::compiled
