// Scheduler: decides where pending tasks run. A pure function of its inputs (no clock, no I/O, no
// randomness), so every decision can be unit-tested without a server.
//
// Policy: tasks are considered by priority (higher first), then FIFO (lower `order` first). A task
// with ranks > 1 is a gang: all of its ranks are placed in one pass or none is. A task that does not
// fit now is skipped and later tasks may still be placed (backfill). Ranks are packed best-fit: each
// rank goes to the eligible worker with the fewest free CPU cores that still fit, preferring workers
// that already hold a rank of the same gang, so gangs stay on few machines. Every rank takes at
// least one core, so a pass ends as soon as no worker has a free core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ecgbench::server {

struct SchedWorker {
  std::string id;
  int free_cpus = 0;
  int64_t free_memory_bytes = 0;
  std::vector<std::string> free_gpu_uuids;
  std::vector<std::string> stage_kinds;  // runners the worker has
  bool accepting = true;                 // false while draining
};

struct SchedTask {
  std::string id;
  std::string stage_kind;
  int priority = 50;
  uint64_t order = 0;
  int ranks = 1;
  int cpus_per_rank = 1;
  int gpus_per_rank = 0;
  int64_t memory_per_rank = 0;
  int64_t not_before_ms = 0;  // retry backoff: not placed before this time
};

struct RankPlacement {
  int rank = 0;
  std::string worker_id;
  int cpus = 0;
  int64_t memory_bytes = 0;
  std::vector<std::string> gpu_uuids;
};

struct Placement {
  std::string task_id;
  std::vector<RankPlacement> ranks;  // index == rank
};

// Returns the placements for this pass, in the order they were decided. `now_ms` is compared with
// SchedTask::not_before_ms only. Every rank takes at least one core (cpus_per_rank < 1 counts as 1).
std::vector<Placement> Schedule(std::vector<SchedWorker> workers, std::vector<SchedTask> tasks, int64_t now_ms);

// Policy order of tasks: higher priority first, then lower `order`, then id.
bool ScheduledBefore(const SchedTask& a, const SchedTask& b);

// Schedule, fed one task at a time: the caller offers tasks in policy order (ScheduledBefore) and
// may stop offering once Exhausted(), which saves building and sorting a long queue when the
// cluster is full. Offering tasks in that order gives exactly Schedule's placements.
// Not thread-safe; `workers` must outlive the pass and is modified in place (free resources drop
// as ranks are placed); it is sorted by id here unless the caller says it already is.
class SchedulePass {
 public:
  SchedulePass(std::vector<SchedWorker>* workers, int64_t now_ms, bool sorted_by_id = false);
  // Places every rank of `task` (true, *out filled) or none (false, workers unchanged).
  bool Offer(const SchedTask& task, Placement* out);
  // No accepting worker has a free core left: no further task can be placed in this pass.
  bool Exhausted() const { return usable_ == 0; }

 private:
  void Undo(Placement* out);

  std::vector<SchedWorker>& workers_;
  const int64_t now_ms_;
  int usable_ = 0;                  // accepting workers with at least one free core
  std::vector<int> used_by_gang_;   // per worker: ranks of the task being placed (reset after each)
  std::vector<size_t> gang_index_;  // worker index of each placed rank of that task
};

// True when the task could run on an empty cluster made of these workers (used to tell users that a
// task can never be placed, e.g. 8 ranks x 4 GPUs on a cluster of 2 GPUs).
bool FitsEmptyCluster(const std::vector<SchedWorker>& total_capacity, const SchedTask& task);

}  // namespace ecgbench::server
