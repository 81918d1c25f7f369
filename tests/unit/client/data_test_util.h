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

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ecgbench_cli_data_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

}  // namespace ecgbench::client::testing
