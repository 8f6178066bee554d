#include "policies/table_tests.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "policies/engine.h"
#include "policies/loader.h"
#include "policies/yaml_reader.h"

namespace opspilot::policies {
namespace {

namespace fs = std::filesystem;
using namespace yaml;
using std::chrono::seconds;

const Keys kFileKeys{"policies", "now", "tests"};
const Keys kCaseKeys{"name", "now", "proposal", "context", "expect"};
const Keys kProposalKeys{"namespace", "target", "action", "current", "desired", "confidence",
                         "labels",    "environment", "pods_affected", "total_pods"};
const Keys kContextKeys{"data_age",          "data_complete",    "burn_rate", "forecast_mase",
                        "interval_coverage", "slo_min_replicas", "rollbacks_this_deploy", "history"};
const Keys kHistoryKeys{"kind", "ago", "pods"};
const Keys kExpectKeys{"verdict", "replicas", "rules", "approvers", "ttl"};
const Keys kVerdicts{"allow", "deny", "needs_approval"};

// "2026-03-04T10:00:00Z" or "...+01:00"; seconds optional.
std::optional<std::chrono::system_clock::time_point> parse_timestamp(const std::string& s) {
  const std::size_t t = s.find('T');
  if (t == std::string::npos || t + 6 > s.size()) return std::nullopt;
  std::size_t end = t + 6;  // after HH:MM
  int sec = 0;
  if (end < s.size() && s[end] == ':') {
    if (end + 3 > s.size() || !isdigit(static_cast<unsigned char>(s[end + 1])) || !isdigit(static_cast<unsigned char>(s[end + 2])))
      return std::nullopt;
    sec = (s[end + 1] - '0') * 10 + (s[end + 2] - '0');
    end += 3;
  }
  const auto minutes = parse_local_date(s.substr(0, t + 6));
  if (!minutes || sec > 59 || end >= s.size()) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: 1678..2262. Keep well inside.
  constexpr std::int64_t kYear2200 = 120'000'000;  // minutes since 1970, about the year 2198
  if (*minutes < 0 || *minutes > kYear2200) return std::nullopt;
  long offset = 0;
  const std::string zone = s.substr(end);
  if (zone != "Z") {
    const auto hm = zone.size() == 6 ? parse_time_of_day(zone.substr(1)) : std::nullopt;
    if (!hm || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
    offset = (zone[0] == '-' ? -1 : 1) * *hm * 60L;
  }
  return std::chrono::system_clock::time_point(seconds(*minutes * 60 + sec - offset));
}

struct Expectation {
  std::optional<Verdict> verdict;
  std::optional<int> replicas;
  std::vector<std::pair<std::string, Verdict>> rules;
  std::vector<std::string> approvers;
  std::optional<seconds> ttl;
};

bool rule_matches(const std::string& full, const std::string& key) {
  return full == key || (full.size() > key.size() && full.compare(full.size() - key.size(), key.size(), key) == 0 &&
                         full[full.size() - key.size() - 1] == '/');
}

class FileRunner {
 public:
  FileRunner(const std::string& text, const std::string& file, TableTestReport& report)
      : text_(text), file_(file), report_(report), sink_(file, text), r_(sink_) {}

  void run() {
    std::optional<MapView> top;
    // The first document only, as YAML::Load read it.
    const ParsedText parsed = parse(text_, Documents::FirstOnly);
    const Node root = parsed.documents.empty() ? Node() : parsed.documents.front();
    if (parsed.ok) top = r_.map(root, "", &kFileKeys);
    else r_.report(Severity::Error, Code::YamlSyntax, parsed.error_mark, "", messages::yaml_syntax(parsed.error_message));
    if (top) run_cases(*top, root);
    for (Diagnostic& d : sink_.take_sorted()) report_.diagnostics.push_back(std::move(d));
  }

 private:
  void run_cases(const MapView& top, const Node& root) {
    const fs::path dir = fs::path(file_).parent_path();
    std::vector<std::string> paths;
    if (const Entry* e = top.find("policies")) {
      std::vector<std::string> names;
      r_.read_strings(e, names);
      for (const auto& n : names) paths.push_back(fs::path(n).is_absolute() ? n : (dir / n).string());
    } else {
      paths.push_back(dir.empty() ? std::string(".") : dir.string());
    }
    LoadResult loaded = load_policy_paths(paths);
    for (Diagnostic& d : loaded.diagnostics)
      if (d.is_error()) report_.diagnostics.push_back(std::move(d));
    std::optional<std::chrono::system_clock::time_point> now;
    read_now(top.find("now"), now);
    const Entry* tests = top.find("tests");
    if (tests == nullptr) {
      r_.error(Code::MissingKey, root, "", messages::missing_key("tests"));
      return;
    }
    if (!tests->value.IsSequence()) {
      r_.bad(*tests, Code::WrongType, messages::wrong_type("a list of test cases", describe(tests->value)));
      return;
    }
    std::size_t i = 0;
    for (const Node n : tests->value.items()) run_case(n, item("tests", i++), now, loaded);
  }

  void read_now(const Entry* e, std::optional<std::chrono::system_clock::time_point>& out) {
    std::string s;
    if (e == nullptr || !r_.scalar(*e, "a timestamp such as \"2026-03-04T10:00:00Z\"", s)) return;
    if (auto t = parse_timestamp(s)) out = t;
    else r_.bad(*e, Code::BadTime, "bad timestamp " + messages::q(s) + "; expected RFC 3339 such as \"2026-03-04T10:00:00Z\"");
  }

  void run_case(const Node& n, const std::string& path,
                std::optional<std::chrono::system_clock::time_point> now, const LoadResult& loaded) {
    const auto m = r_.map(n, path, &kCaseKeys);
    if (!m) return;
    const std::size_t errors_before = error_count();
    TableCaseResult c;
    c.file = file_;
    c.line = n.Mark().line + 1;
    r_.read_string(m->find("name"), c.name);
    if (c.name.empty()) c.name = path;
    read_now(m->find("now"), now);
    Proposal p;
    Context ctx;
    read_proposal(m->find("proposal"), p);
    read_context(m->find("context"), ctx);
    Expectation ex;
    read_expect(m->find("expect"), n, path, ex);
    if (!now) r_.error(Code::MissingKey, n, path, messages::missing_key("now") + " (here or at the top of the file)");
    if (error_count() != errors_before) return;  // reported; the case cannot run as written
    ctx.now = *now;
    for (ActionRecord& h : ctx.history) h.at = *now - (h.at - std::chrono::system_clock::time_point{});
    if (!loaded.ok()) {
      c.diff.push_back("the policies under test have errors (listed above)");
      report_.cases.push_back(std::move(c));
      return;
    }
    compare(loaded.engine->evaluate(p, ctx), ex, c);
    report_.cases.push_back(std::move(c));
  }

  void read_proposal(const Entry* e, Proposal& p) {
    if (e == nullptr) return;
    const auto m = r_.section(e, &kProposalKeys);
    if (!m) return;
    r_.read_string(m->find("namespace"), p.namespace_);
    r_.read_string(m->find("target"), p.target);
    r_.read_string(m->find("action"), p.action);
    r_.read_int(m->find("current"), 0, 1000000, p.current_replicas);
    r_.read_int(m->find("desired"), 0, 1000000, p.desired_replicas);
    std::optional<double> conf;
    if (r_.read_number(m->find("confidence"), 0, 1, "a number in [0, 1]", conf)) p.confidence = *conf;
    r_.read_string_map(m->find("labels"), p.labels);
    r_.read_string(m->find("environment"), p.environment);
    r_.read_int(m->find("pods_affected"), 0, 1000000, p.pods_affected);
    r_.read_int(m->find("total_pods"), 0, 1000000, p.total_pods);
  }

  void read_context(const Entry* e, Context& c) {
    if (e == nullptr) return;
    const auto m = r_.section(e, &kContextKeys);
    if (!m) return;
    seconds age{0};
    if (r_.read_duration(m->find("data_age"), seconds(0), age)) c.data_age_seconds = static_cast<double>(age.count());
    r_.read_bool(m->find("data_complete"), c.data_complete);
    std::optional<double> v;
    if (r_.read_number(m->find("burn_rate"), 0, 1e9, "a number of at least 0", v)) c.error_budget_burn_rate = *v;
    r_.read_number(m->find("forecast_mase"), 0, 1e9, "a number of at least 0", c.predictor_mase);
    r_.read_number(m->find("interval_coverage"), 0, 1, "a number in [0, 1]", c.predictor_coverage);
    r_.read_int(m->find("slo_min_replicas"), 0, 1000000, c.slo_min_replicas);
    r_.read_int(m->find("rollbacks_this_deploy"), 0, 1000000, c.rollbacks_this_deploy);
    const Entry* h = m->find("history");
    if (h == nullptr || h->value.IsNull()) return;
    if (!h->value.IsSequence()) {
      r_.bad(*h, Code::WrongType, messages::wrong_type("a list of earlier actions", describe(h->value)));
      return;
    }
    std::size_t i = 0;
    for (const Node n : h->value.items()) {
      const auto hm = r_.map(n, item(h->path, i++), &kHistoryKeys);
      if (!hm) continue;
      ActionRecord rec;
      std::uint32_t bits = 0;
      seconds ago{0};
      r_.read_kind(hm->find("kind"), rec.kind, bits);
      r_.read_duration(hm->find("ago"), seconds(0), ago);
      r_.read_int(hm->find("pods"), 0, 1000000, rec.pods);
      rec.at = std::chrono::system_clock::time_point(ago);  // made relative to `now` once it is known
      c.history.push_back(std::move(rec));
    }
  }

  void read_expect(const Entry* e, const Node& n, const std::string& path, Expectation& ex) {
    if (e == nullptr) {
      r_.error(Code::MissingKey, n, path, messages::missing_key("expect"));
      return;
    }
    const auto m = r_.section(e, &kExpectKeys);
    if (!m) return;
    Verdict v{};
    if (r_.read_verdict(m->find("verdict"), kVerdicts, v)) ex.verdict = v;
    r_.read_int(m->find("replicas"), 0, 1000000, ex.replicas);
    if (const auto rules = r_.section(m->find("rules"), nullptr)) {
      for (const Entry& kv : rules->entries)
        if (r_.read_verdict(&kv, kVerdicts, v)) ex.rules.emplace_back(kv.key, v);
    }
    r_.read_strings(m->find("approvers"), ex.approvers);
    seconds ttl{0};
    if (r_.read_duration(m->find("ttl"), seconds(1), ttl)) ex.ttl = ttl;
  }

  static void compare(const Evaluation& ev, const Expectation& ex, TableCaseResult& c) {
    for (const RuleResult& r : ev.rules)
      c.checked.push_back(std::string(to_string(r.verdict)) + std::string(16 - std::string(to_string(r.verdict)).size(), ' ') +
                          r.rule + ": " + r.reason);
    if (ex.verdict && *ex.verdict != ev.verdict)
      c.diff.push_back(std::string("verdict: expected ") + to_string(*ex.verdict) + ", got " + to_string(ev.verdict));
    if (ex.replicas && *ex.replicas != ev.replicas)
      c.diff.push_back("replicas: expected " + std::to_string(*ex.replicas) + ", got " + std::to_string(ev.replicas));
    for (const auto& expected : ex.rules) {
      const std::string& key = expected.first;  // a named copy: clang 14 cannot capture bindings
      const Verdict want = expected.second;
      const auto it = std::find_if(ev.rules.begin(), ev.rules.end(), [&](const RuleResult& r) { return rule_matches(r.rule, key); });
      if (it == ev.rules.end())
        c.diff.push_back("rule " + key + ": expected " + to_string(want) + ", but no such rule was checked");
      else if (it->verdict != want)
        c.diff.push_back("rule " + it->rule + ": expected " + to_string(want) + ", got " + to_string(it->verdict) + " (" + it->reason + ")");
    }
    if (!ex.approvers.empty() || ex.ttl) {
      std::vector<std::string> got;
      if (ev.approval) {
        for (const auto& s : ev.approval->slack_users) got.push_back(s);
        for (const auto& s : ev.approval->slack_groups) got.push_back(s);
        for (const auto& s : ev.approval->tokens) got.push_back(s);
      }
      auto join = [](const std::vector<std::string>& v) {
        std::string o;
        for (const auto& s : v) o += (o.empty() ? "" : ", ") + s;
        return "[" + o + "]";
      };
      std::vector<std::string> want = ex.approvers, have = got;
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      if (!ex.approvers.empty() && want != have)
        c.diff.push_back("approvers: expected " + join(ex.approvers) + ", got " + join(got));
      if (ex.ttl && (!ev.approval || ev.approval->ttl != *ex.ttl))
        c.diff.push_back("ttl: expected " + format_policy_duration(*ex.ttl) + ", got " +
                         (ev.approval ? format_policy_duration(ev.approval->ttl) : std::string("no approval")));
    }
    c.passed = c.diff.empty();
  }

  std::size_t error_count() const {
    return static_cast<std::size_t>(std::count_if(sink_.diagnostics().begin(), sink_.diagnostics().end(),
                                                  [](const Diagnostic& d) { return d.is_error(); }));
  }

  const std::string& text_;
  std::string file_;
  TableTestReport& report_;
  DiagnosticSink sink_;
  Reader r_;
};

}  // namespace

std::size_t TableTestReport::passed() const {
  return static_cast<std::size_t>(std::count_if(cases.begin(), cases.end(), [](const auto& c) { return c.passed; }));
}
std::size_t TableTestReport::failed() const { return cases.size() - passed(); }
bool TableTestReport::ok() const {
  const bool errors = std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.is_error(); });
  return !errors && failed() == 0 && !cases.empty();
}

std::string TableTestReport::format(bool verbose) const {
  std::string out = format_diagnostics(diagnostics);
  for (const TableCaseResult& c : cases) {
    out += std::string(c.passed ? "PASS " : "FAIL ") + c.file + ":" + std::to_string(c.line) + " " + c.name + "\n";
    if (c.passed && !verbose) continue;
    for (const auto& d : c.diff) out += "    " + d + "\n";
    if (!c.checked.empty()) out += "    rules checked:\n";
    for (const auto& r : c.checked) out += "      " + r + "\n";
  }
  const std::size_t errs = static_cast<std::size_t>(
      std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.is_error(); }));
  out += std::to_string(passed()) + " passed, " + std::to_string(failed()) + " failed";
  if (errs > 0) out += ", " + std::to_string(errs) + (errs == 1 ? " error" : " errors") + " in the files";
  out += " (" + std::to_string(files) + (files == 1 ? " test file)" : " test files)");
  if (cases.empty() && errs == 0) out += "; no test cases found";
  return out + "\n";
}

TableTestReport run_policy_test_text(const std::string& text, const std::string& file) {
  TableTestReport report;
  report.files = 1;
  FileRunner(text, file, report).run();
  return report;
}

TableTestReport run_policy_tests(const std::string& path) {
  TableTestReport report;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    files = files_under(path, is_policy_test_file_name, ec);
  } else {
    files.push_back(path);
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      report.diagnostics.push_back(Diagnostic{Severity::Error, Code::FileUnreadable, f, 0, 0, "",
                                              messages::file_unreadable(f, "no such file or not readable"), ""});
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    ++report.files;
    FileRunner(ss.str(), f, report).run();
  }
  return report;
}

}  // namespace opspilot::policies
