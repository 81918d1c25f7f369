// Text generation with any LanguageModel (language_model.h: Llama 3.x, Qwen2, Gemma 2, GPT-2, OPT), as transformers' generate() does it for greedy
// search and sampling: a batch of left-padded prompts, given as token ids or as embeddings (an ELM
// injects ECG embeddings), is prefilled once into a KvCache; every later step feeds only the
// tokens just chosen (ids, also after an embeddings prefill) with the attention mask grown by one
// column. Scores are the last position's logits in float32, then, in transformers' order: the
// repetition penalty, temperature, top-k, top-p (keeping at least one token); greedy takes the
// argmax, sampling draws from the softmax with a torch::Generator seeded per request, so the same
// request on the same device and LibTorch gives the same tokens. A row stops at the first of its
// eos / end-of-turn ids; afterwards it receives the pad id and does not influence the other rows.
// Generation ends when every row has stopped or after max_new_tokens steps.
//
// Errors: a malformed request is InvalidArgument naming the field and the reason; LibTorch
// failures during the run become ResourceExhausted (out of memory) or Internal. Runs under
// torch::NoGradGuard with the model in eval mode (its training flag is restored on return).
// Thread-safety: not thread-safe with respect to `model` (one generation per model at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/generation_config.h"
#include "worker/nn/causal_lm.h"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::nn {

// Defaults are transformers' GenerationConfig defaults.
struct SamplingOptions {
  bool do_sample = false;           // false: greedy (temperature, top_k and top_p are not used)
  double temperature = 1.0;         // finite, >= 0; > 0 when do_sample
  int64_t top_k = 50;               // >= 0; 0 disables
  double top_p = 1.0;               // in (0, 1]; 1 disables
  double repetition_penalty = 1.0;  // > 0; 1 disables; applies to greedy search too
  uint64_t seed = 0;                // seeds this request's generator
};

struct GenerationRequest {
  torch::Tensor input_ids;       // [B, L] int64, left-padded; or undefined with inputs_embeds
  torch::Tensor inputs_embeds;   // [B, L, embedding_dim()] (cast to the model's dtype); used without input_ids
  torch::Tensor attention_mask;  // [B, L], nonzero = real token; the last column must be real;
                                 // undefined: every position is real
  int64_t max_new_tokens = 20;   // >= 1
  std::vector<int64_t> eos_token_ids;   // stop on any of these; empty: run max_new_tokens steps
  std::optional<int64_t> pad_token_id;  // after a row stops; unset: eos_token_ids[0], else 0
  SamplingOptions sampling;
};

enum class FinishReason { kEos, kMaxNewTokens };
std::string_view FinishReasonName(FinishReason reason);  // "eos", "max_new_tokens"

struct GeneratedRow {
  std::vector<int64_t> ids;  // the generated tokens, without the stop token
  FinishReason finish_reason = FinishReason::kMaxNewTokens;
  int64_t stop_token = -1;   // the eos id that ended the row (kEos); -1 otherwise
};

struct GenerationResult {
  std::vector<GeneratedRow> rows;  // one per prompt row
  // [B, steps] int64 on the CPU, steps <= max_new_tokens: each row's tokens, its stop token, then
  // pad (transformers' sequences[:, L:]).
  torch::Tensor tokens;
};

absl::StatusOr<GenerationResult> Generate(LanguageModel& model, const GenerationRequest& request);
// The same on a Llama-family holder (wrapped with AsLanguageModel).
absl::StatusOr<GenerationResult> Generate(CausalLM& model, const GenerationRequest& request);

// Copies generation_config.json's settings into `request`: do_sample, temperature, top_k, top_p,
// repetition_penalty, eos ids, pad id (when set), max_new_tokens (when set).
void ApplyGenerationConfig(const common::model_io::GenerationConfig& config, GenerationRequest& request);

// The score processing steps, exposed for tests. `scores` is [B, V] float; it is not modified (the
// result is `scores` itself when a step has nothing to do).
// transformers' RepetitionPenaltyLogitsProcessor over the ids [B, N] seen so far (N may be 0).
torch::Tensor ApplyRepetitionPenalty(const torch::Tensor& scores, const torch::Tensor& seen_ids, double penalty);
// Temperature, top-k, top-p (TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper);
// removed tokens get -inf. Each is skipped at its neutral value (1, 0, 1).
torch::Tensor WarpScores(const torch::Tensor& scores, const SamplingOptions& options);

}  // namespace ecgbench::worker::nn
