// The worker's own Prometheus metrics (prometheus-cpp registry) and the /metrics endpoint that
// serves them. Names follow Prometheus conventions (ecgbench_worker_ prefix, base units, _total
// counters); the exposition passes `promtool check metrics`.
//
//   ecgbench_worker_registered                      gauge 0/1
//   ecgbench_worker_info{worker_id,version,libtorch_version}   gauge 1
//   ecgbench_worker_cpu_cores, ecgbench_worker_memory_bytes     gauges (resources offered)
//   ecgbench_worker_assignments_running             gauge
//   ecgbench_worker_assignments_finished_total{stage_kind,result}   counter,
//       result: succeeded|failed|cancelled|preempted
//   ecgbench_worker_heartbeat_failures_total        counter
//   ecgbench_worker_task_progress_ratio{experiment,run,stage,task,rank}   gauge 0..1, one series
//       per running assignment, removed when the assignment ends
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ecgbench/v1/worker.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace ecgbench::worker {

enum class AssignmentOutcome { kSucceeded, kFailed, kCancelled, kPreempted };
const char* AssignmentOutcomeName(AssignmentOutcome outcome);

class WorkerMetrics {
 public:
  WorkerMetrics(std::string version, std::string libtorch_version);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // registered=false keeps the info series of the last id.
  void SetRegistered(bool registered, const std::string& worker_id);
  void SetResources(int cpu_cores, int64_t memory_bytes);
  void SetAssignmentsRunning(int running);
  void AssignmentFinished(const std::string& stage_kind, AssignmentOutcome outcome);
  void HeartbeatFailed();
  // ratio is clamped to [0, 1].
  void SetTaskProgress(const v1::Assignment& assignment, double ratio);
  void RemoveTaskProgress(const v1::Assignment& assignment);

  // The text exposition format (what /metrics serves).
  std::string Serialize() const;

 private:
  using TaskKey = std::tuple<std::string, int>;  // attempt id, rank

  const std::string version_;
  const std::string libtorch_version_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* registered_;
  prometheus::Family<prometheus::Gauge>* info_family_;
  prometheus::Gauge* cpu_cores_;
  prometheus::Gauge* memory_bytes_;
  prometheus::Gauge* running_;
  prometheus::Family<prometheus::Counter>* finished_family_;
  prometheus::Counter* heartbeat_failures_;
  prometheus::Family<prometheus::Gauge>* progress_family_;

  absl::Mutex mu_;
  prometheus::Gauge* info_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string info_worker_id_ ABSL_GUARDED_BY(mu_);
  std::map<TaskKey, prometheus::Gauge*> progress_ ABSL_GUARDED_BY(mu_);
};

// Serves a registry over HTTP (prometheus-cpp's civetweb Exposer) at /metrics.
class MetricsEndpoint {
 public:
  // listen: "HOST:PORT"; port 0 picks a free port. INVALID_ARGUMENT for a malformed address,
  // UNAVAILABLE when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry);
  ~MetricsEndpoint();

  int port() const { return port_; }

 private:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace ecgbench::worker
