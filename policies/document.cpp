#include "policies/document.h"

#include <algorithm>
#include <array>

namespace opspilot::policies {

const std::vector<std::string_view>& known_action_kinds() {
  static const std::vector<std::string_view> kinds{"scale",  "scale_up",    "scale_down", "resize",
                                                   "resize_up", "resize_down", "restart",    "rollback"};
  return kinds;
}

std::uint32_t kind_bit(std::string_view name) {
  const auto& k = known_action_kinds();
  const auto it = std::find(k.begin(), k.end(), name);
  return it == k.end() ? 0u : 1u << static_cast<unsigned>(it - k.begin());
}

std::uint32_t proposal_kinds(const Proposal& p) {
  if (p.action == "scale" || p.action == "resize") {
    const bool resize = p.action == "resize";
    const std::uint32_t base = resize ? kKindResize : kKindScale;
    if (p.desired_replicas > p.current_replicas) return base | (resize ? kKindResizeUp : kKindScaleUp);
    if (p.desired_replicas < p.current_replicas) return base | (resize ? kKindResizeDown : kKindScaleDown);
    return base;
  }
  if (p.action == "restart") return kKindRestart;
  if (p.action == "rollback") return kKindRollback;
  return 0;
}

std::string proposal_kind_name(const Proposal& p) {
  if (p.action == "scale" || p.action == "resize") {
    if (p.desired_replicas > p.current_replicas) return p.action + "_up";
    if (p.desired_replicas < p.current_replicas) return p.action + "_down";
  }
  return p.action;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // '*' matches any run of characters; iterative with one backtrack point (linear-ish).
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Selector::matches_labels_and_environment(const Proposal& p) const {
  for (const auto& [k, v] : labels) {
    const auto it = p.labels.find(k);
    if (it == p.labels.end() || it->second != v) return false;
  }
  return environments.empty() || std::find(environments.begin(), environments.end(), p.environment) != environments.end();
}

bool PolicyDocument::selects(const Proposal& p) const {
  if (targets.empty()) return true;
  for (const Selector& s : targets) {
    if (!glob_match(s.namespace_, p.namespace_) || !glob_match(s.name, p.target)) continue;
    if (s.matches_labels_and_environment(p)) return true;
  }
  return false;
}

std::size_t PolicyDocument::rule_count() const {
  std::size_t n = actions_listed ? 1 : 0;
  if (bounds) n += (bounds->min_replicas ? 1 : 0) + (bounds->max_replicas ? 1 : 0) + (bounds->slo_floor ? 1 : 0);
  if (step) n += 1;
  n += cooldowns.size() + rate_limits.size() + freezes.size() + approvals.size();
  if (blast_radius) n += 1;
  if (windows) n += 1;
  if (protections) n += 1;
  return n;
}

bool HoursWindow::contains(const LocalTime& t) const {
  if (from < to) return days.test(static_cast<std::size_t>(t.weekday)) && t.minute_of_day >= from && t.minute_of_day < to;
  // Wraps past midnight: the early-morning part belongs to the day the window opened.
  if (t.minute_of_day >= from) return days.test(static_cast<std::size_t>(t.weekday));
  if (t.minute_of_day < to) return days.test(static_cast<std::size_t>((t.weekday + 6) % 7));
  return false;
}

std::string HoursWindow::describe() const {
  static constexpr std::array<const char*, 7> names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::string d;
  if (days.all()) {
    d = "daily";
  } else if (days == std::bitset<7>(0x3e)) {
    d = "mon-fri";
  } else {
    for (std::size_t i = 0; i < 7; ++i)
      if (days.test(i)) d += (d.empty() ? "" : ",") + std::string(names[i]);
  }
  return d + " " + format_time_of_day(from) + "-" + format_time_of_day(to);
}

}  // namespace opspilot::policies
