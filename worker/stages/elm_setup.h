// Assembling an ELM for the train stage from its params: the LLM folder (config.json, weights,
// tokenizer.json), the chat template, the added tokens (`<signal>` for encoder ELMs, one
// `signal_<id>` per ECG-Byte id for the token ELM) with the embeddings grown and the new rows
// frozen, LoRA (or full fine-tuning), the encoder the representation calls for, and the example
// options the data pipeline needs (slot, placeholder and ECG-token ids, pad id).
//
// Representation -> ELM (checked here with a clear error; the spec validator checks it earlier):
//   signal + projection                  encoder-free (one placeholder)
//   signal + st_mem | mtae | mlae | merl LLaVA-style; the encoder's weights from encoder.path
//                                        (a file written by SaveEcgEncoder), else from the
//                                        pretrain stage (pretrained_encoder)
//   image | stacked_signal + a vision    LLaVA-style; encoder.path is a Hugging Face CLIP / SigLIP /
//     encoder                            ViT folder
//   token (encoder none)                 ECG-Byte end to end
//   token + signal2vec                   ECG-Byte tokens whose embeddings are the projected frozen
//                                        Signal2Vec vectors; the model directory from encoder.path,
//                                        else from the pretrain stage (pretrained_signal2vec)
//   features + projection                encoder-free over the 12 x 24 ECG features (common/repr/batch)
//
// With `trained_export` (the train stage's export directory) the ELM's weights (adapter, added
// vocabulary rows, projection, trained encoder) come from the export instead of being initialised;
// the tokenizer, template, encoder and example options are built exactly as for training, and the
// export must agree with them (vocabulary size, placeholder id: FailedPrecondition naming both).
//
// Errors: absl::Status naming the field or file. Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/repr/batch/representation_options.h"
#include "common/spec/spec.h"
#include "common/text/chat/chat_template.h"
#include "common/text/tokenizer.h"
#include "nlohmann/json.hpp"
#include "worker/data/elm_examples.h"
#include "worker/nn/elm.h"
#include "worker/nn/lora.h"
#include "worker/nn/token_embeddings.h"
#include "worker/stages/run_data.h"

namespace ecgbench::worker {

struct ElmSetupInputs {
  nlohmann::json representation;  // the stage params' representation section
  common::ModelSpec model;
  common::repr::RepresentationArtifacts artifacts;  // ECG-Byte tokenizer, percentiles, vision config
  // The pretrain stage's encoder file (PretrainedEncoderPath), used when encoder.path is empty.
  std::string pretrained_encoder;
  // The pretrain stage's Signal2Vec model directory (PretrainedSignal2VecPath).
  std::string pretrained_signal2vec;
  int64_t segment_len = 0;        // samples per lead of the run's segments
  int64_t max_tokens = 1024;
  int64_t min_ecg_tokens = 250;
  uint64_t seed = 0;
  std::string trained_export;  // empty: a fresh ELM to train
};

struct ElmSetup {
  std::unique_ptr<common::text::Tokenizer> tokenizer;  // with the added tokens
  common::text::ChatTemplate chat_template;
  std::unique_ptr<nn::Elm> elm;
  nn::LoraAdapter adapter{nullptr};  // null without LoRA
  nn::AddedRows added;
  common::repr::RepresentationOptions representation;
  ElmExampleOptions examples;
  std::string elm_kind;  // "llava" | "encoder_free" | "ecg_byte"
};

absl::StatusOr<ElmSetup> SetUpElm(const ElmSetupInputs& inputs);

// What the stages before train / evaluate made for the ELM, from the assignment's inputs: the
// tokenizer stage's ECG-Byte tokenizer and percentiles, the pretrain stage's encoder or Signal2Vec
// model, the rag stage's index (empty strings where the run has none).
struct RunElmArtifacts {
  common::repr::RepresentationArtifacts representation;
  std::string pretrained_encoder;
  std::string pretrained_signal2vec;
  std::string rag_index;
  // Adds the non-empty ones to an artifact key as inputs.
  void AddTo(common::ecg::ContentHash& key) const;
};
RunElmArtifacts FindRunElmArtifacts(const v1::Assignment& assignment);

// ElmSetupInputs of a run: its representation params, `model`, the artifacts and the store's
// segment length. The token budget, seed and trained export are the caller's.
ElmSetupInputs MakeElmSetupInputs(const RunData& run, const common::ModelSpec& model, const RunElmArtifacts& artifacts);

// Where the run's conversations are (for LoadElmDataset).
ElmDataSource ElmDataSourceOf(const RunData& run);

// The trainable parameters of `setup` (the ELM's, then the adapter's) for the optimizer.
std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters(ElmSetup& setup);

}  // namespace ecgbench::worker
