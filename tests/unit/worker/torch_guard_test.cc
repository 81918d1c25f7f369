// Torch guard: real LibTorch errors become statuses without the C++ backtrace.
#include "worker/stages/torch_guard.h"

#include <gtest/gtest.h>

#include "tests/unit/worker/null_task_context.h"
#include <torch/torch.h>

#include <functional>

#include "worker/stages/builtin_stages.h"

namespace ecgbench::worker {
namespace {

using NullContext = test_support::NullTaskContext;

class TensorRunner final : public StageRunner {
 public:
  explicit TensorRunner(std::function<void()> body) : body_(std::move(body)) {}
  absl::StatusOr<TaskResult> Run(TaskContext&) override {
    body_();
    return TaskResult{{{"ok", 1}}, ""};
  }
  bool SupportsCheckpoint() const override { return true; }

 private:
  std::function<void()> body_;
};

absl::StatusOr<TaskResult> RunGuardedBody(std::function<void()> body) {
  auto runner = GuardTorchExceptions(std::make_unique<TensorRunner>(std::move(body)));
  NullContext ctx;
  return runner->Run(ctx);
}

TEST(TorchGuardTest, ShapeErrorsBecomeInternalWithoutBacktrace) {
  auto result = RunGuardedBody([] { torch::ones({2, 3}).matmul(torch::ones({2, 3})); });
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(std::string(result.status().message()).rfind("LibTorch error: ", 0), 0u);
  EXPECT_NE(result.status().message().find("cannot be multiplied"), absl::string_view::npos)
      << result.status();
  EXPECT_EQ(result.status().message().find("Exception raised from"), absl::string_view::npos);
}

TEST(TorchGuardTest, AllocationFailureIsResourceExhausted) {
  // 2^46 floats = 256 TiB: more than the address space of a process.
  auto result = RunGuardedBody([] { torch::empty({int64_t{1} << 46}); });
  ASSERT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted) << result.status();
  EXPECT_EQ(std::string(result.status().message()).rfind("LibTorch ran out of memory: ", 0), 0u);
  EXPECT_NE(result.status().message().find("281474976710656 bytes"), absl::string_view::npos)
      << result.status();
  EXPECT_EQ(result.status().message().find("Exception raised from"), absl::string_view::npos);
}

TEST(TorchGuardTest, PassesResultsAndCheckpointSupportThrough) {
  auto runner = GuardTorchExceptions(std::make_unique<TensorRunner>([] {}));
  EXPECT_TRUE(runner->SupportsCheckpoint());
  NullContext ctx;
  auto result = runner->Run(ctx);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->results.at("ok"), 1);
}

TEST(BuiltinStagesTest, RegistersTheBuiltinKinds) {
  StageRegistry registry;
  ASSERT_TRUE(RegisterBuiltinStages(registry).ok());
  EXPECT_EQ(registry.Kinds(),
            (std::vector<std::string>{"dataset", "evaluate", "preprocess", "pretrain", "probe", "rag", "score",
                                      "tokenizer", "train"}));
  EXPECT_NE(registry.Create("probe"), nullptr);
  EXPECT_NE(registry.Create("train"), nullptr);
  EXPECT_NE(registry.Create("evaluate"), nullptr);
  EXPECT_NE(registry.Create("score"), nullptr);
  EXPECT_EQ(registry.Create("judge"), nullptr);
  EXPECT_EQ(RegisterBuiltinStages(registry),
            absl::AlreadyExistsError("stage kind \"probe\" is already registered"));
}

}  // namespace
}  // namespace ecgbench::worker
