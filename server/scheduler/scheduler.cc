// Priority + FIFO gang scheduler with best-fit packing.
#include "server/scheduler/scheduler.h"

#include <algorithm>

namespace ecgbench::server {

namespace {

bool Supports(const SchedWorker& w, const std::string& kind) {
  return std::find(w.stage_kinds.begin(), w.stage_kinds.end(), kind) != w.stage_kinds.end();
}

bool Fits(const SchedWorker& w, const SchedTask& t) {
  return w.accepting && Supports(w, t.stage_kind) && w.free_cpus >= t.cpus_per_rank &&
         w.free_memory_bytes >= t.memory_per_rank &&
         static_cast<int>(w.free_gpu_uuids.size()) >= t.gpus_per_rank;
}

// Places every rank of `task` on `workers` (modifying their free resources) or returns false and
// leaves `workers` unchanged.
bool PlaceGang(std::vector<SchedWorker>& workers, const SchedTask& task, Placement* out) {
  std::vector<SchedWorker> trial = workers;
  std::vector<int> used_by_gang(trial.size(), 0);
  out->task_id = task.id;
  out->ranks.clear();
  for (int r = 0; r < task.ranks; ++r) {
    int best = -1;
    for (size_t i = 0; i < trial.size(); ++i) {
      if (!Fits(trial[i], task)) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      const SchedWorker& a = trial[i];
      const SchedWorker& b = trial[static_cast<size_t>(best)];
      // Prefer workers already holding this gang, then the tightest fit, then the id (stable).
      bool a_gang = used_by_gang[i] > 0, b_gang = used_by_gang[static_cast<size_t>(best)] > 0;
      if (a_gang != b_gang) {
        if (a_gang) best = static_cast<int>(i);
        continue;
      }
      if (a.free_cpus != b.free_cpus) {
        if (a.free_cpus < b.free_cpus) best = static_cast<int>(i);
        continue;
      }
      if (a.id < b.id) best = static_cast<int>(i);
    }
    if (best < 0) return false;
    SchedWorker& w = trial[static_cast<size_t>(best)];
    RankPlacement rp;
    rp.rank = r;
    rp.worker_id = w.id;
    rp.cpus = task.cpus_per_rank;
    rp.memory_bytes = task.memory_per_rank;
    for (int g = 0; g < task.gpus_per_rank; ++g) {
      rp.gpu_uuids.push_back(w.free_gpu_uuids.front());
      w.free_gpu_uuids.erase(w.free_gpu_uuids.begin());
    }
    w.free_cpus -= task.cpus_per_rank;
    w.free_memory_bytes -= task.memory_per_rank;
    used_by_gang[static_cast<size_t>(best)]++;
    out->ranks.push_back(std::move(rp));
  }
  workers = std::move(trial);
  return true;
}

}  // namespace

std::vector<Placement> Schedule(std::vector<SchedWorker> workers, std::vector<SchedTask> tasks, int64_t now_ms) {
  std::sort(tasks.begin(), tasks.end(), [](const SchedTask& a, const SchedTask& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.order != b.order) return a.order < b.order;
    return a.id < b.id;
  });
  std::sort(workers.begin(), workers.end(), [](const SchedWorker& a, const SchedWorker& b) { return a.id < b.id; });
  std::vector<Placement> out;
  for (const SchedTask& t : tasks) {
    if (t.not_before_ms > now_ms || t.ranks < 1) continue;
    Placement p;
    if (PlaceGang(workers, t, &p)) out.push_back(std::move(p));
  }
  return out;
}

bool FitsEmptyCluster(const std::vector<SchedWorker>& total_capacity, const SchedTask& task) {
  std::vector<SchedWorker> workers = total_capacity;
  for (auto& w : workers) w.accepting = true;
  Placement p;
  return PlaceGang(workers, task, &p);
}

}  // namespace ecgbench::server
