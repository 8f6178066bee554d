#include "agent/cli/commands.h"

int main(int argc, char** argv) { return opspilot::agent::cli::main(argc, argv); }
