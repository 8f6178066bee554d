#pragma once
// The policy language as data: what one `kind: Policy` document says once it has been read
// (policies/loader.h) and resolved (time zones located, action kinds turned into bit masks).
// The evaluator (policies/engine.h) runs over these structures directly.
// Thread-safety: plain values; immutable once loading finished, then shared read-only.
#include <bitset>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/policy.h"
#include "policies/time_rules.h"
#include "policies/timezone.h"

namespace opspilot::policies {

/// Where something was written, for validation messages that span documents.
struct SourcePos {
  std::string file;
  int line = 0, column = 0;  // 1-based; 0 = unknown
  std::string path;          // breadcrumb
};

/// Action kinds as bits: a proposal has its kind and its directed kind (scale + scale_up).
enum KindBit : std::uint32_t {
  kKindScale = 1u << 0,
  kKindScaleUp = 1u << 1,
  kKindScaleDown = 1u << 2,
  kKindResize = 1u << 3,
  kKindResizeUp = 1u << 4,
  kKindResizeDown = 1u << 5,
  kKindRestart = 1u << 6,
  kKindRollback = 1u << 7,
  kKindAll = (1u << 8) - 1,
};
/// Every name a rule may use for an action kind, in the order docs list them.
const std::vector<std::string_view>& known_action_kinds();
/// The bit of a kind name; 0 when unknown.
std::uint32_t kind_bit(std::string_view name);
/// The bits a proposal carries: its kind, plus its direction for scale and resize (desired vs
/// current). "hold" and unknown kinds give 0.
std::uint32_t proposal_kinds(const Proposal& p);
/// "scale_up", "restart"...: the most specific name of a proposal's kind, for history records.
std::string proposal_kind_name(const Proposal& p);

/// What a rule does when its limit is exceeded.
enum class OnExceed { Clamp, Deny, NeedsApproval };

struct Selector {
  std::string namespace_ = "*";  // '*' globs
  std::string name = "*";
  std::map<std::string, std::string> labels;  // all must be equal
  std::vector<std::string> environments;      // empty = any
  SourcePos pos;

  /// The labels and environment match (the namespace and name globs are checked by the caller).
  bool matches_labels_and_environment(const Proposal& p) const;
};

struct Bounds {
  std::optional<int> min_replicas, max_replicas;
  bool slo_floor = true;  // never below Context::slo_min_replicas
  SourcePos pos;
};

struct StepLimits {
  std::optional<int> max_up, max_down;
  std::optional<double> max_up_percent, max_down_percent;
  OnExceed on_exceed = OnExceed::Clamp;
  SourcePos pos;
};

struct KindDuration {  // one cooldown
  std::string kind;
  std::uint32_t kinds = 0;
  std::chrono::seconds period{0};
  SourcePos pos;
};

struct RateLimit {
  std::string name;  // "restart-3-per-1h" unless named
  std::string kind;
  std::uint32_t kinds = 0;
  int max = 0;
  std::chrono::seconds window{0};
  SourcePos pos;
};

struct BlastRadius {
  std::optional<int> max_pods_at_once, max_pods_per_hour;
  std::optional<double> max_percent_at_once, max_percent_per_hour;
  std::optional<int> max_rollbacks_per_deploy;
  SourcePos pos;
};

struct HoursWindow {
  std::bitset<7> days{0x7f};  // 0 = Sunday
  int from = 0, to = 1440;    // minutes after midnight; to < from wraps past midnight
  SourcePos pos;
  bool contains(const LocalTime& t) const;
  std::string describe() const;  // "mon-fri 08:00-18:00"
};

struct Windows {
  std::vector<HoursWindow> allowed;
  std::uint32_t kinds = kKindAll;
  Verdict outside = Verdict::Deny;
  SourcePos pos;
};

struct Freeze {
  std::string name;
  // Calendar freeze: [from, to) in local minutes; a date-only `to` includes that whole day.
  std::optional<std::int64_t> from, to;
  std::string from_text, to_text;
  // Recurring freeze: starts whenever cron fires, lasts `duration`.
  std::optional<CronSchedule> cron;
  std::string cron_text;
  std::chrono::seconds duration{0};
  std::shared_ptr<const TimeZone> zone;
  std::uint32_t kinds = kKindAll;
  Verdict verdict = Verdict::Deny;
  SourcePos pos;
};

struct Protections {
  std::optional<double> max_burn_rate_for_scale_down;
  std::optional<std::chrono::seconds> max_data_age;
  bool require_complete_data = true;
  std::optional<double> max_forecast_mase, min_interval_coverage;
  SourcePos pos;
};

struct ApprovalRule {
  std::string name;
  std::uint32_t kinds = kKindAll;
  std::optional<int> min_step;
  std::optional<double> min_step_percent;
  std::optional<double> confidence_below;
  std::vector<std::string> environments;
  std::optional<HoursWindow> hours;
  std::vector<std::string> slack_users, slack_groups, tokens;
  std::chrono::seconds ttl{std::chrono::minutes(30)};
  Verdict on_expiry = Verdict::Deny;
  SourcePos pos;
};

struct PolicyDocument {
  std::string name, description;
  SourcePos pos;
  std::vector<Selector> targets;  // empty = every target
  std::uint32_t allowed_kinds = kKindAll;
  bool actions_listed = false;
  std::string actions_text;  // "scale, restart" for reasons
  Verdict default_verdict = Verdict::Allow;
  std::shared_ptr<const TimeZone> zone;  // spec.timezone; UTC when absent
  std::optional<Bounds> bounds;
  std::optional<StepLimits> step;
  std::vector<KindDuration> cooldowns;
  std::vector<RateLimit> rate_limits;
  std::optional<BlastRadius> blast_radius;
  std::optional<Windows> windows;
  std::vector<Freeze> freezes;
  std::optional<Protections> protections;
  std::vector<ApprovalRule> approvals;
  /// Rule names are prefixed with this: "production/bounds.max_replicas".
  std::string prefix;

  /// Whether the document applies to the proposal's target.
  bool selects(const Proposal& p) const;
  /// How many rules it has (each cooldown, rate limit, freeze, approval rule counts once).
  std::size_t rule_count() const;
};

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace opspilot::policies
