// ecgbench-worker: runs stage tasks for the ECG-Bench coordinator. Flags here; wiring in
// worker_main.cc. Also two one-shot tools: --write-random-model and --init-model (a random-init
// model folder from a config.json and a tokenizer; worker/nn/random_model_folder.h).
// Exit codes: 0 clean shutdown (or the tool succeeded), 1 fatal error, 2 bad flags, 3 a task's runner
// did not stop after it was cancelled (the supervisor restarts the worker).
#include <algorithm>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "common/util/allocator.h"
#include "worker/chat/chat_main.h"
#include "worker/nn/random_model_folder.h"
#include "worker/stages/environment.h"
#include "worker/worker_main.h"

namespace {

// --init-model: writes the folder and prints what it wrote.
int InitModel(const std::string& config, const std::string& tokenizer, const std::string& out,
              const ecgbench::worker::nn::InitModelOptions& options) {
  const auto written = ecgbench::worker::nn::InitModelFolder(config, tokenizer, out, options);
  if (!written.ok()) {
    std::fprintf(stderr, "ecgbench-worker: %s\n", std::string(written.status().message()).c_str());
    return ecgbench::worker::kExitFatal;
  }
  std::printf("wrote %s: %lld parameters, vocabulary %lld (%s special tokens: bos %lld, eos %lld), seed %llu\n",
              out.c_str(), static_cast<long long>(written->parameters), static_cast<long long>(written->vocab_size),
              written->specials.family.c_str(), static_cast<long long>(written->specials.bos),
              static_cast<long long>(written->specials.eos), static_cast<unsigned long long>(options.seed));
  return ecgbench::worker::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  namespace w = ecgbench::worker;
  // `ecgbench-worker chat ...` (worker/chat/chat_main.h) is a terminal tool: no agent, signals as usual.
  if (argc > 1 && std::string(argv[1]) == "chat") return w::chat::RunChatCommand(argc - 1, argv + 1);
  // Before any thread exists, so that every thread inherits the blocked shutdown signals.
  w::BlockShutdownSignals();
  ecgbench::common::TuneAllocatorForBatchWork();

  w::WorkerFlags flags;
  CLI::App app{"ecgbench-worker: registers with the coordinator and runs stage tasks"};
  app.add_option("--coordinator", flags.coordinator, "Coordinator address HOST:PORT")
      ->envname("ECGBENCH_COORDINATOR")
      ->capture_default_str();
  app.add_option("--name", flags.name, "Worker name shown by `ecgbench workers` (default: host name)");
  app.add_option("--cpus", flags.cpus, "CPU cores offered; also sets the LibTorch/BLAS threads "
                                       "(default: hardware concurrency)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--memory-bytes", flags.memory_bytes, "Memory offered in bytes (default: MemTotal)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 60));
  app.add_option("--labels", flags.labels, "Labels k=v,k2=v2 for placement");
  app.add_option("--metrics-listen", flags.metrics_listen,
                 "HOST:PORT of /metrics, /readyz and /livez; empty disables them; port 0 picks a free port")
      ->capture_default_str();
  app.add_option("--metrics-port-file", flags.metrics_port_file,
                 "Write the bound /metrics port to this file");
  app.add_option("--stall-seconds", flags.stall_seconds,
                 "/livez answers 503 when a running task reported no progress or metric for this long")
      ->check(CLI::Range(int64_t{1}, int64_t{7} * 24 * 3600))
      ->capture_default_str();
  app.add_option("--shutdown-grace-ms", flags.shutdown_grace_ms,
                 "On SIGTERM, how long running tasks get to finish or checkpoint")
      ->check(CLI::Range(int64_t{0}, int64_t{24} * 3600 * 1000))
      ->capture_default_str();
  app.add_option("--stuck-runner-ms", flags.stuck_runner_ms,
                 "A task cancelled while serving (by the coordinator, or because the lease was lost) whose runner "
                 "has not returned after this long makes the worker exit with code 3 for its supervisor to restart it")
      ->check(CLI::Range(int64_t{1}, int64_t{24} * 3600 * 1000))
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.add_option("--work-dir", flags.work_dir, "Root of the per-task working directories")
      ->capture_default_str();
  app.add_option("--artifact-root", flags.artifact_root,
                 "Root of the content-addressed artifacts (segment stores, ...), shared by all workers")
      ->capture_default_str();
  app.add_option("--data-root", flags.data_roots,
                 "Allowed root of the paths in specs (repeatable; the artifact root is always allowed): "
                 "a task naming a path outside them, symbolic links followed, fails. None: paths are not checked")
      ->envname("ECGBENCH_DATA_ROOTS")
      ->delimiter(':')
      ->allow_extra_args(false);
  app.add_option("--gloo-host", flags.gloo_host,
                 "Address (or host name) this worker's Gloo ranks listen on and tell their peers; "
                 "the pod or host IP when ranks span machines")
      ->envname("ECGBENCH_GLOO_HOST")
      ->capture_default_str();
  app.add_option("--tls-ca", flags.tls_ca, "TLS: verify the coordinator's certificate against this CA (PEM)");
  app.add_option("--tls-cert", flags.tls_cert, "mutual TLS: this worker's certificate (PEM), with --tls-key");
  app.add_option("--tls-key", flags.tls_key, "mutual TLS: this worker's private key (PEM)");
  app.add_option("--token-file", flags.token_file, "File holding the bearer token (role worker) sent to the coordinator")
      ->envname("ECGBENCH_TOKEN_FILE");
  std::string random_model_dir;
  ecgbench::worker::nn::RandomModelOptions random_model;
  app.add_option("--write-random-model", random_model_dir,
                 "Write a small random Llama-architecture model folder (config.json, model.safetensors, "
                 "byte-level tokenizer.json) to DIR and exit: a stand-in LLM where no weights can be downloaded");
  app.add_option("--random-model-hidden", random_model.hidden_size, "Hidden size of --write-random-model")
      ->check(CLI::Range(8, 8192))
      ->capture_default_str();
  app.add_option("--random-model-layers", random_model.layers, "Layers of --write-random-model")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
  std::string init_model, init_tokenizer, init_out;
  ecgbench::worker::nn::InitModelOptions init;
  CLI::Option* init_opt = app.add_option("--init-model", init_model,
                                         "Random-init the model of this Hugging Face config.json (any supported "
                                         "architecture) with --tokenizer's vocabulary, write it to --out and exit");
  CLI::Option* tok_opt =
      app.add_option("--tokenizer", init_tokenizer, "tokenizer.json of --init-model (e.g. from `ecgbench text train`)");
  CLI::Option* out_opt = app.add_option("--out", init_out, "Model folder --init-model writes");
  CLI::Option* seed_opt = app.add_option("--seed", init.seed, "Seed of --init-model's weights")->capture_default_str();
  init_opt->needs(tok_opt)->needs(out_opt);
  tok_opt->needs(init_opt);
  out_opt->needs(init_opt);
  seed_opt->needs(init_opt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? w::kExitOk : w::kExitBadFlags;
  }
  if (!init_model.empty()) return InitModel(init_model, init_tokenizer, init_out, init);
  if (!random_model_dir.empty()) {
    random_model.intermediate_size = 2 * random_model.hidden_size;
    random_model.heads = std::max<int64_t>(1, random_model.hidden_size / 16);
    random_model.kv_heads = random_model.heads % 2 == 0 ? random_model.heads / 2 : random_model.heads;
    const absl::Status written = ecgbench::worker::nn::WriteRandomModelFolder(random_model_dir, random_model);
    if (!written.ok()) {
      std::fprintf(stderr, "ecgbench-worker: %s\n", written.ToString().c_str());
      return w::kExitFatal;
    }
    std::printf("wrote a random %lld-layer, %lld-wide Llama-architecture model to %s\n",
                static_cast<long long>(random_model.layers), static_cast<long long>(random_model.hidden_size),
                random_model_dir.c_str());
    return w::kExitOk;
  }
  if (!flags.metrics_port_file.empty() && flags.metrics_listen.empty()) {
    std::fprintf(stderr, "ecgbench-worker: --metrics-port-file needs --metrics-listen\n");
    return w::kExitBadFlags;
  }
  w::FillMachineDefaults(flags);
  // Before the first tensor operation: OMP_NUM_THREADS / BLIS_NUM_THREADS (unless set) and
  // LibTorch's intra-op threads follow --cpus.
  w::ConfigureThreads(flags.cpus);
  return w::RunWorker(flags);
}
