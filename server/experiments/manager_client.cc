// Manager: the client API. Submission (plan -> records, idempotent by request id), queries,
// cancellation, results, and the reads behind the streaming RPCs.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/security/spec_paths.h"
#include "common/spec/plan.h"
#include "common/util/ids.h"
#include "common/util/status_macros.h"
#include "server/experiments/manager.h"
#include "server/experiments/manager_internal.h"
#include "spdlog/spdlog.h"

namespace ecgbench::server {

namespace {

constexpr size_t kMaxSpecBytes = 1 << 20;

// Records of a new experiment, before they are stored.
struct NewExperiment {
  store::ExperimentRecord experiment;
  std::vector<store::RunRecord> runs;
  std::vector<store::StageRecord> stages;
  std::vector<store::TaskRecord> tasks;
};

NewExperiment BuildRecords(const common::ExperimentPlan& plan, const v1::SubmitExperimentRequest& req,
                           uint64_t submit_seq, int64_t now_ms) {
  NewExperiment n;
  store::ExperimentRecord& e = n.experiment;
  e.set_id(common::NewId("exp"));
  e.set_request_id(req.request_id());
  e.set_name(plan.name);
  e.set_description(plan.description);
  e.set_priority(plan.priority);
  e.set_state(v1::STATE_PENDING);
  e.set_spec_yaml(req.spec_yaml());
  e.set_created_unix_ms(now_ms);
  e.set_submit_seq(submit_seq);
  uint64_t position = 0;
  for (const common::RunPlan& rp : plan.runs) {
    store::RunRecord run;
    run.set_id(absl::StrCat(e.id(), ".r", rp.index));
    run.set_experiment_id(e.id());
    run.set_index(rp.index);
    run.set_name(rp.name);
    for (const auto& [k, v] : rp.variant) {
      run.add_variant_keys(k);
      run.add_variant_values(v);
    }
    run.set_state(v1::STATE_PENDING);
    e.add_run_ids(run.id());
    for (const common::StagePlan& sp : rp.stages) {
      store::StageRecord st;
      st.set_id(absl::StrCat(run.id(), ".", sp.key));
      st.set_run_id(run.id());
      st.set_experiment_id(e.id());
      st.set_key(sp.key);
      st.set_kind(sp.kind);
      st.set_state(v1::STATE_PENDING);
      for (const auto& dep : sp.depends_on) st.add_depends_on(absl::StrCat(run.id(), ".", dep));
      st.set_params_json(sp.params.dump());
      st.set_max_attempts(sp.max_attempts);
      run.add_stage_ids(st.id());
      for (const common::TaskPlan& tp : sp.tasks) {
        store::TaskRecord t;
        t.set_id(absl::StrCat(st.id(), ".t", tp.shard));
        t.set_stage_id(st.id());
        t.set_run_id(run.id());
        t.set_experiment_id(e.id());
        t.set_shard(tp.shard);
        t.set_num_shards(tp.num_shards);
        t.set_ranks(tp.ranks);
        t.set_cpu_cores_per_rank(tp.per_rank.cpu_cores);
        t.set_gpus_per_rank(tp.per_rank.gpus);
        t.set_memory_bytes_per_rank(tp.per_rank.memory_bytes);
        t.set_state(v1::STATE_PENDING);
        t.set_max_attempts(sp.max_attempts);
        t.set_priority(plan.priority);
        t.set_order((submit_seq << 24) | position++);
        st.add_task_ids(t.id());
        n.tasks.push_back(std::move(t));
      }
      n.stages.push_back(std::move(st));
    }
    n.runs.push_back(std::move(run));
  }
  return n;
}

void FillTaskProto(const store::TaskRecord& t, const store::AttemptRecord* a, v1::Task* out) {
  out->set_id(t.id());
  out->set_shard(t.shard());
  out->set_num_shards(t.num_shards());
  out->set_ranks(t.ranks());
  out->set_state(t.state());
  out->set_attempts(t.attempts_started());
  out->set_error(t.error());
  *out->mutable_progress() = t.progress();
  out->set_current_attempt_id(t.current_attempt_id());
  if (a != nullptr && a->state() == v1::STATE_RUNNING) {
    for (const auto& r : a->ranks()) out->add_worker_ids(r.worker_id());
  }
}

}  // namespace

absl::StatusOr<SubmitResult> Manager::Submit(const v1::SubmitExperimentRequest& req, const std::string& owner) {
  if (req.spec_yaml().size() > kMaxSpecBytes) {
    return absl::InvalidArgumentError(absl::StrCat(req.spec_name().empty() ? "spec" : req.spec_name(), ": ",
                                                   req.spec_yaml().size(), " bytes, more than the limit of ",
                                                   kMaxSpecBytes));
  }
  if (!req.request_id().empty() && !req.validate_only()) {
    absl::MutexLock lock(&mu_);
    auto it = request_ids_.find(req.request_id());
    if (it != request_ids_.end()) return SubmitResult{ExperimentProtoLocked(experiments_.at(it->second), true), false};
  }
  // Parsing is pure and may take a while for large matrices: no lock held.
  const std::string file_name = req.spec_name().empty() ? "spec.yaml" : req.spec_name();
  auto plan = common::PlanExperiment(req.spec_yaml(), file_name);
  if (!plan.ok()) return plan.status();
  ECGBENCH_RETURN_IF_ERROR(common::ConfinePlanPaths(options_.path_policy, &*plan));

  absl::MutexLock lock(&mu_);
  if (!req.request_id().empty() && !req.validate_only()) {
    auto it = request_ids_.find(req.request_id());
    if (it != request_ids_.end()) return SubmitResult{ExperimentProtoLocked(experiments_.at(it->second), true), false};
  }
  NewExperiment n = BuildRecords(*plan, req, next_submit_seq_, clock_->NowUnixMs());
  n.experiment.set_owner(owner);
  if (req.validate_only()) {
    // Build the same view a stored experiment would have, without storing anything.
    v1::Experiment out;
    const auto& e = n.experiment;
    out.set_name(e.name());
    out.set_description(e.description());
    out.set_priority(e.priority());
    out.set_state(v1::STATE_PENDING);
    out.set_num_runs(static_cast<int32_t>(n.runs.size()));
    size_t si = 0, ti = 0;
    for (const auto& run : n.runs) {
      v1::Run* r = out.add_runs();
      r->set_index(run.index());
      r->set_name(run.name());
      for (int i = 0; i < run.variant_keys_size(); ++i) (*r->mutable_variant())[run.variant_keys(i)] = run.variant_values(i);
      for (int s = 0; s < run.stage_ids_size(); ++s, ++si) {
        const auto& st = n.stages[si];
        v1::Stage* sp = r->add_stages();
        sp->set_kind(st.kind());
        sp->set_state(v1::STATE_PENDING);
        for (int k = 0; k < st.task_ids_size(); ++k, ++ti) {
          FillTaskProto(n.tasks[ti], nullptr, sp->add_tasks());
          sp->mutable_tasks(sp->tasks_size() - 1)->clear_id();
          out.set_tasks_total(out.tasks_total() + 1);
        }
      }
    }
    return SubmitResult{std::move(out), false};
  }
  next_submit_seq_++;
  Tx tx;
  const std::string exp_id = n.experiment.id();
  experiments_[exp_id] = n.experiment;
  tx.experiments.insert(exp_id);
  if (!req.request_id().empty()) request_ids_[req.request_id()] = exp_id;
  for (auto& r : n.runs) {
    tx.runs.insert(r.id());
    runs_[r.id()] = std::move(r);
  }
  for (auto& s : n.stages) {
    tx.stages.insert(s.id());
    stages_[s.id()] = std::move(s);
  }
  for (auto& t : n.tasks) {
    tx.tasks.insert(t.id());
    tasks_[t.id()] = std::move(t);
  }
  v1::Event ev;
  auto* sc = ev.mutable_state_change();
  sc->set_entity("experiment");
  sc->set_entity_id(exp_id);
  sc->set_state(v1::STATE_PENDING);
  sc->set_message(absl::StrCat("submitted: ", experiments_[exp_id].run_ids_size(), " runs, ", n.tasks.size(), " tasks"));
  AddEventLocked(tx, exp_id, std::move(ev));
  for (const auto& rid : experiments_[exp_id].run_ids()) MarkStagesReadyLocked(tx, runs_.at(rid));
  ScheduleLocked(tx);
  absl::Status st = CommitLocked(tx);
  if (!st.ok()) {
    request_ids_.erase(req.request_id());
    return st;
  }
  spdlog::info("experiment {} ({}) submitted: {} runs, {} tasks", exp_id, plan->name, plan->runs.size(), n.tasks.size());
  return SubmitResult{ExperimentProtoLocked(experiments_.at(exp_id), true), true};
}

v1::Experiment Manager::ExperimentProtoLocked(const store::ExperimentRecord& e, bool with_runs) {
  v1::Experiment out;
  out.set_id(e.id());
  out.set_name(e.name());
  out.set_description(e.description());
  out.set_priority(e.priority());
  out.set_state(e.state());
  out.set_request_id(e.request_id());
  out.set_owner(e.owner());
  out.set_created_unix_ms(e.created_unix_ms());
  out.set_started_unix_ms(e.started_unix_ms());
  out.set_finished_unix_ms(e.finished_unix_ms());
  out.set_error(e.error());
  out.set_num_runs(e.run_ids_size());
  if (with_runs) out.set_spec_yaml(e.spec_yaml());
  int total = 0, done = 0;
  for (const auto& rid : e.run_ids()) {
    const store::RunRecord& run = runs_.at(rid);
    v1::Run* r = with_runs ? out.add_runs() : nullptr;
    if (r) {
      r->set_id(run.id());
      r->set_index(run.index());
      r->set_name(run.name());
      r->set_state(run.state());
      for (int i = 0; i < run.variant_keys_size(); ++i) (*r->mutable_variant())[run.variant_keys(i)] = run.variant_values(i);
    }
    for (const auto& sid : run.stage_ids()) {
      const store::StageRecord& st = stages_.at(sid);
      v1::Stage* s = r ? r->add_stages() : nullptr;
      if (s) {
        s->set_id(st.id());
        s->set_kind(st.kind());
        s->set_state(st.state());
        for (const auto& d : st.depends_on()) s->add_depends_on(d);
      }
      for (const auto& tid : st.task_ids()) {
        const store::TaskRecord& t = tasks_.at(tid);
        ++total;
        if (t.state() == v1::STATE_SUCCEEDED) ++done;
        if (s) {
          auto a = attempts_.find(t.current_attempt_id());
          FillTaskProto(t, a == attempts_.end() ? nullptr : &a->second, s->add_tasks());
        }
      }
    }
  }
  out.set_tasks_total(total);
  out.set_tasks_done(done);
  return out;
}

absl::StatusOr<v1::Experiment> Manager::GetExperiment(const std::string& id, bool with_runs) {
  absl::MutexLock lock(&mu_);
  auto it = experiments_.find(id);
  if (it == experiments_.end()) return absl::NotFoundError(absl::StrCat("experiment ", id, " does not exist"));
  return ExperimentProtoLocked(it->second, with_runs);
}

absl::StatusOr<v1::ListExperimentsResponse> Manager::ListExperiments(const v1::ListExperimentsRequest& req,
                                                                     const std::string& owner) {
  int page_size = req.page_size() <= 0 ? 50 : std::min(req.page_size(), 500);
  // Token: "<created_unix_ms>:<id>" of the last experiment of the previous page.
  int64_t after_created = INT64_MAX;
  std::string after_id;
  if (!req.page_token().empty()) {
    std::pair<std::string, std::string> parts = absl::StrSplit(req.page_token(), absl::MaxSplits(':', 1));
    if (!absl::SimpleAtoi(parts.first, &after_created) || parts.second.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("page_token: malformed \"", req.page_token(), "\""));
    }
    after_id = parts.second;
  }
  absl::MutexLock lock(&mu_);
  std::vector<const store::ExperimentRecord*> rows;
  for (const auto& [id, e] : experiments_) {
    if (!req.states().empty() &&
        std::find(req.states().begin(), req.states().end(), e.state()) == req.states().end()) {
      continue;
    }
    if (!req.name_contains().empty() && !absl::StrContains(e.name(), req.name_contains())) continue;
    if (!owner.empty() && e.owner() != owner) continue;
    if (!after_id.empty() && !(e.created_unix_ms() < after_created ||
                               (e.created_unix_ms() == after_created && e.id() < after_id))) {
      continue;
    }
    rows.push_back(&e);
  }
  std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    if (a->created_unix_ms() != b->created_unix_ms()) return a->created_unix_ms() > b->created_unix_ms();
    return a->id() > b->id();
  });
  v1::ListExperimentsResponse resp;
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
    *resp.add_experiments() = ExperimentProtoLocked(*rows[i], false);
  }
  if (static_cast<int>(rows.size()) > page_size) {
    const auto* last = rows[static_cast<size_t>(page_size) - 1];
    resp.set_next_page_token(absl::StrCat(last->created_unix_ms(), ":", last->id()));
  }
  return resp;
}

absl::StatusOr<v1::Experiment> Manager::Cancel(const std::string& id, const std::string& reason) {
  absl::MutexLock lock(&mu_);
  auto it = experiments_.find(id);
  if (it == experiments_.end()) return absl::NotFoundError(absl::StrCat("experiment ", id, " does not exist"));
  store::ExperimentRecord& e = it->second;
  if (!IsTerminal(e.state())) {
    Tx tx;
    const std::string why = reason.empty() ? "cancelled by request" : absl::StrCat("cancelled: ", reason);
    for (const auto& rid : e.run_ids()) {
      store::RunRecord& run = runs_.at(rid);
      if (!IsTerminal(run.state())) CancelRunLocked(tx, run, v1::STATE_CANCELLED, why);
    }
    if (!IsTerminal(e.state())) SetExperimentState(tx, e, v1::STATE_CANCELLED, why);
    ScheduleLocked(tx);
    ECGBENCH_RETURN_IF_ERROR(CommitLocked(tx));
  }
  return ExperimentProtoLocked(experiments_.at(id), true);
}

absl::StatusOr<v1::GetResultsResponse> Manager::GetResults(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = experiments_.find(id);
  if (it == experiments_.end()) return absl::NotFoundError(absl::StrCat("experiment ", id, " does not exist"));
  v1::GetResultsResponse resp;
  resp.set_experiment_id(id);
  resp.set_state(it->second.state());
  for (const auto& rid : it->second.run_ids()) {
    const store::RunRecord& run = runs_.at(rid);
    v1::RunResult* r = resp.add_runs();
    r->set_run_id(run.id());
    r->set_run_name(run.name());
    r->set_state(run.state());
    for (int i = 0; i < run.variant_keys_size(); ++i) (*r->mutable_variant())[run.variant_keys(i)] = run.variant_values(i);
    for (const auto& [k, v] : run.results()) (*r->mutable_metrics())[k] = v;
  }
  return resp;
}

v1::WorkerInfo Manager::WorkerProtoLocked(const WorkerRuntime& w) {
  v1::WorkerInfo out;
  out.set_id(w.rec.id());
  out.set_name(w.rec.name());
  *out.mutable_resources() = w.rec.resources();
  out.mutable_free()->set_cpu_cores(w.free_cpus);
  out.mutable_free()->set_memory_bytes(w.free_memory_bytes);
  for (const auto& g : w.rec.resources().gpus()) {
    if (std::find(w.free_gpus.begin(), w.free_gpus.end(), g.uuid()) != w.free_gpus.end()) *out.mutable_free()->add_gpus() = g;
  }
  for (const auto& [k, v] : w.rec.labels()) (*out.mutable_labels())[k] = v;
  for (const auto& k : w.rec.stage_kinds()) out.add_stage_kinds(k);
  out.set_state(w.rec.state());
  out.set_registered_unix_ms(w.rec.registered_unix_ms());
  out.set_last_heartbeat_unix_ms(w.rec.last_heartbeat_unix_ms());
  for (const auto& [key, seen] : w.assigned) {
    auto a = attempts_.find(key.first);
    if (a != attempts_.end()) out.add_running_task_ids(a->second.task_id());
  }
  out.set_version(w.rec.version());
  out.set_metrics_address(w.rec.metrics_address());
  return out;
}

std::vector<v1::WorkerInfo> Manager::ListWorkers(bool include_gone) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::WorkerInfo> out;
  for (const auto& [id, w] : workers_) {
    if (!include_gone && !w->live()) continue;
    out.push_back(WorkerProtoLocked(*w));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Event>> Manager::ReadEvents(const std::string& id, int64_t after_seq, int limit,
                                                           bool* terminal) {
  {
    absl::MutexLock lock(&mu_);
    if (!experiments_.count(id)) return absl::NotFoundError(absl::StrCat("experiment ", id, " does not exist"));
    *terminal = ExperimentTerminalLocked(id);
  }
  // The store serializes its own calls; reading outside mu_ keeps streams from blocking the state machine.
  return store_->ReadEvents(id, after_seq, limit);
}

absl::StatusOr<std::vector<v1::LogLine>> Manager::ReadLogs(const LogQuery& query, bool* terminal) {
  {
    absl::MutexLock lock(&mu_);
    if (!experiments_.count(query.experiment_id)) {
      return absl::NotFoundError(absl::StrCat("experiment ", query.experiment_id, " does not exist"));
    }
    *terminal = ExperimentTerminalLocked(query.experiment_id);
  }
  return store_->ReadLogs(query);
}

std::pair<int64_t, int64_t> Manager::Watermarks() {
  absl::MutexLock lock(&mu_);
  return {last_event_seq_, last_log_seq_};
}

bool Manager::WaitForNews(int64_t event_seq, int64_t log_seq, int timeout_ms) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  absl::MutexLock lock(&mu_);
  while (!stopping_ && last_event_seq_ <= event_seq && last_log_seq_ <= log_seq) {
    if (news_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return !stopping_;
}

}  // namespace ecgbench::server
