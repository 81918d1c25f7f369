// RankDevice and JoinRankCollective.
#include "worker/stages/rank_device.h"

#include <vector>

#include "worker/stages/environment.h"
#include "worker/train/collective/gloo_collective.h"
#include "worker/train/collective/task_context_kv.h"
#if defined(ECGBENCH_WITH_CUDA)
#include "worker/train/collective/nccl_collective.h"
#endif

namespace ecgbench::worker {

torch::Device RankDevice(const v1::Assignment& assignment) {
  if (!torch::cuda::is_available()) return torch::Device(torch::kCPU);
  int ordinal = 0;
  if (assignment.gpu_uuids_size() > 0) {
    for (const GpuInfo& gpu : DetectGpus()) {
      if (gpu.uuid == assignment.gpu_uuids(0)) ordinal = gpu.index;
    }
  }
  return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(ordinal));
}

absl::StatusOr<std::unique_ptr<train::Collective>> JoinRankCollective(train::RendezvousKv& kv,
                                                                      const v1::Assignment& assignment,
                                                                      const torch::Device& device,
                                                                      const std::string& gloo_host) {
#if defined(ECGBENCH_WITH_CUDA)
  if (device.is_cuda()) {
    train::NcclCollectiveOptions nccl;
    nccl.rank = assignment.rank();
    nccl.world_size = assignment.world_size();
    nccl.device = device.index();
    nccl.key_prefix = train::AttemptKeyPrefix(assignment, "nccl");
    return train::CreateNcclCollective(kv, nccl);
  }
#endif
  train::GlooOptions gloo;
  gloo.rank = assignment.rank();
  gloo.world_size = assignment.world_size();
  gloo.key_prefix = train::AttemptKeyPrefix(assignment, "gloo");
  gloo.hostname = gloo_host;
  return train::CreateGlooCollective(kv, gloo);
}

}  // namespace ecgbench::worker
