#pragma once
// `opspilot backtest`, registered into the opspilot command line by its main().
#include "agent/cli/commands.h"

namespace opspilot::backtest {

int cmd_backtest(const agent::cli::Args& args);
/// Adds `backtest` to the opspilot command line (agent/cli/commands.h register_command).
void register_backtest_command();

}  // namespace opspilot::backtest
