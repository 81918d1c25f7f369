// Task boundary: exceptions -> statuses, retryability, preemption, failure text.
#include "worker/agent/task_boundary.h"

#include <gtest/gtest.h>

#include "tests/unit/worker/null_task_context.h"

#include <new>
#include <stdexcept>
#include <string>

namespace ecgbench::worker {
namespace {

using NullContext = test_support::NullTaskContext;

template <typename F>
class ThrowingRunner final : public StageRunner {
 public:
  explicit ThrowingRunner(F f) : f_(f) {}
  absl::StatusOr<TaskResult> Run(TaskContext&) override { f_(); return TaskResult{}; }

 private:
  F f_;
};

template <typename F>
absl::Status RunThrowing(F f) {
  ThrowingRunner<F> runner(f);
  NullContext ctx;
  return RunGuarded(runner, ctx).status();
}

TEST(TaskBoundaryTest, MapsExceptionsToStatuses) {
  EXPECT_EQ(RunThrowing([] { throw std::runtime_error("boom"); }),
            absl::InternalError("stage runner threw: boom"));
  EXPECT_EQ(RunThrowing([] { throw std::bad_alloc(); }),
            absl::ResourceExhaustedError("stage runner ran out of memory (std::bad_alloc)"));
  // LibTorch-style message: the backtrace after the first part is dropped; OOM is recognised.
  EXPECT_EQ(RunThrowing([] {
              throw std::runtime_error(
                  "CUDA out of memory. Tried to allocate 2.00 GiB\nException raised from malloc at "
                  "CUDACachingAllocator.cpp:1 (most recent call first):\nframe #0: ...");
            }),
            absl::ResourceExhaustedError(
                "stage runner ran out of memory: CUDA out of memory. Tried to allocate 2.00 GiB"));
  EXPECT_EQ(RunThrowing([] { throw 42; }),
            absl::InternalError("stage runner threw an exception that is not a std::exception"));
  EXPECT_TRUE(RunThrowing([] {}).ok());
}

TEST(TaskBoundaryTest, RetryableUnlessTheInputIsWrong) {
  EXPECT_FALSE(IsRetryableFailure(absl::InvalidArgumentError("x")));
  EXPECT_FALSE(IsRetryableFailure(absl::FailedPreconditionError("x")));
  EXPECT_FALSE(IsRetryableFailure(absl::UnimplementedError("x")));
  EXPECT_FALSE(IsRetryableFailure(absl::NotFoundError("x")));
  EXPECT_TRUE(IsRetryableFailure(absl::InternalError("x")));
  EXPECT_TRUE(IsRetryableFailure(absl::ResourceExhaustedError("x")));
  EXPECT_TRUE(IsRetryableFailure(absl::UnavailableError("x")));
}

TEST(TaskBoundaryTest, RecognisesPreemption) {
  EXPECT_TRUE(IsPreemption(PreemptedStatus(), false));
  EXPECT_TRUE(IsPreemption(absl::AbortedError("saved checkpoint at step 7"), true));
  EXPECT_FALSE(IsPreemption(absl::AbortedError("lost a race"), false));
  EXPECT_FALSE(IsPreemption(absl::CancelledError("preempted"), true));
}

TEST(TaskBoundaryTest, FailureTextHasTheCodeAndIsBounded) {
  EXPECT_EQ(FailureText(absl::ResourceExhaustedError("oom")), "RESOURCE_EXHAUSTED: oom");
  const std::string text = FailureText(absl::InternalError(std::string(10000, 'x')));
  EXPECT_EQ(text.size(), 4000u);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
}

}  // namespace
}  // namespace ecgbench::worker
