// Event application and derived numbers (ETA, loss, counts) for the watch views.
#include "client/ui/watch_model.h"

#include "absl/strings/str_cat.h"
#include "client/ui/experiment_tree.h"

namespace ecgbench::client {

bool IsTerminal(v1::State state) {
  return state == v1::STATE_SUCCEEDED || state == v1::STATE_FAILED || state == v1::STATE_CANCELLED;
}

void WatchModel::Reset(const v1::Experiment& snapshot) {
  experiment_ = snapshot;
  Index();
  for (auto& [id, ref] : tasks_) {
    const v1::Progress& p = ref.task->progress();
    auto it = event_progress_.find(id);
    if (p.done() == 0 && p.total() == 0 && it != event_progress_.end()) *ref.task->mutable_progress() = it->second;
  }
}

void WatchModel::Index() {
  runs_.clear();
  stages_.clear();
  tasks_.clear();
  for (auto& run : *experiment_.mutable_runs()) {
    runs_[run.id()] = &run;
    for (auto& stage : *run.mutable_stages()) {
      stages_[stage.id()] = {&stage, &run};
      for (auto& task : *stage.mutable_tasks()) tasks_[task.id()] = TaskRef{&task, &run, &stage};
    }
  }
}

bool WatchModel::Apply(const v1::Event& event) {
  if (event.seq() <= last_seq_) return true;
  last_seq_ = event.seq();
  switch (event.body_case()) {
    case v1::Event::kStateChange: {
      const auto& sc = event.state_change();
      if (sc.entity() == "experiment") {
        experiment_.set_state(sc.state());
        if (IsTerminal(sc.state()) && experiment_.finished_unix_ms() == 0) {
          experiment_.set_finished_unix_ms(event.time_unix_ms());
        }
        if (sc.state() == v1::STATE_RUNNING && experiment_.started_unix_ms() == 0) {
          experiment_.set_started_unix_ms(event.time_unix_ms());
        }
        if (sc.state() == v1::STATE_FAILED && experiment_.error().empty()) experiment_.set_error(sc.message());
      } else if (sc.entity() == "run") {
        auto it = runs_.find(sc.entity_id());
        if (it == runs_.end()) return false;
        it->second->set_state(sc.state());
      } else if (sc.entity() == "stage") {
        auto it = stages_.find(sc.entity_id());
        if (it == stages_.end()) return false;
        it->second.first->set_state(sc.state());
      } else if (sc.entity() == "task") {
        auto it = tasks_.find(sc.entity_id());
        if (it == tasks_.end()) return false;
        it->second.task->set_state(sc.state());
        if (sc.state() == v1::STATE_FAILED) it->second.task->set_error(sc.message());
      }
      return true;
    }
    case v1::Event::kProgress: {
      const auto& pu = event.progress();
      auto it = tasks_.find(pu.task_id());
      if (it == tasks_.end()) return false;
      // A gang reports per rank; rank 0 speaks for the task.
      if (it->second.task->ranks() > 1 && pu.rank() != 0) return true;
      *it->second.task->mutable_progress() = pu.progress();
      event_progress_[pu.task_id()] = pu.progress();
      RateSample& r = rates_[pu.task_id()];
      const int64_t done = pu.progress().done();
      if (r.first_ms == 0 || done < r.last_done) {  // first sample, or the task restarted
        r = RateSample{event.time_unix_ms(), done, event.time_unix_ms(), done};
      } else {
        r.last_ms = event.time_unix_ms();
        r.last_done = done;
      }
      return true;
    }
    case v1::Event::kMetric: {
      const auto& m = event.metric();
      if (m.name() != kLossMetric) return true;
      if (!m.task_id().empty()) task_loss_[m.task_id()] = m.value();
      if (!m.run_id().empty()) run_loss_[m.run_id()] = m.value();
      return true;
    }
    case v1::Event::BODY_NOT_SET: return true;
  }
  return true;
}

const v1::Run* WatchModel::FindRun(const std::string& id) const {
  auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : it->second;
}

const v1::Task* WatchModel::FindTask(const std::string& id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second.task;
}

double WatchModel::TaskEta(const v1::Task& task) const {
  const v1::Progress& p = task.progress();
  // 0 is also proto3's "unset", so only a positive value is taken as the worker's estimate.
  if (p.eta_seconds() > 0) return p.eta_seconds();
  if (p.total() <= 0) return -1;
  if (p.done() >= p.total()) return 0;
  auto it = rates_.find(task.id());
  if (it == rates_.end()) return -1;
  const RateSample& r = it->second;
  if (r.last_ms <= r.first_ms || r.last_done <= r.first_done) return -1;
  const double per_second = (r.last_done - r.first_done) * 1000.0 / (r.last_ms - r.first_ms);
  const int64_t left = p.total() - p.done();
  return left <= 0 ? 0.0 : left / per_second;
}

std::optional<double> WatchModel::TaskLoss(const std::string& task_id) const {
  auto it = task_loss_.find(task_id);
  if (it == task_loss_.end()) return std::nullopt;
  return it->second;
}

std::optional<double> WatchModel::RunLoss(const std::string& run_id) const {
  auto it = run_loss_.find(run_id);
  if (it == run_loss_.end()) return std::nullopt;
  return it->second;
}

int WatchModel::TasksDone() const {
  if (tasks_.empty()) return experiment_.tasks_done();
  int done = 0;
  for (const auto& [id, ref] : tasks_) done += ref.task->state() == v1::STATE_SUCCEEDED ? 1 : 0;
  return done;
}

int WatchModel::TasksTotal() const {
  return tasks_.empty() ? experiment_.tasks_total() : static_cast<int>(tasks_.size());
}

std::string WatchModel::Label(const std::string& entity, const std::string& id) const {
  if (entity == "experiment") return absl::StrCat("experiment ", id);
  if (entity == "run") {
    auto it = runs_.find(id);
    if (it != runs_.end()) return RunLabel(*it->second);
  } else if (entity == "stage") {
    auto it = stages_.find(id);
    if (it != stages_.end()) return absl::StrCat(RunLabel(*it->second.second), " / ", it->second.first->kind());
  } else if (entity == "task") {
    auto it = tasks_.find(id);
    if (it != tasks_.end()) {
      return absl::StrCat(RunLabel(*it->second.run), " / ", it->second.stage->kind(), " / ",
                          TaskLabel(*it->second.task));
    }
  }
  return absl::StrCat(entity, " ", id);
}

}  // namespace ecgbench::client
