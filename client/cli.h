// The ecgbench command line: builds the CLI11 command tree (global options and every subcommand)
// and runs one invocation. Parse errors exit 2 (usage), --help/--version exit 0; otherwise the
// selected command's exit code (client/commands/exit_codes.h). The one place that catches CLI11's
// exceptions.
#pragma once

#include <string>
#include <vector>

#include "client/commands/context.h"

namespace ecgbench::client {

// argv[0] is the program name. Help and parse errors are printed to io.out / io.err.
int RunCli(int argc, const char* const* argv, const Io& io);

// Convenience for tests: args without the program name.
int RunCli(const std::vector<std::string>& args, const Io& io);

}  // namespace ecgbench::client
