#pragma once
// The policy evaluator: every document that selects the proposal's target is applied, in load
// order, and every rule it checks is reported with its verdict and the reason in words.
//
// Semantics (stated again in the README):
//   - precedence: any deny -> deny; else any needs_approval -> needs_approval; else allow;
//   - bounds and (by default) step limits adjust the proposal instead of refusing it; the
//     adjusted replica count flows into the next rule and the next document;
//   - a target no document selects is denied (rule "default"): nothing acts without a policy;
//   - a document whose rules all stay silent for a proposal gives its `default` verdict;
//   - "hold" is always allowed: doing nothing needs no permission;
//   - an action kind the engine does not know is denied.
// Evaluation is pure: no clock but Context::now, no I/O (time zones were resolved at load).
//
// Speed: the constructor compiles each document once (policies/engine_compiled.h: rule names
// and the constant parts of every reason formatted up front), so evaluate() only appends the
// numbers a proposal brings; 1,000 rules take tens of microseconds (bench/policy_bench.cpp).
//
// Thread-safety: immutable after construction; evaluate() may run concurrently.
#include <cstddef>
#include <memory>
#include <vector>

#include "policies/document.h"
#include "policies/policy.h"

namespace opspilot::policies {

namespace compiled {
struct CompiledDocument;
class Arena;
}  // namespace compiled

class PolicyEngine final : public PolicyEvaluator {
 public:
  explicit PolicyEngine(std::vector<PolicyDocument> documents);
  ~PolicyEngine() override;
  // The compiled form points into documents_: an engine is shared (shared_ptr), never copied.
  PolicyEngine(const PolicyEngine&) = delete;
  PolicyEngine& operator=(const PolicyEngine&) = delete;

  Evaluation evaluate(const Proposal& proposal, const Context& context) const override;
  const std::vector<PolicyDocument>& documents() const { return documents_; }
  std::size_t rule_count() const { return rule_count_; }

 private:
  std::vector<PolicyDocument> documents_;
  std::unique_ptr<compiled::Arena> arena_;            // the compiled documents' text
  std::vector<compiled::CompiledDocument> compiled_;  // one per document, in order
  std::size_t rule_count_ = 0;
};

}  // namespace opspilot::policies
