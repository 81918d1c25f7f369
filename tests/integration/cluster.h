// TestCluster: a real coordinator and real workers as child processes on 127.0.0.1, for the
// integration tests. Ports are chosen by the processes (port 0) and read back from port files.
// Binaries come from ECGBENCH_BIN_DIR. Logs go to the cluster's temp directory and are printed
// when a test fails (DumpLogs). Not thread-safe.
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

  // Starts the coordinator; after a kill, StartCoordinator() restarts it on the same port and db.
  absl::Status StartCoordinator();
  void KillCoordinator();  // SIGKILL
  absl::Status StartWorker(const std::string& name, int cpus);
  void KillWorker(const std::string& name);      // SIGKILL
  void TerminateWorker(const std::string& name); // SIGTERM, waits for exit
  int WorkerMetricsPort(const std::string& name);
  bool WorkerRunning(const std::string& name);

  v1::Coordinator::Stub& client();
  // Waits until `n` workers are registered and live.
  absl::Status WaitForWorkers(int n, int timeout_ms);
  absl::StatusOr<v1::Experiment> WaitForState(const std::string& id, v1::State state, int timeout_ms);
  absl::StatusOr<v1::Experiment> WaitForTerminal(const std::string& id, int timeout_ms);
  absl::StatusOr<v1::Experiment> Get(const std::string& id);
  absl::StatusOr<std::string> Submit(const std::string& yaml, const std::string& request_id = "");

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
