// Manager: task lifecycle. Placement of ready tasks, attempts ending, retries with backoff, the
// cascade task -> stage -> run -> experiment, cancellation, and lease expiry.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/experiments/manager.h"
#include "server/experiments/manager_internal.h"
#include "server/scheduler/scheduler.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server {

bool Manager::StageReadyLocked(const store::StageRecord& st) {
  if (IsTerminal(st.state())) return false;
  for (const auto& dep : st.depends_on()) {
    auto it = stages_.find(dep);
    if (it == stages_.end() || it->second.state() != v1::STATE_SUCCEEDED) return false;
  }
  return true;
}

void Manager::MarkStagesReadyLocked(Tx& tx, const store::RunRecord& run) {
  const int64_t now = clock_->NowUnixMs();
  for (const auto& sid : run.stage_ids()) {
    store::StageRecord& st = stages_.at(sid);
    if (st.state() != v1::STATE_PENDING || !StageReadyLocked(st)) continue;
    for (const auto& tid : st.task_ids()) {
      store::TaskRecord& t = tasks_.at(tid);
      if (t.state() != v1::STATE_PENDING) continue;
      PendingKey key = PendingKeyOf(t);
      if (pending_tasks_.count(key)) continue;
      t.set_ready_unix_ms(now);
      tx.tasks.insert(tid);
      pending_tasks_.insert(std::move(key));
    }
  }
}

v1::Assignment Manager::AssignmentLocked(const store::TaskRecord& t, const store::AttemptRecord& a, int rank) {
  const store::StageRecord& st = stages_.at(t.stage_id());
  const store::RankRecord& r = a.ranks(rank);
  v1::Assignment out;
  out.set_attempt_id(a.id());
  out.set_attempt_number(a.number());
  out.set_task_id(t.id());
  out.set_experiment_id(t.experiment_id());
  out.set_run_id(t.run_id());
  out.set_stage_id(t.stage_id());
  out.set_stage_kind(st.kind());
  out.set_rank(rank);
  out.set_world_size(t.ranks());
  out.set_shard(t.shard());
  out.set_num_shards(t.num_shards());
  out.set_params_json(st.params_json());
  out.set_cpu_cores(r.cpu_cores());
  for (const auto& g : r.gpu_uuids()) out.add_gpu_uuids(g);
  out.set_memory_bytes(r.memory_bytes());
  // Upstream results: stage key -> [result_json of each task], in shard order.
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& dep_id : st.depends_on()) {
    const store::StageRecord& dep = stages_.at(dep_id);
    nlohmann::json results = nlohmann::json::array();
    for (const auto& tid : dep.task_ids()) {
      const std::string& text = tasks_.at(tid).result_json();
      nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      results.push_back(doc.is_discarded() ? nlohmann::json(text) : doc);
    }
    inputs[dep.key()] = std::move(results);
  }
  out.set_inputs_json(inputs.dump());
  return out;
}

void Manager::ScheduleLocked(Tx& tx) {
  if (pending_tasks_.empty()) return;
  if (sched_generation_ != workers_generation_) {
    sched_workers_.clear();
    sched_runtimes_.clear();
    for (const auto& [id, w] : workers_) {
      if (w->rec.state() != v1::WORKER_STATE_ACTIVE) continue;
      SchedWorker& sw = sched_workers_.emplace_back();
      sw.id = id;
      sw.stage_kinds.assign(w->rec.stage_kinds().begin(), w->rec.stage_kinds().end());
      sched_runtimes_.push_back(w.get());
    }
    sched_generation_ = workers_generation_;
  }
  bool any_free = false;  // every rank takes at least one core
  for (size_t i = 0; i < sched_workers_.size(); ++i) {
    const WorkerRuntime& w = *sched_runtimes_[i];
    SchedWorker& sw = sched_workers_[i];
    sw.free_cpus = w.free_cpus;
    sw.free_memory_bytes = w.free_memory_bytes;
    if (!sw.free_gpu_uuids.empty() || !w.free_gpus.empty()) sw.free_gpu_uuids = w.free_gpus;
    sw.accepting = true;
    any_free = any_free || w.free_cpus >= 1;
  }
  if (!any_free) return;
  const int64_t now_unix = clock_->NowUnixMs();
  // Tasks in policy order (pending_tasks_ is sorted that way) until no worker has a free core.
  SchedulePass pass(&sched_workers_, now_unix, /*sorted_by_id=*/true);  // workers_ is a sorted map
  std::vector<Placement> placements;
  for (const PendingKey& key : pending_tasks_) {
    if (pass.Exhausted()) break;
    const store::TaskRecord& t = tasks_.at(std::get<2>(key));
    SchedTask& s = sched_task_;
    s.id = t.id();
    s.stage_kind = stages_.at(t.stage_id()).kind();
    s.priority = t.priority();
    s.order = t.order();
    s.ranks = t.ranks();
    s.cpus_per_rank = t.cpu_cores_per_rank();
    s.gpus_per_rank = t.gpus_per_rank();
    s.memory_per_rank = t.memory_bytes_per_rank();
    s.not_before_ms = t.not_before_unix_ms();
    Placement p;
    if (pass.Offer(s, &p)) placements.push_back(std::move(p));
  }
  const int64_t now_mono = clock_->NowMonotonicMs();
  for (Placement& p : placements) {
    store::TaskRecord& t = tasks_.at(p.task_id);
    store::StageRecord& st = stages_.at(t.stage_id());
    store::RunRecord& run = runs_.at(t.run_id());
    store::ExperimentRecord& e = experiments_.at(t.experiment_id());
    store::AttemptRecord a;
    a.set_number(t.attempts_started() + 1);
    a.set_id(absl::StrCat(t.id(), ".a", a.number()));
    a.set_task_id(t.id());
    a.set_state(v1::STATE_RUNNING);
    a.set_started_unix_ms(now_unix);
    for (const RankPlacement& rp : p.ranks) {
      store::RankRecord* r = a.add_ranks();
      r->set_rank(rp.rank);
      r->set_worker_id(rp.worker_id);
      r->set_state(v1::STATE_RUNNING);
      r->set_cpu_cores(rp.cpus);
      r->set_memory_bytes(rp.memory_bytes);
      for (const auto& g : rp.gpu_uuids) r->add_gpu_uuids(g);
      WorkerRuntime& w = *workers_.at(rp.worker_id);
      w.free_cpus -= rp.cpus;
      w.free_memory_bytes -= rp.memory_bytes;
      for (const auto& g : rp.gpu_uuids) {
        w.free_gpus.erase(std::remove(w.free_gpus.begin(), w.free_gpus.end(), g), w.free_gpus.end());
      }
      w.assigned[{a.id(), rp.rank}] = now_mono;
    }
    t.set_attempts_started(a.number());
    t.set_current_attempt_id(a.id());
    t.clear_error();
    attempts_[a.id()] = a;
    tx.attempts.insert(a.id());
    for (int r = 0; r < a.ranks_size(); ++r) tx.deliveries.emplace_back(a.ranks(r).worker_id(), AssignmentLocked(t, a, r));
    tx.placed.push_back({st.kind(), std::max<int64_t>(0, now_unix - t.ready_unix_ms())});
    std::string where;
    for (const auto& rp : p.ranks) absl::StrAppend(&where, where.empty() ? "" : ",", rp.worker_id);
    SetTaskState(tx, t, v1::STATE_RUNNING, absl::StrCat("attempt ", a.number(), " on ", where));
    if (st.state() == v1::STATE_PENDING) SetStageState(tx, st, v1::STATE_RUNNING, "");
    if (run.state() == v1::STATE_PENDING) SetRunState(tx, run, v1::STATE_RUNNING, "");
    if (e.state() == v1::STATE_PENDING) SetExperimentState(tx, e, v1::STATE_RUNNING, "");
  }
}

void Manager::ReleaseRankLocked(const store::AttemptRecord& a, const store::RankRecord& r) {
  auto it = workers_.find(r.worker_id());
  if (it == workers_.end()) return;
  WorkerRuntime& w = *it->second;
  if (w.assigned.erase({a.id(), r.rank()}) == 0) return;  // already released
  w.free_cpus += r.cpu_cores();
  w.free_memory_bytes += r.memory_bytes();
  for (const auto& g : r.gpu_uuids()) w.free_gpus.push_back(g);
  // An assignment still waiting in the mailbox is withdrawn.
  w.mailbox.erase(std::remove_if(w.mailbox.begin(), w.mailbox.end(),
                                 [&](const v1::Assignment& m) { return m.attempt_id() == a.id() && m.rank() == r.rank(); }),
                  w.mailbox.end());
}

void Manager::EndAttemptLocked(Tx& tx, store::TaskRecord& t, v1::State attempt_state, const std::string& error) {
  auto it = attempts_.find(t.current_attempt_id());
  if (it == attempts_.end() || it->second.state() != v1::STATE_RUNNING) return;
  store::AttemptRecord& a = it->second;
  a.set_state(attempt_state);
  a.set_finished_unix_ms(clock_->NowUnixMs());
  a.set_error(error);
  for (auto& r : *a.mutable_ranks()) {
    if (r.state() == v1::STATE_RUNNING) {
      r.set_state(attempt_state == v1::STATE_SUCCEEDED ? v1::STATE_SUCCEEDED : v1::STATE_CANCELLED);
      auto w = workers_.find(r.worker_id());
      if (w != workers_.end() && w->second->assigned.count({a.id(), r.rank()})) {
        v1::WorkerCommand cmd;
        cmd.set_kind(v1::WorkerCommand::KIND_CANCEL);
        cmd.mutable_assignment()->set_attempt_id(a.id());
        cmd.mutable_assignment()->set_rank(r.rank());
        cmd.set_reason(error);
        w->second->commands.push_back(std::move(cmd));
      }
    }
    ReleaseRankLocked(a, r);
  }
  tx.attempts.insert(a.id());
  if (kv_.erase(a.id())) tx.batch.kv_delete_attempts.push_back(a.id());
  kv_cv_.SignalAll();  // KvWait callers of this attempt return
}

void Manager::HandleAttemptFailureLocked(Tx& tx, store::TaskRecord& t, const std::string& error, bool retryable,
                                         bool preempted) {
  const std::string kind = stages_.at(t.stage_id()).kind();
  t.set_error(error);
  tx.tasks.insert(t.id());
  if (ExperimentTerminalLocked(t.experiment_id()) || IsTerminal(runs_.at(t.run_id()).state())) return;
  if (preempted) {
    tx.attempt_ends.push_back({kind, "preempted"});
    t.set_not_before_unix_ms(0);
    t.set_ready_unix_ms(clock_->NowUnixMs());
    SetTaskState(tx, t, v1::STATE_PENDING, absl::StrCat("attempt ", t.attempts_started(), " preempted (", error, "); re-queued"));
    pending_tasks_.insert(PendingKeyOf(t));
    return;
  }
  tx.attempt_ends.push_back({kind, "failed"});
  t.set_failures(t.failures() + 1);
  if (retryable && t.failures() < t.max_attempts()) {
    int64_t backoff = options_.retry_backoff_base_ms;
    for (int i = 1; i < t.failures() && backoff < options_.retry_backoff_max_ms; ++i) backoff *= 2;
    backoff = std::min<int64_t>(backoff, options_.retry_backoff_max_ms);
    const int64_t now = clock_->NowUnixMs();
    t.set_not_before_unix_ms(now + backoff);
    t.set_ready_unix_ms(now + backoff);
    SetTaskState(tx, t, v1::STATE_PENDING,
                 absl::StrCat("attempt ", t.attempts_started(), " failed: ", error, "; retry ", t.failures() + 1, "/",
                              t.max_attempts(), " in ", backoff / 1000.0, " s"));
    pending_tasks_.insert(PendingKeyOf(t));
    return;
  }
  SetTaskState(tx, t, v1::STATE_FAILED,
               absl::StrCat("attempt ", t.attempts_started(), " failed: ", error,
                            retryable ? absl::StrCat(" (", t.failures(), " of ", t.max_attempts(), " attempts used)")
                                      : " (not retryable)"));
  OnTaskFailedLocked(tx, t);
}

void Manager::OnTaskSucceededLocked(Tx& tx, store::TaskRecord& t) {
  store::StageRecord& st = stages_.at(t.stage_id());
  for (const auto& tid : st.task_ids()) {
    if (tasks_.at(tid).state() != v1::STATE_SUCCEEDED) return;
  }
  SetStageState(tx, st, v1::STATE_SUCCEEDED, "");
  store::RunRecord& run = runs_.at(t.run_id());
  MarkStagesReadyLocked(tx, run);
  UpdateRunAndExperimentLocked(tx, run.id());
}

void Manager::OnTaskFailedLocked(Tx& tx, store::TaskRecord& t) {
  store::StageRecord& st = stages_.at(t.stage_id());
  SetStageState(tx, st, v1::STATE_FAILED, absl::StrCat("task ", t.id(), " failed: ", t.error()));
  store::RunRecord& run = runs_.at(t.run_id());
  store::ExperimentRecord& e = experiments_.at(t.experiment_id());
  if (e.error().empty()) {
    e.set_error(absl::StrCat("run ", run.name(), ", stage ", st.key(), ", task ", t.id(), ": ", t.error()));
    tx.experiments.insert(e.id());
  }
  CancelRunLocked(tx, run, v1::STATE_FAILED, absl::StrCat("stage ", st.key(), " failed"));
}

void Manager::CancelRunLocked(Tx& tx, store::RunRecord& run, v1::State final_state, const std::string& why) {
  for (const auto& sid : run.stage_ids()) {
    store::StageRecord& st = stages_.at(sid);
    for (const auto& tid : st.task_ids()) {
      store::TaskRecord& t = tasks_.at(tid);
      if (IsTerminal(t.state())) continue;
      if (t.state() == v1::STATE_RUNNING) {
        EndAttemptLocked(tx, t, v1::STATE_CANCELLED, why);
        tx.attempt_ends.push_back({st.kind(), "cancelled"});
      }
      SetTaskState(tx, t, v1::STATE_CANCELLED, why);
    }
    if (!IsTerminal(st.state())) SetStageState(tx, st, v1::STATE_CANCELLED, why);
  }
  SetRunState(tx, run, final_state, why);
  UpdateRunAndExperimentLocked(tx, run.id());
}

void Manager::UpdateRunAndExperimentLocked(Tx& tx, const std::string& run_id) {
  store::RunRecord& run = runs_.at(run_id);
  if (!IsTerminal(run.state())) {
    bool all_ok = true;
    for (const auto& sid : run.stage_ids()) all_ok = all_ok && stages_.at(sid).state() == v1::STATE_SUCCEEDED;
    if (all_ok) SetRunState(tx, run, v1::STATE_SUCCEEDED, "");
  }
  store::ExperimentRecord& e = experiments_.at(run.experiment_id());
  if (IsTerminal(e.state())) return;
  bool all_terminal = true, any_failed = false, any_cancelled = false;
  for (const auto& rid : e.run_ids()) {
    v1::State s = runs_.at(rid).state();
    all_terminal = all_terminal && IsTerminal(s);
    any_failed = any_failed || s == v1::STATE_FAILED;
    any_cancelled = any_cancelled || s == v1::STATE_CANCELLED;
  }
  if (!all_terminal) return;
  if (any_failed) {
    SetExperimentState(tx, e, v1::STATE_FAILED, e.error());
  } else if (any_cancelled) {
    SetExperimentState(tx, e, v1::STATE_CANCELLED, e.error());
  } else {
    SetExperimentState(tx, e, v1::STATE_SUCCEEDED, "");
  }
}

void Manager::FailWorkerAssignmentsLocked(Tx& tx, const std::string& worker_id, const std::string& why) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return;
  std::vector<std::string> attempt_ids;
  for (const auto& [key, seen] : it->second->assigned) attempt_ids.push_back(key.first);
  for (const auto& aid : attempt_ids) {
    auto a = attempts_.find(aid);
    if (a == attempts_.end()) continue;
    store::TaskRecord& t = tasks_.at(a->second.task_id());
    if (t.current_attempt_id() != aid || t.state() != v1::STATE_RUNNING) continue;
    EndAttemptLocked(tx, t, v1::STATE_FAILED, why);
    HandleAttemptFailureLocked(tx, t, why, /*retryable=*/true, /*preempted=*/false);
  }
}

void Manager::ExpireLeasesLocked(Tx& tx) {
  const int64_t now = clock_->NowMonotonicMs();
  for (auto& [id, w] : workers_) {
    if (w->live() && now - w->last_heartbeat_mono_ms > options_.lease_ms) {
      const std::string why = absl::StrCat("worker ", w->rec.name(), " (", id, ") lost: no heartbeat for ",
                                           (now - w->last_heartbeat_mono_ms) / 1000.0, " s");
      spdlog::warn("{}", why);
      w->rec.set_state(v1::WORKER_STATE_LOST);
      workers_generation_++;
      tx.workers.insert(id);
      FailWorkerAssignmentsLocked(tx, id, why);
      w->mailbox.clear();
      w->commands.clear();
      w->work_cv->SignalAll();  // its long-polls end with NOT_FOUND
      continue;
    }
    // Assignments the worker never confirmed (lost in transit, or placed just before a restart).
    std::vector<std::pair<std::string, int>> stale;
    for (const auto& [key, seen] : w->assigned) {
      if (now - seen > options_.lease_ms) stale.push_back(key);
    }
    for (const auto& key : stale) {
      auto a = attempts_.find(key.first);
      if (a == attempts_.end()) continue;
      store::TaskRecord& t = tasks_.at(a->second.task_id());
      if (t.current_attempt_id() != key.first || t.state() != v1::STATE_RUNNING) continue;
      const std::string why = absl::StrCat("rank ", key.second, " not confirmed by worker ", w->rec.name(), " for ",
                                           options_.lease_ms / 1000.0, " s");
      EndAttemptLocked(tx, t, v1::STATE_FAILED, why);
      HandleAttemptFailureLocked(tx, t, why, /*retryable=*/true, /*preempted=*/false);
    }
  }
}

}  // namespace ecgbench::server
