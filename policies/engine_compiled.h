#pragma once
// The compile stage of the policy loader (loader.h: read -> collect -> validate -> compile): what
// the evaluator needs of the documents, in the form it uses on every proposal. Each rule's full
// name ("prod/cooldowns.restart") and every fragment of its reason that does not depend on the
// proposal ("; cooldown 5m", "freeze \"x\" (... Europe/Berlin) is in force") are formatted once,
// into one contiguous text arena, so evaluating a proposal only copies them and appends the
// numbers the proposal brings. The per-rule records keep the few numbers a check needs next to
// that text, so the evaluator walks small arrays instead of the documents. Selector patterns
// are classified so the common shapes ("*", "web", "web*") match without the general glob loop.
// Private to policies/engine*.cpp.
// Thread-safety: plain values, immutable after compile(); shared read-only.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/document.h"

namespace opspilot::policies::compiled {

/// A piece of compile-time text: a slice of the Arena.
struct Text {
  std::uint32_t at = 0, size = 0;
};

/// Every compile-time text of an engine, back to back.
class Arena {
 public:
  Text add(std::string_view s) {
    const Text t{static_cast<std::uint32_t>(chars_.size()), static_cast<std::uint32_t>(s.size())};
    chars_.append(s);
    return t;
  }
  std::string_view view(Text t) const { return {chars_.data() + t.at, t.size}; }

 private:
  std::string chars_;
};

/// A '*'-glob in the shape it most often has.
struct Pattern {
  enum class Shape { Any, Exact, Prefix, Suffix, Glob } shape = Shape::Any;
  std::string text;  // the literal part for Exact / Prefix / Suffix; the whole pattern for Glob
  bool matches(std::string_view s) const {
    switch (shape) {
      case Shape::Any: return true;
      case Shape::Exact: return s == text;
      case Shape::Prefix: return s.starts_with(text);
      case Shape::Suffix: return s.ends_with(text);
      case Shape::Glob: return glob_match(text, s);
    }
    return false;
  }
};
Pattern compile_pattern(const std::string& glob);

struct CompiledSelector {
  Pattern namespace_, name;
  const Selector* source = nullptr;  // labels and environments, checked as written
};

struct Cooldown {
  std::uint32_t kinds = 0;
  std::chrono::seconds period{0};
  Text rule;        // "p/cooldowns.scale_up"
  Text none;        // "no earlier scale_up on record"
  Text last;        // "last scale_up was "
  Text deny_tail;   // " ago; cooldown 5m"
  Text allow_tail;  // " ago (cooldown 5m)"
};

struct RateLimitCheck {
  std::uint32_t kinds = 0;
  int max = 0;
  std::chrono::seconds window{0};
  Text rule;
  Text one_tail, many_tail;  // " restart action in the last 1h, limit 3" / " restart actions ..."
};

struct FreezeCheck {
  std::uint32_t kinds = 0;
  const Freeze* freeze = nullptr;  // when and in which zone
  Text rule;
  Text in_force, not_in_force;
};

struct ApprovalCheck {
  std::uint32_t kinds = 0;
  // The conditions, copied from the rule so checking one reads only this record.
  std::optional<int> min_step;
  std::optional<double> min_step_percent, confidence_below;
  const std::vector<std::string>* environments = nullptr;  // null: not a condition
  const HoursWindow* hours = nullptr;                       // null: not a condition
  const ApprovalRule* source = nullptr;  // approvers, ttl, on_expiry
  Text rule;  // also the name listed in ApprovalRequirement::rules
  // What follows a condition's value in a reason, when it holds and when it does not:
  // " >= 5" / " < 5", "% >= 40%" / "% < 40%", " < 0.6" / " >= 0.6", " in mon-fri 20:00-06:00" /
  // " not in ...".
  Text min_step_holds, min_step_fails, min_step_percent_holds, min_step_percent_fails, confidence_holds,
      confidence_fails, hours_holds, hours_fails;
  Text lives_tail;  // "; request lives 30m"
};

/// Everything the evaluator formats about one document without looking at a proposal.
struct CompiledDocument {
  const PolicyDocument* source = nullptr;
  std::vector<CompiledSelector> selectors;  // empty: every target
  // The previous document selects exactly the same targets (policy files often split one
  // team's rules over several documents): its answer is this one's.
  bool same_targets_as_previous = false;
  // Which sections the document has (the evaluator reads a section of `source` only when set).
  bool actions_listed = false, has_protections = false, has_bounds = false, has_step = false,
       has_blast_radius = false;
  std::uint32_t allowed_kinds = kKindAll;
  std::uint32_t window_kinds = 0;  // 0: no windows section
  Verdict default_verdict = Verdict::Allow;
  // Rule names, prefixed with the document's name.
  Text actions, complete_data, max_data_age, max_forecast_mase, min_interval_coverage, max_burn_rate, bounds,
      bounds_max, bounds_min, bounds_slo_floor, step_up, step_down, at_once, per_hour, rollbacks_per_deploy,
      allowed_hours, default_rule;
  // Reason fragments.
  Text actions_tail;                     // " (scale, restart)"
  Text default_head, default_tail;       // "no rule of policy \"p\" applies to a " ... "; its default is allow"
  Text max_data_age_tail;                // "s old, limit 5m"
  Text mase_tail, coverage_tail;         // ", limit 1.5" / "%, floor 80%"
  Text burn_refused_tail, burn_allowed_tail;  // "x, scale-down refused above 2x"
  Text max_replicas;                     // "10"
  Text at_once_limit, per_hour_limit;    // "2 pods and 25%"
  Text rollbacks_tail;                   // " rollback(s) already done for this deploy, limit 2"
  std::vector<Text> window_describe;     // "mon-fri 08:00-18:00", one per allowed window
  Text windows_all;                      // every window, "; "-joined
  Text zone;                             // the document's zone name
  std::vector<Cooldown> cooldowns;
  std::vector<RateLimitCheck> rate_limits;
  std::vector<FreezeCheck> freezes;
  std::vector<ApprovalCheck> approvals;
};

/// Compiles `d` (which must outlive the result) into `arena`.
CompiledDocument compile_document(const PolicyDocument& d, Arena& arena);

/// Whether the document applies to the proposal's target; PolicyDocument::selects, faster.
bool selects(const CompiledDocument& c, const Proposal& p);

/// `%.3g` without printf (std::to_chars in general format with precision 3 is specified as
/// printf's %.3g; tests/policy_engine_equivalence_test.cpp checks the reasons agree).
inline char* format_num(char* out, char* end, double v) {
  return std::to_chars(out, end, v, std::chars_format::general, 3).ptr;
}

}  // namespace opspilot::policies::compiled
