// Growing a language model's vocabulary for added tokens (ECG-Byte ids as `signal_<id>`, the
// `<signal>` placeholder), as transformers' resize_token_embeddings does: the token-embedding
// matrix and an untied lm_head get new rows at the end (a tied lm_head follows the embeddings),
// and config.vocab_size is updated, so saving writes the grown shapes.
//
// New rows are frozen by default (upstream found that training them hurts): a gradient hook zeroes
// their gradient in every weight that requires grad. An optimizer with weight decay would still
// move them, so the returned AddedRows lists the tensors and row range an optimizer must leave
// alone (worker/train's optimizers honour it). With LoRA the whole base model is frozen anyway.
//
// Initialisation of the new rows (a demanding user's choice, differing from transformers >= 4.46):
//   kVocabularyDistribution (default): samples from N(mean, scale * covariance) of the existing rows
//     with scale 1, so each new token is distinct and looks like a real token. transformers'
//     mean_resizing uses the same distribution with scale 1e-9, which makes every new token nearly
//     the mean embedding; with frozen rows the model could barely tell ECG tokens apart. Set
//     covariance_scale = 1e-9 to reproduce it. When the covariance is not positive definite (fewer
//     rows than dimensions), new rows are the mean, as transformers falls back.
//   kNormal: N(0, stddev^2) (transformers' _init_weights with initializer_range; before 4.46).
// Rows of the embedding and of an untied lm_head are drawn from each matrix's own statistics.
//
// Errors: InvalidArgument for a smaller vocabulary or bad options. Thread-safety: none.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::nn {

enum class NewRowInit { kVocabularyDistribution, kNormal };

struct ResizeOptions {
  NewRowInit init = NewRowInit::kVocabularyDistribution;
  double covariance_scale = 1.0;  // kVocabularyDistribution; > 0
  double stddev = 0.02;           // kNormal; >= 0
  bool freeze_new_rows = true;
  uint64_t seed = 0;
};

// The rows [first_row, first_row + count) of each tensor in `weights` are the added tokens'.
struct AddedRows {
  int64_t first_row = 0;
  int64_t count = 0;
  bool frozen = false;
  std::vector<torch::Tensor> weights;  // the embedding weight, and the lm_head weight when untied
};

// Grows the vocabulary to `new_vocab_size` (>= the current size; equal: nothing changes, count 0).
absl::StatusOr<AddedRows> ResizeTokenEmbeddings(LanguageModel& model, int64_t new_vocab_size,
                                                const ResizeOptions& options = {});

// Zeroes `rows`' gradients (what the hook does; for optimizers that accumulate gradients elsewhere).
void ZeroAddedRowGradients(const AddedRows& rows);

}  // namespace ecgbench::worker::nn
