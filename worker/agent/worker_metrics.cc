// WorkerMetrics and MetricsEndpoint implementation (prometheus-cpp core + pull).
#include "worker/agent/worker_metrics.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace ecgbench::worker {

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

WorkerMetrics::WorkerMetrics(std::string version, std::string libtorch_version)
    : version_(std::move(version)),
      libtorch_version_(std::move(libtorch_version)),
      registry_(std::make_shared<prometheus::Registry>()) {
  registered_ = &prometheus::BuildGauge()
                     .Name("ecgbench_worker_registered")
                     .Help("1 while the worker is registered with the coordinator, else 0")
                     .Register(*registry_)
                     .Add({});
  info_family_ = &prometheus::BuildGauge()
                      .Name("ecgbench_worker_info")
                      .Help("Constant 1; labels identify the worker and its build")
                      .Register(*registry_);
  cpu_cores_ = &prometheus::BuildGauge()
                    .Name("ecgbench_worker_cpu_cores")
                    .Help("CPU cores the worker offers to the scheduler")
                    .Register(*registry_)
                    .Add({});
  memory_bytes_ = &prometheus::BuildGauge()
                       .Name("ecgbench_worker_memory_bytes")
                       .Help("Memory the worker offers to the scheduler, in bytes")
                       .Register(*registry_)
                       .Add({});
  running_ = &prometheus::BuildGauge()
                  .Name("ecgbench_worker_assignments_running")
                  .Help("Assignments (task attempt ranks) running on this worker")
                  .Register(*registry_)
                  .Add({});
  finished_family_ = &prometheus::BuildCounter()
                          .Name("ecgbench_worker_assignments_finished_total")
                          .Help("Assignments that ended, by stage kind and result")
                          .Register(*registry_);
  heartbeat_failures_ = &prometheus::BuildCounter()
                             .Name("ecgbench_worker_heartbeat_failures_total")
                             .Help("Heartbeats that did not reach the coordinator or were rejected")
                             .Register(*registry_)
                             .Add({});
  progress_family_ = &prometheus::BuildGauge()
                          .Name("ecgbench_worker_task_progress_ratio")
                          .Help("Progress of each running assignment, 0 to 1")
                          .Register(*registry_);
}

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

void WorkerMetrics::SetResources(int cpu_cores, int64_t memory_bytes) {
  cpu_cores_->Set(cpu_cores);
  memory_bytes_->Set(static_cast<double>(memory_bytes));
}

void WorkerMetrics::SetAssignmentsRunning(int running) { running_->Set(running); }

void WorkerMetrics::AssignmentFinished(const std::string& stage_kind, AssignmentOutcome outcome) {
  // Family::Add returns the existing series for known labels.
  finished_family_->Add({{"stage_kind", stage_kind}, {"result", AssignmentOutcomeName(outcome)}})
      .Increment();
}

void WorkerMetrics::HeartbeatFailed() { heartbeat_failures_->Increment(); }

void WorkerMetrics::SetTaskProgress(const v1::Assignment& assignment, double ratio) {
  ratio = std::clamp(ratio, 0.0, 1.0);
  absl::MutexLock lock(&mu_);
  TaskKey key{assignment.attempt_id(), assignment.rank()};
  auto it = progress_.find(key);
  if (it == progress_.end()) {
    prometheus::Gauge& gauge = progress_family_->Add({{"experiment", assignment.experiment_id()},
                                                      {"run", assignment.run_id()},
                                                      {"stage", assignment.stage_id()},
                                                      {"task", assignment.task_id()},
                                                      {"rank", absl::StrCat(assignment.rank())}});
    it = progress_.emplace(key, &gauge).first;
  }
  it->second->Set(ratio);
}

void WorkerMetrics::RemoveTaskProgress(const v1::Assignment& assignment) {
  absl::MutexLock lock(&mu_);
  auto it = progress_.find(TaskKey{assignment.attempt_id(), assignment.rank()});
  if (it == progress_.end()) return;
  progress_family_->Remove(it->second);
  progress_.erase(it);
}

std::string WorkerMetrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

namespace {

absl::Status ValidateListenAddress(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-listen: expected HOST:PORT with a port in 0..65535, got \"", listen, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry) {
  if (absl::Status status = ValidateListenAddress(listen); !status.ok()) return status;
  std::unique_ptr<prometheus::Exposer> exposer;
  // civetweb reports bind failures by throwing; this is the one place that catches them.
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics endpoint: cannot listen on ", listen, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics endpoint: no port bound for ", listen));
  }
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(exposer), ports.front()));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer, int port)
    : exposer_(std::move(exposer)), port_(port) {}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace ecgbench::worker
