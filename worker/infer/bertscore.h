// BERTScore (Zhang et al. 2020) as upstream ECG-Bench computed it with HF
// evaluate.load("bertscore") -> bert_score: a local Hugging Face encoder (default roberta-large,
// layer 17), no idf weighting, no baseline rescaling. Per pair, the tokens of the candidate and the
// reference are embedded by the encoder's first `layer` layers, L2-normalised, and greedily matched
// on cosine similarity: P = mean over the candidate's tokens of the best cosine with any reference
// token, R = the same from the reference's side, F1 = 2PR / (P + R) (0 when P + R = 0). The <s> /
// </s> ([CLS] / [SEP]) tokens take part in the matching as targets but carry no weight in the means
// (bert_score's zero idf for them). A candidate or reference that is empty after stripping scores
// (0, 0, 0). Semantics, differences from bert_score and cost: docs/evaluation-bertscore.md.
//
// Model folder: config.json (model_type "roberta" or "bert"), model.safetensors (or a sharded
// index; "roberta." / "bert." prefixes and lm_head.* / cls.* heads accepted), and the tokenizer:
// tokenizer.json, or vocab.json + merges.txt, or vocab.txt (bertscore_tokenizer.h).
// Float32 on CPU. Torch-free header (the model lives in the .cc).
// Thread-safety: Load is thread-safe; Score must not run concurrently on one BertScorer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::worker::infer {

struct BertScoreOptions {
  std::string model_dir;  // the Hugging Face model folder (above)
  int layer = 17;         // hidden states after this many layers (0: the embeddings' output)
  int batch_size = 32;    // texts per encoder forward pass
};

struct BertScoreTriple {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

class BertScorer {
 public:
  // Loads the config, the first `layer` layers' weights (later layers are not read) and the
  // tokenizer. Errors name the file and field: NotFound for a missing folder or config.json;
  // InvalidArgument for an unsupported model_type, layer outside [0, num_hidden_layers],
  // batch_size < 1, a tokenizer larger than the vocabulary, missing or mis-shaped tensors.
  static absl::StatusOr<std::unique_ptr<BertScorer>> Load(const BertScoreOptions& options);
  ~BertScorer();

  // One triple per pair, in order. InvalidArgument when the lists differ in length or a text is
  // not valid UTF-8 (naming "candidates[i]" / "references[i]" and the byte); Internal /
  // ResourceExhausted when LibTorch fails. Texts longer than the model allows are cut like
  // bert_score's (truncation at model_max_length).
  absl::StatusOr<std::vector<BertScoreTriple>> Score(const std::vector<std::string>& candidates,
                                                     const std::vector<std::string>& references);

  const BertScoreOptions& options() const { return options_; }
  int64_t hidden_size() const;
  int64_t max_length() const;  // tokens per text, <s> and </s> included

 private:
  struct State;
  BertScorer(BertScoreOptions options, std::unique_ptr<State> state);

  const BertScoreOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace ecgbench::worker::infer
