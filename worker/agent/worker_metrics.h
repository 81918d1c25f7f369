// The worker's own Prometheus metrics (prometheus-cpp registry), served by HttpEndpoint at
// /metrics. Names follow Prometheus conventions (ecgbench_ prefix, base units, _total counters);
// the exposition passes `promtool check metrics`. The full catalogue, with the dashboards and
// alerts that use it, is docs/observability.md; in short:
//
//   worker:   ecgbench_worker_registered, ecgbench_worker_info{worker_id,version,libtorch_version},
//             ecgbench_worker_cpu_cores, ecgbench_worker_memory_bytes (offered),
//             ecgbench_worker_resident_memory_bytes (process RSS at scrape time),
//             ecgbench_worker_assignments_running, ecgbench_worker_assignments_finished_total
//             {stage_kind,result}, ecgbench_worker_heartbeat_failures_total,
//             ecgbench_worker_gpu_info{gpu_uuid,gpu_index,gpu_name}
//   per running assignment, labels T = {experiment,run,stage,task,rank}, removed when it ends:
//             ecgbench_worker_task_progress_ratio, ecgbench_worker_task_start_timestamp_seconds
//             {T,stage_kind}, ecgbench_worker_task_last_progress_timestamp_seconds,
//             ecgbench_worker_gpu_assignment_info{T,gpu_uuid} (joins DCGM exporter's UUID),
//             ecgbench_train_* and ecgbench_eval_* from the metrics the stage reports
//             (TaskMetric: "train/loss" -> ecgbench_train_loss, ...).
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ecgbench/v1/worker.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace ecgbench::worker {

enum class AssignmentOutcome { kSucceeded, kFailed, kCancelled, kPreempted };
const char* AssignmentOutcomeName(AssignmentOutcome outcome);

struct GpuDescription {
  std::string uuid;  // "GPU-..." as NVML and DCGM exporter spell it
  int index = 0;
  std::string name;
};

class WorkerMetrics {
 public:
  WorkerMetrics(std::string version, std::string libtorch_version);
  ~WorkerMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // registered=false keeps the info series of the last id.
  void SetRegistered(bool registered, const std::string& worker_id);
  bool registered() const;
  void SetResources(int cpu_cores, int64_t memory_bytes);
  void SetGpus(const std::vector<GpuDescription>& gpus);
  void SetAssignmentsRunning(int running);
  void AssignmentFinished(const std::string& stage_kind, AssignmentOutcome outcome);
  void HeartbeatFailed();

  // An assignment started: its start and last-progress timestamps and one GPU series per
  // assignment.gpu_uuids(). Idempotent.
  void TaskStarted(const v1::Assignment& assignment, int64_t now_unix_ms);
  // ratio is clamped to [0, 1]; a negative ratio (unknown total) leaves the gauge alone. Counts as
  // progress either way.
  void SetTaskProgress(const v1::Assignment& assignment, double ratio, int64_t now_unix_ms);
  // A metric the stage reported (TaskContext::ReportMetric). Counts as progress. Names that map to
  // an exported series update it ("train/loss" sets ecgbench_train_loss and the step gauge and
  // counts a step; "train/step_seconds" adds to ecgbench_train_step_seconds_total; ...); others
  // only count as progress.
  void TaskMetric(const v1::Assignment& assignment, std::string_view name, double value, int64_t step,
                  int64_t now_unix_ms);
  // Removes every series of the assignment.
  void RemoveTask(const v1::Assignment& assignment);

  // "task T rank R (stage kind K): no progress for S s" for each running assignment whose last
  // progress is older than stall_ms; empty when all are healthy.
  std::vector<std::string> StalledTasks(int64_t now_unix_ms, int64_t stall_ms) const;

  // The text exposition format (what /metrics serves); refreshes the process gauges first.
  std::string Serialize() const;

 private:
  struct TaskSeries;
  using TaskKey = std::tuple<std::string, int>;  // attempt id, rank

  // REQUIRES mu_ held. Creates the task's series on first use.
  TaskSeries& TaskLocked(const v1::Assignment& assignment, int64_t now_unix_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ProgressedLocked(TaskSeries& task, int64_t now_unix_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  prometheus::Gauge& TaskGaugeLocked(TaskSeries& task, int family) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  prometheus::Counter& TaskCounterLocked(TaskSeries& task, int family) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string version_;
  const std::string libtorch_version_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* registered_;
  prometheus::Family<prometheus::Gauge>* info_family_;
  prometheus::Gauge* cpu_cores_;
  prometheus::Gauge* memory_bytes_;
  prometheus::Gauge* resident_bytes_;
  prometheus::Gauge* running_;
  prometheus::Family<prometheus::Counter>* finished_family_;
  prometheus::Counter* heartbeat_failures_;
  prometheus::Family<prometheus::Gauge>* gpu_info_family_;
  prometheus::Family<prometheus::Gauge>* start_family_;
  prometheus::Family<prometheus::Gauge>* gpu_assignment_family_;
  // Per-task families, indexed by the TaskFamily enum of the .cc.
  std::vector<prometheus::Family<prometheus::Gauge>*> task_gauges_;
  std::vector<prometheus::Family<prometheus::Counter>*> task_counters_;

  mutable absl::Mutex mu_;
  prometheus::Gauge* info_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string info_worker_id_ ABSL_GUARDED_BY(mu_);
  std::vector<prometheus::Gauge*> gpu_info_ ABSL_GUARDED_BY(mu_);
  std::map<TaskKey, std::unique_ptr<TaskSeries>> tasks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ecgbench::worker
