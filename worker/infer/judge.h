// LLM-as-judge (issue 7; upstream's paper-era post-training judge, llm-blender PairRM, is a DeBERTa
// ranker we cannot download): a local Hugging Face causal LM reads a question and two answers and
// is asked which one is better; its next-token log-probabilities of the labels "A" and "B" give the
// verdict. Both presentation orders are scored and averaged, so the verdict does not depend on
// which answer was shown first. Semantics, the prompt and the label tokens: docs/evaluation-judge.md.
//
// Model folder: what worker/nn's LoadLanguageModel reads (config.json with model_type llama, qwen2,
// gemma2, gpt2 or opt; model.safetensors or a sharded index) plus tokenizer.json. Float32 on CPU,
// eval mode, no gradients, no sampling: a verdict is a deterministic function of the inputs.
// Torch-free header (the model lives in the .cc).
// Thread-safety: Load is thread-safe; Compare must not run concurrently on one PairJudge.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::worker::infer {

struct JudgeOptions {
  std::string model_dir;                // the Hugging Face model folder (above)
  std::string chat_template = "auto";  // llama3 | chatml | gemma2 | gpt2 | opt | auto (from model_type)
};

struct JudgeVerdict {
  int preferred = 0;  // 0: answer A (the first argument), 1: answer B
  double margin = 0;  // log P(preferred label) - log P(other label), averaged over both orders; >= 0
};

class PairJudge {
 public:
  // Loads the config, the tokenizer, the chat template and the weights. Errors name the path or
  // field: InvalidArgument for an empty model_dir; NotFound for a missing folder, config.json or
  // tokenizer.json, or a template token missing from the tokenizer; InvalidArgument for an
  // unsupported model_type or template name, a label ("A" / "B") that is not exactly one token or
  // lies outside the model's vocabulary, or labels sharing a token; the loader's errors for
  // missing or mis-shaped tensors; Internal when LibTorch fails.
  static absl::StatusOr<std::unique_ptr<PairJudge>> Load(const JudgeOptions& options);
  ~PairJudge();

  // Which of two answers to `question` the model prefers. InvalidArgument naming "question",
  // "answer_a" or "answer_b" and the byte for text that is not valid UTF-8, and naming the token
  // count when a prompt exceeds the model's max_position_embeddings; Internal for non-finite
  // log-probabilities or a LibTorch failure; ResourceExhausted when LibTorch runs out of memory.
  absl::StatusOr<JudgeVerdict> Compare(std::string_view question, std::string_view answer_a,
                                       std::string_view answer_b);

  const JudgeOptions& options() const { return options_; }
  // The token ids scored for label 0 ("A") or 1 ("B"): the bare label, then its leading-space
  // variant when that is a different single token.
  const std::vector<int32_t>& label_ids(int label) const;

 private:
  struct State;
  PairJudge(JudgeOptions options, std::unique_ptr<State> state);

  const JudgeOptions options_;
  std::unique_ptr<State> state_;
};

// The user turn the judge sees, with `first` shown as "Answer A" and `second` as "Answer B".
std::string JudgeUserTurn(std::string_view question, std::string_view first, std::string_view second);

// One JSON Lines record of a preference pair in the DPO / TRL convention, without the trailing
// newline: {"id":..,"prompt":..,"chosen":..,"rejected":..,"margin":..} in that key order. Strings
// are JSON-escaped (quotes, backslashes, control characters); non-ASCII UTF-8 is written as is and
// bytes that are not valid UTF-8 are replaced by U+FFFD. A non-finite margin is written as null.
std::string PreferencePairJsonLine(std::string_view id, std::string_view prompt, std::string_view chosen,
                                   std::string_view rejected, double margin);

}  // namespace ecgbench::worker::infer
