#include "policies/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>

#include "policies/engine_compiled.h"
#include "policies/engine_line.h"
#include "policies/guardrails.h"

namespace opspilot::policies {
namespace {

using compiled::CompiledDocument;
using compiled::Line;
using compiled::Text;
using std::chrono::seconds;
using std::chrono::system_clock;
using namespace std::string_view_literals;

// A history record's kind as bits (scale_up also counts as scale).
std::uint32_t record_kinds(const std::string& kind) {
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

// One evaluation: the proposal, what is known, and the results so far. Each reason is written
// into line_ from the compiled fragments and the proposal's numbers, then copied once into its
// RuleResult. Thread-safety: none; one per evaluate() call.
class Run {
 public:
  Run(const Proposal& p, const Context& c, const compiled::Arena& arena, Evaluation& ev, std::vector<RuleResult>& out)
      : p_(p), c_(c), arena_(arena), ev_(ev), out_(out) {
    kinds_ = proposal_kinds(p);
    desired_ = p.desired_replicas;
    records_.reserve(c.history.size() + 2);
    for (const ActionRecord& r : c.history) records_.push_back({record_kinds(r.kind), r.at, r.pods});
    if (c.last_scale_up) records_.push_back({kKindScale | kKindScaleUp, *c.last_scale_up, 0});
    if (c.last_scale_down) records_.push_back({kKindScale | kKindScaleDown, *c.last_scale_down, 0});
    // The latest action of each kind, for cooldowns (a cooldown's last action is the latest of
    // its kinds' latest).
    for (const Record& r : records_) {
      if (r.at > c.now) continue;
      for (std::uint32_t b = 0; b < kKinds; ++b)
        if ((r.kinds >> b & 1u) && (!latest_[b] || r.at > *latest_[b])) latest_[b] = r.at;
    }
    kind_name_ = proposal_kind_name(p);
  }

  std::uint32_t kinds() const { return kinds_; }
  int desired() const { return desired_; }

  void document(const CompiledDocument& cd) {
    d_ = cd.source;
    cd_ = &cd;
    const std::size_t before = out_.size();
    if (cd.actions_listed) actions();
    if (cd.has_protections) protections();
    if (kinds_ & (kKindScale | kKindResize)) {
      if (cd.has_bounds) bounds();
      if (cd.has_step) step();
    }
    cooldowns();
    rate_limits();
    if (cd.has_blast_radius) blast_radius();
    if (cd.window_kinds & kinds_) windows();
    freezes();
    approvals();
    if (out_.size() == before) {
      line() << text(cd.default_head) << kind_name_ << text(cd.default_tail);
      add(cd.default_rule, cd.default_verdict);
    }
  }

 private:
  std::string_view text(Text t) const { return arena_.view(t); }
  Line& line() { return line_.clear(); }
  void add(Text rule, Verdict v, std::optional<int> adjusted = std::nullopt) {
    out_.push_back(RuleResult{std::string(text(rule)), v, std::string(line_.view()), adjusted});
  }
  seconds since(system_clock::time_point t) const {
    return std::chrono::duration_cast<seconds>(c_.now - t);
  }
  // Local time in `zone` at Context::now, converted once per zone per evaluation.
  const LocalTime& local(const std::shared_ptr<const TimeZone>& zone) {
    for (const auto& [z, t] : locals_)
      if (z == zone.get()) return t;
    locals_.emplace_back(zone.get(), to_local(*zone, c_.now));
    return locals_.back().second;
  }

  void actions() {
    const bool allowed = kinds_ & cd_->allowed_kinds;
    line() << kind_name_ << (allowed ? " is among the permitted actions"sv : " is not among the permitted actions"sv)
           << text(cd_->actions_tail);
    add(cd_->actions, allowed ? Verdict::Allow : Verdict::Deny);
  }

  void protections() {
    const Protections& pr = *d_->protections;
    if (pr.require_complete_data && !c_.data_complete) {
      line() << "a signal the proposal relies on is missing"sv;
      add(cd_->complete_data, Verdict::Deny);
    }
    if (pr.max_data_age) {
      const double limit = static_cast<double>(pr.max_data_age->count());
      line() << "data is "sv;
      line_.num(c_.data_age_seconds) << text(cd_->max_data_age_tail);
      add(cd_->max_data_age, c_.data_age_seconds > limit ? Verdict::Deny : Verdict::Allow);
    }
    if (pr.max_forecast_mase) {
      if (!c_.predictor_mase) {
        line() << "forecast accuracy not measured yet; no floor applied"sv;
        add(cd_->max_forecast_mase, Verdict::Allow);
      } else {
        line() << "measured forecast MASE "sv;
        line_.num(*c_.predictor_mase) << text(cd_->mase_tail);
        add(cd_->max_forecast_mase, *c_.predictor_mase > *pr.max_forecast_mase ? Verdict::Deny : Verdict::Allow);
      }
    }
    if (pr.min_interval_coverage) {
      if (!c_.predictor_coverage) {
        line() << "interval coverage not measured yet; no floor applied"sv;
        add(cd_->min_interval_coverage, Verdict::Allow);
      } else {
        line() << "measured interval coverage "sv;
        line_.num(*c_.predictor_coverage * 100) << text(cd_->coverage_tail);
        add(cd_->min_interval_coverage,
            *c_.predictor_coverage < *pr.min_interval_coverage ? Verdict::Deny : Verdict::Allow);
      }
    }
    if (pr.max_burn_rate_for_scale_down && (kinds_ & (kKindScaleDown | kKindResizeDown))) {
      const bool burning = c_.error_budget_burn_rate > *pr.max_burn_rate_for_scale_down;
      line() << "error budget burns at "sv;
      line_.num(c_.error_budget_burn_rate) << text(burning ? cd_->burn_refused_tail : cd_->burn_allowed_tail);
      add(cd_->max_burn_rate, burning ? Verdict::Deny : Verdict::Allow);
    }
  }

  void bounds() {
    const Bounds& b = *d_->bounds;
    const int slo = b.slo_floor ? c_.slo_min_replicas : 0;
    const int lower = std::max(b.min_replicas.value_or(0), slo);
    if (b.max_replicas && desired_ > *b.max_replicas) {
      line() << "wanted "sv;
      line_.integer(desired_) << ", capped at max_replicas "sv << text(cd_->max_replicas);
      add(cd_->bounds_max, Verdict::Allow, *b.max_replicas);
      desired_ = *b.max_replicas;
      if (lower > desired_) {
        line() << "the SLO needs "sv;
        line_.integer(lower) << " replicas, above max_replicas "sv;
        line_.integer(desired_) << "; a human must decide"sv;
        add(cd_->bounds_slo_floor, Verdict::NeedsApproval);
      }
    } else if (desired_ < lower) {
      const bool by_slo = slo > b.min_replicas.value_or(0);
      line() << "wanted "sv;
      line_.integer(desired_) << ", raised to "sv;
      line_.integer(lower) << (by_slo ? " (the fewest the SLO needs)"sv : " (min_replicas)"sv);
      add(by_slo ? cd_->bounds_slo_floor : cd_->bounds_min, Verdict::Allow, lower);
      desired_ = lower;
    } else {
      line().integer(desired_) << " is within ["sv;
      line_.integer(lower) << ", "sv << (b.max_replicas ? text(cd_->max_replicas) : "no max"sv) << ']';
      add(cd_->bounds, Verdict::Allow);
    }
  }

  void step() {
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
    if (limit == INT32_MAX) return;
    const Text rule = up ? cd_->step_up : cd_->step_down;
    const char sign = up ? '+' : '-';
    line() << "step "sv << sign;
    line_.integer(size) << (size <= limit ? " within the limit "sv : " exceeds the limit "sv) << sign;
    line_.integer(limit);
    if (size <= limit) {
      add(rule, Verdict::Allow);
      return;
    }
    if (s.on_exceed == OnExceed::Clamp) {
      desired_ = up ? current + limit : current - limit;
      line_ << "; limited to "sv;
      line_.integer(desired_);
      add(rule, Verdict::Allow, desired_);
    } else {
      add(rule, s.on_exceed == OnExceed::Deny ? Verdict::Deny : Verdict::NeedsApproval);
    }
  }

  void cooldowns() {
    for (const compiled::Cooldown& c : cd_->cooldowns) {
      if (!(c.kinds & kinds_)) continue;
      std::optional<system_clock::time_point> last;
      for (std::uint32_t b = 0; b < kKinds; ++b)
        if ((c.kinds >> b & 1u) && latest_[b] && (!last || *latest_[b] > *last)) last = latest_[b];
      if (!last) {
        line() << text(c.none);
        add(c.rule, Verdict::Allow);
        continue;
      }
      const seconds ago = since(*last);
      const bool cooling = ago < c.period;
      line() << text(c.last);
      line_.duration(ago) << text(cooling ? c.deny_tail : c.allow_tail);
      add(c.rule, cooling ? Verdict::Deny : Verdict::Allow);
    }
  }

  void rate_limits() {
    for (const compiled::RateLimitCheck& rl : cd_->rate_limits) {
      if (!(rl.kinds & kinds_)) continue;
      int n = 0;
      for (const Record& r : records_)
        if ((r.kinds & rl.kinds) && r.at <= c_.now && since(r.at) < rl.window) ++n;
      line().integer(n) << text(n == 1 ? rl.one_tail : rl.many_tail);
      add(rl.rule, n >= rl.max ? Verdict::Deny : Verdict::Allow);
    }
  }

  void blast_radius() {
    const BlastRadius& b = *d_->blast_radius;
    if (kinds_ & kKindRestart) {
      const int pods = p_.pods_affected > 0 ? p_.pods_affected : p_.current_replicas;
      const int total = std::max(1, p_.total_pods > 0 ? p_.total_pods : p_.current_replicas);
      const double pct = 100.0 * pods / total;
      if (b.max_pods_at_once || b.max_percent_at_once) {
        const bool over = (b.max_pods_at_once && pods > *b.max_pods_at_once) ||
                          (b.max_percent_at_once && pct > *b.max_percent_at_once + 1e-9);
        line() << "restarts "sv;
        line_.integer(pods) << " of "sv;
        line_.integer(total) << " pods ("sv;
        line_.num(pct) << "%) at once, limit "sv << text(cd_->at_once_limit);
        add(cd_->at_once, over ? Verdict::Deny : Verdict::Allow);
      }
      if (b.max_pods_per_hour || b.max_percent_per_hour) {
        int done = 0;
        for (const Record& r : records_)
          if ((r.kinds & kKindRestart) && r.at <= c_.now && since(r.at) < std::chrono::hours(1)) done += r.pods;
        const int hour = done + pods;
        const double hour_pct = 100.0 * hour / total;
        const bool over = (b.max_pods_per_hour && hour > *b.max_pods_per_hour) ||
                          (b.max_percent_per_hour && hour_pct > *b.max_percent_per_hour + 1e-9);
        line().integer(done) << " pods restarted in the last hour + "sv;
        line_.integer(pods) << " = "sv;
        line_.integer(hour) << " ("sv;
        line_.num(hour_pct) << "%), limit "sv << text(cd_->per_hour_limit) << " per hour"sv;
        add(cd_->per_hour, over ? Verdict::Deny : Verdict::Allow);
      }
    }
    if ((kinds_ & kKindRollback) && b.max_rollbacks_per_deploy) {
      const bool over = c_.rollbacks_this_deploy >= *b.max_rollbacks_per_deploy;
      line().integer(c_.rollbacks_this_deploy) << text(cd_->rollbacks_tail);
      add(cd_->rollbacks_per_deploy, over ? Verdict::Deny : Verdict::Allow);
    }
  }

  void windows() {
    const LocalTime& t = local(d_->zone);
    const auto& allowed = d_->windows->allowed;
    std::size_t inside = allowed.size();
    for (std::size_t i = 0; i < allowed.size() && inside == allowed.size(); ++i)
      if (allowed[i].contains(t)) inside = i;
    if (inside < allowed.size()) line() << "inside the allowed hours "sv << text(cd_->window_describe[inside]);
    else line() << "outside the allowed hours "sv << text(cd_->windows_all);
    line_ << " ("sv;
    line_.time_of_day(t.minute_of_day) << ' ' << text(cd_->zone) << ')';
    add(cd_->allowed_hours, inside < allowed.size() ? Verdict::Allow : d_->windows->outside);
  }

  void freezes() {
    for (const compiled::FreezeCheck& fc : cd_->freezes) {
      if (!(fc.kinds & kinds_)) continue;
      const Freeze& f = *fc.freeze;
      const LocalTime& t = local(f.zone);
      const bool active = f.cron ? f.cron->fired_within(t.local_minutes, f.duration.count() / 60)
                                 : t.local_minutes >= *f.from && t.local_minutes < *f.to;
      line() << text(active ? fc.in_force : fc.not_in_force);
      add(fc.rule, active ? f.verdict : Verdict::Allow);
    }
  }

  void approvals() {
    for (const compiled::ApprovalCheck& ac : cd_->approvals)
      if (ac.kinds & kinds_) approval(ac);
  }

  // The proposal's confidence as "%.3g", formatted once per evaluation when a rule needs it.
  std::string_view confidence_text() {
    if (confidence_size_ == 0)
      confidence_size_ = static_cast<std::size_t>(compiled::format_num(confidence_, confidence_ + sizeof confidence_, p_.confidence) - confidence_);
    return {confidence_, confidence_size_};
  }

  // Each condition the rule states either holds (listed in the reason when approval is needed)
  // or is the first that fails (the reason approval is not needed).
  enum Condition { kMinStep, kMinStepPercent, kConfidence, kEnvironment, kHours, kConditions };

  void approval(const compiled::ApprovalCheck& ac) {
    const int size = std::abs(desired_ - p_.current_replicas);
    const double pct = ac.min_step_percent
                           ? (p_.current_replicas > 0 ? 100.0 * size / p_.current_replicas : (size > 0 ? 1e9 : 0))
                           : 0;
    const LocalTime* t = ac.hours ? &local(d_->zone) : nullptr;
    const bool stated[kConditions] = {ac.min_step.has_value(), ac.min_step_percent.has_value(),
                                      ac.confidence_below.has_value(), ac.environments != nullptr, ac.hours != nullptr};
    bool holds[kConditions] = {};
    if (stated[kMinStep]) holds[kMinStep] = size >= *ac.min_step;
    if (stated[kMinStepPercent]) holds[kMinStepPercent] = pct >= *ac.min_step_percent;
    if (stated[kConfidence]) holds[kConfidence] = p_.confidence < *ac.confidence_below;
    if (stated[kEnvironment])
      holds[kEnvironment] =
          std::find(ac.environments->begin(), ac.environments->end(), p_.environment) != ac.environments->end();
    if (stated[kHours]) holds[kHours] = ac.hours->contains(*t);
    int failed = -1;
    for (int k = 0; k < kConditions && failed < 0; ++k)
      if (stated[k] && !holds[k]) failed = k;

    // One condition in words: "step 3 >= 2" when it holds, "no approval needed: step 1 < 2"
    // when it is the first that fails.
    auto condition = [&](int k, bool ok) {
      static constexpr std::string_view kHolds[kConditions] = {"step ", "step ", "confidence ", "environment \"", "time "};
      static constexpr std::string_view kFails[kConditions] = {
          "no approval needed: step ", "no approval needed: step ", "no approval needed: confidence ",
          "no approval needed: environment \"", "no approval needed: time "};
      line_ << (ok ? kHolds[k] : kFails[k]);
      switch (k) {
        case kMinStep:
          line_.integer(size) << text(ok ? ac.min_step_holds : ac.min_step_fails);
          break;
        case kMinStepPercent:
          line_.num(pct) << text(ok ? ac.min_step_percent_holds : ac.min_step_percent_fails);
          break;
        case kConfidence:
          line_ << confidence_text() << text(ok ? ac.confidence_holds : ac.confidence_fails);
          break;
        case kEnvironment:
          line_ << p_.environment << (ok ? "\""sv : "\" not listed"sv);
          break;
        default:
          line_.time_of_day(t->minute_of_day) << text(ok ? ac.hours_holds : ac.hours_fails);
      }
    };
    if (failed >= 0) {
      line();
      condition(failed, false);
      add(ac.rule, Verdict::Allow);
      return;
    }
    line() << "a human must approve this "sv << kind_name_;
    bool first = true;
    for (int k = 0; k < kConditions; ++k) {
      if (!stated[k]) continue;
      line_ << (first ? " ("sv : ", "sv);
      first = false;
      condition(k, true);
    }
    if (!first) line_ << ')';
    line_ << text(ac.lives_tail);
    add(ac.rule, Verdict::NeedsApproval);
    const ApprovalRule& a = *ac.source;
    if (!ev_.approval) ev_.approval.emplace(ApprovalRequirement{{}, {}, {}, {}, a.ttl, a.on_expiry});
    ApprovalRequirement& r = *ev_.approval;
    r.rules.emplace_back(text(ac.rule));
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

  const Proposal& p_;
  const Context& c_;
  const compiled::Arena& arena_;
  Evaluation& ev_;
  std::vector<RuleResult>& out_;  // the results, in order
  const PolicyDocument* d_ = nullptr;
  const CompiledDocument* cd_ = nullptr;
  std::uint32_t kinds_ = 0;
  int desired_ = 0;
  std::string kind_name_;
  std::vector<Record> records_;
  static constexpr std::uint32_t kKinds = 8;  // the bits of KindBit
  std::optional<system_clock::time_point> latest_[kKinds];
  std::vector<std::pair<const TimeZone*, LocalTime>> locals_;
  Line line_;
  char confidence_[32];
  std::size_t confidence_size_ = 0;
};

}  // namespace

PolicyEngine::PolicyEngine(std::vector<PolicyDocument> documents)
    : documents_(std::move(documents)), arena_(std::make_unique<compiled::Arena>()) {
  compiled_.reserve(documents_.size());
  auto same_targets = [](const PolicyDocument& a, const PolicyDocument& b) {
    return std::equal(a.targets.begin(), a.targets.end(), b.targets.begin(), b.targets.end(),
                      [](const Selector& x, const Selector& y) {
                        return x.namespace_ == y.namespace_ && x.name == y.name && x.labels == y.labels &&
                               x.environments == y.environments;
                      });
  };
  for (std::size_t i = 0; i < documents_.size(); ++i) {
    rule_count_ += documents_[i].rule_count();
    compiled_.push_back(compiled::compile_document(documents_[i], *arena_));
    compiled_.back().same_targets_as_previous = i > 0 && same_targets(documents_[i - 1], documents_[i]);
  }
}

PolicyEngine::~PolicyEngine() = default;

Evaluation PolicyEngine::evaluate(const Proposal& p, const Context& c) const {
  Evaluation ev;
  ev.replicas = p.desired_replicas;
  if (p.action == "hold") {
    ev.rules.push_back(RuleResult{"hold", Verdict::Allow, "holding changes nothing; no permission needed", std::nullopt});
    return ev;
  }
  // The results are written into a per-thread vector reserved by the thread's previous
  // evaluation, which then becomes ev.rules; a new one, as large as this evaluation needed, is
  // reserved for the next. Why not reserve ev.rules here: a vector of tens of kB (1,000 rules)
  // is a "large" malloc request, and glibc answers one by first consolidating every small chunk
  // freed since — the strings of the previous evaluation — after which each of the two strings
  // per rule takes malloc's slow path (a third of the evaluation's time, measured). Reserved at
  // the end, the small allocations have already reused those chunks.
  thread_local std::vector<RuleResult> results;
  results.clear();
  Run run(p, c, *arena_, ev, results);
  if (run.kinds() == 0) {
    ev.rules.push_back(RuleResult{"action_kind", Verdict::Deny, "unknown action kind \"" + p.action + "\"", std::nullopt});
    ev.verdict = Verdict::Deny;
    return ev;
  }
  bool selected = false, previous = false;
  for (const compiled::CompiledDocument& d : compiled_) {
    if (!d.same_targets_as_previous) previous = compiled::selects(d, p);
    if (!previous) continue;
    selected = true;
    run.document(d);
  }
  if (!selected)
    results.push_back(RuleResult{"default", Verdict::Deny,
                                 "no policy selects target " + p.namespace_ + "/" + p.target +
                                     "; nothing acts without a policy",
                                 std::nullopt});
  const bool sized = run.kinds() & (kKindScale | kKindResize);
  if (sized && selected && run.desired() == p.current_replicas && p.desired_replicas != p.current_replicas)
    results.push_back(RuleResult{"no_change", Verdict::Deny,
                                 "after the policies the proposal no longer changes anything (" +
                                     std::to_string(p.current_replicas) + " replicas)",
                                 std::nullopt});
  const std::size_t n = results.size();
  if (n * 2 >= results.capacity()) {  // hand the buffer over: at most half of it unused
    ev.rules.swap(results);
    results.reserve(n);
  } else {  // an earlier evaluation needed far more: copy out, keep the buffer (up to ~650 kB)
    ev.rules.reserve(n);
    std::move(results.begin(), results.end(), std::back_inserter(ev.rules));
    results.clear();
    if (results.capacity() > 8192) std::vector<RuleResult>().swap(results);
  }
  ev.replicas = sized ? run.desired() : p.desired_replicas;
  ev.verdict = combine(ev.rules);
  if (ev.verdict != Verdict::NeedsApproval) ev.approval.reset();
  return ev;
}

}  // namespace opspilot::policies
