// PreprocessRunner: the "preprocess" stage kind. Each task is one shard (a contiguous range of the
// base dataset's catalog) processed by the torch-free pipeline (common/ecg/pipeline) into a part of
// a segment store. Outputs are content-addressed artifacts: the key hashes the preprocessing
// parameters and the catalog, so another experiment with the same preprocessing reuses a finished
// part instead of recomputing it. Progress (records done and skipped) is reported live; a batch
// never dies for one bad record. Torch-free header.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

struct PreprocessStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";  // shared by all workers (a PVC on Kubernetes)
};

class PreprocessRunner final : public StageRunner {
 public:
  explicit PreprocessRunner(PreprocessStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;
  // A preempted shard restarts from scratch (a shard is minutes at most); finished shards are reused.
  bool SupportsCheckpoint() const override { return false; }

 private:
  PreprocessStageOptions options_;
};

}  // namespace ecgbench::worker
