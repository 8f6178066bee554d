// libFuzzer target: the policy loader (and, for inputs that load, the evaluator and the
// table-test reader) on arbitrary bytes; every problem must become a diagnostic with a sane
// position, never a crash or a hang. A fixed-budget mutation run of the same kind is
// tests/policy_fuzz_smoke_test.cpp, part of `make test`.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "policies/engine.h"
#include "policies/loader.h"
#include "policies/table_tests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace opspilot::policies;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const LoadResult r = load_policy_string(text, "fuzz.yaml");
  for (const Diagnostic& d : r.diagnostics)
    if (d.line < 0 || d.column < 0 || d.message.empty()) std::abort();
  (void)r.report();
  if (r.ok()) {
    Proposal p;
    p.namespace_ = "prod";
    p.target = "web";
    p.current_replicas = 5;
    p.desired_replicas = 9;
    Context c;
    c.now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20500));
    c.history.push_back(ActionRecord{"restart", c.now - std::chrono::minutes(5), 2});
    for (const char* action : {"scale", "restart", "rollback", "resize", "hold"}) {
      p.action = action;
      (void)r.engine->evaluate(p, c);
    }
  }
  (void)run_policy_test_text(text, "/nonexistent/fuzz_test.yaml");
  return 0;
}
