#pragma once
// The `opspilot` command line. Each command is a function taking its arguments (after the
// command name) and returning the process exit code: 0 success, 1 failure, 2 usage error.
#include <string>
#include <vector>

namespace opspilot::agent::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
int cmd_validate(const Args& args);
int cmd_plan(const Args& args);
int cmd_decisions(const Args& args);
int cmd_explain(const Args& args);
int cmd_report(const Args& args);
int cmd_forecast(const Args& args);
int cmd_detect(const Args& args);
int cmd_policy(const Args& args);
int cmd_approvals(const Args& args);
int cmd_approve(const Args& args);
int cmd_deny(const Args& args);
int main(int argc, char** argv);

/// A command linked in from outside the agent library (e.g. `backtest`, which needs the
/// sandbox's model): main() dispatches to it and lists `usage` (its help lines) in the help.
using CommandFn = int (*)(const Args& args);
void register_command(const std::string& name, CommandFn fn, const std::string& usage);

/// Parsed `--flag value` / `--flag=value` / `-c value` options and positional arguments.
struct Options {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> flags;
  std::string error;  // set when an option was malformed or unknown
  bool has(const std::string& name) const;
  std::string get(const std::string& name, const std::string& def = "") const;
};

/// `value_flags` take a value, `bool_flags` do not; anything else is an error naming the nearest.
Options parse_options(const Args& args, const std::vector<std::string>& value_flags,
                      const std::vector<std::string>& bool_flags);

}  // namespace opspilot::agent::cli
