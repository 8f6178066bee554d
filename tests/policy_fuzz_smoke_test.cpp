// A short, deterministic fuzz run inside `make test`: 8,000 mutations of the bundled example
// policies (byte flips, insertions of YAML-significant bytes, deletions, truncations, spliced
// lines) fed to the loader and, when they load, to the evaluator. Nothing may crash (ASan/UBSan
// watch), hang, or produce a diagnostic without a sane position. (8,000, not 20,000: yaml-cpp
// under ASan parses an example in ~2-4 ms on the shared CI machine, and the test must stay under
// 20 s. It found a yaml-cpp 0.7 infinite loop on a document starting with ',', now guarded.) The long, coverage-guided run
// is tests/fuzz/policy_fuzz.cpp under `make fuzz`.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/test_support.h"
#include "policies/engine.h"
#include "policies/loader.h"
#include "policies/table_tests.h"

namespace opspilot::policies {
namespace {


std::string mutate(std::string s, std::mt19937_64& rng, const std::vector<std::string>& pool) {
  static const std::string kSignificant = ":-{}[],#&*!|>'\"%@`\n \t?0123456789";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const std::size_t at = rng() % s.size();
    switch (rng() % 6) {
      case 0: s[at] = static_cast<char>(s[at] ^ (1u << (rng() % 8))); break;
      case 1: s.insert(at, 1, kSignificant[rng() % kSignificant.size()]); break;
      case 2: s.erase(at, 1 + rng() % 8); break;
      case 3: s.resize(at); break;
      case 4: {  // splice a line from another seed
        const std::string& other = pool[rng() % pool.size()];
        const std::size_t from = rng() % other.size();
        const std::size_t end = other.find('\n', from);
        s.insert(at, other.substr(from, end == std::string::npos ? std::string::npos : end - from + 1));
        break;
      }
      default: s.insert(at, std::string(1 + rng() % 3, ' ')); break;  // indentation changes
    }
  }
  return s;
}

TEST(PolicyFuzzSmoke, TheYamlCppFlowEntryHangIsGuarded) {
  for (const char* text : {",", ", b", "# c\n, b", "a: 1\n---\n,", "%YAML 1.2\n---\n,", "!t &a ,", "--- ,", "a:\n  b: {x: 1}\n , c: 1"}) {
    const LoadResult r = load_policy_string(text, "h.yaml");
    ASSERT_EQ(r.diagnostics.size(), 1u) << text;
    EXPECT_EQ(r.diagnostics[0].message, "YAML syntax error: a line cannot start with ',' outside a [list] or {map}") << text;
    EXPECT_GT(r.diagnostics[0].line, 0) << text;
    EXPECT_FALSE(run_policy_test_text(text, "/nonexistent/h_test.yaml").ok());
  }
}

TEST(PolicyFuzzSmoke, CommasWhereYamlAllowsThemStillLoad) {
  const std::string header = "apiVersion: opspilot.dev/v1\nkind: Policy\nmetadata:\n";
  for (const std::string meta : {"  name: a\n  description: |\n    one\n    , two\n",
                                 "  name: b\n  description: >-\n    , folded\n",
                                 "  name: c\n  description: \"multi\n    , line\"\n",
                                 "  {name: d,\n   description: x\n   , }\n"}) {
    const LoadResult r = load_policy_string(header + meta + "spec:\n  actions: [scale\n    , restart]\n", "ok.yaml");
    EXPECT_TRUE(r.ok()) << meta << r.report();
  }
}

TEST(PolicyFuzzSmoke, EightThousandMutationsNeverCrashOrHang) {
  const auto pool = opspilot::test::bundled_policy_texts();
  ASSERT_GE(pool.size(), 4u);
  std::mt19937_64 rng(20260304);
  Proposal p;
  p.namespace_ = "prod";
  p.target = "web";
  p.action = "scale";
  p.current_replicas = 5;
  p.desired_replicas = 9;
  Context c;
  c.now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20500));
  c.history.push_back(ActionRecord{"restart", c.now - std::chrono::minutes(5), 2});
  std::size_t loaded = 0, rejected = 0;
  const auto start = std::chrono::steady_clock::now();
  double slowest = 0;
  for (int i = 0; i < 8000; ++i) {
    const std::string text = mutate(pool[rng() % pool.size()], rng, pool);
    const auto one = std::chrono::steady_clock::now();
    const LoadResult r = load_policy_string(text, "fuzz.yaml");
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - one).count();
    // A hang shows as one input taking seconds (a loaded machine slows all of them alike).
    ASSERT_LT(took, 5.0) << "the loader took " << took << " s on:\n" << text;
    slowest = std::max(slowest, took);
    for (const Diagnostic& d : r.diagnostics) {
      ASSERT_GE(d.line, 0) << text;
      ASSERT_GE(d.column, 0) << text;
      ASSERT_FALSE(d.message.empty()) << text;
    }
    (void)r.report();
    if (r.ok()) {
      ++loaded;
      for (const char* action : {"scale", "restart", "rollback", "hold"}) {
        p.action = action;
        (void)r.engine->evaluate(p, c);
      }
    } else {
      ++rejected;
    }
    if (i % 4 == 0) (void)run_policy_test_text(text, "/nonexistent/fuzz_test.yaml");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Both paths must be exercised, or the mutations are too weak (or too strong) to mean much.
  EXPECT_GT(loaded, 400u);
  EXPECT_GT(rejected, 400u);
  std::printf("policy fuzz smoke: %zu loaded, %zu rejected in %.1f s (slowest input %.3f s)\n", loaded, rejected,
              seconds, slowest);
}

}  // namespace
}  // namespace opspilot::policies
