// ElmLoader: batches of ELM training examples (nn::ElmBatch) built on background threads and
// prefetched, for one split of an ElmDataset (docs/elm-data.md).
//
// The caller gives, per epoch, the reading order: positions into the split (e.g. the rank's shard
// from worker/train/collective/shard_indices.h). Batch k of the epoch holds the examples of
// order[k * batch_size, (k + 1) * batch_size) (the last one shorter unless drop_last). A row is a
// function of (representation seed, example, epoch) alone, so the batches are the same for every
// thread count and schedule, and Start({epoch, k}, order) continues an interrupted epoch with the
// same batches (the position to checkpoint is position()).
//
// A batch (rows in order):
//   input_ids, labels, attention_mask  [B, L] int64, left-padded with pad_id (labels -100 where no
//       loss, mask 0 on padding). L = max_tokens, or with trim_padding the longest row of the batch
//       (the columns that are padding in every row are cut; the same numbers otherwise).
//   encoder_input  EcgSlot::kPlaceholders: the representation [B, 12, L] (signal) or [B, 3, H, W]
//       (stacked_signal, image) float32; undefined for kEcgByte (the ECG is inside input_ids) and
//       kNone (text only).
// Tensors are contiguous CPU tensors, in pinned memory when PinMemory::kAuto finds CUDA (or kOn),
// ready for .to(device, /*non_blocking=*/true).
//
// Threads: num_threads builders, each building whole batches with its own RepresentationBuilder;
// at most `prefetch` batches are built ahead of the consumer. Next, Start and position are for one
// consumer thread; Stop may be called from any thread (a Next blocked in another thread then
// returns Cancelled). The destructor stops and joins the threads; a builder stops between rows.
// The dataset, store and example builder must outlive the loader.
//
// Bad samples (a segment whose representation fails, e.g. NaN values): with BadSamplePolicy::kFail
// Next returns the error naming the epoch, batch, row, example, conversation id and segment; with
// kSkip the row is left out (the batch is shorter, possibly empty: B = 0) and counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/repr/batch/representation_options.h"
#include "worker/data/elm_examples.h"
#include "worker/nn/elm.h"

namespace ecgbench::worker {

enum class PinMemory { kAuto, kOn, kOff };  // kAuto: pinned when torch::cuda::is_available()

struct ElmLoaderOptions {
  int64_t batch_size = 8;  // >= 1
  int num_threads = 2;     // 1..64
  int prefetch = 4;        // batches built ahead, >= 1
  PinMemory pin_memory = PinMemory::kAuto;
  bool trim_padding = true;
  bool drop_last = false;  // drop a last batch shorter than batch_size
  BadSamplePolicy policy = BadSamplePolicy::kFail;
};

// Where reading continues: batch `batch` of epoch `epoch`.
struct ElmLoaderPosition {
  int64_t epoch = 0;
  int64_t batch = 0;
  bool operator==(const ElmLoaderPosition& o) const { return epoch == o.epoch && batch == o.batch; }
};

struct ElmLoaderBatch {
  nn::ElmBatch batch;
  std::vector<int64_t> examples;  // per row: the index into ElmDataset::conversations
  ElmLoaderPosition position;     // this batch's
  int64_t tokens = 0;             // non-padding tokens
  int64_t labeled_tokens = 0;     // labels != -100
  int64_t ecg_tokens_dropped = 0; // kEcgByte: ECG tokens cut by the budget
  int64_t skipped = 0;            // rows left out (kSkip)
  std::vector<std::string> skipped_reasons;
};

struct ElmLoaderStats {
  int64_t batches = 0;         // returned by Next
  int64_t rows = 0;
  int64_t skipped_rows = 0;
  double wait_seconds = 0;     // time Next spent waiting for a batch
};

class ElmLoader {
 public:
  // `split`: indices into dataset->conversations (ElmDataset::train, ::validation). `repr` must
  // agree with the builder's slot: kind token for kEcgByte, a dense kind for kPlaceholders (any for
  // kNone; perturb no_signal only with kNone). repr.sampling_rate_hz is replaced by the store's.
  // InvalidArgument naming the option otherwise, for a split entry outside the dataset, a store
  // without 12 leads, PinMemory::kOn without CUDA, or options the RepresentationBuilder refuses.
  static absl::StatusOr<std::unique_ptr<ElmLoader>> Create(const ElmDataset* dataset, std::vector<int64_t> split,
                                                          const common::ecg::SegmentStore* store,
                                                          const ElmExampleBuilder* examples,
                                                          common::repr::RepresentationOptions repr,
                                                          const ElmLoaderOptions& options);
  ~ElmLoader();
  ElmLoader(const ElmLoader&) = delete;
  ElmLoader& operator=(const ElmLoader&) = delete;

  int64_t split_size() const;
  // Batches an epoch of `order_size` positions gives.
  int64_t NumBatches(int64_t order_size) const;

  // Reads epoch position.epoch (>= 0) in `order` from batch position.batch (0..NumBatches), after
  // dropping whatever was prefetched. InvalidArgument naming the entry for an order entry outside
  // the split; Cancelled after Stop.
  absl::Status Start(ElmLoaderPosition position, std::vector<int64_t> order);
  // The next batch. OutOfRange at the end of the epoch (or before any Start); Cancelled after
  // Stop; a bad sample's error (kFail), after which the position has moved past that batch.
  absl::StatusOr<ElmLoaderBatch> Next();
  // The batch the next Next returns (what a checkpoint records).
  ElmLoaderPosition position() const;
  // Stops the builders and wakes a waiting Next; idempotent.
  void Stop();

  ElmLoaderStats stats() const;
  bool pinned() const;  // whether batches are in pinned memory

 private:
  struct State;
  explicit ElmLoader(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace ecgbench::worker
