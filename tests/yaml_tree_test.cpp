// The fast YAML subset parser (policies/yaml_subset.cpp) against yaml-cpp: on every text the
// subset accepts, both trees must agree node for node — kind, text, line, column and offset — so
// the loader means what yaml-cpp means and reports the same positions. Texts: the bundled
// policies and table tests, hand-written edge cases, and thousands of mutations of them (the mutations
// that stay inside the subset are where a difference would hide). Also: the subset really
// covers what policy files are written in (else the speed-up silently disappears).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/test_support.h"
#include "policies/yaml_tree.h"

namespace opspilot::policies::yaml {
namespace {

std::string where(const Node& n) {
  const YAML::Mark m = n.Mark();
  return std::to_string(m.line) + ":" + std::to_string(m.column) + "@" + std::to_string(m.pos);
}

// A readable dump of a tree: one line per node with its kind, position and text.
void dump(const Node& n, int depth, std::string& out) {
  static const char* kinds[] = {"null", "scalar", "map", "list"};
  out += std::string(static_cast<std::size_t>(depth) * 2, ' ') + kinds[static_cast<int>(n.kind())] + " " + where(n);
  if (n.IsScalar()) out += " \"" + std::string(n.Scalar()) + "\"";
  out += "\n";
  if (depth > 40) return;  // an alias cycle (only yaml-cpp makes them)
  if (n.IsSequence())
    for (const Node c : n.items()) dump(c, depth + 1, out);
  if (n.IsMap()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      dump(n.key(i), depth + 1, out);
      dump(n.value(i), depth + 2, out);
    }
  }
}

std::string dump(const std::vector<Node>& docs) {
  std::string out;
  for (const Node& d : docs) {
    out += "--- document\n";
    // An empty document has no position in the subset's tree; yaml-cpp gives the next token's.
    if (d.IsNull()) out += "null\n";
    else dump(d, 0, out);
  }
  return out;
}

// Whether the subset accepted `text`; when it did, its tree must be yaml-cpp's.
bool agrees(const std::string& text) {
  const auto fast = parse_subset(text);
  if (!fast) return false;
  const ParsedText slow = parse_with_yaml_cpp(text);
  EXPECT_TRUE(slow.ok) << "the subset accepted a text yaml-cpp refuses (" << slow.error_message << "):\n" << text;
  if (slow.ok) {
    EXPECT_EQ(dump(fast->documents()), dump(slow.documents)) << "on:\n" << text;
  }
  return true;
}


// The document bench/policy_bench.cpp loads 1,200 of.
const char* kBenchDocument = R"(apiVersion: opspilot.dev/v1
kind: Policy
metadata:
  name: p7
  description: generated policy number 7 for the load benchmark; long enough to look like a real, commented policy file
spec:
  targets:
    - namespace: prod
      name: "web*"
      labels: {tier: frontend}
  timezone: Europe/Berlin
  cooldowns: {scale_up: 3m, scale_down: 10m, restart: 15m, rollback: 1h}
  rate_limits:
    - {kind: restart, max: 3, window: 1h}
    - {kind: scale, max: 50, window: 1h}
  freezes:
    - {name: year-end, from: 2026-12-21, to: 2027-01-04, kinds: [scale_down, restart]}
    - {name: weekend, cron: "0 16 * * fri", duration: 64h, kinds: [restart, rollback]}
  approval:
    rules:
      - {name: big, kinds: [scale_up], min_step: 50, approvers: {slack_groups: [S0SRE]}}
      - {name: unsure, kinds: [scale], confidence_below: 0.2, approvers: {tokens: [oncall]}}
---
)";

TEST(YamlTree, TheSubsetReadsThePolicyFilesWeShipAndBenchmark) {
  for (const std::string& text : opspilot::test::bundled_policy_texts()) EXPECT_TRUE(agrees(text)) << "outside the subset:\n" << text;
  EXPECT_TRUE(agrees(kBenchDocument));
  EXPECT_TRUE(agrees(std::string(kBenchDocument) + kBenchDocument));
}

// Each is read by the subset (then checked against yaml-cpp) or left to yaml-cpp; the flag says
// which, so a change in coverage is noticed. They also seed the mutations below.
const std::vector<std::pair<std::string, bool>> kCases{
    {"", true},
    {"# only a comment\n", true},
    {"---\n", true},
    {"---\n---\n", true},
    {"a: 1\n---\n", true},
    {"--- # c\na: 1\n...\n", false},
    {"a: 1\nb:\n  c: 2\n  d: [x, 'y', \"z\"]\n", true},
    {"  a: 1\n  b: 2\n", true},
    {"a:\n- 1\n- 2\nb: 3\n", true},
    {"a:\n  - x: 1\n    y: 2\n  - z\n", true},
    {"- a\n- b: c\n  d: e\n-   f: g\n", true},
    {"a: ~\nb: null\nc: Null\nd: NULL\ne: 'null'\nnull: 1\n", true},
    {"a: b # comment\nc: 'd # not a comment'\ne: f#g\n", true},
    {"a: 'it''s'\nb: \"q\"\n", true},
    {"a: \"esc\\n\"\n", false},
    {"a: {b: [1, {c: d}], e: {}}\nf: []\n", true},
    {"a: [1, 2,]\n", false},
    {"a: [1,\n  2]\n", false},
    {"a: |\n  text\n", false},
    {"a: >-\n  text\n", false},
    {"a: &x 1\nb: *x\n", false},
    {"a: !!str 1\n", false},
    {"a:\n", false},
    {"a:\nb: 1\n", false},
    {"- \n- a\n", false},
    {"a: b\n  c\n", false},
    {"a: b: c\n", false},
    {"a : b\n", false},
    {"? a\n: b\n", false},
    {"a:\tb\n", false},
    {"a: b\r\n", false},
    {"a: caf\xc3\xa9 # \xe2\x80\x94 comment\nb: [\xe2\x80\x94, '\xc3\xa9', x]\nc: {\xc3\xa9: z}\n", true},
    {"\xef\xbb\xbf" "a: 1\n", false},
    {"\xff\xfe" "a: 1\n", false},
    {"a: 08:00\nb: http://x/y\nc: -5\nd: 0 16 * * fri\n", true},
    {"a: [08:00, -1, a:b]\n", true},
    {"a: [b?c]\n", false},
    {"a: {b: c:d}\n", true},
    {"%YAML 1.2\n---\na: 1\n", false},
    {"a: 1\nb: 2\n---\nc: 3\n", true},
    {"a: 1\n- b\n", false},
    {"[a, b]\n", false},
    {"plain\n", false},
    {"a: 1\n  # indented comment\nb: 2\n", true},
    {"a:\n  b: 1\n c: 2\n", false},
    {"'quoted key': 1\n\"other\": 2\n", true},
    {"a: 1\na: 2\n", true},
    {",\n", false},
};

TEST(YamlTree, EdgeCasesEitherAgreeOrGoToYamlCpp) {
  for (const auto& [text, accepted] : kCases) EXPECT_EQ(agrees(text), accepted) << text;
}

std::string mutate(std::string s, std::mt19937_64& rng, const std::vector<std::string>& pool) {
  static const std::string kSignificant = ":-{}[],#&*!|>'\"%@`\n ?0123456789~\xc3\xa9\xe2\x80\x94\xef\xbb\xbf\xc2\x85\xe2\x80\xa8";
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const std::size_t at = rng() % s.size();
    switch (rng() % 6) {
      case 0: s[at] = kSignificant[rng() % kSignificant.size()]; break;
      case 1: s.insert(at, 1, kSignificant[rng() % kSignificant.size()]); break;
      case 2: s.erase(at, 1 + rng() % 4); break;
      case 3: s.resize(at); break;
      case 4: {
        const std::string& other = pool[rng() % pool.size()];
        const std::size_t from = rng() % other.size();
        const std::size_t end = other.find('\n', from);
        s.insert(at, other.substr(from, end == std::string::npos ? std::string::npos : end - from + 1));
        break;
      }
      default: s.insert(at, std::string(1 + rng() % 3, ' ')); break;
    }
  }
  return s;
}

TEST(YamlTree, MutationsAgreeWheneverTheSubsetAcceptsThem) {
  // 2,500 keeps the test under ~10 s with ASan on a busy machine (yaml-cpp parses each accepted
  // text too); OPSPILOT_YAML_MUTATIONS=1000000 (and OPSPILOT_YAML_SEED=n) runs a longer hunt.
  const char* env = std::getenv("OPSPILOT_YAML_MUTATIONS");
  const long n = env ? std::atol(env) : 2500;
  std::vector<std::string> pool = opspilot::test::bundled_policy_texts();
  pool.push_back(kBenchDocument);
  for (const auto& c : kCases)
    if (!c.first.empty()) pool.push_back(c.first);
  const char* seed = std::getenv("OPSPILOT_YAML_SEED");
  std::mt19937_64 rng(seed ? std::strtoull(seed, nullptr, 10) : 20260305);
  long accepted = 0;
  for (long i = 0; i < n && !HasFailure(); ++i) {
    if (agrees(mutate(pool[rng() % pool.size()], rng, pool))) ++accepted;
  }
  // Enough of them stay inside the subset for the comparison to mean something.
  EXPECT_GT(accepted, n / 10);
  std::printf("yaml subset: %ld of %ld mutations accepted and equal to yaml-cpp\n", accepted, n);
}

TEST(YamlTree, ParseFallsBackToYamlCppWithItsErrorsAndAliases) {
  const ParsedText bad = parse("a: [1, 2\n");
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error_mark.line, 0);
  EXPECT_FALSE(bad.error_message.empty());
  const ParsedText hanging = parse("a: 1\n, b\n");
  EXPECT_FALSE(hanging.ok);
  EXPECT_EQ(hanging.error_message, hanging_flow_entry_message());
  const ParsedText alias = parse("a: &x {b: 1}\nc: *x\n");
  ASSERT_TRUE(alias.ok);
  ASSERT_EQ(alias.documents.size(), 1u);
  const Node root = alias.documents[0];
  EXPECT_TRUE(root.value(1) == root.value(0));  // the alias is the anchored node, as YAML::Load makes it
  EXPECT_EQ(root.value(1).value(0).Scalar(), "1");
  // FirstOnly reads like YAML::Load: a broken second document goes unnoticed.
  const ParsedText first = parse("a: 1\n---\nb: [\n", Documents::FirstOnly);
  ASSERT_TRUE(first.ok) << first.error_message;
  EXPECT_EQ(first.documents.size(), 1u);
  EXPECT_FALSE(parse("a: 1\n---\nb: [\n").ok);
  EXPECT_TRUE(parse("", Documents::FirstOnly).documents.empty());
}

}  // namespace
}  // namespace opspilot::policies::yaml
