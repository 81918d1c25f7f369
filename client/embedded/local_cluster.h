// LocalCluster: the embedded deployment behind `ecgbench run`: one ecgbench-coordinator and N
// ecgbench-worker child processes on 127.0.0.1, with their state and logs under one directory:
//   DIR/coordinator.db           SQLite state (kept after the run)
//   DIR/coordinator.port         the coordinator's gRPC port (written by the coordinator)
//   DIR/coordinator.metrics.port, DIR/worker-<i>.metrics.port   Prometheus /metrics ports
//   DIR/logs/coordinator.log, DIR/logs/worker-<i>.log            the children's stdout and stderr
//   DIR/run.lock                 held while a run uses DIR (a second `ecgbench run` on it fails)
//   DIR/auth/tokens              the coordinator's token file (hashes only), mode 0600
//   DIR/auth/admin.token         a fresh random admin token for this run (the CLI's), mode 0600
//   DIR/auth/worker.token        a fresh random worker token for this run (the workers'), mode 0600
// Everything listens on 127.0.0.1 and every call carries a token, so other local users cannot
// drive the embedded coordinator; the tokens change with every run.
// Children run in their own process groups, so a Ctrl-C at the terminal reaches only the CLI,
// which stops them in order. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rpc/channel.h"
#include "common/util/process.h"

namespace ecgbench::client {

inline constexpr char kCoordinatorBinary[] = "ecgbench-coordinator";
inline constexpr char kWorkerBinary[] = "ecgbench-worker";

struct LocalClusterOptions {
  std::string state_dir = ".ecgbench";
  int workers = 2;
  int cpus_per_worker = 1;
  int startup_timeout_ms = 30000;  // coordinator port file and channel
  int stop_grace_ms = 10000;       // SIGTERM -> SIGKILL
  std::string bin_dir;             // searched first for the binaries, then PATH
  // Passed as --data-root to the coordinator and every worker (docs/security.md); empty: the paths
  // in specs are not confined (the local user's own files).
  std::vector<std::string> data_roots;
};

// `dir/name` when it is an executable file, else the first match on PATH; NotFound naming both.
absl::StatusOr<std::string> FindBinary(const std::string& name, const std::string& dir);

// The last `max_lines` lines of a text file ("" when unreadable).
std::string LogTail(const std::string& path, int max_lines);

// A port file's content: "43123" or "host:43123", surrounding whitespace allowed.
absl::StatusOr<int> ParsePortFile(const std::string& text);

class LocalCluster {
 public:
  // Locks DIR, starts the coordinator, waits for its port file and a connected channel, then starts
  // the workers. `interrupted` is polled while waiting: when it returns true, everything started is
  // stopped and Cancelled is returned. Other errors (missing binary, DIR in use, coordinator exit
  // or time-out, with the tail of its log) also stop what was started. Warnings go to `warn`,
  // which must outlive the cluster.
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(const LocalClusterOptions& options,
                                                             const std::function<bool()>& interrupted,
                                                             std::ostream* warn);
  ~LocalCluster();  // Stop()

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  const std::string& state_dir() const { return dir_; }
  // DIR/auth/admin.token, and the channel security (admin token) of clients of this cluster.
  std::string admin_token_file() const { return dir_ + "/auth/admin.token"; }
  const common::ChannelSecurity& client_security() const { return client_security_; }

  // OK while the coordinator runs and at least one worker does; otherwise an error with the exit
  // status and log tail. A single worker's exit is a warning (printed once).
  absl::Status Health();

  // Workers first (SIGTERM to all, then wait up to the grace period, SIGKILL what remains), then the
  // coordinator the same way. Idempotent.
  void Stop();

 private:
  LocalCluster() = default;
  absl::Status StartCoordinator(const std::string& binary, const std::function<bool()>& interrupted);
  absl::Status StartWorkers(const std::string& binary);
  // Writes DIR/auth/{tokens,admin.token,worker.token} with fresh tokens.
  absl::Status WriteTokens();

  LocalClusterOptions options_;
  std::string dir_;
  std::string address_;
  common::ChannelSecurity client_security_;
  std::ostream* warn_ = nullptr;
  int lock_fd_ = -1;
  std::unique_ptr<common::ChildProcess> coordinator_;
  std::vector<std::unique_ptr<common::ChildProcess>> workers_;
  std::vector<bool> worker_reported_;
};

}  // namespace ecgbench::client
