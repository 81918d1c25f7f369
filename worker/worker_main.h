// Composition root of ecgbench-worker: builds the metrics endpoint, the stage registry and the
// agent from the parsed flags, and runs until SIGTERM/SIGINT (a second signal exits at once).
// Torch-free header.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::worker {

// Exit codes of ecgbench-worker.
inline constexpr int kExitOk = 0;        // clean shutdown
inline constexpr int kExitFatal = 1;     // fatal error (message on stderr)
inline constexpr int kExitBadFlags = 2;  // bad command line
// A task's runner did not return after it was cancelled (--stuck-runner-ms while serving, 5 s after
// the shutdown grace): threads cannot be killed, so the process exits for its supervisor to restart.
inline constexpr int kExitStuckRunner = 3;

struct WorkerFlags {
  std::string coordinator = "127.0.0.1:50051";
  std::string name;             // default: host name
  int cpus = 0;                 // default: hardware concurrency
  int64_t memory_bytes = 0;     // default: MemTotal
  std::string labels;           // k=v,k2=v2
  std::string metrics_listen = "0.0.0.0:9101";
  std::string metrics_port_file;
  int64_t stall_seconds = 1800;  // /livez fails when a running task is silent this long
  int64_t shutdown_grace_ms = 30000;
  // A runner cancelled while serving (coordinator cancel, lost lease) that has not returned after
  // this long makes the worker exit with kExitStuckRunner.
  int64_t stuck_runner_ms = 60000;
  std::string log_level = "info";
  std::string work_dir = ".ecgbench/work";
  std::string artifact_root = ".ecgbench/artifacts";
  // --data-root: the roots spec paths must lie under (with artifact_root); empty: not checked.
  std::vector<std::string> data_roots;
  // The address this worker's Gloo ranks tell their peers (multi-rank CPU training across machines:
  // the pod or host IP). The default keeps collectives on loopback (one machine).
  std::string gloo_host = "127.0.0.1";
  // Connection security (docs/security.md): TLS CA of the coordinator, client certificate and key
  // for mutual TLS, and a file holding the bearer token (role worker).
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string token_file;
};

// Fills the defaults that depend on the machine (name, cpus, memory).
void FillMachineDefaults(WorkerFlags& flags);

// "k=v,k2=v2" -> map. "" -> empty. INVALID_ARGUMENT naming --labels and the bad entry.
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::string& text);

// The address other machines should scrape: the listen address with a wildcard host replaced by
// `hostname`, and the bound port.
std::string AdvertisedMetricsAddress(const std::string& listen, const std::string& hostname,
                                     int port);

// Blocks SIGTERM, SIGINT and SIGUSR1 in the calling thread and so in every thread it creates later;
// RunWorker receives them with sigwait. REQUIRES: the first thing main does, before any thread
// exists (LibTorch's thread pools are created by the first set_num_threads).
void BlockShutdownSignals();

// Runs the worker; returns the process exit code. REQUIRES: BlockShutdownSignals() was called, and
// this is the main thread.
int RunWorker(const WorkerFlags& flags);

}  // namespace ecgbench::worker
