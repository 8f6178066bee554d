#include "policies/guardrails.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace opspilot::policies {
namespace {

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0fs", s);
  return buf;
}

double since(std::chrono::system_clock::time_point now,
             std::chrono::system_clock::time_point then) {
  return std::chrono::duration<double>(now - then).count();
}

}  // namespace

Verdict combine(const std::vector<RuleResult>& rules) {
  Verdict v = Verdict::Allow;
  for (const auto& r : rules) {
    if (r.verdict == Verdict::Deny) return Verdict::Deny;
    if (r.verdict == Verdict::NeedsApproval) v = Verdict::NeedsApproval;
  }
  return v;
}

Evaluation Guardrails::evaluate(const Proposal& p, const Context& ctx) const {
  Evaluation ev;
  ev.replicas = p.desired_replicas;
  auto add = [&](std::string rule, Verdict v, std::string reason) {
    ev.rules.push_back(RuleResult{std::move(rule), v, std::move(reason), std::nullopt});
  };

  // Freshness first: nothing is decided on stale or incomplete data.
  if (!p.action.empty() && p.action != "hold") {
    if (!ctx.data_complete) {
      add("protection.data_complete", Verdict::Deny, "a signal the proposal relies on is missing");
    } else if (ctx.data_age_seconds > spec_.max_data_age_seconds) {
      add("protection.stale_data", Verdict::Deny,
          "data is " + secs(ctx.data_age_seconds) + " old, limit " + secs(spec_.max_data_age_seconds));
    } else {
      add("protection.stale_data", Verdict::Allow,
          "data is " + secs(ctx.data_age_seconds) + " old (limit " + secs(spec_.max_data_age_seconds) + ")");
    }
  }

  if (p.action != "scale") {
    ev.verdict = combine(ev.rules);
    return ev;
  }

  int desired = p.desired_replicas;
  const int current = p.current_replicas;

  // Bounds clamp the proposal into [min, max]; a clamp is an allowed adjustment, recorded.
  if (desired > spec_.max_replicas) {
    ev.rules.push_back({"bounds.max_replicas", Verdict::Allow,
                        "wanted " + std::to_string(desired) + ", capped at max_replicas " +
                            std::to_string(spec_.max_replicas),
                        spec_.max_replicas});
    desired = spec_.max_replicas;
  } else if (desired < spec_.min_replicas) {
    ev.rules.push_back({"bounds.min_replicas", Verdict::Allow,
                        "wanted " + std::to_string(desired) + ", raised to min_replicas " +
                            std::to_string(spec_.min_replicas),
                        spec_.min_replicas});
    desired = spec_.min_replicas;
  } else {
    add("bounds", Verdict::Allow,
        std::to_string(desired) + " is within [" + std::to_string(spec_.min_replicas) + ", " +
            std::to_string(spec_.max_replicas) + "]");
  }

  // Largest step per action.
  if (desired > current && spec_.max_step_up > 0 && desired - current > spec_.max_step_up) {
    const int limited = current + spec_.max_step_up;
    ev.rules.push_back({"step.max_step_up", Verdict::Allow,
                        "step +" + std::to_string(desired - current) + " limited to +" +
                            std::to_string(spec_.max_step_up),
                        limited});
    desired = limited;
  } else if (desired < current && spec_.max_step_down > 0 &&
             current - desired > spec_.max_step_down) {
    const int limited = current - spec_.max_step_down;
    ev.rules.push_back({"step.max_step_down", Verdict::Allow,
                        "step -" + std::to_string(current - desired) + " limited to -" +
                            std::to_string(spec_.max_step_down),
                        limited});
    desired = limited;
  }

  if (desired == current) {
    add("no_change", Verdict::Deny,
        "after the guardrails the proposal no longer changes anything (" + std::to_string(current) +
            " replicas)");
  }

  // Cooldowns per direction.
  const bool up = desired > current;
  const auto& last = up ? ctx.last_scale_up : ctx.last_scale_down;
  const auto cooldown = up ? spec_.cooldown_up : spec_.cooldown_down;
  const double cd = std::chrono::duration<double>(cooldown).count();
  const std::string rule = up ? "cooldown.scale_up" : "cooldown.scale_down";
  if (last && since(ctx.now, *last) < cd) {
    add(rule, Verdict::Deny,
        "last " + std::string(up ? "scale-up" : "scale-down") + " was " +
            secs(since(ctx.now, *last)) + " ago, cooldown " + secs(cd));
  } else {
    add(rule, Verdict::Allow,
        last ? "last " + std::string(up ? "scale-up" : "scale-down") + " was " +
                   secs(since(ctx.now, *last)) + " ago (cooldown " + secs(cd) + ")"
             : "no earlier " + std::string(up ? "scale-up" : "scale-down"));
  }

  ev.replicas = desired;
  ev.verdict = combine(ev.rules);
  return ev;
}

}  // namespace opspilot::policies
