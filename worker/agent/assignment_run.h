// AssignmentRun: one assignment (one rank of one task attempt) on this worker. It is the
// TaskContext its runner sees, and the agent's handle on it: cancel/preempt flags, the buffer of
// reports waiting to be shipped, the rendezvous KV calls (with retries while the coordinator is
// unreachable).
// Thread-safe. The CoordinatorClient, Clock and WorkerMetrics passed in must outlive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/util/clock.h"
#include "worker/agent/coordinator_client.h"
#include "worker/agent/report_buffer.h"
#include "worker/agent/stage_runner.h"
#include "worker/agent/worker_metrics.h"

namespace ecgbench::worker {

// Why an assignment was told to stop; the first reason given wins.
enum class CancelReason {
  kNone = 0,
  kCoordinator,  // KIND_CANCEL: report nothing
  kStale,        // the coordinator rejected a report with FAILED_PRECONDITION: report nothing
  kShutdown,     // the worker's shutdown grace period ran out: release as preempted
  // The worker's lease may have expired at the coordinator (no heartbeat answered for about a
  // lease, or the coordinator no longer knows the worker): another worker may own the task now, so
  // stop without a checkpoint and report nothing (self-fencing; see LeaseTracker).
  kLeaseLost,
};
const char* CancelReasonName(CancelReason reason);

struct AssignmentRunOptions {
  CoordinatorClient* client = nullptr;
  common::Clock* clock = nullptr;
  WorkerMetrics* metrics = nullptr;  // may be null
  std::function<void()> wake_shipper;  // called when a full batch of log lines is waiting
  size_t log_batch_lines = 100;
  size_t max_buffered_log_lines = 20000;
  size_t max_buffered_metric_points = 20000;
  absl::Duration kv_call_timeout = absl::Seconds(60);  // KvSet / KvGet, retries included
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(2);
};

class AssignmentRun final : public TaskContext {
 public:
  AssignmentRun(v1::Assignment assignment, std::string work_dir, AssignmentRunOptions options);

  // TaskContext.
  const v1::Assignment& assignment() const override { return assignment_; }
  void Log(v1::LogLevel level, std::string_view message) override;
  void ReportProgress(int64_t done, int64_t total, std::string_view unit,
                      std::string_view message) override;
  void ReportMetric(std::string_view name, double value, int64_t step) override;
  absl::Status KvSet(const std::string& key, const std::string& value) override;
  absl::StatusOr<std::optional<std::string>> KvGet(const std::string& key) override;
  absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>& keys,
                                                 absl::Duration timeout) override;
  bool cancelled() const override { return cancel_reason() != CancelReason::kNone; }
  bool preempt_requested() const override { return preempt_.load(); }
  const std::string& work_dir() const override { return work_dir_; }

  // Agent side.
  const v1::AssignmentRef& ref() const { return ref_; }
  // "task <task id> rank <r> attempt <attempt id>", for log lines.
  const std::string& label() const { return label_; }
  // Returns true when this call set the reason (the first reason given wins).
  bool Cancel(CancelReason reason);
  CancelReason cancel_reason() const { return static_cast<CancelReason>(cancel_reason_.load()); }
  // Monotonic ms of the first Cancel (0: not cancelled).
  int64_t cancelled_at_ms() const { return cancelled_at_ms_.load(); }
  // The runner returned (the agent is reporting or cleaning up); a cancelled run that has not is
  // still running its stage code.
  void MarkRunnerReturned() { runner_returned_.store(true); }
  bool runner_returned() const { return runner_returned_.load(); }
  // True the first time only: the agent reports a stuck runner once.
  bool MarkStuckReported() { return !stuck_reported_.exchange(true); }
  void RequestPreempt() { preempt_.store(true); }
  ReportBuffer& reports() { return reports_; }
  // Held while shipping this assignment's reports, so batches go out in order.
  absl::Mutex& ship_mutex() { return ship_mu_; }
  // Waits up to `d`; returns early (true) when the assignment is cancelled.
  bool SleepUnlessCancelled(absl::Duration d);

 private:
  // Runs `call` until it succeeds, fails for good, the assignment is cancelled or `timeout` passes;
  // transient errors are retried with backoff.
  absl::Status Retry(const char* what, absl::Duration timeout,
                     const std::function<absl::Status()>& call);

  const v1::Assignment assignment_;
  const v1::AssignmentRef ref_;
  const std::string label_;
  const std::string work_dir_;
  const AssignmentRunOptions options_;
  const int64_t start_monotonic_ms_;

  std::atomic<int> cancel_reason_{static_cast<int>(CancelReason::kNone)};
  std::atomic<int64_t> cancelled_at_ms_{0};
  std::atomic<bool> runner_returned_{false};
  std::atomic<bool> stuck_reported_{false};
  std::atomic<bool> preempt_{false};
  ReportBuffer reports_;
  absl::Mutex ship_mu_;
  absl::Mutex wait_mu_;  // only to wake SleepUnlessCancelled
};

}  // namespace ecgbench::worker
