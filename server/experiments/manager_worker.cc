// Manager: the worker API. Registration, heartbeats (lease renewal and commands), task hand-out,
// progress/metric/log reports, completion and failure, and the rendezvous KV.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status_macros.h"
#include "absl/time/time.h"
#include "common/util/ids.h"
#include "server/experiments/manager.h"
#include "server/experiments/manager_internal.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server {

namespace {
absl::Status UnknownWorker(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("worker ", id, " is not registered (lease expired, deregistered or unknown); "
                                          "register again"));
}
constexpr int64_t kProgressEventIntervalMs = 500;
}  // namespace

absl::StatusOr<v1::RegisterWorkerResponse> Manager::RegisterWorker(const v1::RegisterWorkerRequest& req) {
  if (req.resources().cpu_cores() < 1) {
    return absl::InvalidArgumentError("resources.cpu_cores: a worker must offer at least one CPU core");
  }
  absl::MutexLock lock(&mu_);
  Tx tx;
  std::string id = req.previous_worker_id();
  if (id.empty() || !workers_.count(id)) id = common::NewId("wrk");
  auto& slot = workers_[id];
  if (!slot) slot = std::make_unique<WorkerRuntime>();
  WorkerRuntime& w = *slot;
  w.rec.set_id(id);
  w.rec.set_name(req.name().empty() ? id : req.name());
  *w.rec.mutable_resources() = req.resources();
  w.rec.mutable_labels()->clear();
  for (const auto& [k, v] : req.labels()) (*w.rec.mutable_labels())[k] = v;
  w.rec.clear_stage_kinds();
  for (const auto& k : req.stage_kinds()) w.rec.add_stage_kinds(k);
  w.rec.set_state(v1::WORKER_STATE_ACTIVE);
  workers_generation_++;
  w.rec.set_registered_unix_ms(clock_->NowUnixMs());
  w.rec.set_last_heartbeat_unix_ms(clock_->NowUnixMs());
  w.rec.set_version(req.version());
  w.rec.set_metrics_address(req.metrics_address());
  w.last_heartbeat_mono_ms = clock_->NowMonotonicMs();
  // Free resources = offered minus what its live assignments hold.
  w.free_cpus = req.resources().cpu_cores();
  w.free_memory_bytes = req.resources().memory_bytes();
  w.free_gpus.clear();
  for (const auto& g : req.resources().gpus()) w.free_gpus.push_back(g.uuid());
  for (const auto& [key, seen] : w.assigned) {
    const store::AttemptRecord& a = attempts_.at(key.first);
    const store::RankRecord& r = a.ranks(key.second);
    w.free_cpus -= r.cpu_cores();
    w.free_memory_bytes -= r.memory_bytes();
    for (const auto& g : r.gpu_uuids()) w.free_gpus.erase(std::remove(w.free_gpus.begin(), w.free_gpus.end(), g), w.free_gpus.end());
  }
  tx.workers.insert(id);
  spdlog::info("worker {} registered as {} ({} cpus, {} gpus, kinds: {})", w.rec.name(), id, req.resources().cpu_cores(),
               req.resources().gpus_size(), absl::StrJoin(req.stage_kinds(), ","));
  ScheduleLocked(tx);
  absl::Status st = CommitLocked(tx);
  if (!st.ok()) return st;
  v1::RegisterWorkerResponse resp;
  resp.set_worker_id(id);
  resp.set_lease_ms(options_.lease_ms);
  resp.set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  return resp;
}

absl::StatusOr<v1::HeartbeatResponse> Manager::Heartbeat(const v1::HeartbeatRequest& req) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(req.worker_id());
  if (it == workers_.end() || !it->second->live()) return UnknownWorker(req.worker_id());
  WorkerRuntime& w = *it->second;
  const int64_t now = clock_->NowMonotonicMs();
  w.last_heartbeat_mono_ms = now;
  w.rec.set_last_heartbeat_unix_ms(clock_->NowUnixMs());
  v1::HeartbeatResponse resp;
  for (const auto& ref : req.running()) {
    auto a = w.assigned.find({ref.attempt_id(), ref.rank()});
    if (a != w.assigned.end()) {
      a->second = now;
      continue;
    }
    // Not (or no longer) this worker's: stop it.
    bool queued = false;
    for (const auto& c : w.commands) {
      queued = queued || (c.assignment().attempt_id() == ref.attempt_id() && c.assignment().rank() == ref.rank());
    }
    if (!queued) {
      v1::WorkerCommand* cmd = resp.add_commands();
      cmd->set_kind(v1::WorkerCommand::KIND_CANCEL);
      *cmd->mutable_assignment() = ref;
      cmd->set_reason("assignment is no longer held by this worker (lease lost or attempt ended)");
    }
  }
  for (auto& c : w.commands) *resp.add_commands() = std::move(c);
  w.commands.clear();
  if (w.rec.state() == v1::WORKER_STATE_DRAINING) {
    resp.add_commands()->set_kind(v1::WorkerCommand::KIND_DRAIN);
  }
  resp.set_lease_ms(options_.lease_ms);
  return resp;
}

absl::StatusOr<std::optional<v1::Assignment>> Manager::AcquireTask(const std::string& worker_id, int wait_ms) {
  wait_ms = std::clamp(wait_ms, 0, options_.max_acquire_wait_ms);
  const absl::Time deadline = absl::Now() + absl::Milliseconds(wait_ms);
  absl::MutexLock lock(&mu_);
  while (true) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end() || !it->second->live()) return UnknownWorker(worker_id);
    WorkerRuntime& w = *it->second;
    if (!w.mailbox.empty()) {
      v1::Assignment a = std::move(w.mailbox.front());
      w.mailbox.pop_front();
      auto held = w.assigned.find({a.attempt_id(), a.rank()});
      if (held == w.assigned.end()) continue;  // withdrawn meanwhile
      held->second = clock_->NowMonotonicMs();
      return std::optional<v1::Assignment>(std::move(a));
    }
    if (stopping_) return absl::UnavailableError("coordinator is shutting down");
    // Holds the condition alive even if Recover() replaces the runtime meanwhile.
    const std::shared_ptr<absl::CondVar> cv = w.work_cv;
    if (cv->WaitWithDeadline(&mu_, deadline)) return std::optional<v1::Assignment>();
  }
}

absl::StatusOr<store::TaskRecord*> Manager::CheckAssignmentLocked(const std::string& worker_id,
                                                                  const v1::AssignmentRef& ref) {
  auto w = workers_.find(worker_id);
  if (w == workers_.end() || !w->second->live()) return UnknownWorker(worker_id);
  auto a = attempts_.find(ref.attempt_id());
  if (a == attempts_.end()) return absl::NotFoundError(absl::StrCat("attempt ", ref.attempt_id(), " does not exist"));
  const store::AttemptRecord& att = a->second;
  if (ref.rank() < 0 || ref.rank() >= att.ranks_size()) {
    return absl::InvalidArgumentError(absl::StrCat("attempt ", ref.attempt_id(), " has no rank ", ref.rank()));
  }
  const store::RankRecord& r = att.ranks(ref.rank());
  if (att.state() != v1::STATE_RUNNING || r.state() != v1::STATE_RUNNING || r.worker_id() != worker_id) {
    return absl::FailedPreconditionError(absl::StrCat("attempt ", ref.attempt_id(), " rank ", ref.rank(),
                                                      " is not running on worker ", worker_id, " (attempt ",
                                                      StateName(att.state()), ")"));
  }
  w->second->assigned[{ref.attempt_id(), ref.rank()}] = clock_->NowMonotonicMs();
  return &tasks_.at(att.task_id());
}

absl::Status Manager::ReportProgress(const v1::ReportProgressRequest& req) {
  absl::MutexLock lock(&mu_);
  ECGBENCH_ASSIGN_OR_RETURN(store::TaskRecord * t, CheckAssignmentLocked(req.worker_id(), req.assignment()));
  if (req.assignment().rank() != 0) return absl::OkStatus();  // a gang's progress is rank 0's
  Tx tx;
  *t->mutable_progress() = req.progress();
  const int64_t now = clock_->NowMonotonicMs();
  int64_t& last = last_progress_event_ms_[t->id()];
  bool done = req.progress().total() > 0 && req.progress().done() >= req.progress().total();
  if (done || now - last >= kProgressEventIntervalMs) {
    last = now;
    tx.tasks.insert(t->id());
    v1::Event ev;
    auto* p = ev.mutable_progress();
    p->set_run_id(t->run_id());
    p->set_stage_id(t->stage_id());
    p->set_task_id(t->id());
    p->set_rank(req.assignment().rank());
    *p->mutable_progress() = req.progress();
    AddEventLocked(tx, t->experiment_id(), std::move(ev));
  }
  return CommitLocked(tx);
}

absl::Status Manager::ReportMetrics(const v1::ReportMetricsRequest& req) {
  absl::MutexLock lock(&mu_);
  ECGBENCH_ASSIGN_OR_RETURN(store::TaskRecord * t, CheckAssignmentLocked(req.worker_id(), req.assignment()));
  Tx tx;
  for (v1::MetricPoint p : req.points()) {
    if (p.name().empty()) return absl::InvalidArgumentError("metric point without a name");
    p.set_run_id(t->run_id());
    p.set_stage_id(t->stage_id());
    p.set_task_id(t->id());
    p.set_rank(req.assignment().rank());
    if (p.time_unix_ms() == 0) p.set_time_unix_ms(clock_->NowUnixMs());
    tx.batch.metrics.push_back(p);
    tx.batch.metric_experiment_ids.push_back(t->experiment_id());
    v1::Event ev;
    *ev.mutable_metric() = p;
    AddEventLocked(tx, t->experiment_id(), std::move(ev));
  }
  return CommitLocked(tx);
}

absl::Status Manager::AppendLogs(const v1::AppendLogsRequest& req) {
  absl::MutexLock lock(&mu_);
  ECGBENCH_ASSIGN_OR_RETURN(store::TaskRecord * t, CheckAssignmentLocked(req.worker_id(), req.assignment()));
  Tx tx;
  const std::string& kind = stages_.at(t->stage_id()).kind();
  for (v1::LogLine line : req.lines()) {
    line.set_experiment_id(t->experiment_id());
    line.set_run_id(t->run_id());
    line.set_stage_id(t->stage_id());
    line.set_stage_kind(kind);
    line.set_task_id(t->id());
    line.set_rank(req.assignment().rank());
    line.set_worker_id(req.worker_id());
    if (line.time_unix_ms() == 0) line.set_time_unix_ms(clock_->NowUnixMs());
    if (line.level() == v1::LOG_LEVEL_UNSPECIFIED) line.set_level(v1::LOG_LEVEL_INFO);
    tx.batch.logs.push_back(std::move(line));
  }
  return CommitLocked(tx);
}

absl::Status Manager::CompleteTask(const v1::CompleteTaskRequest& req) {
  absl::MutexLock lock(&mu_);
  ECGBENCH_ASSIGN_OR_RETURN(store::TaskRecord * t, CheckAssignmentLocked(req.worker_id(), req.assignment()));
  Tx tx;
  store::AttemptRecord& a = attempts_.at(req.assignment().attempt_id());
  store::RankRecord* r = a.mutable_ranks(req.assignment().rank());
  r->set_state(v1::STATE_SUCCEEDED);
  ReleaseRankLocked(a, *r);
  tx.attempts.insert(a.id());
  const store::StageRecord& st = stages_.at(t->stage_id());
  if (req.assignment().rank() == 0) {
    // Rank 0's results become the run's results, named "<stage key>.<metric>". The shards of a
    // sharded stage add up (their results are counts: records, segments); completion is
    // exactly-once, so nothing is counted twice.
    store::RunRecord& run = runs_.at(t->run_id());
    const bool sharded = st.task_ids_size() > 1;
    for (const auto& [name, value] : req.results()) {
      double& slot = (*run.mutable_results())[absl::StrCat(st.key(), ".", name)];
      slot = sharded ? slot + value : value;
    }
    tx.runs.insert(run.id());
    t->set_result_json(req.result_json());
  }
  for (const auto& rank : a.ranks()) {
    if (rank.state() != v1::STATE_SUCCEEDED) return CommitLocked(tx);  // other ranks still running
  }
  a.set_state(v1::STATE_SUCCEEDED);
  a.set_finished_unix_ms(clock_->NowUnixMs());
  if (kv_.erase(a.id())) tx.batch.kv_delete_attempts.push_back(a.id());
  tx.attempt_ends.push_back({st.kind(), "succeeded"});
  if (t->progress().total() > 0) t->mutable_progress()->set_done(t->progress().total());
  t->clear_error();
  SetTaskState(tx, *t, v1::STATE_SUCCEEDED, absl::StrCat("attempt ", a.number(), " succeeded"));
  last_progress_event_ms_.erase(t->id());
  OnTaskSucceededLocked(tx, *t);
  ScheduleLocked(tx);
  return CommitLocked(tx);
}

absl::Status Manager::FailTask(const v1::FailTaskRequest& req) {
  absl::MutexLock lock(&mu_);
  ECGBENCH_ASSIGN_OR_RETURN(store::TaskRecord * t, CheckAssignmentLocked(req.worker_id(), req.assignment()));
  Tx tx;
  store::AttemptRecord& a = attempts_.at(req.assignment().attempt_id());
  a.mutable_ranks(req.assignment().rank())->set_state(req.preempted() ? v1::STATE_CANCELLED : v1::STATE_FAILED);
  const std::string error = absl::StrCat("rank ", req.assignment().rank(), ": ",
                                         req.error().empty() ? "no error message" : req.error());
  EndAttemptLocked(tx, *t, req.preempted() ? v1::STATE_CANCELLED : v1::STATE_FAILED, error);
  last_progress_event_ms_.erase(t->id());
  if (req.preempted()) {
    // Workers release tasks as preempted only while they shut down (SIGTERM): place nothing new
    // on this one, or the task just released would go straight back to it.
    WorkerRuntime& w = *workers_.at(req.worker_id());
    if (w.rec.state() == v1::WORKER_STATE_ACTIVE) {
      spdlog::info("worker {} ({}) is shutting down (it released a task as preempted): draining it", w.rec.name(),
                   req.worker_id());
      w.rec.set_state(v1::WORKER_STATE_DRAINING);
      tx.workers.insert(req.worker_id());
      ++workers_generation_;
    }
  }
  HandleAttemptFailureLocked(tx, *t, error, req.retryable(), req.preempted());
  ScheduleLocked(tx);
  return CommitLocked(tx);
}

absl::Status Manager::DeregisterWorker(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return UnknownWorker(worker_id);
  Tx tx;
  WorkerRuntime& w = *it->second;
  // Anything still assigned was released on purpose: re-queue it without using up an attempt.
  std::vector<std::string> attempt_ids;
  for (const auto& [key, seen] : w.assigned) attempt_ids.push_back(key.first);
  for (const auto& aid : attempt_ids) {
    auto a = attempts_.find(aid);
    if (a == attempts_.end()) continue;
    store::TaskRecord& t = tasks_.at(a->second.task_id());
    if (t.current_attempt_id() != aid || t.state() != v1::STATE_RUNNING) continue;
    const std::string why = absl::StrCat("worker ", w.rec.name(), " deregistered");
    EndAttemptLocked(tx, t, v1::STATE_CANCELLED, why);
    HandleAttemptFailureLocked(tx, t, why, /*retryable=*/true, /*preempted=*/true);
  }
  w.rec.set_state(v1::WORKER_STATE_GONE);
  workers_generation_++;
  w.mailbox.clear();
  w.commands.clear();
  w.work_cv->SignalAll();  // its long-polls end with NOT_FOUND
  tx.workers.insert(worker_id);
  spdlog::info("worker {} ({}) deregistered", w.rec.name(), worker_id);
  ScheduleLocked(tx);
  return CommitLocked(tx);
}

absl::Status Manager::CheckAttemptMemberLocked(const std::string& worker_id, const std::string& attempt_id) {
  auto w = workers_.find(worker_id);
  if (w == workers_.end() || !w->second->live()) return UnknownWorker(worker_id);
  auto a = attempts_.find(attempt_id);
  if (a == attempts_.end()) return absl::NotFoundError(absl::StrCat("attempt ", attempt_id, " does not exist"));
  if (a->second.state() != v1::STATE_RUNNING) {
    return absl::AbortedError(absl::StrCat("attempt ", attempt_id, " has ended (", StateName(a->second.state()), ")"));
  }
  for (const auto& r : a->second.ranks()) {
    if (r.worker_id() == worker_id) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat("worker ", worker_id, " holds no rank of attempt ", attempt_id));
}

absl::Status Manager::KvSet(const v1::KvSetRequest& req) {
  if (req.key().empty() || req.key().size() > 1024) return absl::InvalidArgumentError("kv key: must be 1..1024 bytes");
  if (req.value().size() > (4 << 20)) return absl::InvalidArgumentError("kv value: larger than 4 MiB");
  absl::MutexLock lock(&mu_);
  ECGBENCH_RETURN_IF_ERROR(CheckAttemptMemberLocked(req.worker_id(), req.attempt_id()));
  Tx tx;
  kv_[req.attempt_id()][req.key()] = req.value();
  tx.batch.kv.push_back({req.attempt_id(), req.key(), req.value()});
  return CommitLocked(tx);
}

absl::StatusOr<v1::KvGetResponse> Manager::KvGet(const v1::KvGetRequest& req) {
  absl::MutexLock lock(&mu_);
  ECGBENCH_RETURN_IF_ERROR(CheckAttemptMemberLocked(req.worker_id(), req.attempt_id()));
  v1::KvGetResponse resp;
  auto a = kv_.find(req.attempt_id());
  if (a != kv_.end()) {
    auto k = a->second.find(req.key());
    if (k != a->second.end()) {
      resp.set_found(true);
      resp.set_value(k->second);
    }
  }
  return resp;
}

absl::StatusOr<v1::KvWaitResponse> Manager::KvWait(const v1::KvWaitRequest& req) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(std::clamp(req.timeout_ms(), 0, 600000));
  absl::MutexLock lock(&mu_);
  while (true) {
    ECGBENCH_RETURN_IF_ERROR(CheckAttemptMemberLocked(req.worker_id(), req.attempt_id()));
    auto a = kv_.find(req.attempt_id());
    std::vector<std::string> missing;
    v1::KvWaitResponse resp;
    for (const auto& key : req.keys()) {
      if (a == kv_.end() || !a->second.count(key)) {
        missing.push_back(key);
      } else {
        resp.add_values(a->second.at(key));
      }
    }
    if (missing.empty()) return resp;
    if (stopping_) return absl::UnavailableError("coordinator is shutting down");
    if (kv_cv_.WaitWithDeadline(&mu_, deadline)) {
      return absl::DeadlineExceededError(absl::StrCat("kv wait on attempt ", req.attempt_id(), " timed out after ",
                                                      req.timeout_ms(), " ms; missing keys: ",
                                                      absl::StrJoin(missing, ", ")));
    }
  }
}

}  // namespace ecgbench::server
