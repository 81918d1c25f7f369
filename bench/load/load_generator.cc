// ecgbench_load_generator: the load of bench/load/run.sh against a running coordinator. W
// simulated workers (sim_workers.h) register, heartbeat and long-poll; after an idle window
// (heartbeats only: the coordinator's cost of W connected workers) N clients submit M experiments
// whose tasks need no real work (the probe stage, `shards` tasks of one rank each), and the workers
// acquire and complete every task. Measures submit latency, tasks placed (acquired) and completed
// per second, heartbeat latency, errors by method and code, and, with --coordinator-pid and --db,
// the coordinator's CPU (cores used), RSS and SQLite size. Prints a table and one line
// `LOAD_RESULT {json}`. Exit 0 when every call succeeded and every experiment succeeded; 1 when
// the run failed (errors, experiments left unfinished); 2 for bad flags.
#include <grpcpp/create_channel.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/load/load_stats.h"
#include "bench/load/sim_workers.h"
#include "common/security/token_file.h"
#include "ecgbench/v1/coordinator.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace ecgbench::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string address;
  std::string submit_token_file, worker_token_file;
  int experiments = 10000;
  int clients = 50;
  int shards = 1;
  double submit_rate = 0;  // experiments per second over all clients; 0: each client as fast as it can
  int idle_seconds = 10;
  int drain_timeout_seconds = 300;
  int coordinator_pid = 0;
  std::string db;
  SimWorkerOptions workers;
};

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string ReadToken(const std::string& path) {
  if (path.empty()) return "";
  auto token = common::ReadTokenFromFile(path);
  if (!token.ok()) {
    std::cerr << token.status().message() << "\n";
    std::exit(2);
  }
  return *token;
}

void Prepare(grpc::ClientContext* ctx, const std::string& token, int timeout_ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
}

std::unique_ptr<v1::Coordinator::Stub> ClientStub(const std::string& address, int index) {
  grpc::ChannelArguments args;
  args.SetInt("ecgbench.load.client", index);  // one connection per client, like separate CLIs
  return v1::Coordinator::NewStub(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

struct SubmitOutcome {
  LatencyRecorder latency;
  LatencyRecorder behind;  // open loop: how late sends left (only late ones)
  ErrorCounter errors;
  std::atomic<int64_t> created{0};
};

// N client threads, each submitting its share of M experiments one after another: back to back
// (closed loop: latency = clients / throughput), or at fixed times that add up to submit_rate
// (open loop: the latency of a given load). A client that falls behind its schedule sends at once;
// `behind_ms` records by how much.
void RunClients(const Options& o, const std::string& token, const std::string& run_tag, SubmitOutcome* out) {
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = ClientStub(o.address, c);
      for (int i = c; i < o.experiments; i += o.clients) {
        if (o.submit_rate > 0) {
          // Experiment i is due at i / rate: the clients' sends interleave evenly.
          const auto due = start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / o.submit_rate));
          const auto now = Clock::now();
          if (now < due) {
            std::this_thread::sleep_until(due);
          } else {
            out->behind.Add(std::chrono::duration_cast<std::chrono::microseconds>(now - due).count());
          }
        }
        v1::SubmitExperimentRequest req;
        req.set_spec_yaml(absl::StrCat("name: load-", run_tag, "-", i, "\n", "probe: {ranks: 1, shards: ", o.shards,
                                       "}\n"));
        req.set_request_id(absl::StrCat("load-", run_tag, "-", i));
        req.set_spec_name(absl::StrCat("load-", i, ".yaml"));
        v1::SubmitExperimentResponse resp;
        grpc::ClientContext ctx;
        Prepare(&ctx, token, 30000);
        const auto start = Clock::now();
        grpc::Status st = stub->SubmitExperiment(&ctx, req, &resp);
        out->latency.Add(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
        if (!st.ok()) {
          out->errors.Add("SubmitExperiment", st);
        } else if (resp.created()) {
          out->created++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
}

// Counts this run's experiments by state through ListExperiments (pages of 500).
std::map<std::string, int64_t> CountExperiments(const Options& o, const std::string& token, const std::string& run_tag,
                                                ErrorCounter* errors) {
  std::map<std::string, int64_t> by_state;
  auto stub = ClientStub(o.address, o.clients);
  std::string page;
  do {
    v1::ListExperimentsRequest req;
    req.set_page_size(500);
    req.set_page_token(page);
    req.set_name_contains(absl::StrCat("load-", run_tag, "-"));
    v1::ListExperimentsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx, token, 30000);
    grpc::Status st = stub->ListExperiments(&ctx, req, &resp);
    if (!st.ok()) {
      errors->Add("ListExperiments", st);
      break;
    }
    for (const auto& e : resp.experiments()) by_state[v1::State_Name(e.state())]++;
    page = resp.next_page_token();
  } while (!page.empty());
  return by_state;
}

nlohmann::json LatencyJson(const LatencySummary& s) {
  return {{"count", s.count}, {"p50_ms", s.p50_ms}, {"p95_ms", s.p95_ms}, {"p99_ms", s.p99_ms},
          {"max_ms", s.max_ms}, {"mean_ms", s.mean_ms}};
}

int Run(const Options& o) {
  const std::string submit_token = ReadToken(o.submit_token_file);
  SimWorkerOptions wo = o.workers;
  wo.address = o.address;
  wo.token = ReadToken(o.worker_token_file);
  const auto epoch = Clock::now();
  const std::string run_tag = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
  SimWorkerPool pool(wo, epoch);
  SimWorkerStats& ws = pool.stats();

  std::printf("registering %d workers over %d connections...\n", wo.workers,
              wo.channels <= 0 ? wo.workers : std::min(wo.channels, wo.workers));
  const auto reg_start = Clock::now();
  if (absl::Status st = pool.Register(16); !st.ok()) {
    std::fprintf(stderr, "load: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  const double register_s = Seconds(reg_start, Clock::now());
  pool.Start();

  // Idle window: W workers heartbeating and long-polling, nothing to do.
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2000, wo.heartbeat_ms * 2)));
  std::printf("idle window: %d s of heartbeats only...\n", o.idle_seconds);
  const ProcSample idle0 = o.coordinator_pid ? ReadProc(o.coordinator_pid) : ProcSample{};
  const auto idle_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.idle_seconds));
  const ProcSample idle1 = o.coordinator_pid ? ReadProc(o.coordinator_pid) : ProcSample{};
  const double idle_s = Seconds(idle_start, Clock::now());
  const int64_t idle_beats = ws.heartbeats.load();

  // Load window: submissions until every task has completed (or the drain timeout).
  std::printf("load: %d experiments x %d task(s) from %d clients, %s...\n", o.experiments, o.shards, o.clients,
              o.submit_rate > 0 ? absl::StrCat(o.submit_rate, " experiments/s offered").c_str() : "closed loop");
  pool.MarkLoadPhase();
  const ProcSample load0 = o.coordinator_pid ? ReadProc(o.coordinator_pid) : ProcSample{};
  const ProcSample self0 = ReadProc(getpid());
  const auto load_start = Clock::now();
  SubmitOutcome submit;
  RunClients(o, submit_token, run_tag, &submit);
  const auto submit_end = Clock::now();
  const int64_t expected_tasks = submit.created.load() * o.shards;
  const auto drain_deadline = submit_end + std::chrono::seconds(o.drain_timeout_seconds);
  while (ws.completed_ok.load() < expected_tasks && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto load_end = Clock::now();
  const ProcSample load1 = o.coordinator_pid ? ReadProc(o.coordinator_pid) : ProcSample{};
  const ProcSample self1 = ReadProc(getpid());
  const double load_s = Seconds(load_start, load_end);

  pool.Stop(std::chrono::milliseconds(wo.call_timeout_ms));
  ErrorCounter verify_errors;
  const std::map<std::string, int64_t> by_state = CountExperiments(o, submit_token, run_tag, &verify_errors);
  pool.Deregister(16);
  const ProcSample end = o.coordinator_pid ? ReadProc(o.coordinator_pid) : ProcSample{};

  // Report.
  const LatencySummary sub = submit.latency.Summarize();
  const LatencySummary hb_idle = ws.heartbeat_idle.Summarize(), hb_load = ws.heartbeat_load.Summarize();
  const LatencySummary comp = ws.complete_latency.Summarize(), reg = ws.register_latency.Summarize();
  const double placed_steady = ws.acquired.SteadyRate(0.05, 0.95), placed_all = ws.acquired.OverallRate();
  const double done_steady = ws.completed.SteadyRate(0.05, 0.95);
  const double idle_cores = o.coordinator_pid ? (idle1.cpu_seconds - idle0.cpu_seconds) / idle_s : 0;
  const double load_cores = o.coordinator_pid ? (load1.cpu_seconds - load0.cpu_seconds) / load_s : 0;
  // Coordinator CPU per experiment (submit, placement, completion and the heartbeats meanwhile):
  // what a machine-independent capacity estimate divides by.
  const double cpu_ms_per_experiment =
      submit.created.load() > 0 ? (load1.cpu_seconds - load0.cpu_seconds) * 1000.0 / static_cast<double>(submit.created.load()) : 0;
  const double generator_cores = (self1.cpu_seconds - self0.cpu_seconds) / load_s;
  const int64_t succeeded = by_state.count("STATE_SUCCEEDED") ? by_state.at("STATE_SUCCEEDED") : 0;
  std::map<std::string, int64_t> errors = submit.errors.Snapshot();
  for (const auto& [k, v] : ws.errors.Snapshot()) errors[k] += v;
  for (const auto& [k, v] : verify_errors.Snapshot()) errors[k] += v;
  int64_t error_total = 0;
  for (const auto& [k, v] : errors) error_total += v;
  const bool complete = succeeded == o.experiments && ws.completed_ok.load() == expected_tasks;

  std::printf("\ncoordinator load: %d experiments x %d task(s), %d clients, %d workers x %d core(s), heartbeat %d ms\n",
              o.experiments, o.shards, o.clients, wo.workers, wo.cpu_cores, wo.heartbeat_ms);
  std::printf("  %-28s %9s %9s %9s %9s %9s\n", "latency (ms)", "n", "p50", "p95", "p99", "max");
  auto row = [](const char* name, const LatencySummary& s) {
    std::printf("  %-28s %9zu %9.2f %9.2f %9.2f %9.2f\n", name, s.count, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms);
  };
  row("SubmitExperiment", sub);
  row("Heartbeat (idle window)", hb_idle);
  row("Heartbeat (load window)", hb_load);
  row("CompleteTask", comp);
  row("RegisterWorker", reg);
  const LatencySummary behind = submit.behind.Summarize();
  std::printf("  submit throughput            %.0f experiments/s (%.2f s for %lld created); offered %s",
              static_cast<double>(submit.created.load()) / Seconds(load_start, submit_end),
              Seconds(load_start, submit_end), static_cast<long long>(submit.created.load()),
              o.submit_rate > 0 ? absl::StrCat(o.submit_rate, "/s").c_str() : "closed loop");
  if (o.submit_rate > 0) std::printf(", %zu sends late (max %.0f ms)", behind.count, behind.max_ms);
  std::printf("\n");
  std::printf("  tasks placed/s               %.0f steady (5-95%%), %.0f overall; %zu acquired\n", placed_steady,
              placed_all, ws.acquired.Count());
  std::printf("  completions/s                %.0f steady; %lld of %lld tasks completed in %.2f s\n", done_steady,
              static_cast<long long>(ws.completed_ok.load()), static_cast<long long>(expected_tasks), load_s);
  std::printf("  heartbeats                   %lld (%lld in the idle window), %lld skipped, %lld cancel commands\n",
              static_cast<long long>(ws.heartbeats.load()), static_cast<long long>(idle_beats),
              static_cast<long long>(ws.heartbeats_skipped.load()), static_cast<long long>(ws.cancel_commands.load()));
  if (o.coordinator_pid) {
    std::printf("  coordinator CPU (cores)      %.3f idle window (heartbeats only), %.3f load window "
                "(%.2f ms per experiment); the generator used %.2f cores\n",
                idle_cores, load_cores, cpu_ms_per_experiment, generator_cores);
    std::printf("  coordinator RSS              %.1f MiB now, %.1f MiB peak, %d threads\n", end.rss_bytes / 1048576.0,
                end.rss_peak_bytes / 1048576.0, load1.threads);
  }
  const int64_t db_bytes = o.db.empty() ? 0 : FileBytes(o.db), wal_bytes = o.db.empty() ? 0 : FileBytes(o.db + "-wal");
  if (!o.db.empty()) {
    std::printf("  SQLite                       %.1f MiB + %.1f MiB WAL\n", db_bytes / 1048576.0, wal_bytes / 1048576.0);
  }
  std::printf("  experiments succeeded        %lld of %d", static_cast<long long>(succeeded), o.experiments);
  for (const auto& [state, n] : by_state) std::printf(" [%s %lld]", state.c_str(), static_cast<long long>(n));
  std::printf("\n  errors                       %lld", static_cast<long long>(error_total));
  for (const auto& [k, v] : errors) std::printf(" [%s: %lld]", k.c_str(), static_cast<long long>(v));
  std::printf("\n");

  nlohmann::json j = {
      {"experiments", o.experiments}, {"shards", o.shards}, {"clients", o.clients}, {"workers", wo.workers},
      {"submit_rate", o.submit_rate}, {"sends_late", behind.count}, {"max_late_ms", behind.max_ms},
      {"worker_cores", wo.cpu_cores}, {"heartbeat_ms", wo.heartbeat_ms}, {"complete_delay_ms", wo.complete_delay_ms},
      {"register_s", register_s}, {"submit", LatencyJson(sub)}, {"heartbeat_idle", LatencyJson(hb_idle)},
      {"heartbeat_load", LatencyJson(hb_load)}, {"complete", LatencyJson(comp)},
      {"submit_per_s", static_cast<double>(submit.created.load()) / Seconds(load_start, submit_end)},
      {"placed_per_s_steady", placed_steady}, {"placed_per_s_overall", placed_all},
      {"completed_per_s_steady", done_steady}, {"tasks_expected", expected_tasks},
      {"tasks_completed", ws.completed_ok.load()}, {"load_s", load_s}, {"experiments_succeeded", succeeded},
      {"heartbeats_skipped", ws.heartbeats_skipped.load()}, {"cancel_commands", ws.cancel_commands.load()},
      {"errors_total", error_total}, {"errors", errors}, {"complete", complete}, {"generator_cores", generator_cores},
      {"machine_cores", std::thread::hardware_concurrency()}};
  if (o.coordinator_pid) {
    j["coordinator"] = {{"idle_cores", idle_cores}, {"load_cores", load_cores},
                        {"cpu_ms_per_experiment", cpu_ms_per_experiment}, {"rss_bytes", end.rss_bytes},
                        {"rss_peak_bytes", end.rss_peak_bytes}, {"threads", load1.threads}};
  }
  if (!o.db.empty()) j["sqlite"] = {{"db_bytes", db_bytes}, {"wal_bytes", wal_bytes}};
  std::printf("LOAD_RESULT %s\n", j.dump().c_str());
  return error_total == 0 && complete ? 0 : 1;
}

}  // namespace
}  // namespace ecgbench::bench

int main(int argc, char** argv) {
  ecgbench::bench::Options o;
  auto& w = o.workers;
  CLI::App app{"ecgbench_load_generator: simulated clients and workers against a running ecgbench-coordinator"};
  // A flag given twice takes the last value: run.sh's defaults come first, the user's after.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--coordinator", o.address, "coordinator host:port")->required();
  app.add_option("--submit-token-file", o.submit_token_file, "token (submitter role) for the clients");
  app.add_option("--worker-token-file", o.worker_token_file, "token (worker role) for the simulated workers");
  app.add_option("--experiments", o.experiments, "experiments to submit")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--clients", o.clients, "concurrent submitting clients")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--submit-rate", o.submit_rate, "experiments per second over all clients (0: closed loop, as fast as they can)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
  app.add_option("--shards", o.shards, "probe tasks per experiment")->capture_default_str()->check(CLI::Range(1, 10000));
  app.add_option("--workers", w.workers, "simulated workers")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--worker-cores", w.cpu_cores, "CPU cores each worker offers (= tasks it runs at once)")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--channels", w.channels, "TCP connections the workers share (0: one per worker)")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  app.add_option("--heartbeat-ms", w.heartbeat_ms, "heartbeat interval of each worker")->capture_default_str()->check(CLI::Range(10, 600000));
  app.add_option("--acquire-wait-ms", w.acquire_wait_ms, "AcquireTask long-poll time")->capture_default_str()->check(CLI::Range(0, 600000));
  app.add_option("--complete-delay-ms", w.complete_delay_ms, "time a worker holds a task before completing it")
      ->capture_default_str()->check(CLI::Range(0, 600000));
  app.add_option("--idle-seconds", o.idle_seconds, "heartbeat-only window before the submissions")->capture_default_str()->check(CLI::Range(1, 3600));
  app.add_option("--drain-timeout-seconds", o.drain_timeout_seconds, "how long to wait for the last tasks after the last submission")
      ->capture_default_str()->check(CLI::Range(1, 86400));
  app.add_option("--coordinator-pid", o.coordinator_pid, "read the coordinator's CPU and RSS from /proc/PID");
  app.add_option("--db", o.db, "the coordinator's SQLite file (its size and the -wal file's are reported)");
  CLI11_PARSE(app, argc, argv);
  return ecgbench::bench::Run(o);
}
