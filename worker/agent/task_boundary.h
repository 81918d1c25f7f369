// The task boundary: where a stage runner's outcome (a status, or an exception it let escape)
// becomes what the agent reports to the coordinator.
// Thread-safe (stateless).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

// runner.Run(ctx), with exceptions turned into statuses: std::bad_alloc and messages that say the
// process ran out of memory -> RESOURCE_EXHAUSTED; any other std::exception -> INTERNAL with its
// message (first line only: LibTorch appends a backtrace); anything else -> INTERNAL.
absl::StatusOr<TaskResult> RunGuarded(StageRunner& runner, TaskContext& ctx);

// False for errors that repeating cannot fix: INVALID_ARGUMENT, FAILED_PRECONDITION, UNIMPLEMENTED,
// NOT_FOUND, PERMISSION_DENIED.
bool IsRetryableFailure(const absl::Status& status);

// ABORTED "preempted" (see PreemptedStatus), or any ABORTED once a preemption was requested.
bool IsPreemption(const absl::Status& status, bool preempt_requested);

// The text sent as FailTask.error: "CODE: message", at most 4000 characters.
std::string FailureText(const absl::Status& status);

}  // namespace ecgbench::worker
