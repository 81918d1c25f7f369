// TestCluster: a real coordinator and real workers as child processes on 127.0.0.1, for the
// integration and fault tests. Ports are chosen by the processes (port 0) and read back from port
// files. Binaries come from ECGBENCH_BIN_DIR. Logs go to the cluster's temp directory and are
// printed when a test fails (DumpLogs). Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rpc/channel.h"
#include "common/util/process.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"

namespace ecgbench::testing {

struct ClusterOptions {
  int lease_ms = 2000;
  int heartbeat_ms = 200;
  int retry_backoff_ms = 200;
  // Mutual TLS (certificates from GenerateCertificates) and bearer tokens for everything: the
  // coordinator gets --tls-cert/--tls-key/--tls-client-ca/--auth-tokens, workers the worker token,
  // client() and Cli() the admin token. Token files: TokenFile("admin" | "worker" | "alice" (a
  // submitter) | "eve" (a viewer)).
  bool secure = false;
};

// Per-worker overrides of StartWorker.
struct WorkerOptions {
  std::string coordinator;          // HOST:PORT to dial instead of the coordinator (e.g. a proxy)
  std::vector<std::string> extra_args;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class TestCluster {
 public:
  explicit TestCluster(ClusterOptions options = {});
  ~TestCluster();

  const std::string& dir() const { return dir_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int metrics_port() const { return metrics_port_; }
  int port() const { return port_; }

  // Starts the coordinator; after a kill, StartCoordinator() restarts it on the same port and db.
  absl::Status StartCoordinator();
  void KillCoordinator();  // SIGKILL
  absl::Status StartWorker(const std::string& name, int cpus, const WorkerOptions& worker = {});
  void KillWorker(const std::string& name);      // SIGKILL
  // SIGTERM, waits for the exit; returns the exit code (128 + signal when killed, -1 on timeout).
  int TerminateWorker(const std::string& name);
  void SuspendWorker(const std::string& name);   // SIGSTOP
  void ResumeWorker(const std::string& name);    // SIGCONT
  int WorkerMetricsPort(const std::string& name);
  bool WorkerRunning(const std::string& name);
  // What the worker wrote to its log so far.
  std::string WorkerLog(const std::string& name) const;
  // Polls the worker's log until it contains `text`.
  bool WaitForWorkerLog(const std::string& name, const std::string& text, int timeout_ms) const;

  v1::Coordinator::Stub& client();
  // Waits until `n` workers are registered and live.
  absl::Status WaitForWorkers(int n, int timeout_ms);
  absl::StatusOr<v1::Experiment> WaitForState(const std::string& id, v1::State state, int timeout_ms);
  absl::StatusOr<v1::Experiment> WaitForTerminal(const std::string& id, int timeout_ms);
  absl::StatusOr<v1::Experiment> Get(const std::string& id);
  absl::StatusOr<std::string> Submit(const std::string& yaml, const std::string& request_id = "");
  // Every event of the experiment: until its terminal event when `follow`, else those committed
  // now. Every log line stored for it now.
  std::vector<v1::Event> Events(const std::string& id, bool follow);
  std::vector<v1::LogLine> Logs(const std::string& id);
  // task id -> SUCCEEDED state changes seen for it (exactly-once completion: each must be 1).
  std::map<std::string, int> TaskSuccesses(const std::string& id);
  // The name of the worker running rank 0 of task 0 of stage `stage` of run 0 (polls up to
  // timeout_ms; "" when none does).
  std::string RunningOn(const std::string& id, int stage, int timeout_ms);
  // Names of the live (active or draining) workers.
  std::vector<std::string> LiveWorkers();

  // Runs the ecgbench CLI against this cluster and captures its output (secure: as "admin").
  CommandResult Cli(const std::vector<std::string>& args);
  // Secure clusters: the CLI with TLS and the token of `identity`.
  CommandResult CliAs(const std::string& identity, const std::vector<std::string>& args);
  // Secure clusters: the file holding the token of `identity`, the PEM files, and channel security.
  std::string TokenFile(const std::string& identity) const { return dir_ + "/auth/" + identity + ".token"; }
  std::string TlsFile(const std::string& name) const { return dir_ + "/tls/" + name; }
  common::ChannelSecurity ClientSecurity(const std::string& identity) const;
  // Runs a shell command line and captures its output.
  static CommandResult Shell(const std::string& command);

  std::string DumpLogs() const;

 private:
  absl::StatusOr<int> ReadPortFile(const std::string& path, int timeout_ms);
  void WriteSecurityFiles();

  ClusterOptions options_;
  std::string dir_;
  int port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<common::ChildProcess> coordinator_;
  std::map<std::string, std::unique_ptr<common::ChildProcess>> workers_;
  std::map<std::string, int> worker_metrics_ports_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

std::string BinPath(const std::string& name);

}  // namespace ecgbench::testing
