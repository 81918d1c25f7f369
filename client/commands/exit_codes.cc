// Exit code mapping.
#include "client/commands/exit_codes.h"

namespace ecgbench::client {

int ExitCodeForState(v1::State state) {
  switch (state) {
    case v1::STATE_SUCCEEDED: return kExitOk;
    case v1::STATE_CANCELLED: return kExitCancelled;
    default: return kExitFailed;
  }
}

int ExitCodeForStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return kExitOk;
    case absl::StatusCode::kNotFound: return kExitNotFound;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return kExitUnavailable;
    case absl::StatusCode::kInvalidArgument: return kExitInvalidArgument;
    default: return kExitFailed;
  }
}

}  // namespace ecgbench::client
