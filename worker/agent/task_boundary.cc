// Task boundary implementation: the one place in the agent that catches runner exceptions.
#include "worker/agent/task_boundary.h"

#include <exception>
#include <new>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::worker {
namespace {

constexpr size_t kMaxFailureText = 4000;

// LibTorch's c10::Error::what() is the message followed by "\nException raised from ..." and a
// backtrace; keep the message.
std::string FirstPart(const char* what) {
  std::string text = what == nullptr ? "" : what;
  const size_t cut = text.find("\nException raised from");
  if (cut != std::string::npos) text.resize(cut);
  return text;
}

bool SaysOutOfMemory(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  return absl::StrContains(lower, "out of memory") || absl::StrContains(lower, "not enough memory") ||
         absl::StrContains(lower, "can't allocate memory");
}

}  // namespace

absl::StatusOr<TaskResult> RunGuarded(StageRunner& runner, TaskContext& ctx) {
  try {
    return runner.Run(ctx);
  } catch (const std::bad_alloc& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("stage runner ran out of memory (", e.what(), ")"));
  } catch (const std::exception& e) {
    const std::string text = FirstPart(e.what());
    if (SaysOutOfMemory(text)) {
      return absl::ResourceExhaustedError(absl::StrCat("stage runner ran out of memory: ", text));
    }
    return absl::InternalError(absl::StrCat("stage runner threw: ", text));
  } catch (...) {
    return absl::InternalError("stage runner threw an exception that is not a std::exception");
  }
}

bool IsRetryableFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:  // e.g. a spec path outside --data-root
      return false;
    default:
      return true;
  }
}

bool IsPreemption(const absl::Status& status, bool preempt_requested) {
  return status.code() == absl::StatusCode::kAborted &&
         (preempt_requested || status.message() == kPreemptedMessage);
}

std::string FailureText(const absl::Status& status) {
  std::string text =
      absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
  if (text.size() > kMaxFailureText) {
    text.resize(kMaxFailureText - 3);
    text += "...";
  }
  return text;
}

}  // namespace ecgbench::worker
