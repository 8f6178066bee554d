#pragma once
// The policy evaluator as it was before the fast path (issue 4): it formats every reason with
// std::string concatenation and snprintf. Kept here, verbatim but for the entry point, as the
// reference the compiled evaluator (policies/engine.cpp) must equal rule for rule, byte for byte
// (tests/policy_engine_equivalence_test.cpp), like Netdata proving its fast k-means against a plain one.
// Thread-safety: pure functions.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "policies/document.h"
#include "policies/guardrails.h"
#include "policies/policy.h"

namespace opspilot::policies::reference {

using std::chrono::seconds;
using std::chrono::system_clock;

inline std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}
inline std::string ago(seconds s) { return format_policy_duration(s) + " ago"; }

// A history record's kind as bits (scale_up also counts as scale).
inline std::uint32_t record_kinds(const std::string& kind) {
  const std::uint32_t b = kind_bit(kind);
  if (b & (kKindScaleUp | kKindScaleDown)) return b | kKindScale;
  if (b & (kKindResizeUp | kKindResizeDown)) return b | kKindResize;
  return b;
}

struct Record {
  std::uint32_t kinds;
  system_clock::time_point at;
  int pods;
};

// One evaluation: the proposal, what is known, and the results so far.
class Run {
 public:
  Run(const Proposal& p, const Context& c, Evaluation& ev) : p_(p), c_(c), ev_(ev) {
    kinds_ = proposal_kinds(p);
    desired_ = p.desired_replicas;
    records_.reserve(c.history.size() + 2);
    for (const ActionRecord& r : c.history) records_.push_back({record_kinds(r.kind), r.at, r.pods});
    if (c.last_scale_up) records_.push_back({kKindScale | kKindScaleUp, *c.last_scale_up, 0});
    if (c.last_scale_down) records_.push_back({kKindScale | kKindScaleDown, *c.last_scale_down, 0});
    kind_name_ = proposal_kind_name(p);
  }

  std::uint32_t kinds() const { return kinds_; }
  int desired() const { return desired_; }

  void document(const PolicyDocument& d) {
    d_ = &d;
    const std::size_t before = ev_.rules.size();
    if (d.actions_listed) actions();
    protections();
    if (kinds_ & (kKindScale | kKindResize)) {
      bounds();
      step();
    }
    cooldowns();
    rate_limits();
    blast_radius();
    windows();
    freezes();
    approvals();
    if (ev_.rules.size() == before)
      add("default", d.default_verdict,
          "no rule of policy \"" + d.name + "\" applies to a " + kind_name_ + "; its default is " +
              to_string(d.default_verdict));
  }

 private:
  void add(std::string_view rule, Verdict v, std::string reason, std::optional<int> adjusted = std::nullopt) {
    std::string name;
    name.reserve(d_->prefix.size() + rule.size());
    name.append(d_->prefix).append(rule);
    ev_.rules.push_back(RuleResult{std::move(name), v, std::move(reason), adjusted});
  }
  seconds since(system_clock::time_point t) const {
    return std::chrono::duration_cast<seconds>(c_.now - t);
  }
  const LocalTime& local(const std::shared_ptr<const TimeZone>& zone) {
    if (zone.get() != local_zone_) {
      local_ = to_local(*zone, c_.now);
      local_zone_ = zone.get();
    }
    return local_;
  }

  void actions() {
    if (kinds_ & d_->allowed_kinds)
      add("actions", Verdict::Allow, kind_name_ + " is among the permitted actions (" + d_->actions_text + ")");
    else
      add("actions", Verdict::Deny, kind_name_ + " is not among the permitted actions (" + d_->actions_text + ")");
  }

  void protections() {
    if (!d_->protections) return;
    const Protections& pr = *d_->protections;
    if (pr.require_complete_data && !c_.data_complete)
      add("protections.complete_data", Verdict::Deny, "a signal the proposal relies on is missing");
    if (pr.max_data_age) {
      const double limit = static_cast<double>(pr.max_data_age->count());
      const std::string text = "data is " + num(c_.data_age_seconds) + "s old, limit " + format_policy_duration(*pr.max_data_age);
      add("protections.max_data_age", c_.data_age_seconds > limit ? Verdict::Deny : Verdict::Allow, text);
    }
    if (pr.max_forecast_mase) {
      if (!c_.predictor_mase)
        add("protections.max_forecast_mase", Verdict::Allow, "forecast accuracy not measured yet; no floor applied");
      else
        add("protections.max_forecast_mase", *c_.predictor_mase > *pr.max_forecast_mase ? Verdict::Deny : Verdict::Allow,
            "measured forecast MASE " + num(*c_.predictor_mase) + ", limit " + num(*pr.max_forecast_mase));
    }
    if (pr.min_interval_coverage) {
      if (!c_.predictor_coverage)
        add("protections.min_interval_coverage", Verdict::Allow, "interval coverage not measured yet; no floor applied");
      else
        add("protections.min_interval_coverage",
            *c_.predictor_coverage < *pr.min_interval_coverage ? Verdict::Deny : Verdict::Allow,
            "measured interval coverage " + num(*c_.predictor_coverage * 100) + "%, floor " +
                num(*pr.min_interval_coverage * 100) + "%");
    }
    if (pr.max_burn_rate_for_scale_down && (kinds_ & (kKindScaleDown | kKindResizeDown))) {
      const bool burning = c_.error_budget_burn_rate > *pr.max_burn_rate_for_scale_down;
      add("protections.max_burn_rate_for_scale_down", burning ? Verdict::Deny : Verdict::Allow,
          "error budget burns at " + num(c_.error_budget_burn_rate) + "x, scale-down " +
              (burning ? "refused above " : "allowed up to ") + num(*pr.max_burn_rate_for_scale_down) + "x");
    }
  }

  void bounds() {
    if (!d_->bounds) return;
    const Bounds& b = *d_->bounds;
    const int slo = b.slo_floor ? c_.slo_min_replicas : 0;
    const int lower = std::max(b.min_replicas.value_or(0), slo);
    const std::string wanted = "wanted " + std::to_string(desired_);
    if (b.max_replicas && desired_ > *b.max_replicas) {
      add("bounds.max_replicas", Verdict::Allow, wanted + ", capped at max_replicas " + std::to_string(*b.max_replicas), *b.max_replicas);
      desired_ = *b.max_replicas;
      if (lower > desired_)
        add("bounds.slo_floor", Verdict::NeedsApproval,
            "the SLO needs " + std::to_string(lower) + " replicas, above max_replicas " + std::to_string(desired_) +
                "; a human must decide");
    } else if (desired_ < lower) {
      const bool by_slo = slo > b.min_replicas.value_or(0);
      add(by_slo ? "bounds.slo_floor" : "bounds.min_replicas", Verdict::Allow,
          wanted + ", raised to " + std::to_string(lower) +
              (by_slo ? " (the fewest the SLO needs)" : " (min_replicas)"),
          lower);
      desired_ = lower;
    } else {
      add("bounds", Verdict::Allow,
          std::to_string(desired_) + " is within [" + std::to_string(lower) + ", " +
              (b.max_replicas ? std::to_string(*b.max_replicas) : std::string("no max")) + "]");
    }
  }

  void step() {
    if (!d_->step) return;
    const StepLimits& s = *d_->step;
    const int current = p_.current_replicas;
    const bool up = desired_ > current;
    const int size = std::abs(desired_ - current);
    if (size == 0) return;
    int limit = INT32_MAX;
    const auto& abs_limit = up ? s.max_up : s.max_down;
    const auto& pct_limit = up ? s.max_up_percent : s.max_down_percent;
    if (abs_limit) limit = std::min(limit, *abs_limit);
    if (pct_limit) limit = std::min(limit, std::max(1, static_cast<int>(std::floor(current * *pct_limit / 100.0))));
    const std::string rule = up ? "step.max_up" : "step.max_down";
    const std::string sign = up ? "+" : "-";
    if (limit == INT32_MAX) return;
    if (size <= limit) {
      add(rule, Verdict::Allow, "step " + sign + std::to_string(size) + " within the limit " + sign + std::to_string(limit));
      return;
    }
    const std::string over = "step " + sign + std::to_string(size) + " exceeds the limit " + sign + std::to_string(limit);
    if (s.on_exceed == OnExceed::Clamp) {
      desired_ = up ? current + limit : current - limit;
      add(rule, Verdict::Allow, over + "; limited to " + std::to_string(desired_), desired_);
    } else {
      add(rule, s.on_exceed == OnExceed::Deny ? Verdict::Deny : Verdict::NeedsApproval, over);
    }
  }

  void cooldowns() {
    for (const KindDuration& c : d_->cooldowns) {
      if (!(c.kinds & kinds_)) continue;
      std::optional<system_clock::time_point> last;
      for (const Record& r : records_)
        if ((r.kinds & c.kinds) && r.at <= c_.now && (!last || r.at > *last)) last = r.at;
      const std::string rule = "cooldowns." + c.kind;
      if (!last) {
        add(rule, Verdict::Allow, "no earlier " + c.kind + " on record");
      } else if (since(*last) < c.period) {
        add(rule, Verdict::Deny, "last " + c.kind + " was " + ago(since(*last)) + "; cooldown " + format_policy_duration(c.period));
      } else {
        add(rule, Verdict::Allow, "last " + c.kind + " was " + ago(since(*last)) + " (cooldown " + format_policy_duration(c.period) + ")");
      }
    }
  }

  void rate_limits() {
    for (const RateLimit& rl : d_->rate_limits) {
      if (!(rl.kinds & kinds_)) continue;
      int n = 0;
      for (const Record& r : records_)
        if ((r.kinds & rl.kinds) && r.at <= c_.now && since(r.at) < rl.window) ++n;
      const std::string text = std::to_string(n) + " " + rl.kind + (n == 1 ? " action" : " actions") + " in the last " + format_policy_duration(rl.window) +
                               ", limit " + std::to_string(rl.max);
      add("rate_limits." + rl.name, n >= rl.max ? Verdict::Deny : Verdict::Allow, text);
    }
  }

  void blast_radius() {
    if (!d_->blast_radius) return;
    const BlastRadius& b = *d_->blast_radius;
    if (kinds_ & kKindRestart) {
      const int pods = p_.pods_affected > 0 ? p_.pods_affected : p_.current_replicas;
      const int total = std::max(1, p_.total_pods > 0 ? p_.total_pods : p_.current_replicas);
      const double pct = 100.0 * pods / total;
      if (b.max_pods_at_once || b.max_percent_at_once) {
        const bool over = (b.max_pods_at_once && pods > *b.max_pods_at_once) ||
                          (b.max_percent_at_once && pct > *b.max_percent_at_once + 1e-9);
        std::string limit;
        if (b.max_pods_at_once) limit += std::to_string(*b.max_pods_at_once) + " pods";
        if (b.max_percent_at_once) limit += (limit.empty() ? "" : " and ") + num(*b.max_percent_at_once) + "%";
        add("blast_radius.at_once", over ? Verdict::Deny : Verdict::Allow,
            "restarts " + std::to_string(pods) + " of " + std::to_string(total) + " pods (" + num(pct) +
                "%) at once, limit " + limit);
      }
      if (b.max_pods_per_hour || b.max_percent_per_hour) {
        int done = 0;
        for (const Record& r : records_)
          if ((r.kinds & kKindRestart) && r.at <= c_.now && since(r.at) < std::chrono::hours(1)) done += r.pods;
        const int hour = done + pods;
        const double hour_pct = 100.0 * hour / total;
        const bool over = (b.max_pods_per_hour && hour > *b.max_pods_per_hour) ||
                          (b.max_percent_per_hour && hour_pct > *b.max_percent_per_hour + 1e-9);
        std::string limit;
        if (b.max_pods_per_hour) limit += std::to_string(*b.max_pods_per_hour) + " pods";
        if (b.max_percent_per_hour) limit += (limit.empty() ? "" : " and ") + num(*b.max_percent_per_hour) + "%";
        add("blast_radius.per_hour", over ? Verdict::Deny : Verdict::Allow,
            std::to_string(done) + " pods restarted in the last hour + " + std::to_string(pods) + " = " +
                std::to_string(hour) + " (" + num(hour_pct) + "%), limit " + limit + " per hour");
      }
    }
    if ((kinds_ & kKindRollback) && b.max_rollbacks_per_deploy) {
      const bool over = c_.rollbacks_this_deploy >= *b.max_rollbacks_per_deploy;
      add("blast_radius.rollbacks_per_deploy", over ? Verdict::Deny : Verdict::Allow,
          std::to_string(c_.rollbacks_this_deploy) + " rollback(s) already done for this deploy, limit " +
              std::to_string(*b.max_rollbacks_per_deploy));
    }
  }

  void windows() {
    if (!d_->windows || !(d_->windows->kinds & kinds_)) return;
    const LocalTime& t = local(d_->zone);
    const std::string when = format_time_of_day(t.minute_of_day) + " " + d_->zone->name();
    for (const HoursWindow& w : d_->windows->allowed) {
      if (w.contains(t)) {
        add("windows.allowed_hours", Verdict::Allow, "inside the allowed hours " + w.describe() + " (" + when + ")");
        return;
      }
    }
    std::string all;
    for (const HoursWindow& w : d_->windows->allowed) all += (all.empty() ? "" : "; ") + w.describe();
    add("windows.allowed_hours", d_->windows->outside, "outside the allowed hours " + all + " (" + when + ")");
  }

  void freezes() {
    for (const Freeze& f : d_->freezes) {
      if (!(f.kinds & kinds_)) continue;
      const LocalTime& t = local(f.zone);
      bool active = false;
      std::string what;
      if (f.cron) {
        active = f.cron->fired_within(t.local_minutes, f.duration.count() / 60);
        what = "recurring freeze \"" + f.name + "\" (" + f.cron_text + " for " + format_policy_duration(f.duration) + ", " + f.zone->name() + ")";
      } else {
        active = t.local_minutes >= *f.from && t.local_minutes < *f.to;
        what = "freeze \"" + f.name + "\" (" + f.from_text + " to " + f.to_text + ", " + f.zone->name() + ")";
      }
      add("freezes." + f.name, active ? f.verdict : Verdict::Allow, what + (active ? " is in force" : " is not in force"));
    }
  }

  void approvals() {
    for (const ApprovalRule& a : d_->approvals) {
      if (!(a.kinds & kinds_)) continue;
      const int size = std::abs(desired_ - p_.current_replicas);
      std::string met, unmet;
      auto check = [&](bool ok, std::string yes, std::string no) {
        if (ok) met += (met.empty() ? "" : ", ") + yes;
        else if (unmet.empty()) unmet = std::move(no);
      };
      if (a.min_step)
        check(size >= *a.min_step, "step " + std::to_string(size) + " >= " + std::to_string(*a.min_step),
              "step " + std::to_string(size) + " < " + std::to_string(*a.min_step));
      if (a.min_step_percent) {
        const double pct = p_.current_replicas > 0 ? 100.0 * size / p_.current_replicas : (size > 0 ? 1e9 : 0);
        check(pct >= *a.min_step_percent, "step " + num(pct) + "% >= " + num(*a.min_step_percent) + "%",
              "step " + num(pct) + "% < " + num(*a.min_step_percent) + "%");
      }
      if (a.confidence_below)
        check(p_.confidence < *a.confidence_below, "confidence " + num(p_.confidence) + " < " + num(*a.confidence_below),
              "confidence " + num(p_.confidence) + " >= " + num(*a.confidence_below));
      if (!a.environments.empty()) {
        const bool in = std::find(a.environments.begin(), a.environments.end(), p_.environment) != a.environments.end();
        check(in, "environment \"" + p_.environment + "\"", "environment \"" + p_.environment + "\" not listed");
      }
      if (a.hours) {
        const LocalTime& t = local(d_->zone);
        check(a.hours->contains(t), "time " + format_time_of_day(t.minute_of_day) + " in " + a.hours->describe(),
              "time " + format_time_of_day(t.minute_of_day) + " not in " + a.hours->describe());
      }
      const std::string rule = "approval." + a.name;
      if (!unmet.empty()) {
        add(rule, Verdict::Allow, "no approval needed: " + unmet);
        continue;
      }
      add(rule, Verdict::NeedsApproval,
          "a human must approve this " + kind_name_ + (met.empty() ? "" : " (" + met + ")") + "; request lives " +
              format_policy_duration(a.ttl));
      if (!ev_.approval) ev_.approval.emplace(ApprovalRequirement{{}, {}, {}, {}, a.ttl, a.on_expiry});
      ApprovalRequirement& r = *ev_.approval;
      r.rules.push_back(d_->prefix + rule);
      auto merge = [](std::vector<std::string>& into, const std::vector<std::string>& from) {
        for (const auto& x : from)
          if (std::find(into.begin(), into.end(), x) == into.end()) into.push_back(x);
      };
      merge(r.slack_users, a.slack_users);
      merge(r.slack_groups, a.slack_groups);
      merge(r.tokens, a.tokens);
      r.ttl = std::min(r.ttl, a.ttl);  // the strictest rule decides how long the request lives
      if (a.on_expiry == Verdict::Deny) r.on_expiry = Verdict::Deny;
    }
  }

  const Proposal& p_;
  const Context& c_;
  Evaluation& ev_;
  const PolicyDocument* d_ = nullptr;
  std::uint32_t kinds_ = 0;
  int desired_ = 0;
  std::string kind_name_;
  std::vector<Record> records_;
  const TimeZone* local_zone_ = nullptr;
  LocalTime local_;
};

inline Evaluation evaluate(const std::vector<PolicyDocument>& documents, const Proposal& p, const Context& c) {
  Evaluation ev;
  ev.replicas = p.desired_replicas;
  if (p.action == "hold") {
    ev.rules.push_back(RuleResult{"hold", Verdict::Allow, "holding changes nothing; no permission needed", std::nullopt});
    return ev;
  }
  Run run(p, c, ev);
  if (run.kinds() == 0) {
    ev.rules.push_back(RuleResult{"action_kind", Verdict::Deny, "unknown action kind \"" + p.action + "\"", std::nullopt});
    ev.verdict = Verdict::Deny;
    return ev;
  }
  bool selected = false;
  for (const PolicyDocument& d : documents) {
    if (!d.selects(p)) continue;
    selected = true;
    run.document(d);
  }
  if (!selected)
    ev.rules.push_back(RuleResult{"default", Verdict::Deny,
                                  "no policy selects target " + p.namespace_ + "/" + p.target +
                                      "; nothing acts without a policy",
                                  std::nullopt});
  const bool sized = run.kinds() & (kKindScale | kKindResize);
  if (sized && selected && run.desired() == p.current_replicas && p.desired_replicas != p.current_replicas)
    ev.rules.push_back(RuleResult{"no_change", Verdict::Deny,
                                  "after the policies the proposal no longer changes anything (" +
                                      std::to_string(p.current_replicas) + " replicas)",
                                  std::nullopt});
  ev.replicas = sized ? run.desired() : p.desired_replicas;
  ev.verdict = combine(ev.rules);
  if (ev.verdict != Verdict::NeedsApproval) ev.approval.reset();
  return ev;
}

}  // namespace opspilot::policies::reference
