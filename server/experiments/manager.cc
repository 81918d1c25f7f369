// Manager core: recovery from the store, transactions, state transitions and their events,
// periodic work, gauges.
#include "server/experiments/manager.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "server/experiments/manager_internal.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server {

const char* StateName(v1::State s) {
  switch (s) {
    case v1::STATE_PENDING: return "pending";
    case v1::STATE_RUNNING: return "running";
    case v1::STATE_SUCCEEDED: return "succeeded";
    case v1::STATE_FAILED: return "failed";
    case v1::STATE_CANCELLING: return "cancelling";
    case v1::STATE_CANCELLED: return "cancelled";
    default: return "unspecified";
  }
}

bool IsTerminal(v1::State s) {
  return s == v1::STATE_SUCCEEDED || s == v1::STATE_FAILED || s == v1::STATE_CANCELLED;
}

Manager::Manager(ManagerOptions options, Store* store, const common::Clock* clock, ManagerListener* listener)
    : options_(options), store_(store), clock_(clock), listener_(listener) {}

Manager::~Manager() = default;

absl::Status Manager::Recover() {
  absl::MutexLock lock(&mu_);
  auto snap_or = store_->Load();
  if (!snap_or.ok()) return snap_or.status();
  StoreSnapshot& snap = *snap_or;
  experiments_.clear();
  request_ids_.clear();
  runs_.clear();
  stages_.clear();
  tasks_.clear();
  attempts_.clear();
  for (auto& [id, w] : workers_) w->work_cv->SignalAll();  // waiters re-check against the new state
  workers_.clear();
  workers_generation_++;
  kv_.clear();
  pending_tasks_.clear();
  next_submit_seq_ = 1;
  for (auto& e : snap.experiments) {
    next_submit_seq_ = std::max<uint64_t>(next_submit_seq_, e.submit_seq() + 1);
    if (!e.request_id().empty()) request_ids_[e.request_id()] = e.id();
    experiments_[e.id()] = std::move(e);
  }
  for (auto& r : snap.runs) runs_[r.id()] = std::move(r);
  for (auto& s : snap.stages) stages_[s.id()] = std::move(s);
  for (auto& t : snap.tasks) tasks_[t.id()] = std::move(t);
  for (auto& a : snap.attempts) attempts_[a.id()] = std::move(a);
  for (auto& kv : snap.kv) kv_[kv.attempt_id][kv.key] = kv.value;
  last_event_seq_ = snap.max_event_seq;
  last_log_seq_ = snap.max_log_seq;
  // Leases restart as if the last heartbeat came now + (grace - lease): a full recovery grace.
  const int64_t now = clock_->NowMonotonicMs() + std::max(0, options_.recovery_grace_ms - options_.lease_ms);
  for (auto& w : snap.workers) {
    auto rt = std::make_unique<WorkerRuntime>();
    rt->rec = std::move(w);
    rt->last_heartbeat_mono_ms = now;
    rt->free_cpus = rt->rec.resources().cpu_cores();
    rt->free_memory_bytes = rt->rec.resources().memory_bytes();
    for (const auto& g : rt->rec.resources().gpus()) rt->free_gpus.push_back(g.uuid());
    workers_[rt->rec.id()] = std::move(rt);
  }
  // Running attempts keep their resources; ranks get one lease period to be confirmed by a heartbeat.
  for (auto& [id, a] : attempts_) {
    if (a.state() != v1::STATE_RUNNING) continue;
    for (const auto& r : a.ranks()) {
      if (r.state() != v1::STATE_RUNNING) continue;
      auto it = workers_.find(r.worker_id());
      if (it == workers_.end()) continue;
      WorkerRuntime& w = *it->second;
      w.assigned[{a.id(), r.rank()}] = now;
      w.free_cpus -= r.cpu_cores();
      w.free_memory_bytes -= r.memory_bytes();
      for (const auto& g : r.gpu_uuids()) {
        w.free_gpus.erase(std::remove(w.free_gpus.begin(), w.free_gpus.end(), g), w.free_gpus.end());
      }
    }
  }
  for (auto& [id, t] : tasks_) {
    if (t.state() != v1::STATE_PENDING) continue;
    auto st = stages_.find(t.stage_id());
    if (st != stages_.end() && StageReadyLocked(st->second)) pending_tasks_.insert(PendingKeyOf(t));
  }
  spdlog::info("recovered {} experiments, {} tasks ({} pending), {} workers from the store", experiments_.size(),
               tasks_.size(), pending_tasks_.size(), workers_.size());
  return absl::OkStatus();
}

absl::Status Manager::CommitLocked(Tx& tx) {
  for (const auto& id : tx.experiments) tx.batch.experiments.push_back(experiments_.at(id));
  for (const auto& id : tx.runs) tx.batch.runs.push_back(runs_.at(id));
  for (const auto& id : tx.stages) tx.batch.stages.push_back(stages_.at(id));
  for (const auto& id : tx.tasks) tx.batch.tasks.push_back(tasks_.at(id));
  for (const auto& id : tx.attempts) tx.batch.attempts.push_back(attempts_.at(id));
  for (const auto& id : tx.workers) tx.batch.workers.push_back(workers_.at(id)->rec);
  if (!tx.batch.empty()) {
    absl::Status st = store_->Commit(tx.batch);
    store_ok_ = st.ok();
    if (!st.ok()) {
      spdlog::error("store commit failed, reloading state from the store: {}", st.ToString());
      // The in-memory state ran ahead of the durable state: rebuild it from the last commit.
      mu_.Unlock();
      absl::Status rec = Recover();
      mu_.Lock();
      if (!rec.ok()) spdlog::critical("reload after failed commit failed: {}", rec.ToString());
      return st;
    }
  }
  for (const auto& ev : tx.batch.events) last_event_seq_ = std::max(last_event_seq_, ev.seq());
  for (const auto& line : tx.batch.logs) last_log_seq_ = std::max(last_log_seq_, line.seq());
  if (!tx.batch.events.empty() || !tx.batch.logs.empty()) news_cv_.SignalAll();
  if (!tx.batch.kv.empty()) kv_cv_.SignalAll();
  for (auto& [worker_id, assignment] : tx.deliveries) {
    auto it = workers_.find(worker_id);
    if (it == workers_.end()) continue;
    it->second->mailbox.push_back(std::move(assignment));
    it->second->work_cv->SignalAll();
  }
  if (listener_) {
    for (const auto& p : tx.placed) listener_->OnTaskPlaced(p.stage_kind, p.latency_ms);
    for (const auto& e : tx.attempt_ends) listener_->OnAttemptEnded(e.stage_kind, e.outcome);
  }
  return absl::OkStatus();
}

void Manager::AddEventLocked(Tx& tx, const std::string& experiment_id, v1::Event ev) {
  ev.set_experiment_id(experiment_id);
  ev.set_time_unix_ms(clock_->NowUnixMs());
  tx.batch.events.push_back(std::move(ev));
}

namespace {
v1::Event StateEvent(const std::string& entity, const std::string& id, v1::State s, const std::string& msg) {
  v1::Event ev;
  auto* sc = ev.mutable_state_change();
  sc->set_entity(entity);
  sc->set_entity_id(id);
  sc->set_state(s);
  sc->set_message(msg);
  return ev;
}
}  // namespace

void Manager::SetExperimentState(Tx& tx, store::ExperimentRecord& e, v1::State s, const std::string& msg) {
  if (e.state() == s) return;
  e.set_state(s);
  if (s == v1::STATE_RUNNING && e.started_unix_ms() == 0) e.set_started_unix_ms(clock_->NowUnixMs());
  if (IsTerminal(s)) e.set_finished_unix_ms(clock_->NowUnixMs());
  tx.experiments.insert(e.id());
  AddEventLocked(tx, e.id(), StateEvent("experiment", e.id(), s, msg));
  spdlog::info("experiment {} -> {}{}{}", e.id(), StateName(s), msg.empty() ? "" : ": ", msg);
}

void Manager::SetRunState(Tx& tx, store::RunRecord& r, v1::State s, const std::string& msg) {
  if (r.state() == s) return;
  r.set_state(s);
  tx.runs.insert(r.id());
  AddEventLocked(tx, r.experiment_id(), StateEvent("run", r.id(), s, msg));
}

void Manager::SetStageState(Tx& tx, store::StageRecord& st, v1::State s, const std::string& msg) {
  if (st.state() == s) return;
  st.set_state(s);
  tx.stages.insert(st.id());
  AddEventLocked(tx, st.experiment_id(), StateEvent("stage", st.id(), s, msg));
}

void Manager::SetTaskState(Tx& tx, store::TaskRecord& t, v1::State s, const std::string& msg) {
  if (t.state() == s && msg.empty()) return;
  t.set_state(s);
  tx.tasks.insert(t.id());
  if (s != v1::STATE_PENDING) pending_tasks_.erase(PendingKeyOf(t));
  AddEventLocked(tx, t.experiment_id(), StateEvent("task", t.id(), s, msg));
}

bool Manager::ExperimentTerminalLocked(const std::string& id) {
  auto it = experiments_.find(id);
  return it == experiments_.end() || IsTerminal(it->second.state());
}

void Manager::StopWaiters() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto& [id, w] : workers_) w->work_cv->SignalAll();
  kv_cv_.SignalAll();
  news_cv_.SignalAll();
}

void Manager::Tick() {
  absl::MutexLock lock(&mu_);
  Tx tx;
  ExpireLeasesLocked(tx);
  ScheduleLocked(tx);
  absl::Status st = CommitLocked(tx);
  if (!st.ok()) spdlog::error("tick: {}", st.ToString());
}

ManagerGauges Manager::Gauges() {
  absl::MutexLock lock(&mu_);
  ManagerGauges g;
  for (v1::State s : {v1::STATE_PENDING, v1::STATE_RUNNING, v1::STATE_SUCCEEDED, v1::STATE_FAILED,
                      v1::STATE_CANCELLING, v1::STATE_CANCELLED}) {
    g.experiments_by_state[StateName(s)] = 0;
    g.runs_by_state[StateName(s)] = 0;
    g.tasks_by_state[StateName(s)] = 0;
  }
  for (const auto& [id, e] : experiments_) g.experiments_by_state[StateName(e.state())]++;
  for (const auto& [id, r] : runs_) g.runs_by_state[StateName(r.state())]++;
  for (const auto& [id, t] : tasks_) g.tasks_by_state[StateName(t.state())]++;
  g.queue_depth = static_cast<int64_t>(pending_tasks_.size());
  g.store_ok = store_ok_;
  // Experiments a dashboard may pick: active ones and those that ended within the window.
  const int64_t since_ms = clock_->NowUnixMs() - ManagerGauges::kRecentWindowMs;
  for (const auto& [id, e] : experiments_) {
    const bool terminal = e.state() == v1::STATE_SUCCEEDED || e.state() == v1::STATE_FAILED ||
                          e.state() == v1::STATE_CANCELLED;
    if (terminal && e.finished_unix_ms() < since_ms) continue;
    ManagerGauges::ExperimentGauge& out = g.experiments.emplace_back();
    out.id = id;
    out.name = e.name();
    out.state = StateName(e.state());
    for (const std::string& run_id : e.run_ids()) {
      const store::RunRecord& run = runs_.at(run_id);
      std::set<std::string> eval_keys;  // keys of the run's evaluate and score stages
      for (const std::string& stage_id : run.stage_ids()) {
        const store::StageRecord& st = stages_.at(stage_id);
        if (st.kind() == "evaluate" || st.kind() == "score") eval_keys.insert(st.key());
      }
      for (const auto& [key, value] : run.results()) {
        const size_t dot = key.find('.');
        if (dot == std::string::npos || eval_keys.count(key.substr(0, dot)) == 0) continue;
        out.results.push_back({run_id, run.name(), key, value});
      }
    }
  }
  for (const auto& [id, w] : workers_) {
    if (!w->live()) continue;
    g.workers_connected++;
    g.gpus_total += w->rec.resources().gpus_size();
    g.gpus_allocated += w->rec.resources().gpus_size() - static_cast<int64_t>(w->free_gpus.size());
    g.cpus_total += w->rec.resources().cpu_cores();
    g.cpus_allocated += w->rec.resources().cpu_cores() - w->free_cpus;
  }
  return g;
}

}  // namespace ecgbench::server
