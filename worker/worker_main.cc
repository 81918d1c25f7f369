// Composition root of ecgbench-worker (see worker_main.h). Owns, in dependency order: the metrics,
// the /metrics endpoint, the stage registry, the agent; the main thread waits for signals.
#include "worker/worker_main.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/rpc/channel.h"
#include "common/util/clock.h"
#include "common/util/files.h"
#include "common/util/logging.h"
#include "spdlog/spdlog.h"
#include "worker/agent/agent.h"
#include "worker/agent/http_endpoint.h"
#include "worker/agent/path_guard.h"
#include "worker/agent/worker_routes.h"
#include "worker/agent/stage_registry.h"
#include "worker/agent/worker_metrics.h"
#include "worker/stages/builtin_stages.h"
#include "worker/stages/environment.h"

#ifndef ECGBENCH_VERSION
#define ECGBENCH_VERSION "0.0.0"
#endif

namespace ecgbench::worker {
namespace {

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') return "localhost";
  return buffer;
}

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);  // the agent thread's "Run returned"
  return set;
}

int Fatal(const std::string& message) {
  std::fprintf(stderr, "ecgbench-worker: %s\n", message.c_str());
  return kExitFatal;
}

}  // namespace

void FillMachineDefaults(WorkerFlags& flags) {
  if (flags.name.empty()) flags.name = HostName();
  if (flags.cpus <= 0) flags.cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (flags.memory_bytes <= 0) flags.memory_bytes = MemTotalBytes();
}

absl::StatusOr<std::map<std::string, std::string>> ParseLabels(const std::string& text) {
  std::map<std::string, std::string> labels;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t eq = entry.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--labels: expected key=value, got \"", entry, "\""));
    }
    const std::string key(absl::StripAsciiWhitespace(entry.substr(0, eq)));
    if (!labels.emplace(key, std::string(absl::StripAsciiWhitespace(entry.substr(eq + 1)))).second) {
      return absl::InvalidArgumentError(absl::StrCat("--labels: key \"", key, "\" given twice"));
    }
  }
  return labels;
}

std::string AdvertisedMetricsAddress(const std::string& listen, const std::string& hostname,
                                     int port) {
  const size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") host = hostname;
  return absl::StrCat(host, ":", port);
}

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int RunWorker(const WorkerFlags& flags) {
  if (absl::Status s = common::InitLogging("ecgbench-worker", flags.log_level); !s.ok()) {
    std::fprintf(stderr, "ecgbench-worker: %s\n", std::string(s.message()).c_str());
    return kExitBadFlags;
  }
  auto labels = ParseLabels(flags.labels);
  if (!labels.ok()) {
    std::fprintf(stderr, "ecgbench-worker: %s\n", std::string(labels.status().message()).c_str());
    return kExitBadFlags;
  }
  if (flags.cpus < 1 || flags.shutdown_grace_ms < 0 || flags.stuck_runner_ms < 1) {
    std::fprintf(stderr, "ecgbench-worker: --cpus must be >= 1, --shutdown-grace-ms >= 0 and --stuck-runner-ms >= 1\n");
    return kExitBadFlags;
  }

  WorkerMetrics metrics(ECGBENCH_VERSION, LibTorchVersion());
  const std::vector<GpuInfo> gpus = DetectGpus();
  std::vector<GpuDescription> gpu_descriptions;
  for (const GpuInfo& gpu : gpus) gpu_descriptions.push_back({gpu.uuid, gpu.index, gpu.name});
  metrics.SetGpus(gpu_descriptions);
  std::unique_ptr<HttpEndpoint> endpoint;
  std::string metrics_address;
  if (!flags.metrics_listen.empty()) {
    auto started = HttpEndpoint::Start(flags.metrics_listen, WorkerRoutes(metrics, flags.stall_seconds, common::RealClock::Get()));
    if (!started.ok()) return Fatal(started.status().ToString());
    endpoint = std::move(*started);
    metrics_address = AdvertisedMetricsAddress(flags.metrics_listen, HostName(), endpoint->port());
    spdlog::info("serving /metrics, /readyz and /livez on {} (port {})", flags.metrics_listen, endpoint->port());
    if (!flags.metrics_port_file.empty()) {
      absl::Status written = common::WriteFileAtomic(flags.metrics_port_file,
                                                     absl::StrCat(endpoint->port(), "\n"));
      if (!written.ok()) return Fatal(written.ToString());
    }
  }

  StageRegistry registry;
  BuiltinStageOptions stage_options;
  stage_options.preprocess.artifact_root = flags.artifact_root;
  stage_options.dataset.artifact_root = flags.artifact_root;
  stage_options.tokenizer.artifact_root = flags.artifact_root;
  stage_options.pretrain.artifact_root = flags.artifact_root;
  stage_options.pretrain.text_encoder = BertTextEmbedderFactory();
  stage_options.train.artifact_root = flags.artifact_root;
  stage_options.train.hostname = flags.gloo_host;
  stage_options.pretrain.hostname = flags.gloo_host;
  stage_options.evaluate.artifact_root = flags.artifact_root;
  stage_options.score.artifact_root = flags.artifact_root;
  stage_options.rag.artifact_root = flags.artifact_root;
  auto path_policy = WorkerPathPolicy(flags.data_roots, flags.artifact_root);
  if (!path_policy.ok()) return Fatal(std::string(path_policy.status().message()));
  stage_options.path_policy = *std::move(path_policy);
  if (stage_options.path_policy == nullptr) {
    spdlog::warn("no --data-root: the paths in specs are not checked (a spec may name any file this worker can read)");
  } else {
    spdlog::info("paths in specs must lie under {}", stage_options.path_policy->RootsText());
  }
  if (absl::Status s = RegisterBuiltinStages(registry, stage_options); !s.ok()) return Fatal(s.ToString());

  AgentOptions options;
  options.coordinator_address = flags.coordinator;
  auto security = common::LoadChannelSecurity({flags.tls_ca, flags.tls_cert, flags.tls_key, "", flags.token_file});
  if (!security.ok()) return Fatal(security.status().ToString());
  options.security = *std::move(security);
  options.name = flags.name;
  options.resources.set_cpu_cores(flags.cpus);
  options.resources.set_memory_bytes(flags.memory_bytes);
  for (const GpuInfo& gpu : gpus) {
    v1::Gpu* g = options.resources.add_gpus();
    g->set_uuid(gpu.uuid);
    g->set_name(gpu.name);
    g->set_memory_bytes(gpu.memory_bytes);
    g->set_index(gpu.index);
  }
  options.labels = *std::move(labels);
  options.version = ECGBENCH_VERSION;
  options.metrics_address = metrics_address;
  options.work_root = flags.work_dir;
  options.metrics = &metrics;
  options.stuck_runner_wait = absl::Milliseconds(flags.stuck_runner_ms);
  options.on_stuck_runner = [](const std::string& label) {
    spdlog::critical("{}: exiting with code {} so that the supervisor restarts the worker", label, kExitStuckRunner);
    spdlog::default_logger()->flush();
    std::_Exit(kExitStuckRunner);
  };
  Agent agent(std::move(options), &registry, common::RealClock::Get());
  spdlog::info("ecgbench-worker {} ({}): {} cpus, {} MiB, LibTorch {}, coordinator {}",
               ECGBENCH_VERSION, flags.name, flags.cpus, flags.memory_bytes >> 20,
               LibTorchVersion(), flags.coordinator);

  absl::Status run_status;
  const pthread_t main_thread = pthread_self();
  std::thread agent_thread([&] {
    run_status = agent.Run();
    pthread_kill(main_thread, SIGUSR1);
  });
  const sigset_t signals = ShutdownSignals();
  bool shutting_down = false;
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGUSR1) break;
    if (shutting_down) {
      std::fprintf(stderr, "ecgbench-worker: second signal %d: exiting immediately\n", sig);
      std::_Exit(kExitFatal);
    }
    shutting_down = true;
    spdlog::info("signal {}: shutting down (grace {} ms; send it again to exit at once)", sig,
                 flags.shutdown_grace_ms);
    agent.RequestShutdown(absl::Milliseconds(flags.shutdown_grace_ms));
  }
  agent_thread.join();
  if (run_status.code() == absl::StatusCode::kDeadlineExceeded) {
    // Runner threads are still running: the Agent cannot be destroyed safely.
    Fatal(run_status.ToString());
    spdlog::shutdown();
    std::_Exit(kExitStuckRunner);
  }
  if (!run_status.ok()) return Fatal(run_status.ToString());
  return kExitOk;
}

}  // namespace ecgbench::worker
