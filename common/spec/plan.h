// ExperimentPlan: what the coordinator stores and schedules for one experiment spec. A spec's
// matrix expands into runs; each run is a DAG of stages (probe -> preprocess -> tokenizer /
// pretrain -> train -> evaluate, each present only when the spec asks for it); each stage splits
// into tasks (shards); a task with ranks > 1 is one gang. Plain data, torch-free, copyable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common {

struct ExperimentSpec;  // common/spec/spec.h

// What one rank of a task needs from a worker.
struct ResourceRequest {
  int cpu_cores = 1;
  int gpus = 0;
  int64_t memory_bytes = 0;  // 0: no requirement
};

struct TaskPlan {
  int shard = 0;       // 0-based
  int num_shards = 1;
  int ranks = 1;       // > 1: gang-scheduled
  ResourceRequest per_rank;
};

struct StagePlan {
  std::string key;                      // unique within the run: "probe", "preprocess", "train", ...
  std::string kind;                     // stage-runner kind on the worker
  std::vector<std::string> depends_on;  // keys of stages of the same run
  std::vector<TaskPlan> tasks;
  nlohmann::json params;                // stage parameters handed to the runner (Assignment.params_json)
  int max_attempts = 3;                 // per task, failures that count (preemptions do not)
};

struct RunPlan {
  int index = 0;
  std::string name;  // "representation=signal,fold=1"; "default" without a matrix
  std::vector<std::pair<std::string, std::string>> variant;  // matrix key -> short value text
  std::vector<StagePlan> stages;                             // in a topological order
};

struct ExperimentPlan {
  std::string name;
  std::string description;
  int priority = 50;  // low 25, normal 50, high 75, or an integer 0..100
  std::vector<RunPlan> runs;
};

// Parses, validates and expands a spec. `file_name` appears in every error, e.g.
//   train.lr: expected a positive number, got "abc" (spec.yaml:12)
absl::StatusOr<ExperimentPlan> PlanExperiment(const std::string& yaml_text, const std::string& file_name);

}  // namespace ecgbench::common
