// PretrainRunner: the "pretrain" stage kind (planned for representation.encoder.pretrain: true, and
// for encoder signal2vec without a path). By encoder:
//  - signal2vec (representation.kind token; one process): it encodes the run's training-fold
//    segments with the run's ECG-Byte tokenizer (the tokenizer stage's artifact, or
//    representation.ecg_byte.tokenizer) and trains skip-gram embeddings over the token sequences
//    (worker/train/signal2vec_trainer.h, upstream defaults). The artifact (<artifact-root>/
//    signal2vec/<key>/: embeddings.npy, signal2vec.json) is keyed by the dataset, the tokenizer
//    file's digest, the fold and the options, so it is reused. A preempted run starts over.
//  - st_mem | mtae | mlae | merl (representation.kind signal; world_size data-parallel ranks):
//    encoder_pretrain.h; the result's "encoder" names the weights file (SaveEcgEncoder) that the
//    train stage loads when representation.encoder.path is empty (PretrainedEncoderPath).
//  - anything else (the vision encoders): FAILED_PRECONDITION naming the encoder.
// Torch-free header.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/agent/stage_runner.h"

namespace ecgbench::worker {

class TextEmbedder;  // encoder_pretrain.h

// Opens the frozen text encoder MERL pretraining embeds the reports with (a Hugging Face BERT
// folder such as ncbi/MedCPT-Query-Encoder) on `device` ("cpu" or "cuda:0").
using TextEmbedderFactory =
    std::function<absl::StatusOr<std::unique_ptr<TextEmbedder>>(const std::string& path, const std::string& device)>;

// Opens a Hugging Face BERT folder with worker/nn/text_encoder (reports to 64 tokens, pooler_output).
TextEmbedderFactory BertTextEmbedderFactory();

struct PretrainStageOptions {
  std::string artifact_root = ".ecgbench/artifacts";
  int loader_threads = 2;              // signal batches built on this many threads (one ahead)
  std::string hostname = "127.0.0.1";  // what this rank's Gloo device tells its peers
  // Null: this worker cannot pretrain MERL (FAILED_PRECONDITION saying so).
  TextEmbedderFactory text_encoder = nullptr;
};

class PretrainRunner final : public StageRunner {
 public:
  explicit PretrainRunner(PretrainStageOptions options) : options_(std::move(options)) {}
  absl::StatusOr<TaskResult> Run(TaskContext& ctx) override;
  // Encoder pretraining resumes from its checkpoints; Signal2Vec starts over.
  bool SupportsCheckpoint() const override { return true; }

 private:
  absl::StatusOr<TaskResult> RunSignal2Vec(TaskContext& ctx);
  PretrainStageOptions options_;
};

// The encoder file of the stage inputs' "pretrain" result (its "encoder" field) when that result
// comes from encoder pretraining (it has "kind" "ecg_encoder"); empty otherwise (no pretrain
// input, Signal2Vec embeddings, malformed inputs).
std::string PretrainedEncoderPath(const v1::Assignment& assignment);
// The Signal2Vec model directory of the stage inputs' "pretrain" result (its "embeddings" field);
// empty when the pretrain input is not Signal2Vec's (or there is none).
std::string PretrainedSignal2VecPath(const v1::Assignment& assignment);

}  // namespace ecgbench::worker
