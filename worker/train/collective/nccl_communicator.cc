// NcclCommunicator: NCCL and CUDA runtime calls with their result codes turned into absl::Status.
#include "worker/train/collective/nccl_communicator.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace ecgbench::worker::train {

absl::Status NcclStatus(ncclResult_t result, const char* what, ncclComm_t comm) {
  if (result == ncclSuccess) return absl::OkStatus();
  std::string message = absl::StrCat("NCCL ", what, ": ", ncclGetErrorString(result));
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 13, 0)
  const char* last = ncclGetLastError(comm);
  if (last != nullptr && last[0] != '\0') absl::StrAppend(&message, ": ", last);
#endif
  if (result == ncclInvalidArgument || result == ncclInvalidUsage) return absl::InvalidArgumentError(message);
  return absl::UnavailableError(message);
}

absl::Status CudaStatus(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("CUDA ", what, ": ", cudaGetErrorString(error), " (code ", static_cast<int>(error), ")"));
}

NcclVersion DecodeNcclVersion(int code) {
  NcclVersion version;
  if (code >= 10000) {
    version.major = code / 10000;
    version.minor = (code % 10000) / 100;
  } else {
    version.major = code / 1000;
    version.minor = (code % 1000) / 100;
  }
  version.patch = code % 100;
  return version;
}

absl::StatusOr<NcclVersion> NcclLibraryVersion() {
  int code = 0;
  if (absl::Status status = NcclStatus(ncclGetVersion(&code), "ncclGetVersion"); !status.ok()) return status;
  return DecodeNcclVersion(code);
}

std::string NcclIdKey(const std::string& key_prefix) { return key_prefix + "nccl_unique_id"; }

absl::StatusOr<ncclUniqueId> ExchangeNcclUniqueId(RendezvousKv& kv, const std::string& key_prefix, int rank,
                                                  absl::Duration timeout) {
  ncclUniqueId id;
  const std::string key = NcclIdKey(key_prefix);
  if (rank == 0) {
    if (absl::Status status = NcclStatus(ncclGetUniqueId(&id), "ncclGetUniqueId"); !status.ok()) return status;
    if (absl::Status status = kv.Set(key, std::string(id.internal, NCCL_UNIQUE_ID_BYTES)); !status.ok()) {
      return status;
    }
    return id;
  }
  auto values = kv.Wait({key}, timeout);
  if (!values.ok()) return values.status();
  const std::string& bytes = values->front();
  if (bytes.size() != NCCL_UNIQUE_ID_BYTES) {
    return absl::InternalError(absl::StrCat("rendezvous key ", key, " holds ", bytes.size(),
                                            " bytes; an NCCL unique id has ", NCCL_UNIQUE_ID_BYTES));
  }
  std::memcpy(id.internal, bytes.data(), NCCL_UNIQUE_ID_BYTES);
  return id;
}

absl::StatusOr<std::unique_ptr<NcclCommunicator>> NcclCommunicator::Create(RendezvousKv& kv,
                                                                          const NcclOptions& options) {
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("NCCL: rank ", options.rank, " of world_size ", options.world_size,
                                                   ": need world_size >= 1 and 0 <= rank < world_size"));
  }
  if (options.key_prefix.empty()) return absl::InvalidArgumentError("NCCL: key_prefix must not be empty");
  if (options.device < 0) {
    return absl::InvalidArgumentError(absl::StrCat("NCCL: device must be >= 0 (got ", options.device, ")"));
  }
  int devices = 0;
  if (absl::Status status = CudaStatus(cudaGetDeviceCount(&devices), "cudaGetDeviceCount"); !status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("NCCL needs a CUDA device: ", status.message()));
  }
  if (options.device >= devices) {
    return absl::InvalidArgumentError(
        absl::StrCat("NCCL: device ", options.device, " requested, ", devices, " CUDA device(s) present"));
  }
  if (absl::Status status = CudaStatus(cudaSetDevice(options.device), "cudaSetDevice"); !status.ok()) return status;
  auto id = ExchangeNcclUniqueId(kv, options.key_prefix, options.rank, options.rendezvous_timeout);
  if (!id.ok()) return id.status();
  ncclComm_t comm = nullptr;
  if (absl::Status status = NcclStatus(ncclCommInitRank(&comm, options.world_size, *id, options.rank), "ncclCommInitRank");
      !status.ok()) {
    return status;
  }
  spdlog::info("nccl: rank {} of {} joined on device {} ({})", options.rank, options.world_size, options.device,
               options.key_prefix);
  return std::unique_ptr<NcclCommunicator>(
      new NcclCommunicator(comm, options.rank, options.world_size, options.device));
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_ != nullptr) ncclCommDestroy(comm_);
}

absl::Status NcclCommunicator::CheckUsable() const {
  if (comm_ == nullptr) return absl::FailedPreconditionError("NCCL: the communicator was aborted");
  return absl::OkStatus();
}

absl::Status NcclCommunicator::AllReduce(const void* send, void* recv, size_t count, ncclDataType_t type,
                                         ncclRedOp_t op, cudaStream_t stream) {
  if (absl::Status status = CheckUsable(); !status.ok()) return status;
  return NcclStatus(ncclAllReduce(send, recv, count, type, op, comm_, stream), "ncclAllReduce", comm_);
}

absl::Status NcclCommunicator::Broadcast(const void* send, void* recv, size_t count, ncclDataType_t type, int root,
                                         cudaStream_t stream) {
  if (absl::Status status = CheckUsable(); !status.ok()) return status;
  return NcclStatus(ncclBroadcast(send, recv, count, type, root, comm_, stream), "ncclBroadcast", comm_);
}

absl::Status NcclCommunicator::AllGather(const void* send, void* recv, size_t send_count, ncclDataType_t type,
                                         cudaStream_t stream) {
  if (absl::Status status = CheckUsable(); !status.ok()) return status;
  return NcclStatus(ncclAllGather(send, recv, send_count, type, comm_, stream), "ncclAllGather", comm_);
}

absl::Status NcclCommunicator::GroupStart() { return NcclStatus(ncclGroupStart(), "ncclGroupStart"); }

absl::Status NcclCommunicator::GroupEnd() { return NcclStatus(ncclGroupEnd(), "ncclGroupEnd", comm_); }

absl::Status NcclCommunicator::AsyncError() {
  if (absl::Status status = CheckUsable(); !status.ok()) return status;
  ncclResult_t async = ncclSuccess;
  if (absl::Status status = NcclStatus(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError", comm_);
      !status.ok()) {
    return status;
  }
  return NcclStatus(async, "asynchronous error", comm_);
}

void NcclCommunicator::Abort() {
  if (comm_ == nullptr) return;
  ncclCommAbort(comm_);
  comm_ = nullptr;
}

}  // namespace ecgbench::worker::train
