// NcclCollective: Collective over NcclCommunicator for CUDA tensors (ECGBENCH_WITH_CUDA builds only).
#include "worker/train/collective/nccl_collective.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "worker/train/collective/nccl_communicator.h"

namespace ecgbench::worker::train {
namespace {

absl::StatusOr<ncclDataType_t> NcclType(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat:
      return ncclFloat32;
    case c10::kDouble:
      return ncclFloat64;
    case c10::kHalf:
      return ncclFloat16;
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 10, 0)
    case c10::kBFloat16:
      return ncclBfloat16;
#endif
    case c10::kChar:
      return ncclInt8;
    case c10::kByte:
      return ncclUint8;
    case c10::kInt:
      return ncclInt32;
    case c10::kLong:
      return ncclInt64;
    default:
      return absl::InvalidArgumentError(absl::StrCat("dtype ", c10::toString(type), " has no NCCL type"));
  }
}

// An operation queued on a stream; its end is marked by `event`.
class NcclWork final : public CollectiveWork {
 public:
  NcclWork(NcclCommunicator& comm, cudaEvent_t event, std::vector<at::Tensor> tensors)
      : comm_(comm), event_(event), tensors_(std::move(tensors)) {}
  ~NcclWork() override {
    if (event_ != nullptr) cudaEventDestroy(event_);
  }

  absl::Status Wait() override {
    absl::MutexLock lock(&mu_);
    if (done_) return status_;
    const cudaStream_t current = c10::cuda::getCurrentCUDAStream(comm_.device()).stream();
    status_ = CudaStatus(cudaStreamWaitEvent(current, event_, 0), "cudaStreamWaitEvent");
    if (status_.ok()) status_ = comm_.AsyncError();
    done_ = true;
    tensors_.clear();
    return status_;
  }

 private:
  NcclCommunicator& comm_;
  cudaEvent_t event_;
  absl::Mutex mu_;
  std::vector<at::Tensor> tensors_ ABSL_GUARDED_BY(mu_);  // alive until waited on
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class NcclCollective final : public Collective {
 public:
  explicit NcclCollective(std::unique_ptr<NcclCommunicator> comm) : comm_(std::move(comm)) {}

  int rank() const override { return comm_->rank(); }
  int world_size() const override { return comm_->world_size(); }
  std::string backend() const override { return "nccl"; }
  c10::Device device() const override { return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(comm_->device())); }

  absl::StatusOr<std::unique_ptr<CollectiveWork>> AllReduce(std::vector<at::Tensor> tensors, ReduceOp op) override {
    if (tensors.empty()) return absl::InvalidArgumentError("nccl AllReduce: no tensors");
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (absl::Status status = CheckTensor(tensors[i], i); !status.ok()) return status;
      if (tensors[i].scalar_type() != tensors[0].scalar_type()) {
        return absl::InvalidArgumentError(absl::StrCat("nccl AllReduce: tensor ", i, " has another dtype than tensor 0"));
      }
      if (op == ReduceOp::kAverage && !c10::isFloatingType(tensors[i].scalar_type())) {
        return absl::InvalidArgumentError(absl::StrCat("nccl AllReduce: tensor ", i, " cannot be averaged"));
      }
    }
    auto type = NcclType(tensors[0].scalar_type());
    if (!type.ok()) return type.status();
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 10, 0)
    const ncclRedOp_t nccl_op = op == ReduceOp::kAverage ? ncclAvg : ncclSum;
#else
    if (op == ReduceOp::kAverage) return absl::UnimplementedError("nccl AllReduce: averaging needs NCCL >= 2.10");
    const ncclRedOp_t nccl_op = ncclSum;
#endif
    c10::cuda::CUDAGuard guard(device());
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(comm_->device()).stream();
    if (absl::Status status = comm_->GroupStart(); !status.ok()) return status;
    absl::Status queued;
    for (at::Tensor& t : tensors) {
      queued = comm_->AllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), *type, nccl_op, stream);
      if (!queued.ok()) break;
    }
    absl::Status ended = comm_->GroupEnd();
    if (!queued.ok()) return queued;
    if (!ended.ok()) return ended;
    auto event = RecordEvent(stream);
    if (!event.ok()) return event.status();
    return std::unique_ptr<CollectiveWork>(new NcclWork(*comm_, *event, std::move(tensors)));
  }

  absl::Status Broadcast(std::vector<at::Tensor> tensors) override {
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].defined() || tensors[i].device() != device()) {
        return absl::InvalidArgumentError(absl::StrCat("nccl Broadcast: tensor ", i, " is undefined or not on ",
                                                       device().str()));
      }
    }
    at::NoGradGuard no_grad;
    c10::cuda::CUDAGuard guard(device());
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(comm_->device()).stream();
    std::vector<at::Tensor> buffers;
    for (const at::Tensor& t : tensors) buffers.push_back(t.detach().contiguous());
    if (absl::Status status = comm_->GroupStart(); !status.ok()) return status;
    absl::Status queued;
    for (at::Tensor& b : buffers) {
      auto type = NcclType(b.scalar_type());
      queued = type.ok() ? comm_->Broadcast(b.data_ptr(), b.data_ptr(), static_cast<size_t>(b.numel()), *type, 0, stream)
                         : type.status();
      if (!queued.ok()) break;
    }
    absl::Status ended = comm_->GroupEnd();
    if (!queued.ok()) return queued;
    if (!ended.ok()) return ended;
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!buffers[i].is_same(tensors[i])) tensors[i].copy_(buffers[i]);
    }
    return Synchronize(stream);
  }

  absl::Status Barrier() override {
    at::Tensor token = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat32).device(device()));
    auto work = AllReduce({token}, ReduceOp::kSum);
    if (!work.ok()) return work.status();
    if (absl::Status status = (*work)->Wait(); !status.ok()) return status;
    return Synchronize(c10::cuda::getCurrentCUDAStream(comm_->device()).stream());
  }

 protected:
  absl::StatusOr<std::vector<at::Tensor>> AllGatherEqualShapes(const at::Tensor& local) override {
    if (absl::Status status = CheckTensor(local, 0); !status.ok()) return status;
    auto type = NcclType(local.scalar_type());
    if (!type.ok()) return type.status();
    c10::cuda::CUDAGuard guard(device());
    const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(comm_->device()).stream();
    std::vector<int64_t> shape = {world_size()};
    shape.insert(shape.end(), local.sizes().begin(), local.sizes().end());
    at::Tensor out = torch::empty(shape, local.options());
    if (absl::Status status =
            comm_->AllGather(local.data_ptr(), out.data_ptr(), static_cast<size_t>(local.numel()), *type, stream);
        !status.ok()) {
      return status;
    }
    if (absl::Status status = Synchronize(stream); !status.ok()) return status;
    return out.unbind(0);
  }

 private:
  absl::Status CheckTensor(const at::Tensor& t, size_t index) const {
    if (!t.defined() || t.device() != device() || !t.is_contiguous() || t.is_sparse()) {
      return absl::InvalidArgumentError(absl::StrCat("nccl: tensor ", index, " must be a dense contiguous tensor on ",
                                                     device().str()));
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<cudaEvent_t> RecordEvent(cudaStream_t stream) {
    cudaEvent_t event = nullptr;
    if (absl::Status status = CudaStatus(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
        !status.ok()) {
      return status;
    }
    if (absl::Status status = CudaStatus(cudaEventRecord(event, stream), "cudaEventRecord"); !status.ok()) {
      cudaEventDestroy(event);
      return status;
    }
    return event;
  }

  absl::Status Synchronize(cudaStream_t stream) {
    if (absl::Status status = CudaStatus(cudaStreamSynchronize(stream), "cudaStreamSynchronize"); !status.ok()) {
      return status;
    }
    return comm_->AsyncError();
  }

  std::unique_ptr<NcclCommunicator> comm_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Collective>> CreateNcclCollective(RendezvousKv& kv,
                                                                 const NcclCollectiveOptions& options) {
  NcclOptions core;
  core.rank = options.rank;
  core.world_size = options.world_size;
  core.device = options.device;
  core.key_prefix = options.key_prefix;
  core.rendezvous_timeout = options.rendezvous_timeout;
  auto comm = NcclCommunicator::Create(kv, core);
  if (!comm.ok()) return comm.status();
  return std::unique_ptr<Collective>(new NcclCollective(std::move(*comm)));
}

}  // namespace ecgbench::worker::train
