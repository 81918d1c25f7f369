// The Gloo backend with 2 and 3 ranks as threads on 127.0.0.1: exact results of all-reduce,
// broadcast, all-gather, barrier and metric reduction; input checks; rendezvous errors.
#include "worker/train/collective/gloo_collective.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <thread>

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

class GlooRanksTest : public ::testing::TestWithParam<int> {};

TEST_P(GlooRanksTest, AllReduceSumAndAverageAreExact) {
  const int world = GetParam();
  RunGlooRanks(world, [world](Collective& c) {
    EXPECT_EQ(c.world_size(), world);
    EXPECT_EQ(c.backend(), "gloo");
    const double r = c.rank() + 1;  // ranks contribute 1, 2, 3
    at::Tensor a = torch::tensor({r, 10 * r}, torch::kFloat32);
    at::Tensor b = torch::full({2, 2}, r, torch::kFloat32);  // a second tensor: coalesced
    auto sum = c.AllReduceSum({a, b});
    ASSERT_TRUE(sum.ok()) << sum.status();
    ASSERT_TRUE((*sum)->Wait().ok());
    EXPECT_TRUE((*sum)->Wait().ok());  // idempotent
    const double total = world * (world + 1) / 2.0;
    EXPECT_THAT(Values(a), ElementsAre(total, 10 * total));
    EXPECT_THAT(Values(b), ElementsAre(total, total, total, total));

    at::Tensor avg = torch::tensor({r, -r}, torch::kFloat64);
    auto average = c.AllReduceAverage({avg});
    ASSERT_TRUE(average.ok());
    ASSERT_TRUE((*average)->Wait().ok());
    EXPECT_THAT(Values(avg), ElementsAre(total / world, -total / world));

    at::Tensor ints = torch::tensor({int64_t{1} << 40}, torch::kInt64) * static_cast<int64_t>(r);
    auto int_sum = c.AllReduceSum({ints});
    ASSERT_TRUE(int_sum.ok());
    ASSERT_TRUE((*int_sum)->Wait().ok());
    EXPECT_EQ(ints.item<int64_t>(), (int64_t{1} << 40) * static_cast<int64_t>(total));
  });
}

TEST_P(GlooRanksTest, BroadcastCopiesRankZerosValuesIntoEveryDtype) {
  const int world = GetParam();
  RunGlooRanks(world, [](Collective& c) {
    const double r = c.rank();
    at::Tensor weight = torch::full({2, 3}, r + 0.5, torch::kFloat32).requires_grad_(true);
    at::Tensor steps = torch::tensor({static_cast<int64_t>(100 + r)}, torch::kInt64);
    at::Tensor bias = torch::full({3}, -r, torch::kFloat32).requires_grad_(true);
    ASSERT_TRUE(c.Broadcast({weight, steps, bias}).ok());
    EXPECT_THAT(Values(weight), ElementsAre(0.5, 0.5, 0.5, 0.5, 0.5, 0.5));
    EXPECT_EQ(steps.item<int64_t>(), 100);
    EXPECT_THAT(Values(bias), ElementsAre(0, 0, 0));
    EXPECT_TRUE(weight.requires_grad());
  });
}

TEST_P(GlooRanksTest, AllGatherConcatenatesInRankOrder) {
  const int world = GetParam();
  RunGlooRanks(world, [world](Collective& c) {
    at::Tensor local = torch::full({2, 3}, static_cast<double>(c.rank()), torch::kFloat32).requires_grad_(true);
    auto gathered = c.AllGather(local * 1);
    ASSERT_TRUE(gathered.ok()) << gathered.status();
    ASSERT_EQ(gathered->sizes(), (std::vector<int64_t>{2 * world, 3}));
    EXPECT_FALSE(gathered->requires_grad());
    for (int r = 0; r < world; ++r) {
      EXPECT_THAT(Values(gathered->narrow(0, 2 * r, 2)), ElementsAre(r, r, r, r, r, r)) << "slice " << r;
    }
    // WithLocalSlice: the same numbers, with gradients flowing into this rank's tensor only.
    at::Tensor joined = WithLocalSlice(*gathered, local, c.rank());
    EXPECT_TRUE(torch::equal(joined.detach(), *gathered));
    (joined * joined).sum().backward();
    EXPECT_THAT(Values(local.grad()), ElementsAre(2.0 * c.rank(), 2.0 * c.rank(), 2.0 * c.rank(), 2.0 * c.rank(),
                                                  2.0 * c.rank(), 2.0 * c.rank()));
  });
}

TEST_P(GlooRanksTest, AllGatherRejectsDifferentShapesOnEveryRank) {
  const int world = GetParam();
  RunGlooRanks(world, [world](Collective& c) {
    at::Tensor local = torch::zeros({c.rank() == world - 1 ? 1 : 2, 4}, torch::kFloat32);
    auto gathered = c.AllGather(local);
    ASSERT_FALSE(gathered.ok());
    EXPECT_EQ(gathered.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(gathered.status().message()), HasSubstr("every rank must pass the same shape"));
    EXPECT_THAT(std::string(gathered.status().message()),
                HasSubstr("rank " + std::to_string(world - 1) + " [1, 4] Float"));
    EXPECT_THAT(std::string(gathered.status().message()), HasSubstr("rank 0 [2, 4] Float"));
    // The group is still usable afterwards.
    EXPECT_TRUE(c.Barrier().ok());
  });
}

TEST_P(GlooRanksTest, BarrierWaitsForEveryRank) {
  const int world = GetParam();
  std::atomic<int> arrived{0};
  RunGlooRanks(world, [&arrived, world](Collective& c) {
    if (c.rank() == 0) absl::SleepFor(absl::Milliseconds(30));
    arrived.fetch_add(1);
    ASSERT_TRUE(c.Barrier().ok());
    EXPECT_EQ(arrived.load(), world);
  });
}

TEST_P(GlooRanksTest, ReduceScalarsForMetrics) {
  const int world = GetParam();
  RunGlooRanks(world, [world](Collective& c) {
    auto sums = c.ReduceScalars({1.0, static_cast<double>(c.rank())}, ReduceOp::kSum);
    ASSERT_TRUE(sums.ok());
    EXPECT_THAT(*sums, ElementsAre(world, world * (world - 1) / 2.0));
    auto means = c.ReduceScalars({2.0 * c.rank()}, ReduceOp::kAverage);
    ASSERT_TRUE(means.ok());
    EXPECT_THAT(*means, ElementsAre(world - 1.0));
  });
}

INSTANTIATE_TEST_SUITE_P(Worlds, GlooRanksTest, ::testing::Values(2, 3));

TEST(GlooCollectiveTest, RejectsBadTensorsBeforeCommunicating) {
  RunGlooRanks(1, [](Collective& c) {
    auto message = [&](std::vector<at::Tensor> tensors, ReduceOp op) {
      auto work = c.AllReduce(std::move(tensors), op);
      EXPECT_FALSE(work.ok());
      EXPECT_EQ(work.status().code(), absl::StatusCode::kInvalidArgument);
      return std::string(work.status().message());
    };
    EXPECT_EQ(message({}, ReduceOp::kSum), "gloo AllReduce: no tensors");
    EXPECT_EQ(message({torch::zeros({2}), torch::zeros({4, 4}).t()}, ReduceOp::kSum),
              "gloo AllReduce: tensor 1 is not a dense contiguous tensor");
    EXPECT_EQ(message({torch::zeros({2}, torch::kBFloat16)}, ReduceOp::kSum),
              "gloo AllReduce: tensor 0 has dtype BFloat16, which Gloo cannot reduce (float, double, half, "
              "int8, uint8, int32, int64)");
    EXPECT_EQ(message({torch::zeros({2}), torch::zeros({2}, torch::kFloat64)}, ReduceOp::kSum),
              "gloo AllReduce: tensor 1 has dtype Double, tensor 0 has Float (one dtype per call)");
    EXPECT_EQ(message({torch::zeros({2}, torch::kInt32)}, ReduceOp::kAverage),
              "gloo AllReduce: tensor 0 is not floating point, so it cannot be averaged");
    EXPECT_EQ(message({at::Tensor()}, ReduceOp::kSum), "gloo AllReduce: tensor 0 is undefined");
    auto scalar = c.AllGather(torch::tensor(1.0));
    EXPECT_EQ(scalar.status().message(), "AllGather: the tensor must have 1 to 8 dimensions (got 0)");
  });
}

TEST(GlooCollectiveTest, RejectsBadOptions) {
  InMemoryKv kv;
  GlooOptions options;
  options.key_prefix = "p/";
  options.hostname = "127.0.0.1";
  options.rank = 3;
  options.world_size = 3;
  EXPECT_EQ(CreateGlooCollective(kv, options).status().message(), "gloo: rank must be in [0, 3) (got 3)");
  options.rank = 0;
  options.key_prefix.clear();
  EXPECT_EQ(CreateGlooCollective(kv, options).status().message(), "gloo: key_prefix must not be empty");
  options.key_prefix = "p/";
  options.interface = "nosuchif0";  // takes precedence over the hostname; no DNS involved
  auto bad_interface = CreateGlooCollective(kv, options);
  EXPECT_EQ(bad_interface.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_interface.status().message()), HasSubstr("gloo device for interface nosuchif0: "));
  EXPECT_EQ(kv.size(), 0u);
}

TEST(GlooCollectiveTest, RendezvousTimesOutNamingTheMissingRank) {
  InMemoryKv kv;
  GlooOptions options;
  options.key_prefix = "lonely/";
  options.hostname = "127.0.0.1";
  options.world_size = 2;
  options.rendezvous_timeout = absl::Milliseconds(100);
  auto collective = CreateGlooCollective(kv, options);
  ASSERT_FALSE(collective.ok());
  EXPECT_EQ(collective.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(collective.status().message()), HasSubstr("gloo rendezvous of rank 0 of 2 (keys lonely/*)"));
  EXPECT_THAT(std::string(collective.status().message()), HasSubstr("lonely/0/1"));  // rank 1's address key
}

TEST(GlooCollectiveTest, RendezvousKeepsTheKvsCancellation) {
  class CancelledWaitKv final : public RendezvousKv {
   public:
    absl::Status Set(const std::string& k, const std::string& v) override { return kv_.Set(k, v); }
    absl::StatusOr<std::optional<std::string>> Get(const std::string& k) override { return kv_.Get(k); }
    absl::StatusOr<std::vector<std::string>> Wait(const std::vector<std::string>&, absl::Duration) override {
      return absl::CancelledError("KvWait: the assignment was cancelled");
    }

   private:
    InMemoryKv kv_;
  } kv;
  GlooOptions options;
  options.key_prefix = "c/";
  options.hostname = "127.0.0.1";
  options.world_size = 2;
  auto collective = CreateGlooCollective(kv, options);
  ASSERT_FALSE(collective.ok());
  EXPECT_EQ(collective.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(collective.status().message()), HasSubstr("KvWait: the assignment was cancelled"));
}

}  // namespace
}  // namespace ecgbench::worker::train
