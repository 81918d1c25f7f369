// GradientBucketer over Gloo ranks as threads: bucket layout, exact averages, launches during
// backward, gradient accumulation, unused parameters, misuse and bad input.
#include "worker/train/collective/gradient_bucketer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>

#include "tests/unit/worker/train/collective/gloo_ranks.h"

namespace ecgbench::worker::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RunGlooRanks;

std::vector<double> Values(const at::Tensor& t) {
  const at::Tensor d = t.to(torch::kFloat64).contiguous().reshape({-1});
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

at::Tensor Param(std::vector<int64_t> shape, c10::ScalarType dtype = torch::kFloat32) {
  return torch::zeros(shape, dtype).requires_grad_(true);
}

// Forwards to a real collective and counts the all-reduces started.
class CountingCollective final : public Collective {
 public:
  explicit CountingCollective(Collective& inner) : inner_(inner) {}
  int rank() const override { return inner_.rank(); }
  int world_size() const override { return inner_.world_size(); }
  std::string backend() const override { return inner_.backend(); }
  c10::Device device() const override { return inner_.device(); }
  absl::StatusOr<std::unique_ptr<CollectiveWork>> AllReduce(std::vector<at::Tensor> tensors, ReduceOp op) override {
    ++all_reduces;
    return inner_.AllReduce(std::move(tensors), op);
  }
  absl::Status Broadcast(std::vector<at::Tensor> tensors) override { return inner_.Broadcast(std::move(tensors)); }
  absl::Status Barrier() override { return inner_.Barrier(); }
  std::atomic<int> all_reduces{0};

 protected:
  absl::StatusOr<std::vector<at::Tensor>> AllGatherEqualShapes(const at::Tensor&) override {
    return absl::UnimplementedError("the bucketer tests do not gather");
  }

 private:
  Collective& inner_;
};

TEST(GradientBucketerTest, LayoutIsReverseParameterOrderPerDtypeAndSize) {
  RunGlooRanks(1, [](Collective& c) {
    // 16, 24, 24 (double) and 20 bytes; buckets of at most 40 bytes.
    std::vector<at::Tensor> params = {Param({4}), Param({2, 3}), Param({3}, torch::kFloat64), Param({5})};
    BucketerOptions options;
    options.bucket_bytes = 40;
    auto bucketer = GradientBucketer::Create(c, params, options);
    ASSERT_TRUE(bucketer.ok()) << bucketer.status();
    EXPECT_THAT((*bucketer)->bucket_layout(),
                ElementsAre(ElementsAre(3), ElementsAre(1, 0), ElementsAre(2)));
    options.bucket_bytes = int64_t{25} << 20;  // the default: one bucket per dtype
    auto big = GradientBucketer::Create(c, params, options);
    ASSERT_TRUE(big.ok());
    EXPECT_THAT((*big)->bucket_layout(), ElementsAre(ElementsAre(3, 1, 0), ElementsAre(2)));
  });
}

class BucketerRanksTest : public ::testing::TestWithParam<int> {};

TEST_P(BucketerRanksTest, AveragesGradientsEveryStep) {
  const int world = GetParam();
  RunGlooRanks(world, [world](Collective& c) {
    at::Tensor p1 = Param({3});
    at::Tensor p2 = Param({2}, torch::kFloat64);
    BucketerOptions options;
    options.bucket_bytes = 8;
    auto bucketer = GradientBucketer::Create(c, {p1, p2}, options);
    ASSERT_TRUE(bucketer.ok());
    const double mean = (world + 1) / 2.0;  // mean of 1..world
    for (int step = 1; step <= 3; ++step) {
      p1.mutable_grad().reset();
      p2.mutable_grad().reset();
      const double r = (c.rank() + 1) * step;
      at::Tensor loss = (p1 * torch::tensor({1.0f, 2.0f, 3.0f}) * r).sum() +
                        (p2 * torch::tensor({-1.0, 0.5}, torch::kFloat64) * r).sum().to(torch::kFloat32);
      loss.backward();
      ASSERT_TRUE((*bucketer)->Finish().ok());
      EXPECT_THAT(Values(p1.grad()), ElementsAre(mean * step, 2 * mean * step, 3 * mean * step)) << step;
      EXPECT_THAT(Values(p2.grad()), ElementsAre(-mean * step, 0.5 * mean * step)) << step;
    }
  });
}

TEST_P(BucketerRanksTest, BucketsStartWhileBackwardIsStillRunning) {
  RunGlooRanks(GetParam(), [](Collective& inner) {
    CountingCollective c(inner);
    at::Tensor first = Param({4});
    at::Tensor last = Param({4});
    int launched_when_first_got_its_gradient = -1;
    // Registered before the bucketer's hook, so it runs first: by then `last` (whose gradient
    // backward computes first) must already be on the wire.
    first.register_hook([&](const at::Tensor&) { launched_when_first_got_its_gradient = c.all_reduces.load(); });
    BucketerOptions options;
    options.bucket_bytes = 16;  // one parameter per bucket
    auto bucketer = GradientBucketer::Create(c, {first, last}, options);
    ASSERT_TRUE(bucketer.ok());
    ASSERT_THAT((*bucketer)->bucket_layout(), ElementsAre(ElementsAre(1), ElementsAre(0)));
    at::Tensor x = torch::ones({4});
    ((x * first).tanh() * last).sum().backward();
    EXPECT_EQ(launched_when_first_got_its_gradient, 1);
    ASSERT_TRUE((*bucketer)->Finish().ok());
    EXPECT_EQ(c.all_reduces.load(), 3);  // two buckets and the used-parameter map
  });
}

TEST_P(BucketerRanksTest, AccumulatesLocallyAndAveragesOnTheLastMicroBatch) {
  const int world = GetParam();
  RunGlooRanks(world, [world](Collective& inner) {
    CountingCollective c(inner);
    at::Tensor p = Param({2});
    auto bucketer = GradientBucketer::Create(c, {p});
    ASSERT_TRUE(bucketer.ok());
    const double r = c.rank() + 1;
    (*bucketer)->set_sync(false);
    EXPECT_FALSE((*bucketer)->sync());
    (p * torch::tensor({1.0f, 1.0f}) * r).sum().backward();
    ASSERT_TRUE((*bucketer)->Finish().ok());  // nothing to do while accumulating
    EXPECT_EQ(c.all_reduces.load(), 0);
    EXPECT_THAT(Values(p.grad()), ElementsAre(r, r));  // local only
    (*bucketer)->set_sync(true);
    (p * torch::tensor({2.0f, 0.0f}) * r).sum().backward();
    ASSERT_TRUE((*bucketer)->Finish().ok());
    const double mean = (world + 1) / 2.0;
    EXPECT_THAT(Values(p.grad()), ElementsAre(3 * mean, mean));  // mean over ranks of (x1 + x2)
  });
}

TEST_P(BucketerRanksTest, UnusedParametersNeverHang) {
  const int world = GetParam();
  for (bool track_unused : {true, false}) {
    RunGlooRanks(world, [world, track_unused](Collective& c) {
      at::Tensor never = Param({2});
      at::Tensor only_rank0 = Param({2});
      at::Tensor always = Param({2});
      BucketerOptions options;
      options.track_unused = track_unused;
      options.bucket_bytes = 8;
      auto bucketer = GradientBucketer::Create(c, {never, only_rank0, always}, options);
      ASSERT_TRUE(bucketer.ok());
      at::Tensor loss = (always * torch::tensor({1.0f, 2.0f})).sum();
      if (c.rank() == 0) loss = loss + (only_rank0 * torch::tensor({6.0f, -6.0f})).sum();
      loss.backward();
      ASSERT_TRUE((*bucketer)->Finish().ok());
      EXPECT_THAT(Values(always.grad()), ElementsAre(1, 2));
      // Used on rank 0 only: the average over ranks, with zeros from the others, on every rank.
      EXPECT_THAT(Values(only_rank0.grad()), ElementsAre(6.0 / world, -6.0 / world));
      if (track_unused) {
        EXPECT_FALSE(never.grad().defined());  // as in single-process training
      } else {
        EXPECT_THAT(Values(never.grad()), ElementsAre(0, 0));
      }
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Worlds, BucketerRanksTest, ::testing::Values(2, 3));

TEST(GradientBucketerTest, TwoBackwardsInOneSynchronisedStepAreAnError) {
  RunGlooRanks(2, [](Collective& c) {
    at::Tensor p = Param({2});
    auto bucketer = GradientBucketer::Create(c, {p});
    ASSERT_TRUE(bucketer.ok());
    (p * 2).sum().backward();
    (p * 3).sum().backward();
    const absl::Status status = (*bucketer)->Finish();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(status.message()), HasSubstr("parameter 0 got a second gradient in one synchronised step"));
    // The next step works.
    p.mutable_grad().reset();
    (p * static_cast<double>(c.rank() + 1)).sum().backward();
    ASSERT_TRUE((*bucketer)->Finish().ok());
    EXPECT_THAT(Values(p.grad()), ElementsAre(1.5, 1.5));
  });
}

TEST(GradientBucketerTest, DestructionRemovesTheHooks) {
  RunGlooRanks(1, [](Collective& inner) {
    CountingCollective c(inner);
    at::Tensor p = Param({2});
    {
      auto bucketer = GradientBucketer::Create(c, {p});
      ASSERT_TRUE(bucketer.ok());
    }
    (p * 2).sum().backward();
    EXPECT_EQ(c.all_reduces.load(), 0);
    EXPECT_THAT(Values(p.grad()), ElementsAre(2, 2));
  });
}

TEST(GradientBucketerTest, RejectsBadParameters) {
  RunGlooRanks(1, [](Collective& c) {
    auto message = [&](std::vector<at::Tensor> params, BucketerOptions options = {}) {
      auto bucketer = GradientBucketer::Create(c, std::move(params), options);
      EXPECT_FALSE(bucketer.ok());
      EXPECT_EQ(bucketer.status().code(), absl::StatusCode::kInvalidArgument);
      return std::string(bucketer.status().message());
    };
    at::Tensor p = Param({2});
    EXPECT_EQ(message({}), "GradientBucketer: no parameters");
    EXPECT_EQ(message({p, torch::zeros({2})}),
              "GradientBucketer: parameter 1 is not a leaf that requires grad (pass only trainable parameters)");
    EXPECT_EQ(message({p, p}), "GradientBucketer: parameter 1 is listed twice");
    EXPECT_EQ(message({p, p * 2}),
              "GradientBucketer: parameter 1 is not a leaf that requires grad (pass only trainable parameters)");
    BucketerOptions zero;
    zero.bucket_bytes = 0;
    EXPECT_EQ(message({p}, zero), "GradientBucketer: bucket_bytes must be >= 1 (got 0)");
  });
}

}  // namespace
}  // namespace ecgbench::worker::train
