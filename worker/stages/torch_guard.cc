// LibTorch exception adapter for stage runners.
#include "worker/stages/torch_guard.h"

#include <c10/util/Exception.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::worker {
namespace {

class TorchGuardedRunner final : public StageRunner {
 public:
  explicit TorchGuardedRunner(std::unique_ptr<StageRunner> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override {
    try {
      return inner_->Run(ctx);
    } catch (const c10::OutOfMemoryError& e) {
      return absl::ResourceExhaustedError(
          absl::StrCat("LibTorch ran out of memory: ", e.what_without_backtrace()));
    } catch (const c10::Error& e) {
      const std::string message = e.what_without_backtrace();
      // 1.13's CPU allocator reports failures as a plain c10::Error.
      if (absl::StrContains(message, "can't allocate memory") ||
          absl::StrContains(message, "not enough memory")) {
        return absl::ResourceExhaustedError(absl::StrCat("LibTorch ran out of memory: ", message));
      }
      return absl::InternalError(absl::StrCat("LibTorch error: ", message));
    }
  }

  bool SupportsCheckpoint() const override { return inner_->SupportsCheckpoint(); }

 private:
  std::unique_ptr<StageRunner> inner_;
};

}  // namespace

std::unique_ptr<StageRunner> GuardTorchExceptions(std::unique_ptr<StageRunner> runner) {
  return std::make_unique<TorchGuardedRunner>(std::move(runner));
}

}  // namespace ecgbench::worker
