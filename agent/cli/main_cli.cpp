#include <iostream>
#include <map>

#include "agent/cli/commands.h"

namespace opspilot::agent::cli {
namespace {

const char* kUsage = R"(opspilot — an autonomous operations agent

usage: opspilot COMMAND [options]

commands:
  run -c FILE [--dry-run] [--quiet]     run the reconcile loop and the HTTP server
  validate -c FILE [--json]             check a configuration; every problem as file:line:col
  plan -c FILE [--json] [--warmup D]    one dry-run tick: what it sees, predicts and would do
  decisions [-c FILE | --journal DIR] [--target T] [--limit N] [--all] [--json]
                                        list journaled decisions, newest first
  explain ID [-c FILE | --journal DIR] [--json]
                                        one decision in words
  report [-c FILE | --journal DIR --timeline CSV] [--out report.md] [--html report.html]
         [--title T] [--latency-slo 0.5] [--error-slo 0.01]
                                        Markdown and HTML report with charts
  forecast --input FILE --horizon H [--time-column timestamp] [--value-column value]
           [--season auto|P,...] [--level 80,95] [--output OUT.csv]
                                        forecast a CSV series with calibrated intervals
  detect --input FILE [--time-column timestamp] [--value-column value[,value2...]]
         [--output OUT.csv]             causal anomaly scores for a CSV series
  policy validate FILE|DIR... [--json]  check policy files; every problem as file:line:col
  policy test PATH [--verbose]          run the *_test.yaml table tests next to policies
  approvals [--server URL | -c FILE] [--token T | --token-file F] [--json]
                                        open approval requests of a running agent
  approve ID [--reason TEXT] [--server URL | -c FILE] [--token T | --token-file F]
                                        approve a request (approver token)
  deny ID --reason TEXT [--server URL | -c FILE] [--token T | --token-file F]
                                        deny a request (operator or approver token)
  version                               print the version
)";

struct Registered {
  CommandFn fn;
  std::string usage;
};
std::map<std::string, Registered>& registered() {
  static std::map<std::string, Registered> commands;
  return commands;
}

std::string usage_text() {
  std::string u = kUsage;
  std::string extra;
  for (const auto& [name, r] : registered()) extra += r.usage;
  const auto at = u.find("  version ");
  return extra.empty() || at == std::string::npos ? u : u.insert(at, extra);
}

}  // namespace

void register_command(const std::string& name, CommandFn fn, const std::string& usage) {
  registered()[name] = Registered{fn, usage};
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << usage_text();
    return 2;
  }
  const std::string cmd = argv[1];
  const Args args(argv + 2, argv + argc);
  if (cmd == "run") return cmd_run(args);
  if (cmd == "validate") return cmd_validate(args);
  if (cmd == "plan") return cmd_plan(args);
  if (cmd == "decisions") return cmd_decisions(args);
  if (cmd == "explain") return cmd_explain(args);
  if (cmd == "report") return cmd_report(args);
  if (cmd == "forecast") return cmd_forecast(args);
  if (cmd == "detect") return cmd_detect(args);
  if (cmd == "policy") return cmd_policy(args);
  if (cmd == "approvals") return cmd_approvals(args);
  if (cmd == "approve") return cmd_approve(args);
  if (cmd == "deny") return cmd_deny(args);
  if (const auto it = registered().find(cmd); it != registered().end()) return it->second.fn(args);
  if (cmd == "version" || cmd == "--version") {
    std::cout << "opspilot " << OPSPILOT_VERSION << "\n";
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << usage_text();
    return 0;
  }
  std::cerr << "opspilot: unknown command \"" << cmd << "\"\n" << usage_text();
  return 2;
}

}  // namespace opspilot::agent::cli
