// Electrocardiogram-language models: a LanguageModel (language_model.h) fed with ECG information in
// one of upstream ECG-Bench's three ways:
//   kLlava        encoder -> Linear projection -> N embeddings written over the N `<signal>`
//                 placeholder positions of each row (its own rows only: row b's vectors go to row
//                 b's placeholders, in order); the sequence length never changes.
//   kEncoderFree  the normalised signal [B, 12, L] flattened -> Linear(12 L -> hidden) -> one
//                 embedding at the single placeholder (upstream's "Fuyu" / ELF design). With
//                 signal_patches P > 1 the signal is cut in time into P patches of L / P samples
//                 (all 12 leads each), every patch flattened lead-major and projected by the same
//                 Linear(12 L / P -> hidden): P embeddings at P placeholders, in time order (as
//                 Fuyu projects image patches). P = 1 is exactly upstream's single projection.
//   kEcgByte      no encoder: ECG-Byte symbols are vocabulary tokens inside input_ids.
//   kSignal2Vec   ECG-Byte tokens inside input_ids as kEcgByte, but at every ECG-token position the
//                 LLM's embedding is replaced by Linear(dim -> hidden)(table[id - offset]): the
//                 frozen Signal2Vec vector of that ECG-Byte id, projected (upstream's signal2vec
//                 encoder for the token representation).
// The encoder is frozen by default: run in eval mode (deterministic; upstream masked at random even
// at inference) under NoGradGuard. With update_encoder its parameters train (upstream's flag never
// let gradients through; ours does).
//
// Loss: next-token cross-entropy on assistant tokens only (labels -100 elsewhere), returned as a
// sum and a token count, so the training loop can divide by the global count across micro-batches
// and ranks (data-parallel runs then equal one big batch). Logits are computed only at labeled
// positions (the same numbers as full logits, without the [B, L, vocab] tensor).
//
// Errors: malformed batches throw c10::Error (TORCH_CHECK) naming the row and the count; callers
// catch at the task boundary. Thread-safety: none.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "worker/nn/language_model.h"

namespace ecgbench::worker::nn {

// What an ELM needs from an encoder (ECG encoders, vision encoders).
class ElmEncoder {
 public:
  virtual ~ElmEncoder() = default;
  virtual torch::nn::Module& module() = 0;
  // [B, num_tokens(), output_dim()] for a batch of encoder inputs.
  virtual torch::Tensor Encode(const torch::Tensor& input) = 0;
  virtual int64_t output_dim() const = 0;
  virtual int64_t num_tokens() const = 0;
};

enum class ElmKind { kLlava, kEncoderFree, kEcgByte, kSignal2Vec };

struct ElmOptions {
  ElmKind kind = ElmKind::kEcgByte;
  int64_t placeholder_id = -1;  // kLlava / kEncoderFree: the `<signal>` token id
  int64_t signal_leads = 12;    // kEncoderFree: input [B, leads, length]
  int64_t signal_length = 0;    // kEncoderFree: samples per lead (> 0)
  int64_t signal_patches = 1;   // kEncoderFree: time patches (divides signal_length), one embedding each
  bool update_encoder = false;  // kLlava: train the encoder too
  uint64_t seed = 0;            // projection initialisation
  // kSignal2Vec: the frozen embeddings [ECG-Byte vocabulary, dim] (float) and the LLM id of
  // ECG-Byte id 0 (`signal_0`); ids in [offset, offset + rows) are ECG tokens.
  torch::Tensor signal2vec_table;
  int64_t ecg_token_offset = -1;
};

struct ElmBatch {
  torch::Tensor input_ids;       // [B, L] int64, left-padded
  torch::Tensor attention_mask;  // [B, L]; undefined: all real
  torch::Tensor labels;          // [B, L] int64, -100 = no loss (same positions as input_ids)
  torch::Tensor encoder_input;   // kLlava: the encoder's input; kEncoderFree: signal [B, leads, length];
                                 // undefined: text only (no placeholders: the `none` ablation)
};

// How the ECG reaches the LLM at evaluation (the spec's ablation): the real signal, or zeros in
// place of the projected embeddings (the `none` ablation drops the placeholders at the text side).
enum class SignalMode { kSignal, kZeros };

struct LossSum {
  torch::Tensor sum;  // scalar float32: summed token cross-entropy (differentiable)
  int64_t tokens = 0; // labeled tokens it covers
};

class Elm {
 public:
  // Builds the projection (nn.Linear as PyTorch initialises it, seeded) for kLlava / kEncoderFree.
  // The encoder is required for kLlava and must be null otherwise (c10::Error otherwise).
  Elm(std::unique_ptr<LanguageModel> llm, std::unique_ptr<ElmEncoder> encoder, const ElmOptions& options);

  // The LLM's input embeddings with the ECG embeddings in place ([B, L, embedding_dim]).
  torch::Tensor InputEmbeddings(const ElmBatch& batch, SignalMode mode = SignalMode::kSignal);
  // Assistant-token cross-entropy (see the file comment).
  LossSum Loss(const ElmBatch& batch, SignalMode mode = SignalMode::kSignal);
  // Labeled tokens of a batch (shifted like the loss), without running the model.
  static int64_t CountLabeledTokens(const torch::Tensor& labels);

  // Parameters that train: the projection's ("projection.weight", "projection.bias"), the
  // encoder's ("encoder.<name>") with update_encoder, and the LLM's that require grad (its names:
  // all of them in full fine-tuning, none after AttachLora; the adapter's come from lora.h).
  std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters();
  void Train(bool on);  // train/eval mode of the LLM, projection and (with update_encoder) encoder
  void To(const torch::Device& device, torch::ScalarType llm_dtype);

  LanguageModel& llm() { return *llm_; }
  ElmEncoder* encoder() { return encoder_.get(); }
  torch::nn::Linear& projection() { return projection_; }  // null for kEcgByte
  const torch::Tensor& signal2vec_table() const { return table_; }  // kSignal2Vec; undefined otherwise
  const ElmOptions& options() const { return options_; }

 private:
  torch::Tensor SignalEmbeddings(const ElmBatch& batch);  // [B, N, hidden]

  std::unique_ptr<LanguageModel> llm_;
  std::unique_ptr<ElmEncoder> encoder_;
  torch::nn::Linear projection_{nullptr};
  torch::Tensor table_;  // kSignal2Vec: [rows, dim], never trained
  ElmOptions options_;
};

// kSignal2Vec: `embeds` [B, L, H] with every ECG-token position (offset <= id < offset + rows of
// `table`) replaced by projection(table[id - offset]); other positions unchanged.
torch::Tensor InjectSignal2Vec(const torch::Tensor& embeds, const torch::Tensor& ids, int64_t offset,
                               const torch::Tensor& table, torch::nn::Linear& projection);

// Writes `signal` [B, N, H] over the positions where ids == placeholder_id, row by row, in order.
// Every row must hold exactly N placeholders (c10::Error naming the row otherwise).
torch::Tensor InjectAtPlaceholders(const torch::Tensor& embeds, const torch::Tensor& ids, int64_t placeholder_id,
                                   const torch::Tensor& signal);

}  // namespace ecgbench::worker::nn
