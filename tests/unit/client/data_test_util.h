// Helpers for the `ecgbench data` tests: run the CLI in-process and capture its output, and a
// temporary directory removed at the end of the test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "client/cli.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::client::testing {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `ecgbench ARGS...`; `tty` makes stdout look like a terminal.
inline CliResult RunData(const std::vector<std::string>& args, bool tty = false) {
  std::ostringstream out, err;
  Io io;
  io.out = &out;
  io.err = &err;
  io.terminal = [tty] {
    TerminalInfo t;
    t.is_tty = tty;
    return t;
  };
  CliResult r;
  r.code = RunCli(args, io);
  r.out = out.str();
  r.err = err.str();
  return r;
}

using TempDir = ::ecgbench::test_support::TempDir;

}  // namespace ecgbench::client::testing
