// The contract between the worker agent and the code that runs one stage kind ("probe", later
// "preprocess", "train", ...): a StageRunner executes one assignment (one rank of one task attempt)
// against a TaskContext that the agent implements (and tests fake). Torch-free: runners that use
// LibTorch keep it in their .cc files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ecgbench/v1/worker.pb.h"

namespace ecgbench::worker {

// What a successful run hands back; sent as CompleteTask(results, result_json).
struct TaskResult {
  std::map<std::string, double> results;  // final metrics of this rank
  std::string result_json;                // free-form document (artifact paths, reports)
};

// The status message a runner returns (with code ABORTED) after it saw preempt_requested() and
// saved what it could; the agent then releases the task with FailTask(preempted=true).
inline constexpr char kPreemptedMessage[] = "preempted";
inline absl::Status PreemptedStatus() { return absl::AbortedError(kPreemptedMessage); }

// The runner's view of its assignment and of the coordinator. One context per assignment; the
// agent's implementation is thread-safe (a runner may report from several threads) and its
// reporting calls never block on the network: logs, progress and metrics are buffered and shipped
// by the agent in batches, and resent after the coordinator comes back.
class TaskContext {
 public:
  virtual ~TaskContext() = default;

  virtual const v1::Assignment& assignment() const = 0;

  // One log line, shipped to the coordinator with its time and level.
  virtual void Log(v1::LogLevel level, std::string_view message) = 0;
  // Latest progress wins (coalesced). total <= 0: unknown total.
  virtual void ReportProgress(int64_t done, int64_t total, std::string_view unit,
                              std::string_view message) = 0;
  virtual void ReportMetric(std::string_view name, double value, int64_t step) = 0;

  // Rendezvous key-value store scoped to this task attempt (shared by all its ranks). These calls
  // do block: they retry while the coordinator is unreachable and return CANCELLED when the
  // assignment is cancelled, DEADLINE_EXCEEDED when `timeout` passes first.
  virtual absl::Status KvSet(const std::string& key, const std::string& value) = 0;
  // nullopt when the key is not set.
  virtual absl::StatusOr<std::optional<std::string>> KvGet(const std::string& key) = 0;
  // Waits until every key is set; the values come back in the order of `keys`.
  virtual absl::StatusOr<std::vector<std::string>> KvWait(const std::vector<std::string>& keys,
                                                         absl::Duration timeout) = 0;

  // The coordinator cancelled this assignment (or the worker is going down without time left):
  // stop as soon as possible; whatever the runner returns is not reported as a completion.
  virtual bool cancelled() const = 0;
  // SIGTERM or drain: save a checkpoint if the runner supports it and return PreemptedStatus().
  virtual bool preempt_requested() const = 0;

  // A private, existing, empty directory for this assignment; removed after the runner returns.
  virtual const std::string& work_dir() const = 0;
};

// Runs assignments of one stage kind. A runner object serves one assignment (the registry creates
// one per assignment), so it may keep per-run state without locking.
class StageRunner {
 public:
  virtual ~StageRunner() = default;

  // Runs to completion, failure, cancellation or preemption. Errors: any absl::Status; the agent
  // reports INVALID_ARGUMENT, FAILED_PRECONDITION, UNIMPLEMENTED, NOT_FOUND and PERMISSION_DENIED
  // as non-retryable, ABORTED "preempted" as a preemption, everything else as retryable. Exceptions that escape are
  // caught by the agent and reported like INTERNAL (RESOURCE_EXHAUSTED when out of memory).
  virtual absl::StatusOr<TaskResult> Run(TaskContext& ctx) = 0;

  // True when a preempted run resumes from a checkpoint instead of starting over.
  virtual bool SupportsCheckpoint() const { return false; }
};

}  // namespace ecgbench::worker
