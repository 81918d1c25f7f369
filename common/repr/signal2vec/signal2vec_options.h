// Options of Signal2Vec (word2vec skip-gram with negative sampling over ECG-Byte token sequences),
// shared by the torch-free corpus/pair sampler (this folder) and the LibTorch trainer
// (worker/train/signal2vec_trainer.h). Defaults are upstream ECG-Bench's (build_signal2vec.py).
// The options are saved in signal2vec.json next to the embeddings, so they round-trip through JSON.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::repr {

struct Signal2VecOptions {
  // --- Corpus and sampling (torch-free) ---
  // Tokens seen fewer than min_count times are removed from the sequences (their neighbours close
  // up) and never appear in pairs or as negatives; they keep their row in the embedding matrix.
  int64_t min_count = 10;
  // word2vec subsampling threshold t: a token with relative frequency f is kept with probability
  // min(1, sqrt(t / f) + t / f). Applied once, before training. 0 disables it.
  double subsample_t = 1e-5;
  // Maximum window: per pair the effective window w is uniform in {1..window}.
  int window = 12;
  // Negatives per pair, drawn from count^neg_alpha (alias table).
  int negatives = 5;
  double neg_alpha = 0.75;
  // Pairs per epoch: min(max_pairs_per_epoch, window * tokens in the filtered corpus).
  int64_t max_pairs_per_epoch = 10'000'000;
  // All randomness (subsampling, pairs, negatives, initialisation) derives from this seed.
  uint64_t seed = 0;

  // --- Training (worker/train) ---
  int dim = 128;
  int epochs = 10;
  int batch_size = 1024;
  double lr = 2e-3;            // AdamW, cosine-annealed to 0 over all steps
  double weight_decay = 1e-5;  // AdamW
  double grad_clip = 1.0;      // max global L2 norm of the gradients; 0 disables
  int renorm_every = 0;        // every N steps L2-normalise every row of both tables; 0 disables
  // Negative term of the loss: true = mean over the K negatives (what upstream's code computes),
  // false = sum over them (the word2vec objective).
  bool mean_over_negatives = true;
  // Intra-op threads LibTorch uses (torch::set_num_threads), also used for subsampling.
  int threads = 1;
  // "cpu", "cuda" or "cuda:N".
  std::string device = "cpu";
};

// OK, or InvalidArgument naming the first bad field ("signal2vec options: window must be >= 1, got 0").
absl::Status ValidateSignal2VecOptions(const Signal2VecOptions& options);

// Every field by name.
nlohmann::json Signal2VecOptionsToJson(const Signal2VecOptions& options);

// Reads the fields present in `json` (an object) over the defaults; unknown keys are errors, as
// are wrong types and invalid values. Errors name `what` and the field
// ("model/signal2vec.json: options.window: expected an integer").
absl::StatusOr<Signal2VecOptions> Signal2VecOptionsFromJson(const nlohmann::json& json,
                                                           const std::string& what);

}  // namespace ecgbench::common::repr
