// GradientBucketer: data-parallel gradient averaging that overlaps communication with backward, as
// PyTorch's DistributedDataParallel does (docs/data-parallel.md).
//
// At creation the trainable parameters are laid out, in reverse order (gradients of the last layers
// are ready first), into buckets of at most `bucket_bytes` each (one dtype per bucket; a parameter
// larger than the limit gets a bucket of its own), each backed by one flat buffer allocated once.
// The layout never changes, so every step and every rank uses the same buckets.
// During a synchronised backward a hook on each parameter copies its gradient (plus what .grad()
// already holds from earlier micro-batches) into its bucket; when a bucket is complete, an
// asynchronous all-reduce (average) of its buffer starts while backward goes on. Buckets start
// strictly in bucket order (a complete bucket waits for its predecessors), so all ranks issue the
// collectives in the same sequence. Finish() starts the remaining buckets, waits for all of them
// and writes the averaged gradients back into .grad().
//
// Gradient accumulation: with set_sync(false) the hooks do nothing and .grad() accumulates locally
// as usual; turn sync on for the last micro-batch, and only then call Finish().
// Unused parameters (no gradient in this window on some or all ranks; Note [Unused parameters]):
// a parameter whose hook did not fire contributes its current .grad(), or zeros when .grad() is
// undefined, so nothing waits for it. With track_unused (default), one extra small all-reduce tells
// which parameters got a gradient on at least one rank; those that got none anywhere keep .grad()
// undefined, exactly as in single-process training; the others get the average over all ranks
// (zeros from ranks that did not use them), as with DDP's find_unused_parameters.
//
// Threading: the hooks run on the thread that runs backward (the same thread on CPU); Finish and
// set_sync are called between backward passes from the training thread. Not otherwise thread-safe.
// The Collective and the parameters must outlive the bucketer; the destructor removes the hooks.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/train/collective/collective.h"

namespace ecgbench::worker::train {

struct BucketerOptions {
  int64_t bucket_bytes = int64_t{25} << 20;  // 25 MiB, DDP's bucket_cap_mb default
  // One small all-reduce per step so that parameters unused on every rank keep .grad() undefined;
  // false saves it, and such parameters then get zero gradients.
  bool track_unused = true;
};

class GradientBucketer {
 public:
  // `parameters`: the trainable parameters (requires_grad, dense, floating, all on the
  // collective's device), in model order, each once. Errors: INVALID_ARGUMENT naming the offending
  // parameter by index; bucket_bytes < 1.
  static absl::StatusOr<std::unique_ptr<GradientBucketer>> Create(Collective& collective,
                                                                 std::vector<at::Tensor> parameters,
                                                                 BucketerOptions options = {});
  ~GradientBucketer();
  GradientBucketer(const GradientBucketer&) = delete;
  GradientBucketer& operator=(const GradientBucketer&) = delete;

  // Whether the next backward is the last of an accumulation window (default true).
  // REQUIRES: not during backward.
  void set_sync(bool sync);
  bool sync() const;

  // After the backward of a synchronised step: launches the buckets not yet started, waits for all,
  // and writes the averaged gradients into .grad(). Returns OK without doing anything when sync is
  // off. Errors: the first collective error (UNAVAILABLE, ...); FAILED_PRECONDITION when a parameter
  // got two gradients in one synchronised window (backward called twice without set_sync(false)
  // before the first) or a sparse gradient. After an error .grad() is left as backward made it and
  // the bucketer is ready for the next step.
  absl::Status Finish();

  // The bucket layout: parameter indices per bucket, in launch order.
  std::vector<std::vector<int>> bucket_layout() const;
  int num_buckets() const;

 private:
  struct State;
  explicit GradientBucketer(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace ecgbench::worker::train
