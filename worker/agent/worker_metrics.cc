// WorkerMetrics implementation (prometheus-cpp core): the worker's series, the per-assignment
// series, and the map from the names stages report to the exported training/evaluation series.
#include "worker/agent/worker_metrics.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/resident_memory.h"
#include "prometheus/text_serializer.h"

namespace ecgbench::worker {
namespace {

// Per-assignment families (labels experiment, run, stage, task, rank).
enum TaskGauge {
  kProgress,
  kLastProgress,
  kTrainStep,
  kTrainLoss,
  kTrainLr,
  kTrainGradNorm,
  kTrainMfu,
  kTrainTokensPerSecond,
  kTrainSamplesPerSecond,
  kTrainValidationLoss,
  kTrainLastCheckpoint,
  kTrainCheckpointSave,
  kEvalAnswersPerSecond,
  kEvalTokensPerSecond,
  kTaskGaugeCount
};
enum TaskCounter { kTrainSteps, kTrainTokens, kTrainStepSeconds, kTrainDataWait, kTaskCounterCount };

struct FamilyDef {
  const char* name;
  const char* help;
};

constexpr FamilyDef kGaugeDefs[kTaskGaugeCount] = {
    {"ecgbench_worker_task_progress_ratio", "Progress of each running assignment, 0 to 1"},
    {"ecgbench_worker_task_last_progress_timestamp_seconds",
     "Unix time of the assignment's last progress or metric report"},
    {"ecgbench_train_step", "Optimizer steps done"},
    {"ecgbench_train_loss", "Loss of the last optimizer step (token mean over all ranks)"},
    {"ecgbench_train_lr", "Learning rate of the last optimizer step"},
    {"ecgbench_train_grad_norm", "Gradient norm of the last optimizer step, before clipping"},
    {"ecgbench_train_mfu_ratio", "Model FLOPs utilisation of the last step, 0 to 1 (devices with a known peak)"},
    {"ecgbench_train_tokens_per_second", "Labeled tokens per second of the last step, all ranks"},
    {"ecgbench_train_samples_per_second", "Samples per second of the last step, all ranks"},
    {"ecgbench_train_validation_loss", "Loss of the last validation"},
    {"ecgbench_train_last_checkpoint_timestamp_seconds", "Unix time the last checkpoint was written"},
    {"ecgbench_train_checkpoint_save_seconds", "Seconds the last checkpoint took to write"},
    {"ecgbench_eval_answers_per_second", "Answers generated per second by this evaluation rank"},
    {"ecgbench_eval_tokens_per_second", "Tokens generated per second by this evaluation rank"},
};
constexpr FamilyDef kCounterDefs[kTaskCounterCount] = {
    {"ecgbench_train_steps_total", "Optimizer steps taken by this assignment"},
    {"ecgbench_train_tokens_total", "Labeled tokens trained on, all ranks"},
    {"ecgbench_train_step_seconds_total", "Wall time spent in optimizer steps, data wait included"},
    {"ecgbench_train_data_wait_seconds_total", "Wall time spent waiting for batches"},
};

// What a reported metric name (without its "train/", "pretrain/" or "evaluate/" prefix) updates.
struct NameMap {
  const char* name;
  int gauge;    // -1: none
  int counter;  // -1: none (the value is added)
};
constexpr NameMap kTrainNames[] = {
    {"loss", kTrainLoss, -1},
    {"lr", kTrainLr, -1},
    {"grad_norm", kTrainGradNorm, -1},
    {"mfu", kTrainMfu, -1},
    {"tokens_per_s", kTrainTokensPerSecond, -1},
    {"samples_per_s", kTrainSamplesPerSecond, -1},
    {"val_loss", kTrainValidationLoss, -1},
    {"checkpoint_seconds", kTrainCheckpointSave, -1},
    {"tokens", -1, kTrainTokens},
    {"step_seconds", -1, kTrainStepSeconds},
    {"data_wait_seconds", -1, kTrainDataWait},
};
constexpr NameMap kEvalNames[] = {
    {"answers_per_s", kEvalAnswersPerSecond, -1},
    {"tokens_per_s", kEvalTokensPerSecond, -1},
};

const NameMap* Lookup(std::string_view name) {
  auto find = [](std::string_view key, const auto& table) -> const NameMap* {
    for (const NameMap& m : table) {
      if (key == m.name) return &m;
    }
    return nullptr;
  };
  auto starts_with = [name](std::string_view prefix) { return name.substr(0, prefix.size()) == prefix; };
  for (std::string_view prefix : {"train/", "pretrain/"}) {
    if (starts_with(prefix)) return find(name.substr(prefix.size()), kTrainNames);
  }
  if (starts_with("evaluate/")) return find(name.substr(9), kEvalNames);
  return nullptr;
}

double UnixSeconds(int64_t unix_ms) { return static_cast<double>(unix_ms) / 1000.0; }

}  // namespace

const char* AssignmentOutcomeName(AssignmentOutcome outcome) {
  switch (outcome) {
    case AssignmentOutcome::kSucceeded:
      return "succeeded";
    case AssignmentOutcome::kFailed:
      return "failed";
    case AssignmentOutcome::kCancelled:
      return "cancelled";
    case AssignmentOutcome::kPreempted:
      return "preempted";
  }
  return "failed";
}

struct WorkerMetrics::TaskSeries {
  prometheus::Labels labels;
  std::string stage_kind;
  int64_t last_progress_unix_ms = 0;
  prometheus::Gauge* start = nullptr;
  std::vector<prometheus::Gauge*> gpus;
  std::vector<prometheus::Gauge*> gauges = std::vector<prometheus::Gauge*>(kTaskGaugeCount, nullptr);
  std::vector<prometheus::Counter*> counters = std::vector<prometheus::Counter*>(kTaskCounterCount, nullptr);
};

WorkerMetrics::WorkerMetrics(std::string version, std::string libtorch_version)
    : version_(std::move(version)),
      libtorch_version_(std::move(libtorch_version)),
      registry_(std::make_shared<prometheus::Registry>()) {
  auto gauge = [this](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  };
  auto counter = [this](const char* name, const char* help) -> prometheus::Family<prometheus::Counter>& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  };
  registered_ = &gauge("ecgbench_worker_registered", "1 while the worker is registered with the coordinator, else 0").Add({});
  info_family_ = &gauge("ecgbench_worker_info", "Constant 1; labels identify the worker and its build");
  cpu_cores_ = &gauge("ecgbench_worker_cpu_cores", "CPU cores the worker offers to the scheduler").Add({});
  memory_bytes_ = &gauge("ecgbench_worker_memory_bytes", "Memory the worker offers to the scheduler, in bytes").Add({});
  resident_bytes_ = &gauge("ecgbench_worker_resident_memory_bytes", "Resident memory of the worker process, in bytes").Add({});
  running_ = &gauge("ecgbench_worker_assignments_running", "Assignments (task attempt ranks) running on this worker").Add({});
  finished_family_ = &counter("ecgbench_worker_assignments_finished_total", "Assignments that ended, by stage kind and result");
  heartbeat_failures_ = &counter("ecgbench_worker_heartbeat_failures_total",
                                 "Heartbeats that did not reach the coordinator or were rejected")
                             .Add({});
  gpu_info_family_ = &gauge("ecgbench_worker_gpu_info", "Constant 1 per GPU of this worker (gpu_uuid joins DCGM exporter's UUID)");
  start_family_ = &gauge("ecgbench_worker_task_start_timestamp_seconds", "Unix time the assignment started on this worker");
  gpu_assignment_family_ = &gauge("ecgbench_worker_gpu_assignment_info",
                                  "Constant 1 per GPU held by a running assignment (gpu_uuid joins DCGM exporter's UUID)");
  for (const FamilyDef& d : kGaugeDefs) task_gauges_.push_back(&gauge(d.name, d.help));
  for (const FamilyDef& d : kCounterDefs) task_counters_.push_back(&counter(d.name, d.help));
}

WorkerMetrics::~WorkerMetrics() = default;

void WorkerMetrics::SetRegistered(bool registered, const std::string& worker_id) {
  registered_->Set(registered ? 1 : 0);
  if (!registered) return;
  absl::MutexLock lock(&mu_);
  if (info_ != nullptr && info_worker_id_ == worker_id) return;
  if (info_ != nullptr) info_family_->Remove(info_);
  info_ = &info_family_->Add({{"worker_id", worker_id},
                              {"version", version_},
                              {"libtorch_version", libtorch_version_}});
  info_->Set(1);
  info_worker_id_ = worker_id;
}

bool WorkerMetrics::registered() const { return registered_->Value() == 1; }

void WorkerMetrics::SetResources(int cpu_cores, int64_t memory_bytes) {
  cpu_cores_->Set(cpu_cores);
  memory_bytes_->Set(static_cast<double>(memory_bytes));
}

void WorkerMetrics::SetGpus(const std::vector<GpuDescription>& gpus) {
  absl::MutexLock lock(&mu_);
  for (prometheus::Gauge* g : gpu_info_) gpu_info_family_->Remove(g);
  gpu_info_.clear();
  for (const GpuDescription& gpu : gpus) {
    prometheus::Gauge& g = gpu_info_family_->Add(
        {{"gpu_uuid", gpu.uuid}, {"gpu_index", absl::StrCat(gpu.index)}, {"gpu_name", gpu.name}});
    g.Set(1);
    gpu_info_.push_back(&g);
  }
}

void WorkerMetrics::SetAssignmentsRunning(int running) { running_->Set(running); }

void WorkerMetrics::AssignmentFinished(const std::string& stage_kind, AssignmentOutcome outcome) {
  // Family::Add returns the existing series for known labels.
  finished_family_->Add({{"stage_kind", stage_kind}, {"result", AssignmentOutcomeName(outcome)}})
      .Increment();
}

void WorkerMetrics::HeartbeatFailed() { heartbeat_failures_->Increment(); }

WorkerMetrics::TaskSeries& WorkerMetrics::TaskLocked(const v1::Assignment& a, int64_t now_unix_ms) {
  TaskKey key{a.attempt_id(), a.rank()};
  auto it = tasks_.find(key);
  if (it != tasks_.end()) return *it->second;
  auto task = std::make_unique<TaskSeries>();
  task->labels = {{"experiment", a.experiment_id()},
                  {"run", a.run_id()},
                  {"stage", a.stage_id()},
                  {"task", a.task_id()},
                  {"rank", absl::StrCat(a.rank())}};
  task->stage_kind = a.stage_kind();
  prometheus::Labels start_labels = task->labels;
  start_labels.emplace("stage_kind", a.stage_kind());
  task->start = &start_family_->Add(start_labels);
  task->start->Set(UnixSeconds(now_unix_ms));
  for (const std::string& uuid : a.gpu_uuids()) {
    prometheus::Labels gpu_labels = task->labels;
    gpu_labels.emplace("gpu_uuid", uuid);
    prometheus::Gauge& g = gpu_assignment_family_->Add(gpu_labels);
    g.Set(1);
    task->gpus.push_back(&g);
  }
  TaskSeries& ref = *task;
  tasks_.emplace(key, std::move(task));
  ProgressedLocked(ref, now_unix_ms);
  return ref;
}

void WorkerMetrics::ProgressedLocked(TaskSeries& task, int64_t now_unix_ms) {
  task.last_progress_unix_ms = std::max(task.last_progress_unix_ms, now_unix_ms);
  TaskGaugeLocked(task, kLastProgress).Set(UnixSeconds(task.last_progress_unix_ms));
}

prometheus::Gauge& WorkerMetrics::TaskGaugeLocked(TaskSeries& task, int family) {
  if (task.gauges[family] == nullptr) task.gauges[family] = &task_gauges_[family]->Add(task.labels);
  return *task.gauges[family];
}

prometheus::Counter& WorkerMetrics::TaskCounterLocked(TaskSeries& task, int family) {
  if (task.counters[family] == nullptr) task.counters[family] = &task_counters_[family]->Add(task.labels);
  return *task.counters[family];
}

void WorkerMetrics::TaskStarted(const v1::Assignment& assignment, int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  TaskLocked(assignment, now_unix_ms);
}

void WorkerMetrics::SetTaskProgress(const v1::Assignment& assignment, double ratio, int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  TaskSeries& task = TaskLocked(assignment, now_unix_ms);
  if (ratio >= 0) TaskGaugeLocked(task, kProgress).Set(std::min(ratio, 1.0));
  ProgressedLocked(task, now_unix_ms);
}

void WorkerMetrics::TaskMetric(const v1::Assignment& assignment, std::string_view name, double value,
                               int64_t step, int64_t now_unix_ms) {
  absl::MutexLock lock(&mu_);
  TaskSeries& task = TaskLocked(assignment, now_unix_ms);
  ProgressedLocked(task, now_unix_ms);
  const NameMap* m = Lookup(name);
  if (m == nullptr) return;
  if (m->gauge >= 0) TaskGaugeLocked(task, m->gauge).Set(value);
  // Counters only move forward: negative and NaN increments are dropped.
  if (m->counter >= 0 && value >= 0 && std::isfinite(value)) TaskCounterLocked(task, m->counter).Increment(value);
  if (m->gauge == kTrainLoss) {  // one loss report per optimizer step
    TaskGaugeLocked(task, kTrainStep).Set(static_cast<double>(step));
    TaskCounterLocked(task, kTrainSteps).Increment();
  }
  if (m->gauge == kTrainCheckpointSave) TaskGaugeLocked(task, kTrainLastCheckpoint).Set(UnixSeconds(now_unix_ms));
}

void WorkerMetrics::RemoveTask(const v1::Assignment& assignment) {
  absl::MutexLock lock(&mu_);
  auto it = tasks_.find(TaskKey{assignment.attempt_id(), assignment.rank()});
  if (it == tasks_.end()) return;
  TaskSeries& task = *it->second;
  start_family_->Remove(task.start);
  for (prometheus::Gauge* g : task.gpus) gpu_assignment_family_->Remove(g);
  for (int f = 0; f < kTaskGaugeCount; ++f) {
    if (task.gauges[f] != nullptr) task_gauges_[f]->Remove(task.gauges[f]);
  }
  for (int f = 0; f < kTaskCounterCount; ++f) {
    if (task.counters[f] != nullptr) task_counters_[f]->Remove(task.counters[f]);
  }
  tasks_.erase(it);
}

std::vector<std::string> WorkerMetrics::StalledTasks(int64_t now_unix_ms, int64_t stall_ms) const {
  std::vector<std::string> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, task] : tasks_) {
    const int64_t silent_ms = now_unix_ms - task->last_progress_unix_ms;
    if (silent_ms <= stall_ms) continue;
    out.push_back(absl::StrCat("task ", task->labels.at("task"), " rank ", std::get<1>(key), " (stage kind ",
                               task->stage_kind, "): no progress for ", silent_ms / 1000, " s"));
  }
  return out;
}

std::string WorkerMetrics::Serialize() const {
  resident_bytes_->Set(static_cast<double>(common::ResidentMemoryBytes()));
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace ecgbench::worker
