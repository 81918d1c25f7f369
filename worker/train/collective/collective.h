// Collective: the communication a data-parallel training loop needs (all-reduce, broadcast from
// rank 0, all-gather, barrier, metric reduction), behind one interface with two backends:
// gloo_collective.h (CPU tensors, c10d::ProcessGroupGloo) and nccl_collective.h (CUDA tensors,
// NCCL; built only with ECGBENCH_WITH_CUDA). Errors are absl::Status; exceptions from c10d, Gloo or
// NCCL are caught inside the backend and their message kept.
//
// Contract shared by every backend:
//  - Every rank of the group calls the same operations, in the same order, with tensors of the same
//    shapes and dtypes (the group matches operations by their position in that sequence). A rank
//    that skips an operation makes the others wait until the backend's operation timeout.
//  - A Collective is not thread-safe: one thread issues operations (the autograd hooks of
//    gradient_bucketer.h run on the thread that calls backward). A CollectiveWork may be waited on
//    from any thread, and must not outlive the Collective that started it.
//  - Checks that reject bad tensors (INVALID_ARGUMENT) look only at properties that must be equal on
//    all ranks, so every rank rejects the same call and none is left waiting.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::worker::train {

enum class ReduceOp { kSum, kAverage };

// The handle of an operation in flight.
class CollectiveWork {
 public:
  virtual ~CollectiveWork() = default;
  // Blocks until the operation finished (for NCCL: until the caller's current CUDA stream is
  // ordered after it); then the tensors hold the result. Later calls return the same status.
  // Errors: UNAVAILABLE when the communication failed (a peer died, a timeout passed), with the
  // backend's message.
  virtual absl::Status Wait() = 0;
};

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;  // "gloo" or "nccl"
  // Where the tensors of this group live (CPU for Gloo, the rank's GPU for NCCL).
  virtual c10::Device device() const = 0;

  // Starts an in-place all-reduce of `tensors` (one or more, all of one dtype, contiguous, on
  // device()); kAverage divides the sum by world_size (floating dtypes only). The tensors must stay
  // alive and untouched until Wait() returns. Errors: INVALID_ARGUMENT for an empty list or a bad
  // tensor (named by its index); UNAVAILABLE when the backend refused to start the operation.
  virtual absl::StatusOr<std::unique_ptr<CollectiveWork>> AllReduce(std::vector<at::Tensor> tensors,
                                                                    ReduceOp op) = 0;
  absl::StatusOr<std::unique_ptr<CollectiveWork>> AllReduceSum(std::vector<at::Tensor> tensors) {
    return AllReduce(std::move(tensors), ReduceOp::kSum);
  }
  absl::StatusOr<std::unique_ptr<CollectiveWork>> AllReduceAverage(std::vector<at::Tensor> tensors) {
    return AllReduce(std::move(tensors), ReduceOp::kAverage);
  }

  // Copies rank 0's values into `tensors` on every rank (in place; any dtype mix, on device();
  // parameters that require grad are fine: the copy is not recorded by autograd). Blocking.
  virtual absl::Status Broadcast(std::vector<at::Tensor> tensors) = 0;

  // Waits until every rank has called Barrier.
  virtual absl::Status Barrier() = 0;

  // The ranks' `local` tensors concatenated along dim 0, in rank order (for InfoNCE over the global
  // batch). Every rank must pass the same shape and dtype; this is checked first (one small extra
  // gather), and a mismatch gives INVALID_ARGUMENT on every rank, listing each rank's shape.
  // The result is detached: no gradient flows through the gather. To train through the local part
  // (as MERL's gathered InfoNCE does), put the local tensor back with WithLocalSlice. Blocking.
  absl::StatusOr<at::Tensor> AllGather(const at::Tensor& local);

  // Sum or average of a few numbers over the ranks (metrics such as loss or sample counts), in
  // float64. Blocking; every rank gets the same values.
  absl::StatusOr<std::vector<double>> ReduceScalars(const std::vector<double>& values, ReduceOp op);

 protected:
  // The ranks' tensors, equally shaped (already checked), in rank order.
  virtual absl::StatusOr<std::vector<at::Tensor>> AllGatherEqualShapes(const at::Tensor& local) = 0;
};

// `gathered` (from AllGather, ranks' slices of local.size(0) rows each) with rank `rank`'s slice
// replaced by `local` itself, so that gradients flow into the local tensor; the other ranks' slices
// stay constants (the CLIP-style gather; docs/data-parallel.md says when the averaged gradients
// then equal the single-process ones). REQUIRES gathered.size(0) == world_size * local.size(0).
at::Tensor WithLocalSlice(const at::Tensor& gathered, const at::Tensor& local, int rank);

}  // namespace ecgbench::worker::train
