// SegmentBatcher: batches of model inputs as CPU torch tensors, built from a SegmentStore by worker
// threads, each with its own torch-free RepresentationBuilder (common/repr/batch).
//
// A batcher serves one list of samples: sample i is segment `segments[i]` of the store (a dataset
// may list a segment several times, once per question). Batch(samples, epoch) builds row b from
// sample samples[b] with sample index samples[b] and `epoch`, so each row depends only on
// (options.seed, sample, epoch): the result is the same for every thread count and schedule.
//   signal          inputs [B, 12, L] float32
//   stacked_signal  inputs [B, 3, H, W] float32
//   image           inputs [B, 3, H, W] float32
//   token           inputs [B, T_max] int64, LEFT-padded with pad_id (T_max = longest row, 0 when
//                   every row is empty), attention_mask [B, T_max] int64 (1 = token, 0 = padding)
//   every kind      has_ecg [B] bool (false for no_signal: the collator builds a text-only example)
// Tensors are plain (not pinned) contiguous CPU tensors owned by the returned batch.
//
// Threads: num_threads builders; the calling thread is one of them and num_threads - 1 are
// started at Create and joined by the destructor. Batch is not thread-safe (one caller at a time);
// the store must outlive the batcher. Errors: Create and Batch return InvalidArgument naming the
// field or the row ("row 2 (sample 7, segment 31): sample 7: normalize: input[5] is nan"); the
// first failing row in row order is reported, whatever the thread schedule.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/repr/batch/representation_options.h"

namespace ecgbench::worker {

struct SegmentBatcherOptions {
  int num_threads = 1;  // 1..256
  // Kind token: the id of padding positions. The default, byte 0, is never produced by an
  // ECG-Byte encoding (only 'a'..'z' and merge ids are) and is a valid embedding row.
  int64_t pad_id = 0;
};

struct SegmentBatch {
  at::Tensor inputs;          // see the table above
  at::Tensor attention_mask;  // kind token only; undefined otherwise
  at::Tensor has_ecg;         // [B] bool
  std::vector<int64_t> samples;  // the sample of each row
};

class SegmentBatcher {
 public:
  // `options.sampling_rate_hz` is replaced by the store's rate. InvalidArgument for a store whose
  // segments are not 12 leads, a segment index outside the store ("segments[3]: 120 is outside the
  // store of 100 segments"), num_threads outside 1..256, or options a RepresentationBuilder refuses.
  static absl::StatusOr<std::unique_ptr<SegmentBatcher>> Create(const common::ecg::SegmentStore* store,
                                                               std::vector<int64_t> segments,
                                                               common::repr::RepresentationOptions options,
                                                               const SegmentBatcherOptions& batcher_options = {});
  ~SegmentBatcher();
  SegmentBatcher(const SegmentBatcher&) = delete;
  SegmentBatcher& operator=(const SegmentBatcher&) = delete;

  int64_t size() const;  // number of samples
  const common::repr::RepresentationOptions& options() const;
  // Dense kinds: the shape of one row ({12, L} or {3, H, W}); empty for kind token.
  const std::vector<int64_t>& row_shape() const;

  // Builds the rows of `samples` (each in [0, size())) for `epoch` (>= 0). An empty list gives
  // tensors with B = 0. InvalidArgument for a sample outside the list ("samples[1]: 9 is outside
  // 0..7") or a row that fails; ResourceExhausted when a tensor cannot be allocated.
  absl::StatusOr<SegmentBatch> Batch(absl::Span<const int64_t> samples, int epoch);

 private:
  struct State;
  explicit SegmentBatcher(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace ecgbench::worker
