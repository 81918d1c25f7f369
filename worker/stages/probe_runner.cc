// The probe stage: environment report, a LibTorch smoke test, and a scalar all-reduce through the
// rendezvous KV (see probe_runner.h for the protocol).
#include "worker/stages/probe_runner.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/util/json.h"
#include "worker/stages/environment.h"

namespace ecgbench::worker {
namespace {

constexpr absl::Duration kRankTimeout = absl::Seconds(60);
constexpr absl::Duration kPollSlice = absl::Milliseconds(100);  // cancel/preempt checks
constexpr absl::Duration kRoundPause = absl::Milliseconds(50);

std::string RoundKey(int round, int rank) { return absl::StrCat("probe/", round, "/", rank); }
std::string FinalKey(int round) { return absl::StrCat("probe/", round, "/final"); }

// OK while the runner should go on; CANCELLED or ABORTED "preempted" otherwise.
absl::Status CheckStop(const TaskContext& ctx) {
  if (ctx.cancelled()) return absl::CancelledError("probe cancelled");
  if (ctx.preempt_requested()) return PreemptedStatus();
  return absl::OkStatus();
}

// KvWait in short slices so that cancel and preemption are seen within kPollSlice.
absl::StatusOr<std::vector<std::string>> WaitForRanks(TaskContext& ctx,
                                                      const std::vector<std::string>& keys,
                                                      int round) {
  const absl::Time deadline = absl::Now() + kRankTimeout;
  while (true) {
    if (absl::Status stop = CheckStop(ctx); !stop.ok()) return stop;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("probe round ", round, ": not every rank set its value within ",
                       absl::FormatDuration(kRankTimeout), " (keys ", absl::StrJoin(keys, ", "),
                       ")"));
    }
    auto values = ctx.KvWait(keys, std::min(left, kPollSlice));
    if (values.ok() || values.status().code() != absl::StatusCode::kDeadlineExceeded) return values;
  }
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

absl::StatusOr<ProbeParams> ParseProbeParams(std::string_view params_json) {
  ProbeParams params;
  if (params_json.empty()) return params;
  auto json = common::ParseJson(params_json, "params_json");
  if (!json.ok()) return json.status();
  if (!json->is_object()) {
    return absl::InvalidArgumentError("params_json: expected a JSON object");
  }
  if (auto it = json->find("ranks"); it != json->end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000000) {
      return absl::InvalidArgumentError(
          absl::StrCat("params_json.ranks: expected a positive integer, got ", it->dump()));
    }
    params.ranks = it->get<int>();
  }
  if (auto it = json->find("duration_s"); it != json->end()) {
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "params_json.duration_s: expected a number of seconds >= 0, got ", it->dump()));
    }
    params.duration_s = it->get<double>();
  }
  return params;
}

double ProbeMatmulChecksum() {
  const at::Tensor a = at::arange(64 * 64, at::kFloat).reshape({64, 64}).div(64.0 * 64.0);
  return a.matmul(a.t()).sum().item<double>();
}

absl::StatusOr<TaskResult> ProbeRunner::Run(TaskContext& ctx) {
  const v1::Assignment& assignment = ctx.assignment();
  auto params = ParseProbeParams(assignment.params_json());
  if (!params.ok()) return params.status();
  const int world = assignment.world_size() > 0 ? assignment.world_size()
                                                : std::max(1, params->ranks);
  if (params->ranks > 0 && params->ranks != world) {
    return absl::InvalidArgumentError(absl::StrCat("params_json.ranks: ", params->ranks,
                                                   " does not match the assignment's world size ",
                                                   world));
  }
  const int rank = assignment.rank();
  if (rank < 0 || rank >= world) {
    return absl::InvalidArgumentError(
        absl::StrCat("assignment rank ", rank, " is outside world size ", world));
  }

  const EnvironmentReport env = CollectEnvironment();
  const double checksum = ProbeMatmulChecksum();
  ctx.Log(v1::LOG_LEVEL_INFO,
          absl::StrCat("probe rank ", rank, "/", world, " on ", env.hostname, ": ",
                       env.hardware_threads, " hardware threads, ", env.memory_bytes >> 20,
                       " MiB, ", env.gpus.size(), " GPU(s), LibTorch ", env.libtorch_version,
                       " with ", env.torch_threads, " threads, BLAS ", env.blas.provider, " (",
                       env.blas.libblas_so_3.empty() ? "libblas.so.3 not loaded"
                                                     : env.blas.libblas_so_3,
                       "), matmul checksum ", checksum));
  if (env.blas.provider == "reference" || env.blas.provider == "openblas") {
    ctx.Log(v1::LOG_LEVEL_WARNING,
            absl::StrCat("BLAS provider is ", env.blas.provider,
                         ": install libblis4-openmp (reference BLAS is ~25x slower; OpenBLAS "
                         "breaks the /metrics endpoint in LibTorch processes)"));
  }

  const int64_t expected = static_cast<int64_t>(world) * (world + 1) / 2;
  const absl::Time start = absl::Now();
  const double duration_s = params->duration_s;
  const int64_t total_s = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(duration_s)));
  std::vector<double> latencies_ms;
  std::vector<std::string> keys(world);
  int64_t sum = 0;
  for (int round = 0;; ++round) {
    if (absl::Status stop = CheckStop(ctx); !stop.ok()) return stop;
    const double elapsed_s = absl::ToDoubleSeconds(absl::Now() - start);
    const auto t0 = std::chrono::steady_clock::now();
    bool final_round = duration_s <= 0 || elapsed_s >= duration_s;
    // Rank 0 marks the last round before it sets its value, so a rank that saw rank 0's value
    // also sees the mark.
    if (rank == 0 && final_round) {
      if (absl::Status s = ctx.KvSet(FinalKey(round), "1"); !s.ok()) return s;
    }
    if (absl::Status s = ctx.KvSet(RoundKey(round, rank), absl::StrCat(rank + 1)); !s.ok()) {
      return s;
    }
    for (int r = 0; r < world; ++r) keys[r] = RoundKey(round, r);
    auto values = WaitForRanks(ctx, keys, round);
    if (!values.ok()) return values.status();
    sum = 0;
    for (int r = 0; r < world; ++r) {
      int64_t v = 0;
      if (!absl::SimpleAtoi((*values)[r], &v)) {
        return absl::InternalError(absl::StrCat("probe round ", round, ": rank ", r,
                                                " sent a value that is not an integer: \"",
                                                (*values)[r], "\""));
      }
      sum += v;
    }
    if (sum != expected) {
      return absl::InternalError(absl::StrCat("probe round ", round, ": all-reduce sum ", sum,
                                              " != expected ", expected, " for world size ", world,
                                              " (values ", absl::StrJoin(*values, ","), ")"));
    }
    const double latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    latencies_ms.push_back(latency_ms);
    ctx.ReportMetric("allreduce_latency_ms", latency_ms, round);
    if (rank != 0) {
      auto mark = ctx.KvGet(FinalKey(round));
      if (!mark.ok()) return mark.status();
      final_round = mark->has_value();
    }
    if (duration_s > 0) {
      const auto now_s = static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - start));
      ctx.ReportProgress(final_round ? total_s : std::min(total_s, now_s), total_s, "s",
                         absl::StrCat("burn-in round ", round + 1));
    }
    if (final_round) break;
    if (absl::Status stop = CheckStop(ctx); !stop.ok()) return stop;
    absl::SleepFor(kRoundPause);
  }
  const int rounds = static_cast<int>(latencies_ms.size());
  if (duration_s <= 0) ctx.ReportProgress(rounds, rounds, "rounds", "all-reduce done");
  const double p50 = Median(latencies_ms);
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("probe all-reduce ok: sum ", sum, " over ", world,
                                           " rank(s), ", rounds, " round(s), p50 latency ", p50,
                                           " ms"));

  TaskResult result;
  result.results = {{"allreduce_sum", static_cast<double>(sum)},
                    {"rounds", rounds},
                    {"allreduce_latency_ms_p50", p50},
                    {"world_size", world},
                    {"torch_threads", env.torch_threads},
                    {"matmul_checksum", checksum}};
  nlohmann::json report = EnvironmentToJson(env);
  report["probe"] = {{"rank", rank},
                     {"world_size", world},
                     {"rounds", rounds},
                     {"allreduce_sum", sum},
                     {"allreduce_latency_ms_p50", p50},
                     {"matmul_checksum", checksum}};
  result.result_json = report.dump();
  return result;
}

}  // namespace ecgbench::worker
