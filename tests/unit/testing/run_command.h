// RunCommand: runs a shell command (tests only: Python references, node, generators) and returns
// its exit code and its stdout + stderr together. Blocking; thread-compatible.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>

namespace ecgbench::test_support {

struct CommandResult {
  int exit_code = -1;  // -1: could not start or did not exit normally
  std::string output;  // stdout and stderr
  bool ok() const { return exit_code == 0; }
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    r.output = "cannot start: " + command;
    return r;
  }
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, got);
  const int status = ::pclose(pipe);
  r.exit_code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace ecgbench::test_support
