// The torch-free NCCL core against the real libnccl and libcudart: library version, error
// mapping, the unique-id exchange through the KV (ncclGetUniqueId needs no GPU), and
// NcclCommunicator::Create, which fails cleanly where CUDA has no device and, where it has one,
// joins a one-rank communicator and runs an all-reduce, a broadcast and an all-gather.
#include <cuda_runtime_api.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nccl.h>

#include <cstring>
#include <thread>
#include <vector>

#include "worker/train/collective/nccl_communicator.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train {
namespace {

using ::testing::HasSubstr;

TEST(NcclCoreTest, LibraryLoadsAndReportsItsVersion) {
  auto version = NcclLibraryVersion();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_GE(version->major, 2);
  // The library must be the one the header describes (same major version; minor at least 2.0).
  EXPECT_EQ(version->major, NCCL_MAJOR);
  EXPECT_GE(version->major * 100 + version->minor, 200);
}

TEST(NcclCoreTest, DecodesBothVersionEncodings) {
  const NcclVersion old_style = DecodeNcclVersion(2708);  // 2.7.8
  EXPECT_EQ(old_style.major, 2);
  EXPECT_EQ(old_style.minor, 7);
  EXPECT_EQ(old_style.patch, 8);
  const NcclVersion new_style = DecodeNcclVersion(22809);  // 2.28.9
  EXPECT_EQ(new_style.major, 2);
  EXPECT_EQ(new_style.minor, 28);
  EXPECT_EQ(new_style.patch, 9);
}

TEST(NcclCoreTest, ErrorsCarryNcclAndCudaMessages) {
  EXPECT_TRUE(NcclStatus(ncclSuccess, "x").ok());
  const absl::Status invalid = NcclStatus(ncclInvalidArgument, "ncclAllReduce");
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(invalid.message()),
              HasSubstr(std::string("NCCL ncclAllReduce: ") + ncclGetErrorString(ncclInvalidArgument)));
  EXPECT_EQ(NcclStatus(ncclSystemError, "init").code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(CudaStatus(cudaSuccess, "x").ok());
  const absl::Status cuda = CudaStatus(cudaErrorInvalidValue, "cudaMemcpy");
  EXPECT_EQ(cuda.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cuda.message(), std::string("CUDA cudaMemcpy: ") + cudaGetErrorString(cudaErrorInvalidValue) +
                                " (code " + std::to_string(static_cast<int>(cudaErrorInvalidValue)) + ")");
}

TEST(NcclCoreTest, UniqueIdTravelsThroughTheKv) {
  InMemoryKv kv;
  absl::StatusOr<ncclUniqueId> received = absl::UnknownError("not run");
  std::thread rank1([&] { received = ExchangeNcclUniqueId(kv, "p/", 1, absl::Seconds(20)); });
  auto sent = ExchangeNcclUniqueId(kv, "p/", 0, absl::Seconds(20));
  rank1.join();
  ASSERT_TRUE(sent.ok()) << sent.status();
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(std::memcmp(sent->internal, received->internal, NCCL_UNIQUE_ID_BYTES), 0);
  EXPECT_EQ(NcclIdKey("p/"), "p/nccl_unique_id");
  EXPECT_TRUE((*kv.Get("p/nccl_unique_id")).has_value());
}

TEST(NcclCoreTest, UniqueIdExchangeErrors) {
  InMemoryKv kv;
  auto timed_out = ExchangeNcclUniqueId(kv, "q/", 1, absl::Milliseconds(10));
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(timed_out.status().message()), HasSubstr("q/nccl_unique_id"));
  ASSERT_TRUE(kv.Set("q/nccl_unique_id", "short").ok());
  auto bad = ExchangeNcclUniqueId(kv, "q/", 1, absl::Seconds(1));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(bad.status().message(), "rendezvous key q/nccl_unique_id holds 5 bytes; an NCCL unique id has 128");
}

TEST(NcclCoreTest, CreateRejectsBadOptions) {
  InMemoryKv kv;
  NcclOptions options;
  options.key_prefix = "r/";
  options.rank = 2;
  options.world_size = 2;
  auto comm = NcclCommunicator::Create(kv, options);
  ASSERT_FALSE(comm.ok());
  EXPECT_EQ(comm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(comm.status().message()), HasSubstr("rank 2 of world_size 2"));
  options.rank = 0;
  options.key_prefix.clear();
  EXPECT_EQ(NcclCommunicator::Create(kv, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NcclCoreTest, CreateFailsCleanlyWithoutAGpuAndRunsWithOne) {
  InMemoryKv kv;
  NcclOptions options;
  options.key_prefix = "s/";
  int devices = 0;
  const cudaError_t probe = cudaGetDeviceCount(&devices);
  auto comm = NcclCommunicator::Create(kv, options);
  if (probe != cudaSuccess || devices == 0) {
    // No driver or no device (CI): a clear error, nothing published in the KV.
    ASSERT_FALSE(comm.ok());
    EXPECT_EQ(comm.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(comm.status().message()), HasSubstr("NCCL needs a CUDA device"));
    EXPECT_EQ(kv.size(), 0u);
    return;
  }
  ASSERT_TRUE(comm.ok()) << comm.status();
  constexpr size_t kCount = 4;
  const std::vector<float> host = {1.5f, -2.0f, 3.25f, 0.0f};
  float* device = nullptr;
  float* gathered = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&device), kCount * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&gathered), kCount * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(device, host.data(), kCount * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  EXPECT_TRUE((*comm)->AllReduce(device, device, kCount, ncclFloat32, ncclSum, stream).ok());
  EXPECT_TRUE((*comm)->Broadcast(device, device, kCount, ncclFloat32, 0, stream).ok());
  EXPECT_TRUE((*comm)->AllGather(device, gathered, kCount, ncclFloat32, stream).ok());
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  EXPECT_TRUE((*comm)->AsyncError().ok());
  std::vector<float> back(kCount);
  ASSERT_EQ(cudaMemcpy(back.data(), gathered, kCount * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(back, host);  // one rank: the sum, the broadcast and the gather are the identity
  cudaStreamDestroy(stream);
  cudaFree(device);
  cudaFree(gathered);
}

}  // namespace
}  // namespace ecgbench::worker::train
