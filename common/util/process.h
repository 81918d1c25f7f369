// Child processes for the embedded mode and the integration tests: spawn with arguments and
// environment, signal, wait with a timeout. Not thread-safe per object.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills (SIGKILL) and reaps a child still running.
  ~ChildProcess();

  // Starts argv[0] (a path) with argv. `extra_env` entries ("K=V") are added to the environment.
  // stdout/stderr go to `log_path` when not empty (appended), else are inherited.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::vector<std::string>& extra_env,
                                                             const std::string& log_path);

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // Waits up to timeout_ms; returns the exit status as from waitpid, or DeadlineExceeded.
  absl::StatusOr<int> Wait(int timeout_ms);
  // SIGTERM, wait up to grace_ms, then SIGKILL. Returns the wait status.
  int Stop(int grace_ms);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace ecgbench::common
