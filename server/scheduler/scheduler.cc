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
// leaves `workers` unchanged. Works in place and undoes a partial gang, so a task that does not
// fit costs no copy of the cluster (this runs for every pending task on every scheduling pass).
bool PlaceGang(std::vector<SchedWorker>& workers, const SchedTask& task, Placement* out) {
  std::vector<int> used_by_gang(workers.size(), 0);
  out->task_id = task.id;
  out->ranks.clear();
  auto undo = [&] {
    for (RankPlacement& rp : out->ranks) {
      for (size_t i = 0; i < workers.size(); ++i) {
        if (workers[i].id != rp.worker_id) continue;
        workers[i].free_cpus += rp.cpus;
        workers[i].free_memory_bytes += rp.memory_bytes;
        // Back in front, in their original order, so the next task sees the same GPU order.
        workers[i].free_gpu_uuids.insert(workers[i].free_gpu_uuids.begin(), rp.gpu_uuids.begin(), rp.gpu_uuids.end());
        break;
      }
    }
    out->ranks.clear();
  };
  for (int r = 0; r < task.ranks; ++r) {
    int best = -1;
    for (size_t i = 0; i < workers.size(); ++i) {
      if (!Fits(workers[i], task)) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      const SchedWorker& a = workers[i];
      const SchedWorker& b = workers[static_cast<size_t>(best)];
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
    if (best < 0) {
      // Undo in reverse so GPUs return to the front in their original order.
      std::reverse(out->ranks.begin(), out->ranks.end());
      undo();
      return false;
    }
    SchedWorker& w = workers[static_cast<size_t>(best)];
    RankPlacement rp;
    rp.rank = r;
    rp.worker_id = w.id;
    rp.cpus = task.cpus_per_rank;
    rp.memory_bytes = task.memory_per_rank;
    const auto taken = static_cast<std::ptrdiff_t>(task.gpus_per_rank);
    rp.gpu_uuids.assign(w.free_gpu_uuids.begin(), w.free_gpu_uuids.begin() + taken);
    w.free_gpu_uuids.erase(w.free_gpu_uuids.begin(), w.free_gpu_uuids.begin() + taken);
    w.free_cpus -= task.cpus_per_rank;
    w.free_memory_bytes -= task.memory_per_rank;
    used_by_gang[static_cast<size_t>(best)]++;
    out->ranks.push_back(std::move(rp));
  }
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
