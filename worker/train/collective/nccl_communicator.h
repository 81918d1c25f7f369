// NcclCommunicator: the torch-free NCCL core of the GPU backend. Ranks meet through a RendezvousKv
// (rank 0 publishes its ncclUniqueId, the others wait for it), then ncclCommInitRank; operations
// take raw device pointers, element counts, an ncclDataType_t and the cudaStream_t to queue on.
// It builds wherever nccl.h, libnccl and libcudart exist (CI: /usr/local/cuda), without a CUDA
// LibTorch; nccl_collective.h adapts it to tensors when ECGBENCH_WITH_CUDA is on.
// Not thread-safe: one thread issues the operations of a communicator, in the same order on every
// rank. Errors carry ncclGetErrorString / cudaGetErrorString (and NCCL's last error message).
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train {

// OK for ncclSuccess; else INVALID_ARGUMENT (ncclInvalidArgument, ncclInvalidUsage) or UNAVAILABLE
// (system, internal, remote and CUDA errors): "NCCL <what>: <ncclGetErrorString>[: <last error>]".
// `comm` (may be null) is asked for NCCL's last error message.
absl::Status NcclStatus(ncclResult_t result, const char* what, ncclComm_t comm = nullptr);
// OK for cudaSuccess; else FAILED_PRECONDITION: "CUDA <what>: <cudaGetErrorString> (code <n>)".
absl::Status CudaStatus(cudaError_t error, const char* what);

struct NcclVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
};
// Decodes NCCL's version code (X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z after).
NcclVersion DecodeNcclVersion(int code);
// The loaded libnccl's version (ncclGetVersion); needs no GPU.
absl::StatusOr<NcclVersion> NcclLibraryVersion();

// The key under which rank 0 publishes its id: key_prefix + "nccl_unique_id".
std::string NcclIdKey(const std::string& key_prefix);
// Rank 0: ncclGetUniqueId, then Set; other ranks: Wait for it (up to `timeout`). Errors: the KV's
// (DEADLINE_EXCEEDED naming the key), INTERNAL when the stored value is not NCCL_UNIQUE_ID_BYTES
// long, an NCCL error from ncclGetUniqueId.
absl::StatusOr<ncclUniqueId> ExchangeNcclUniqueId(RendezvousKv& kv, const std::string& key_prefix, int rank,
                                                  absl::Duration timeout);

struct NcclOptions {
  int rank = 0;
  int world_size = 1;
  int device = 0;  // CUDA device ordinal of this rank
  std::string key_prefix;  // e.g. AttemptKeyPrefix(assignment, "nccl"); required
  absl::Duration rendezvous_timeout = absl::Minutes(5);
};

class NcclCommunicator {
 public:
  // Sets the device, exchanges the id and joins (ncclCommInitRank blocks until all ranks joined).
  // The KV is only used here. Errors: INVALID_ARGUMENT for bad options or a device ordinal beyond
  // the devices present; FAILED_PRECONDITION when CUDA has no usable device (e.g. no driver);
  // the KV's status; NCCL errors as NcclStatus.
  static absl::StatusOr<std::unique_ptr<NcclCommunicator>> Create(RendezvousKv& kv, const NcclOptions& options);
  // ncclCommDestroy (after Abort: nothing left to do).
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int device() const { return device_; }

  // Queue operations on `stream` (they return when queued; the stream orders what follows).
  // send == recv is the in-place form. AllGather: recv holds world_size * send_count elements.
  absl::Status AllReduce(const void* send, void* recv, size_t count, ncclDataType_t type, ncclRedOp_t op,
                         cudaStream_t stream);
  absl::Status Broadcast(const void* send, void* recv, size_t count, ncclDataType_t type, int root,
                         cudaStream_t stream);
  absl::Status AllGather(const void* send, void* recv, size_t send_count, ncclDataType_t type,
                         cudaStream_t stream);
  // Brackets several operations that NCCL should launch together.
  absl::Status GroupStart();
  absl::Status GroupEnd();

  // An error NCCL detected asynchronously (a peer failed, a network error): ncclCommGetAsyncError.
  absl::Status AsyncError();
  // ncclCommAbort: gives up on in-flight operations (after an error, so that nothing waits for
  // dead peers). The communicator cannot be used afterwards.
  void Abort();

 private:
  NcclCommunicator(ncclComm_t comm, int rank, int world_size, int device)
      : comm_(comm), rank_(rank), world_size_(world_size), device_(device) {}
  absl::Status CheckUsable() const;

  ncclComm_t comm_;
  const int rank_;
  const int world_size_;
  const int device_;
};

}  // namespace ecgbench::worker::train
