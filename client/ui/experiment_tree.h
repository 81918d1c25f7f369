// Text views of one experiment: the `status` tree (runs -> stages -> tasks with states, attempts,
// workers, progress, errors) and the short plan summary printed by `submit`. Pure; thread-safe.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "ecgbench/v1/types.pb.h"

namespace ecgbench::client {

// worker_names maps worker ids to names (ids without an entry are shown as they are).
std::string RenderExperimentTree(const v1::Experiment& experiment,
                                 const absl::flat_hash_map<std::string, std::string>& worker_names);

// "<n> runs, <m> stages, <t> tasks" (singular for 1).
std::string PlanCounts(const v1::Experiment& experiment);

// One line per run and one per stage (kind, dependencies by kind, task and rank counts).
std::string RenderPlan(const v1::Experiment& experiment);

// "run 0 (fold=1)" or "run 0" for an unnamed run.
std::string RunLabel(const v1::Run& run);

// "shard 2/4" for a sharded task, "task" for a single one; " (2 ranks)" is added for gangs.
std::string TaskLabel(const v1::Task& task);

}  // namespace ecgbench::client
