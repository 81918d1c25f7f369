// Priority + FIFO gang scheduler with best-fit packing.
#include "server/scheduler/scheduler.h"

#include <algorithm>

namespace ecgbench::server {

namespace {

bool Supports(const SchedWorker& w, const std::string& kind) {
  return std::find(w.stage_kinds.begin(), w.stage_kinds.end(), kind) != w.stage_kinds.end();
}

int CoresPerRank(const SchedTask& t) { return std::max(1, t.cpus_per_rank); }

bool Usable(const SchedWorker& w) { return w.accepting && w.free_cpus >= 1; }

bool Fits(const SchedWorker& w, const SchedTask& t) {
  return w.accepting && w.free_cpus >= CoresPerRank(t) && w.free_memory_bytes >= t.memory_per_rank &&
         static_cast<int>(w.free_gpu_uuids.size()) >= t.gpus_per_rank && Supports(w, t.stage_kind);
}

}  // namespace

bool ScheduledBefore(const SchedTask& a, const SchedTask& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.order != b.order) return a.order < b.order;
  return a.id < b.id;
}

SchedulePass::SchedulePass(std::vector<SchedWorker>* workers, int64_t now_ms, bool sorted_by_id)
    : workers_(*workers), now_ms_(now_ms) {
  if (!sorted_by_id) {
    std::sort(workers_.begin(), workers_.end(), [](const SchedWorker& a, const SchedWorker& b) { return a.id < b.id; });
  }
  used_by_gang_.assign(workers_.size(), 0);
  for (const SchedWorker& w : workers_) usable_ += Usable(w) ? 1 : 0;
}

// Gives back what the ranks in *out took, in reverse, so that GPUs return to the front of each
// worker's list in their original order and the next task sees the workers exactly as before.
void SchedulePass::Undo(Placement* out) {
  for (size_t k = out->ranks.size(); k-- > 0;) {
    const RankPlacement& rp = out->ranks[k];
    SchedWorker& w = workers_[gang_index_[k]];
    const bool was_usable = Usable(w);
    w.free_cpus += rp.cpus;
    w.free_memory_bytes += rp.memory_bytes;
    w.free_gpu_uuids.insert(w.free_gpu_uuids.begin(), rp.gpu_uuids.begin(), rp.gpu_uuids.end());
    if (!was_usable && Usable(w)) usable_++;
  }
  out->ranks.clear();
}

// Places every rank of the task or none. Works in place and undoes a partial gang, so a task that
// does not fit costs no copy of the cluster.
bool SchedulePass::Offer(const SchedTask& task, Placement* out) {
  out->task_id = task.id;
  out->ranks.clear();
  if (task.not_before_ms > now_ms_ || task.ranks < 1 || Exhausted()) return false;
  gang_index_.clear();
  bool placed = true;
  for (int r = 0; r < task.ranks; ++r) {
    int best = -1;
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (!Fits(workers_[i], task)) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      const SchedWorker& a = workers_[i];
      const SchedWorker& b = workers_[static_cast<size_t>(best)];
      // Prefer workers already holding this gang, then the tightest fit, then the smaller id: the
      // workers are in id order, so on a tie the earlier one (`best`) stays.
      bool a_gang = used_by_gang_[i] > 0, b_gang = used_by_gang_[static_cast<size_t>(best)] > 0;
      if (a_gang != b_gang) {
        if (a_gang) best = static_cast<int>(i);
        continue;
      }
      if (a.free_cpus < b.free_cpus) best = static_cast<int>(i);
    }
    if (best < 0) {
      placed = false;
      break;
    }
    const size_t index = static_cast<size_t>(best);
    SchedWorker& w = workers_[index];
    RankPlacement& rp = out->ranks.emplace_back();
    rp.rank = r;
    rp.worker_id = w.id;
    rp.cpus = CoresPerRank(task);
    rp.memory_bytes = task.memory_per_rank;
    const auto taken = static_cast<std::ptrdiff_t>(task.gpus_per_rank);
    rp.gpu_uuids.assign(w.free_gpu_uuids.begin(), w.free_gpu_uuids.begin() + taken);
    w.free_gpu_uuids.erase(w.free_gpu_uuids.begin(), w.free_gpu_uuids.begin() + taken);
    w.free_cpus -= rp.cpus;
    w.free_memory_bytes -= task.memory_per_rank;
    if (!Usable(w)) usable_--;
    used_by_gang_[index]++;
    gang_index_.push_back(index);
  }
  if (!placed) Undo(out);
  for (size_t index : gang_index_) used_by_gang_[index] = 0;
  return placed;
}

std::vector<Placement> Schedule(std::vector<SchedWorker> workers, std::vector<SchedTask> tasks, int64_t now_ms) {
  std::sort(tasks.begin(), tasks.end(), ScheduledBefore);
  SchedulePass pass(&workers, now_ms);
  std::vector<Placement> out;
  for (const SchedTask& t : tasks) {
    if (pass.Exhausted()) break;
    Placement p;
    if (pass.Offer(t, &p)) out.push_back(std::move(p));
  }
  return out;
}

bool FitsEmptyCluster(const std::vector<SchedWorker>& total_capacity, const SchedTask& task) {
  if (task.ranks < 1) return true;
  std::vector<SchedWorker> workers = total_capacity;
  for (auto& w : workers) w.accepting = true;
  SchedulePass pass(&workers, task.not_before_ms);
  Placement p;
  return pass.Offer(task, &p);
}

}  // namespace ecgbench::server
