// Signal2Vec trainer (LibTorch behind a torch-free header): word2vec skip-gram with negative
// sampling over ECG-Byte token sequences, like upstream ECG-Bench's build_signal2vec.py.
//   center table U(-0.5/dim, 0.5/dim) (drawn from common::DetRandom, not torch's generator), context
//   table zeros; loss = -mean log sigmoid(c . o) - mean_k log sigmoid(-c . n_k) (sum over k
//   instead when options.mean_over_negatives is false), averaged over the batch; AdamW (lr,
//   weight_decay, betas 0.9/0.999, eps 1e-8) with cosine annealing to 0 over all steps, global
//   gradient-norm clipping, optional row renormalisation; the result is (center + context) / 2.
//   On CPU the optimizer step is the fused loop of adamw_cpu.h, elsewhere torch::optim::AdamW.
// Pairs and negatives come from common/repr/signal2vec/skipgram_sampler.h.
// Deterministic: with device "cpu" and threads 1 the same inputs and options give bit-identical
// embeddings. torch::set_num_threads(options.threads) is process-wide: do not run two trainings
// with different thread counts at the same time.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/repr/signal2vec/signal2vec_model.h"
#include "common/repr/signal2vec/signal2vec_options.h"

namespace ecgbench::worker {

using common::repr::Signal2VecModel;
using common::repr::Signal2VecOptions;

struct Signal2VecHooks {
  // Called on the training thread every `progress_every` steps and after the last step of each
  // epoch: epoch (1-based), global step (1-based), mean loss of the epoch's pairs so far.
  std::function<void(int epoch, int64_t step, double loss)> on_progress;
  int64_t progress_every = 100;
  // Polled before every step; returning true stops training with CANCELLED.
  std::function<bool()> cancelled;
};

// Trains embeddings for ids [0, vocab_size) on `sequences` (one ECG's token ids each).
// Errors: InvalidArgument for invalid options, vocab_size < 1, no sequences, an id out of range
// (naming sequence and position), or nothing left after min_count/subsampling; Unavailable for a
// CUDA device this build cannot use; Cancelled when hooks.cancelled() said so; Internal for a
// LibTorch error (message without the backtrace); ResourceExhausted when memory runs out.
absl::StatusOr<Signal2VecModel> TrainSignal2Vec(const std::vector<std::vector<int32_t>>& sequences, int vocab_size,
                                                const Signal2VecOptions& options,
                                                const Signal2VecHooks& hooks = {});

}  // namespace ecgbench::worker
