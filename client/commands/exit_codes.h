// Exit codes of the ecgbench CLI (documented in docs/cli.md) and their mapping from experiment
// states and RPC status codes. Pure; thread-safe.
#pragma once

#include "absl/status/status.h"
#include "ecgbench/v1/types.pb.h"

namespace ecgbench::client {

enum ExitCode : int {
  kExitOk = 0,                // success; experiment SUCCEEDED
  kExitFailed = 1,            // experiment FAILED, or any other error
  kExitUsage = 2,             // command-line parse error
  kExitCancelled = 3,         // experiment CANCELLED
  kExitNotFound = 4,          // NOT_FOUND (no such experiment)
  kExitUnavailable = 5,       // coordinator unreachable (UNAVAILABLE, or no answer in --timeout)
  kExitInvalidArgument = 6,   // INVALID_ARGUMENT (spec rejected, or invalid data for `data` tools)
  kExitInterrupted = 130,     // Ctrl-C
};

// SUCCEEDED -> 0, CANCELLED -> 3, FAILED and every non-terminal state -> 1.
int ExitCodeForState(v1::State state);

// OK -> 0, NOT_FOUND -> 4, UNAVAILABLE and DEADLINE_EXCEEDED -> 5, INVALID_ARGUMENT -> 6,
// everything else -> 1.
int ExitCodeForStatus(const absl::Status& status);

}  // namespace ecgbench::client
