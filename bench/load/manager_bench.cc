// ecgbench_manager_bench: the coordinator's state machine alone (server/experiments Manager over a
// real SQLite file), without gRPC, on one thread. Registers W workers, then for each of M
// experiments (the load generator's spec: a probe stage of `shards` one-rank tasks): Submit, then
// AcquireTask and CompleteTask for each task on the worker it was placed on, with W/rate
// heartbeats per experiment interleaved (every worker beats once per second while `rate`
// experiments per second flow). Every Manager call holds the Manager's one mutex for most of its
// time, so the CPU time per experiment bounds what one coordinator can place per second on any
// number of cores. Prints a table and `MANAGER_RESULT {json}`.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/load/load_stats.h"
#include "common/util/clock.h"
#include "nlohmann/json.hpp"
#include "server/experiments/manager.h"
#include "server/store/store.h"

namespace ecgbench::bench {
namespace {

// CPU time of the calling thread in microseconds: immune to other processes on a busy machine.
int64_t ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

struct Timed {
  LatencyRecorder cpu;  // thread CPU microseconds per call
  int64_t total_us = 0;
  template <typename F>
  auto Run(F&& f) {
    const int64_t start = ThreadCpuMicros();
    auto r = f();
    const int64_t used = ThreadCpuMicros() - start;
    cpu.Add(used);
    total_us += used;
    return r;
  }
};

int Main(int argc, char** argv) {
  int workers = 1000, experiments = 10000, shards = 1, rate = 1000;
  std::string dir = "/tmp/ecgbench-manager-bench";
  CLI::App app{"ecgbench_manager_bench: the coordinator's Manager + SQLite alone, one thread, CPU time per call"};
  app.add_option("--workers", workers, "registered workers")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--experiments", experiments, "experiments to run through")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--shards", shards, "probe tasks per experiment")->capture_default_str()->check(CLI::Range(1, 10000));
  app.add_option("--rate", rate, "experiments per second the heartbeat mix assumes")->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--dir", dir, "directory for the SQLite file (emptied first)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = server::Store::Open(dir + "/state.db");
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  server::Manager manager(server::ManagerOptions{}, store->get(), common::RealClock::Get(), nullptr);
  if (auto st = manager.Recover(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::vector<std::string> ids;
  for (int i = 0; i < workers; ++i) {
    v1::RegisterWorkerRequest r;
    r.set_name(absl::StrCat("bench-", i));
    r.mutable_resources()->set_cpu_cores(1);
    r.mutable_resources()->set_memory_bytes(int64_t{1} << 30);
    r.add_stage_kinds("probe");
    ids.push_back(manager.RegisterWorker(r)->worker_id());
  }
  Timed submit, acquire, complete, heartbeat;
  int64_t errors = 0, next_beat = 0;
  double beats_owed = 0;
  const auto wall_start = std::chrono::steady_clock::now();
  for (int e = 0; e < experiments; ++e) {
    v1::SubmitExperimentRequest req;
    req.set_spec_yaml(absl::StrCat("name: bench-", e, "\nprobe: {ranks: 1, shards: ", shards, "}\n"));
    req.set_request_id(absl::StrCat("bench-", e));
    auto sub = submit.Run([&] { return manager.Submit(req, "bench"); });
    if (!sub.ok()) {
      ++errors;
      continue;
    }
    for (const auto& task : sub->experiment.runs(0).stages(0).tasks()) {
      if (task.worker_ids_size() != 1) {
        ++errors;
        continue;
      }
      auto got = acquire.Run([&] { return manager.AcquireTask(task.worker_ids(0), 0); });
      if (!got.ok() || !got->has_value()) {
        ++errors;
        continue;
      }
      v1::CompleteTaskRequest done;
      done.set_worker_id(task.worker_ids(0));
      done.mutable_assignment()->set_attempt_id((*got)->attempt_id());
      done.mutable_assignment()->set_rank(0);
      (*done.mutable_results())["ranks"] = 1;
      done.set_result_json(R"({"simulated":true})");
      if (!complete.Run([&] { return manager.CompleteTask(done); }).ok()) ++errors;
    }
    // Each worker beats once per second; at `rate` experiments/s that is workers/rate per experiment.
    beats_owed += static_cast<double>(workers) / rate;
    for (; beats_owed >= 1; beats_owed -= 1) {
      v1::HeartbeatRequest hb;
      hb.set_worker_id(ids[static_cast<size_t>(next_beat++ % workers)]);
      if (!heartbeat.Run([&] { return manager.Heartbeat(hb); }).ok()) ++errors;
    }
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double per_exp_ms =
      static_cast<double>(submit.total_us + acquire.total_us + complete.total_us + heartbeat.total_us) / 1000.0 / experiments;
  std::printf("Manager alone (one thread, CPU time): %d workers, %d experiments x %d task(s), heartbeats for %d exp/s\n",
              workers, experiments, shards, rate);
  std::printf("  %-14s %9s %9s %9s %9s %9s\n", "call (ms CPU)", "n", "mean", "p50", "p99", "max");
  auto row = [](const char* name, const Timed& t) {
    const LatencySummary s = t.cpu.Summarize();
    std::printf("  %-14s %9zu %9.3f %9.3f %9.3f %9.3f\n", name, s.count, s.mean_ms, s.p50_ms, s.p99_ms, s.max_ms);
  };
  row("Submit", submit);
  row("AcquireTask", acquire);
  row("CompleteTask", complete);
  row("Heartbeat", heartbeat);
  std::printf("  CPU per experiment %.3f ms -> at most %.0f experiments/s (x %d tasks) on one core; wall %.2f s; "
              "errors %lld\n",
              per_exp_ms, 1000.0 / per_exp_ms, shards, wall_s, static_cast<long long>(errors));
  nlohmann::json j = {{"workers", workers}, {"experiments", experiments}, {"shards", shards}, {"rate", rate},
                      {"cpu_ms_per_experiment", per_exp_ms}, {"experiments_per_cpu_s", 1000.0 / per_exp_ms},
                      {"submit_mean_ms", submit.cpu.Summarize().mean_ms},
                      {"acquire_mean_ms", acquire.cpu.Summarize().mean_ms},
                      {"complete_mean_ms", complete.cpu.Summarize().mean_ms},
                      {"heartbeat_mean_ms", heartbeat.cpu.Summarize().mean_ms}, {"wall_s", wall_s}, {"errors", errors}};
  std::printf("MANAGER_RESULT %s\n", j.dump().c_str());
  std::filesystem::remove_all(dir);
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ecgbench::bench

int main(int argc, char** argv) { return ecgbench::bench::Main(argc, argv); }
