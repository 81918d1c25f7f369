// Stage kind "probe": how a platform engineer checks a new worker or cluster. Each rank reports
// its environment (cores, memory, GPUs, LibTorch version and threads, BLAS in use), proves LibTorch
// works with a small matmul, and all-reduces a scalar across the ranks of its task through the
// rendezvous KV (value rank+1, expected sum world*(world+1)/2).
//
// params_json: {"ranks": N, "duration_s": D}, both optional. D = 0: one round. D > 0: a burn-in
// that repeats rounds (50 ms apart) until D seconds passed, reporting progress and the metric
// "allreduce_latency_ms" per round; rank 0 decides which round is the last and tells the others
// through the KV key "probe/<round>/final".
// Results: allreduce_sum, rounds, allreduce_latency_ms_p50, world_size, torch_threads,
// matmul_checksum. result_json: the environment report plus a "probe" object.
// Errors: INVALID_ARGUMENT for bad params, INTERNAL for a wrong sum, CANCELLED, ABORTED
// "preempted", DEADLINE_EXCEEDED when a rank does not show up within 60 s.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct ProbeParams {
  int ranks = 0;          // 0: take the assignment's world size
  double duration_s = 0;  // burn-in length
};

// Parses params_json ("" means defaults); unknown keys are ignored.
absl::StatusOr<ProbeParams> ParseProbeParams(std::string_view params_json);

// Sum of (i/4096) * (j/4096) products of the 64x64 matmul a * a^T with a = arange(4096)/4096, as
// LibTorch computes it (float32).
double ProbeMatmulChecksum();

class ProbeRunner final : public StageRunner {
 public:
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;
  // A preempted probe simply starts over.
  bool SupportsCheckpoint() const override { return false; }
};

}  // namespace ecgbench::worker
