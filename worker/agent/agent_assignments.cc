// Agent, continued: the life of one assignment on this worker. It starts on its own thread, runs
// through the task boundary, ships its reports, and ends with exactly one outcome delivered to the
// coordinator (or none, when the coordinator cancelled it, the attempt went stale or the lease was
// lost).
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/files.h"
#include "spdlog/spdlog.h"
#include "worker/agent/agent.h"
#include "worker/agent/assignment_run.h"
#include "worker/agent/backoff.h"
#include "worker/agent/coordinator_client.h"
#include "worker/agent/task_boundary.h"

namespace ecgbench::worker {
namespace {

constexpr size_t kMaxLinesPerCall = 1000;
constexpr size_t kMaxPointsPerCall = 1000;
// Rejections with NOT_FOUND tolerated while delivering an outcome (the heartbeat thread
// re-registers meanwhile) before the outcome is dropped.
constexpr int kMaxNotFound = 3;

std::string RunKey(const v1::AssignmentRef& ref) {
  return absl::StrCat(ref.attempt_id(), "/", ref.rank());
}

}  // namespace

void Agent::StartAssignment(const v1::Assignment& assignment) {
  AssignmentRunOptions run_options;
  run_options.client = client_.get();
  run_options.clock = clock_;
  run_options.metrics = options_.metrics;
  run_options.wake_shipper = [this] { WakeShipper(); };
  run_options.log_batch_lines = options_.log_batch_lines;
  run_options.backoff_initial = options_.backoff_initial;
  run_options.backoff_max = options_.backoff_max;
  const std::string work_dir = absl::StrCat(options_.work_root, "/", assignment.attempt_id(), "-r",
                                            assignment.rank());
  auto run = std::make_shared<AssignmentRun>(assignment, work_dir, std::move(run_options));
  const std::string key = RunKey(run->ref());
  absl::MutexLock lock(&mu_);
  if (runs_.count(key) > 0 || run_threads_.count(key) > 0) {
    spdlog::warn("{}: assigned twice; ignoring the second assignment", run->label());
    return;
  }
  spdlog::info("{}: starting stage kind {} ({}/{}, world size {})", run->label(),
               assignment.stage_kind(), assignment.experiment_id(), assignment.stage_id(),
               assignment.world_size());
  runs_.emplace(key, run);
  run_threads_.emplace(key, std::thread(&Agent::RunAssignment, this, run));
  if (options_.metrics != nullptr) {
    options_.metrics->SetAssignmentsRunning(static_cast<int>(runs_.size()));
  }
}

void Agent::RunAssignment(std::shared_ptr<AssignmentRun> run) {
  const v1::Assignment& assignment = run->assignment();
  absl::StatusOr<TaskResult> result;
  std::unique_ptr<StageRunner> runner = registry_->Create(assignment.stage_kind());
  if (runner == nullptr) {
    result = absl::UnimplementedError(absl::StrCat(
        "no runner for stage kind \"", assignment.stage_kind(), "\" on this worker (it has: ",
        absl::StrJoin(registry_->Kinds(), ", "), ")"));
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(run->work_dir(), ignored);
    absl::Status made = common::MakeDirs(run->work_dir());
    result = made.ok() ? RunGuarded(*runner, *run) : absl::StatusOr<TaskResult>(made);
    runner.reset();
    std::filesystem::remove_all(run->work_dir(), ignored);
  }

  run->MarkRunnerReturned();
  // A runner that returns while the lease may be gone (e.g. the process was stopped for longer than
  // the lease) reports nothing either: the coordinator has re-queued the task or is about to.
  if (std::string why; run->cancel_reason() == CancelReason::kNone && LeaseLost(&why)) FenceRuns(why);

  AssignmentOutcome outcome;
  const CancelReason reason = run->cancel_reason();
  if (reason == CancelReason::kLeaseLost) {
    outcome = AssignmentOutcome::kCancelled;
    spdlog::warn("{}: stopped after the lease was lost ({}); nothing reported, the coordinator re-queues the task",
                 run->label(), result.ok() ? "runner finished" : result.status().ToString());
    run->reports().Clear();
  } else if (reason == CancelReason::kCoordinator || reason == CancelReason::kStale) {
    // The coordinator already knows; report nothing. Logs still go out once (best effort).
    outcome = AssignmentOutcome::kCancelled;
    spdlog::info("{}: stopped after cancel ({})", run->label(),
                 result.ok() ? "runner finished" : result.status().ToString());
    if (reason == CancelReason::kCoordinator) ShipReports(*run).IgnoreError();
    run->reports().Clear();
  } else if (result.ok()) {
    outcome = AssignmentOutcome::kSucceeded;
    spdlog::info("{}: succeeded", run->label());
    v1::CompleteTaskRequest request;
    *request.mutable_assignment() = run->ref();
    for (const auto& [name, value] : result->results) (*request.mutable_results())[name] = value;
    request.set_result_json(std::move(result->result_json));
    DeliverOutcome(*run, "CompleteTask", [&] { return client_->CompleteTask(&request); });
  } else {
    const absl::Status& status = result.status();
    v1::FailTaskRequest request;
    *request.mutable_assignment() = run->ref();
    if (IsPreemption(status, run->preempt_requested())) {
      outcome = AssignmentOutcome::kPreempted;
      request.set_error(FailureText(status));
    } else if (reason == CancelReason::kShutdown) {
      outcome = AssignmentOutcome::kPreempted;
      request.set_error(absl::StrCat("worker shut down before the runner finished (",
                                     FailureText(status), ")"));
    } else {
      outcome = AssignmentOutcome::kFailed;
      request.set_error(FailureText(status));
      request.set_retryable(IsRetryableFailure(status));
    }
    if (outcome == AssignmentOutcome::kPreempted) {
      request.set_preempted(true);
      request.set_retryable(true);
    }
    spdlog::log(outcome == AssignmentOutcome::kPreempted ? spdlog::level::info : spdlog::level::warn,
                "{}: {}: {}", run->label(), AssignmentOutcomeName(outcome), request.error());
    DeliverOutcome(*run, "FailTask", [&] { return client_->FailTask(&request); });
  }

  if (options_.metrics != nullptr) {
    options_.metrics->AssignmentFinished(assignment.stage_kind(), outcome);
    options_.metrics->RemoveTask(assignment);
  }
  absl::MutexLock lock(&mu_);
  const std::string key = RunKey(run->ref());
  runs_.erase(key);
  finished_runs_.push_back(key);
  if (options_.metrics != nullptr) {
    options_.metrics->SetAssignmentsRunning(static_cast<int>(runs_.size()));
  }
}

absl::Status Agent::ShipReports(AssignmentRun& run) {
  absl::MutexLock ship_lock(&run.ship_mutex());
  while (true) {
    ReportBuffer::Batch batch =
        run.reports().Take(kMaxLinesPerCall, kMaxPointsPerCall, clock_->NowUnixMs());
    if (batch.empty()) return absl::OkStatus();
    if (!batch.logs.empty()) {
      v1::AppendLogsRequest request;
      *request.mutable_assignment() = run.ref();
      request.mutable_lines()->Reserve(static_cast<int>(batch.logs.size()));
      for (v1::LogLine& line : batch.logs) request.add_lines()->Swap(&line);
      absl::Status status = client_->AppendLogs(&request);
      if (!status.ok()) {
        for (int i = 0; i < request.lines_size(); ++i) batch.logs[i].Swap(request.mutable_lines(i));
        run.reports().Restore(std::move(batch));
        return status;
      }
      batch.logs.clear();
    }
    if (batch.progress) {
      v1::ReportProgressRequest request;
      *request.mutable_assignment() = run.ref();
      *request.mutable_progress() = *batch.progress;
      absl::Status status = client_->ReportProgress(&request);
      if (!status.ok()) {
        run.reports().Restore(std::move(batch));
        return status;
      }
      batch.progress.reset();
    }
    if (!batch.metrics.empty()) {
      v1::ReportMetricsRequest request;
      *request.mutable_assignment() = run.ref();
      request.mutable_points()->Reserve(static_cast<int>(batch.metrics.size()));
      for (v1::MetricPoint& point : batch.metrics) request.add_points()->Swap(&point);
      absl::Status status = client_->ReportMetrics(&request);
      if (!status.ok()) {
        for (int i = 0; i < request.points_size(); ++i) {
          batch.metrics[i].Swap(request.mutable_points(i));
        }
        run.reports().Restore(std::move(batch));
        return status;
      }
    }
  }
}

void Agent::DeliverOutcome(AssignmentRun& run, const char* what,
                           const std::function<absl::Status()>& send) {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  bool reports_done = false;
  int not_found = 0;
  bool failing = false;
  while (true) {
    if (run.cancel_reason() == CancelReason::kCoordinator) {
      spdlog::info("{}: cancelled by the coordinator; not sending {}", run.label(), what);
      return;
    }
    if (run.cancel_reason() == CancelReason::kLeaseLost) {
      spdlog::warn("{}: lease lost while delivering; not sending {}", run.label(), what);
      run.reports().Clear();
      return;
    }
    const char* step = reports_done ? what : "reports";
    absl::Status status = reports_done ? send() : ShipReports(run);
    if (status.ok()) {
      if (reports_done) return;
      reports_done = true;
      backoff.Reset();
      continue;
    }
    if (status.code() == absl::StatusCode::kFailedPrecondition) {
      spdlog::warn("{}: the coordinator rejected the {} ({}): the lease was lost and the task "
                   "re-queued; dropping",
                   run.label(), step, std::string(status.message()));
      run.Cancel(CancelReason::kStale);
      run.reports().Clear();
      return;
    }
    const bool retry = IsTransient(status) ||
                       (status.code() == absl::StatusCode::kNotFound && ++not_found <= kMaxNotFound);
    if (!retry) {
      if (!reports_done) {
        spdlog::warn("{}: dropping reports the coordinator does not accept: {}", run.label(),
                     status.ToString());
        run.reports().Clear();
        reports_done = true;
        continue;
      }
      spdlog::error("{}: {} rejected: {}; giving up", run.label(), what, status.ToString());
      return;
    }
    if (!failing) {
      spdlog::warn("{}: sending {} failed ({}); retrying", run.label(), step, status.ToString());
    }
    failing = true;
    if (SleepUntil(&abandon_deliveries_, backoff.Next())) {
      spdlog::warn("{}: shutting down; abandoning {} ({})", run.label(), what, status.ToString());
      return;
    }
  }
}

void Agent::JoinFinishedThreads() {
  std::vector<std::thread> done;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& key : finished_runs_) {
      auto it = run_threads_.find(key);
      if (it == run_threads_.end()) continue;
      done.push_back(std::move(it->second));
      run_threads_.erase(it);
    }
    finished_runs_.clear();
  }
  for (std::thread& thread : done) thread.join();
}

}  // namespace ecgbench::worker
