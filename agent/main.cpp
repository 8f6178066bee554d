#include "agent/cli/commands.h"
#include "examples/backtest/backtest_cmd.h"

int main(int argc, char** argv) {
  opspilot::backtest::register_backtest_command();
  return opspilot::agent::cli::main(argc, argv);
}
