// The NCCL backend of Collective for CUDA tensors: a thin adapter from tensors to the torch-free
// NcclCommunicator (nccl_communicator.h). Built only with ECGBENCH_WITH_CUDA (a CUDA LibTorch);
// callers guard their use with `#if defined(ECGBENCH_WITH_CUDA)`.
//
// Streams: every operation is queued on the current CUDA stream of the rank's device (the stream
// the tensors were produced on), so later work on that stream is ordered after it without a host
// wait; CollectiveWork::Wait() makes the caller's current stream wait for the operation (a CUDA
// event) and reports errors NCCL detected asynchronously. Communication and backward therefore
// share one stream: the all-reduces start during backward but run between its kernels, not beside
// them (docs/data-parallel.md).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/train/collective/collective.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train {

struct NcclCollectiveOptions {
  int rank = 0;
  int world_size = 1;
  int device = 0;          // CUDA device ordinal of this rank (usually its local rank)
  std::string key_prefix;  // e.g. AttemptKeyPrefix(assignment, "nccl"); required
  absl::Duration rendezvous_timeout = absl::Minutes(5);
};

// Joins the group (blocks until every rank joined). Errors: as NcclCommunicator::Create.
absl::StatusOr<std::unique_ptr<Collective>> CreateNcclCollective(RendezvousKv& kv,
                                                                 const NcclCollectiveOptions& options);

}  // namespace ecgbench::worker::train
