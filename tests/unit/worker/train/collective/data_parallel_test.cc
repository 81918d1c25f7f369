// The data-parallel check: N = 2 and 3 ranks, each a separate process (collective_dp_rank)
// reading its shard with batch b and averaging gradients through GradientBucketer over Gloo on
// 127.0.0.1, end with the same parameters (max abs diff <= 1e-5) as one process trained with batch
// N * b, after 20 steps; for plain SGD, for gradient accumulation (2 micro-batches) and for AdamW.
// The ranks meet through the rendezvous KV of a coordinator that this test serves over gRPC
// (tests/unit/worker/fake_coordinator.h), reached through the agent's own AssignmentRun, and
// publish their final parameters there.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/util/process.h"
#include "tests/unit/worker/fake_coordinator.h"
#include "tests/unit/worker/train/collective/dp_training.h"
#include "worker/agent/coordinator_client.h"

namespace ecgbench::worker::train {
namespace {

using testing::DpReference;
using testing::DpScenarioNames;
using testing::TrainMlp;

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  }
  return worst;
}

class DataParallelProcessTest : public ::testing::TestWithParam<int> {};

TEST_P(DataParallelProcessTest, RanksMatchOneProcessWithTheGlobalBatch) {
  const int world = GetParam();
  worker::testing::FakeCoordinator coordinator;
  ASSERT_TRUE(coordinator.started());
  const std::string attempt = absl::StrCat("dp-check-", world);
  std::vector<std::unique_ptr<common::ChildProcess>> ranks;
  for (int rank = 0; rank < world; ++rank) {
    auto child = common::ChildProcess::Spawn(
        {ECGBENCH_DP_RANK_BINARY, "--coordinator=" + coordinator.address(), "--attempt=" + attempt,
         absl::StrCat("--rank=", rank), absl::StrCat("--world=", world)},
        {"OMP_NUM_THREADS=1"}, "");
    ASSERT_TRUE(child.ok()) << child.status();
    ranks.push_back(std::move(*child));
  }
  // Meanwhile, the single-process reference for each scenario.
  std::map<std::string, std::vector<float>> reference;
  for (const std::string& name : DpScenarioNames()) {
    auto params = TrainMlp(DpReference(name, world), nullptr);
    ASSERT_TRUE(params.ok()) << params.status();
    reference[name] = *params;
  }
  for (int rank = 0; rank < world; ++rank) {
    auto status = ranks[static_cast<size_t>(rank)]->Wait(60000);
    ASSERT_TRUE(status.ok()) << "rank " << rank << ": " << status.status();
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "rank " << rank << " wait status " << *status;
  }

  CoordinatorClient client(grpc::CreateChannel(coordinator.address(), grpc::InsecureChannelCredentials()),
                           absl::Seconds(10));
  for (const std::string& name : DpScenarioNames()) {
    std::vector<float> rank0;
    for (int rank = 0; rank < world; ++rank) {
      auto value = client.KvGet(attempt, absl::StrCat("result/", name, "/", rank));
      ASSERT_TRUE(value.ok()) << value.status();
      ASSERT_TRUE(value->has_value()) << name << " rank " << rank << " published nothing";
      std::vector<float> params((*value)->size() / sizeof(float));
      std::memcpy(params.data(), (*value)->data(), params.size() * sizeof(float));
      const double diff = MaxAbsDiff(params, reference[name]);
      EXPECT_LE(diff, 1e-5) << name << " rank " << rank << " of " << world;
      std::cout << name << ": rank " << rank << " of " << world << ", max abs diff to 1 process " << diff << "\n";
      if (rank == 0) {
        rank0 = params;
        // The check means something: training moved the weights well beyond the tolerance.
        auto initial = TrainMlp([&] {
          auto config = DpReference(name, world);
          config.steps = 0;
          return config;
        }(), nullptr);
        ASSERT_TRUE(initial.ok());
        EXPECT_GT(MaxAbsDiff(params, *initial), 1e-2) << name;
      } else {
        // Every rank applies the same averaged gradients: identical parameters.
        EXPECT_EQ(params, rank0) << name << " rank " << rank;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Worlds, DataParallelProcessTest, ::testing::Values(2, 3));

}  // namespace
}  // namespace ecgbench::worker::train
