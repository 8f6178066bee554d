#pragma once
// For the scenario benchmarks that run the real binaries: a child's resident memory and CPU from
// /proc, a metric read off its exposition text, the address the agent prints when serving, the
// sandbox started on a port file, agent configs made from the demo's, and the resources the Helm
// chart gives the agent. Linux only (/proc).
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "tests/test_support.h"

namespace opspilot::bench {

/// $name as a positive number, `fallback` when unset; throws std::runtime_error quoting a bad value.
inline double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  if (*end != '\0' || !(d > 0)) throw std::runtime_error(std::string("$") + name + " is '" + v + "', expected a positive number");
  return d;
}

/// The median of `v`; NaN when empty.
inline double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// One reading of a process' memory, in KiB as /proc reports it; ok false when the process is gone.
struct ProcMemory {
  bool ok = false;
  long rss_kib = 0;  // VmRSS: resident now
  long hwm_kib = 0;  // VmHWM: the peak resident size so far
};

/// VmRSS and VmHWM from /proc/PID/status. Thread-safe (reads a file).
inline ProcMemory read_proc_memory(pid_t pid) {
  ProcMemory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    long* dst = line.rfind("VmRSS:", 0) == 0 ? &m.rss_kib : line.rfind("VmHWM:", 0) == 0 ? &m.hwm_kib : nullptr;
    if (!dst) continue;
    *dst = std::strtol(line.c_str() + 6, nullptr, 10);
    ++found;
  }
  m.ok = found == 2;
  return m;
}

/// utime + stime of `pid` in seconds (fields 14 and 15 of /proc/PID/stat); negative when the
/// process is gone. The command name (field 2) may hold spaces, so fields count from its ')'.
inline double read_proc_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));  // from field 3 (state)
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// The sum of every sample of metric `name` in Prometheus text `exposition` (a family with
/// labels sums over them); NaN when there is none.
inline double metric_sum(const std::string& exposition, const std::string& name) {
  double sum = 0;
  bool any = false;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    const auto sp = line.rfind(' ');  // the exposition written by prometheus-cpp has no timestamps
    sum += std::strtod(line.c_str() + sp + 1, nullptr);
    any = true;
  }
  return any ? sum : std::nan("");
}

/// What a journal directory holds on disk: distinct decisions (ids) and bytes of segment files.
struct JournalFiles {
  std::size_t decisions = 0;
  std::size_t bytes = 0;
};

/// Reads every segment (*.jsonl) of the journal in `dir`; lines that do not parse are skipped.
inline JournalFiles read_journal_files(const std::filesystem::path& dir) {
  JournalFiles out;
  std::set<std::string> ids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".jsonl") continue;
    out.bytes += static_cast<std::size_t>(e.file_size(ec));
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("decision") && j["decision"].is_object() && j["decision"].contains("id") &&
          j["decision"]["id"].is_string())
        ids.insert(j["decision"]["id"].get<std::string>());
    }
  }
  out.decisions = ids.size();
  return out;
}

/// One reading of an agent: its process from /proc and its own /metrics (NaN when not served).
struct AgentSample {
  double t = 0;  // when, in the caller's seconds
  long rss_kib = 0, hwm_kib = 0;
  double cpu_s = 0, ticks = 0, store_bytes = 0, series = 0, journal_writes = 0, signal_problems = 0;
};

/// Reads `pid`'s memory and CPU and the agent's `metrics_url`; false when the process is gone.
inline bool sample_agent(pid_t pid, const std::string& metrics_url, double t, AgentSample* out) {
  const ProcMemory m = read_proc_memory(pid);
  if (!m.ok) return false;
  out->t = t;
  out->rss_kib = m.rss_kib;
  out->hwm_kib = m.hwm_kib;
  out->cpu_s = read_proc_cpu_seconds(pid);
  const test::HttpResult h = test::http_get(metrics_url, std::chrono::milliseconds(2000));
  const std::string body = h.status == 200 ? h.body : std::string();
  out->ticks = metric_sum(body, "opspilot_ticks_total");
  out->store_bytes = metric_sum(body, "opspilot_series_store_bytes");
  out->series = metric_sum(body, "opspilot_series");
  out->journal_writes = metric_sum(body, "opspilot_journal_writes_total");
  out->signal_problems = metric_sum(body, "opspilot_signal_problems_total");
  return true;
}

/// Waits up to `timeout` for the agent's "opspilot: serving on HOST:PORT" line in `log_file`;
/// the address, or "" when it did not appear.
inline std::string wait_for_serving_address(const std::string& log_file, std::chrono::milliseconds timeout) {
  const std::string marker = "opspilot: serving on ";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::ifstream in(log_file);
    std::string line;
    while (std::getline(in, line))
      if (const auto at = line.find(marker); at != std::string::npos) return line.substr(at + marker.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

/// The last `lines` lines of a log file, for error messages.
inline std::string log_tail(const std::string& file, int lines = 15) {
  std::string out;
  test::run_command("tail -n " + std::to_string(lines) + " '" + file + "'", &out);
  return out;
}

/// The sandbox binary serving `config` on a free port at `speed` from `start`.
/// Thread-safety: none; owned by one thread.
class SandboxProcess {
 public:
  SandboxProcess(const std::string& binary, const std::string& config, double speed, const std::string& start,
                 const test::TempDir& dir, const std::string& name) {
    const std::string port_file = dir.file(name + ".port");
    log_ = dir.file(name + ".log");
    char speed_text[32];
    std::snprintf(speed_text, sizeof speed_text, "%g", speed);
    proc_ = std::make_unique<test::ChildProcess>(
        binary,
        std::vector<std::string>{"--config", config, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                 "--speed", speed_text, "--start", start, "--seed", "7"},
        log_);
    for (int i = 0; i < 400 && port_ == 0; ++i) {  // up to 10 s: the sandbox starts in milliseconds
      std::ifstream in(port_file);
      in >> port_;
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  /// 0 when the sandbox did not come up (see log()).
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& log() const { return log_; }

 private:
  std::string log_;
  std::unique_ptr<test::ChildProcess> proc_;
  int port_ = 0;
};

/// What make_agent_config() builds.
struct AgentConfigRequest {
  std::filesystem::path demo_template;  // examples/demo/opspilot-demo.yaml.in
  std::filesystem::path source_root;    // replaces @ROOT@
  std::filesystem::path dir;            // the agent's own directory (journal, timeline): @DIR@
  int targets = 1;
  std::string sandbox_base;    // http://127.0.0.1:PORT, for the targets' scrape URLs
  std::string prometheus_url;  // non-empty: controller mode (the targets' scrape URLs dropped)
  double speed = 1;            // != 1: clock.speed with clock.start = `start`
  std::string start;           // RFC 3339
};

namespace detail {

struct YamlBlock {
  std::string key, text;  // a top-level key and its lines (key line included)
};

/// Splits YAML text into its top-level blocks (comment lines at column 0 are left out).
inline std::vector<YamlBlock> top_level_blocks(const std::string& text) {
  std::vector<YamlBlock> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') out.push_back({line.substr(0, line.find(':')), ""});
    if (!out.empty()) out.back().text += line + "\n";
  }
  return out;
}

/// The items of a block sequence ("targets:\n  - name: a\n    ...\n  - name: b ...").
inline std::vector<std::string> sequence_items(const std::string& block) {
  std::vector<std::string> items;
  std::istringstream in(block);
  std::string line, dash;
  std::getline(in, line);  // the key line
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(' ');
    if (dash.empty() && first != std::string::npos && line.compare(first, 2, "- ") == 0) dash = line.substr(0, first + 2);
    if (!dash.empty() && line.rfind(dash, 0) == 0) items.emplace_back();
    if (!items.empty()) items.back() += line + "\n";
  }
  return items;
}

inline void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace detail

/// The demo's config (examples/demo/opspilot-demo.yaml.in) turned into a dry-run one with
/// `targets` targets: copies of the demo's targets in turn (every signal, SLO and limit as written
/// there), named <name>-NNN; the demo's other settings (interval, journal with fsync, timeline,
/// policies, API tokens, HTTP on a free port) kept; its actuator replaced by dry-run, its leader
/// election and clock left out, then clock and prometheus set as `req` says. Throws
/// std::runtime_error when the template cannot be read or has no targets.
inline std::string make_agent_config(const AgentConfigRequest& req) {
  std::ifstream in(req.demo_template);
  if (!in) throw std::runtime_error("cannot read " + req.demo_template.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string port = req.sandbox_base.substr(req.sandbox_base.rfind(':') + 1);
  detail::replace_all(text, "@PORT@", port);
  detail::replace_all(text, "@DIR@", req.dir.string());
  detail::replace_all(text, "@ROOT@", req.source_root.string());
  std::string out = "# Made by bench/agent_memory_bench.cpp from " + req.demo_template.string() +
                    "\nmode: dry-run\nactuator:\n  type: dry-run\n";
  if (req.speed != 1) {
    char speed[32];
    std::snprintf(speed, sizeof speed, "%g", req.speed);
    out += std::string("clock:\n  speed: ") + speed + "\n  start: " + req.start + "\n";
  }
  if (!req.prometheus_url.empty())  // as examples/opspilot-controller.yaml
    out += "prometheus:\n  url: " + req.prometheus_url + "\n  timeout: 5s\n  retries: 3\n  backoff: 200ms\n";
  std::vector<std::string> demo_targets;
  for (const auto& b : detail::top_level_blocks(text)) {
    if (b.key == "targets") demo_targets = detail::sequence_items(b.text);
    else if (b.key != "mode" && b.key != "actuator" && b.key != "leader_election" && b.key != "clock" && b.key != "prometheus")
      out += b.text;
  }
  if (demo_targets.empty()) throw std::runtime_error(req.demo_template.string() + " has no targets");
  out += "targets:\n";
  for (int i = 0; i < req.targets; ++i) {
    std::string item = demo_targets[static_cast<std::size_t>(i) % demo_targets.size()];
    const auto name = item.find("name: ");
    if (name == std::string::npos) throw std::runtime_error("a target of " + req.demo_template.string() + " has no name");
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "-%03d", i);
    item.insert(item.find_first_of(" \n", name + 6), suffix);
    if (!req.prometheus_url.empty()) {  // controller mode: no scrape URLs (they would be warned about)
      std::istringstream lines(item);
      std::string line, kept;
      while (std::getline(lines, line))
        if (line.find_first_not_of(' ') == std::string::npos || line.compare(line.find_first_not_of(' '), 7, "scrape:") != 0)
          kept += line + "\n";
      item = kept;
    }
    out += item;
  }
  return out;
}

/// A Kubernetes quantity ("64Mi", "0.5Gi", "128M", "50m", "1") in base units; NaN when malformed.
inline double parse_quantity(const std::string& q) {
  static const std::map<std::string, double> kSuffix{
      {"", 1},     {"m", 1e-3},    {"k", 1e3},     {"M", 1e6},     {"G", 1e9},     {"T", 1e12},    {"P", 1e15},
      {"E", 1e18}, {"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60}};
  char* end = nullptr;
  const double v = std::strtod(q.c_str(), &end);
  if (q.empty() || end == q.c_str()) return std::nan("");
  const auto it = kSuffix.find(end);
  return it == kSuffix.end() || !(v >= 0) ? std::nan("") : v * it->second;
}

/// resources.requests.memory / .cpu and resources.limits.memory of a chart's values.yaml, as
/// written; empty when absent (a missing file is not an error: the chart may not exist yet).
struct ChartResources {
  std::string requests_memory, requests_cpu, limits_memory;
  std::string error;  // the file exists but does not parse
};

inline ChartResources read_chart_resources(const std::string& values_file) {
  ChartResources out;
  if (!std::filesystem::exists(values_file)) return out;
  try {
    const YAML::Node values = YAML::LoadFile(values_file);
    auto get = [&](const char* section, const char* key) -> std::string {
      if (!values.IsMap()) return "";
      const YAML::Node resources = values["resources"];
      if (!resources || !resources.IsMap()) return "";
      const YAML::Node part = resources[section];
      if (!part || !part.IsMap()) return "";
      const YAML::Node n = part[key];
      return n && n.IsScalar() ? n.as<std::string>() : "";
    };
    out.requests_memory = get("requests", "memory");
    out.requests_cpu = get("requests", "cpu");
    out.limits_memory = get("limits", "memory");
  } catch (const YAML::Exception& e) {
    out.error = values_file + " does not parse as YAML: " + e.what();
  }
  return out;
}

}  // namespace opspilot::bench
