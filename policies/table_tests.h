#pragma once
// Operator-written policy tests, like `opa test` or the Kyverno CLI: YAML files named
// *_test.yaml holding cases of "this proposal in this context -> this verdict (and these rule
// verdicts, and this replica count)". Each file tests the policies named by its `policies:` list
// (paths relative to the file), or by default every policy file in its directory.
//
//   policies: [production.yaml]
//   now: "2026-03-04T10:00:00Z"          # default for every case
//   tests:
//     - name: a large scale-up needs a human
//       now: "2026-03-04T10:00:00Z"
//       proposal: {namespace: prod, target: web, action: scale, current: 10, desired: 20,
//                  confidence: 0.9, environment: production, labels: {tier: web}}
//       context: {data_age: 30s, burn_rate: 0.5, history: [{kind: restart, ago: 10m, pods: 1}]}
//       expect:
//         verdict: needs_approval
//         replicas: 15
//         rules: {approval.large-scale-up: needs_approval}   # suffix of the full rule name
//
// Thread-safety: pure functions over their arguments.
#include <string>
#include <vector>

#include "policies/diagnostics.h"

namespace opspilot::policies {

struct TableCaseResult {
  std::string file;
  int line = 0;
  std::string name;
  bool passed = false;
  std::vector<std::string> diff;     // one line per mismatch: "verdict: expected allow, got deny"
  std::vector<std::string> checked;  // every rule checked: "deny  prod/cooldowns.restart  reason"
};

struct TableTestReport {
  std::vector<TableCaseResult> cases;
  std::vector<Diagnostic> diagnostics;  // problems in test files or the policies they load
  std::size_t files = 0;

  std::size_t passed() const;
  std::size_t failed() const;
  /// Errors in the files count as failures: a test that cannot run must not pass silently.
  bool ok() const;
  /// PASS/FAIL lines, the diff and the rules checked for each failure, then a summary line.
  std::string format(bool verbose = false) const;
};

/// Runs the test files under `path` (a *_test.yaml file or a directory searched recursively).
TableTestReport run_policy_tests(const std::string& path);
/// Runs the cases of one test text, as if it were the file `file` (relative policy paths are
/// resolved against `file`'s directory).
TableTestReport run_policy_test_text(const std::string& text, const std::string& file);

}  // namespace opspilot::policies
