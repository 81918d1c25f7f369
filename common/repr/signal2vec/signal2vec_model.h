// Trained Signal2Vec embeddings and their files. A model directory holds
//   embeddings.npy   float32 [vocab_size x dim], row = token id (rows of ids that never occur in
//                    training stay at center init / 2, shrunk only by AdamW's weight decay)
//   signal2vec.json  {"format": "ecgbench.signal2vec", "version": 1, "vocab_size", "dim",
//                     "freq": [count per id in the training corpus], "raw_counts": [...],
//                     "final_loss", "steps", "pairs_per_epoch", "options": {...}}
// (upstream keeps the same fields in one embeddings.pt: embeddings / vocab_size / dim / freq).
// Save and Load are thread-compatible; errors name the file and the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/repr/signal2vec/signal2vec_options.h"

namespace ecgbench::common::repr {

inline constexpr char kSignal2VecEmbeddingsFile[] = "embeddings.npy";
inline constexpr char kSignal2VecMetadataFile[] = "signal2vec.json";

struct Signal2VecModel {
  int vocab_size = 0;
  int dim = 0;
  std::vector<float> embeddings;   // [vocab_size x dim] row-major: (center + context) / 2
  std::vector<int64_t> freq;       // per id: occurrences in the training corpus (negatives ~ freq^0.75)
  std::vector<int64_t> raw_counts; // per id: occurrences in the input sequences
  Signal2VecOptions options;
  double final_loss = 0.0;         // mean loss over the pairs of the last epoch
  int64_t steps = 0;               // optimizer steps taken
  int64_t pairs_per_epoch = 0;

  // Row of token `id`; REQUIRES 0 <= id < vocab_size.
  const float* Row(int id) const { return embeddings.data() + static_cast<size_t>(id) * dim; }
};

// Checks the sizes (embeddings = vocab_size * dim, freq and raw_counts = vocab_size), finite
// values and the options. InvalidArgument prefixed with `what`.
absl::Status ValidateSignal2VecModel(const Signal2VecModel& model, const std::string& what);

// Writes the two files into `dir` (created if missing), each atomically.
absl::Status SaveSignal2VecModel(const Signal2VecModel& model, const std::string& dir);

// Reads a directory written by SaveSignal2VecModel. NotFound when a file is missing;
// InvalidArgument for a malformed file ("m/signal2vec.json: field 'dim' must be a positive
// integer", "m/embeddings.npy: shape (10, 8) does not match vocab_size 12 x dim 8").
absl::StatusOr<Signal2VecModel> LoadSignal2VecModel(const std::string& dir);

}  // namespace ecgbench::common::repr
