// Stage 3 of the policy loader: checks that need more than one document — rules that
// contradict each other across documents selecting the same targets, and selectors that match
// none of the targets the agent knows (only when it was told which targets exist).
#include <algorithm>

#include "policies/loader.h"

namespace opspilot::policies {
namespace {

bool has_glob(const std::string& s) { return s.find('*') != std::string::npos; }

// Whether two name patterns could both match one name. Two globs are assumed to overlap (a
// false "conflict" is a message to read; a missed one is a policy that can never allow).
bool patterns_overlap(const std::string& a, const std::string& b) {
  if (!has_glob(a) && !has_glob(b)) return a == b;
  if (!has_glob(b)) return glob_match(a, b);
  if (!has_glob(a)) return glob_match(b, a);
  return true;
}

bool selectors_overlap(const Selector& a, const Selector& b) {
  if (!patterns_overlap(a.namespace_, b.namespace_) || !patterns_overlap(a.name, b.name)) return false;
  for (const auto& [k, v] : a.labels) {
    const auto it = b.labels.find(k);
    if (it != b.labels.end() && it->second != v) return false;
  }
  if (!a.environments.empty() && !b.environments.empty()) {
    const bool shared = std::any_of(a.environments.begin(), a.environments.end(), [&](const std::string& e) {
      return std::find(b.environments.begin(), b.environments.end(), e) != b.environments.end();
    });
    if (!shared) return false;
  }
  return true;
}

bool documents_overlap(const PolicyDocument& a, const PolicyDocument& b) {
  if (a.targets.empty() || b.targets.empty()) return true;
  for (const Selector& x : a.targets)
    for (const Selector& y : b.targets)
      if (selectors_overlap(x, y)) return true;
  return false;
}

bool selector_matches(const Selector& s, const KnownTarget& t) {
  Proposal p;
  p.namespace_ = t.namespace_;
  p.target = t.name;
  p.labels = t.labels;
  p.environment = t.environment;
  PolicyDocument one;
  one.targets.push_back(s);
  return one.selects(p);
}

std::string describe_selector(const Selector& s) {
  std::string out = "{namespace: " + messages::q(s.namespace_) + ", name: " + messages::q(s.name);
  for (const auto& [k, v] : s.labels) out += ", " + k + "=" + v;
  for (const auto& e : s.environments) out += ", environment " + messages::q(e);
  return out + "}";
}

void add(std::vector<Diagnostic>& out, Severity severity, Code code, const SourcePos& pos, std::string message) {
  out.push_back(Diagnostic{severity, code, pos.file, pos.line, pos.column, pos.path, std::move(message), ""});
}

// Whether some proposal could carry a kind in `rule` and still pass the `actions` list.
bool can_apply(std::uint32_t rule, std::uint32_t allowed) {
  static constexpr std::uint32_t kProposalShapes[] = {
      kKindScale, kKindScale | kKindScaleUp, kKindScale | kKindScaleDown, kKindResize, kKindResize | kKindResizeUp,
      kKindResize | kKindResizeDown, kKindRestart, kKindRollback};
  for (std::uint32_t shape : kProposalShapes)
    if ((shape & rule) && (shape & allowed)) return true;
  return false;
}

void never_applying_rules(const PolicyDocument& d, std::vector<Diagnostic>& out) {
  if (!d.actions_listed) return;
  auto check = [&](std::uint32_t kinds, const SourcePos& pos, const std::string& rule) {
    if (!can_apply(kinds, d.allowed_kinds))
      add(out, Severity::Warning, Code::NeverMatches, pos, messages::rule_never_applies(rule, d.actions_text));
  };
  for (const auto& c : d.cooldowns) check(c.kinds, c.pos, "cooldown " + messages::q(c.kind));
  for (const auto& r : d.rate_limits) check(r.kinds, r.pos, "rate limit " + messages::q(r.name));
  for (const auto& f : d.freezes) check(f.kinds, f.pos, "freeze " + messages::q(f.name));
  for (const auto& a : d.approvals) check(a.kinds, a.pos, "approval rule " + messages::q(a.name));
  if (d.windows) check(d.windows->kinds, d.windows->pos, "windows");
}

}  // namespace

void validate_policy_documents(const std::vector<PolicyDocument>& docs, const LoadOptions& options,
                               std::vector<Diagnostic>& out) {
  // Bounds across documents: every document that selects a target applies, so a min in one
  // above a max in another leaves no replica count both allow.
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const auto& a = docs[i];
    if (!a.bounds || !a.bounds->min_replicas) continue;
    for (std::size_t j = 0; j < docs.size(); ++j) {
      const auto& b = docs[j];
      if (i == j || !b.bounds || !b.bounds->max_replicas) continue;
      if (*a.bounds->min_replicas <= *b.bounds->max_replicas || !documents_overlap(a, b)) continue;
      add(out, Severity::Error, Code::Conflict, a.bounds->pos,
          messages::min_above_max_across(a.name, *a.bounds->min_replicas, b.name, *b.bounds->max_replicas));
    }
  }
  for (const PolicyDocument& d : docs) never_applying_rules(d, out);
  if (options.known_targets.empty()) return;
  for (const PolicyDocument& d : docs) {
    for (const Selector& s : d.targets) {
      const bool any = std::any_of(options.known_targets.begin(), options.known_targets.end(),
                                   [&](const KnownTarget& t) { return selector_matches(s, t); });
      if (!any)
        add(out, Severity::Warning, Code::NeverMatches, s.pos, messages::selector_matches_nothing(describe_selector(s)));
    }
  }
}

}  // namespace opspilot::policies
