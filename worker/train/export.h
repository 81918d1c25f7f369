// Exporting a trained ELM (worker/nn/elm.h) as files other tools read, and rebuilding it from them.
// Layout of an export directory (docs/export.md):
//   adapter/adapter_config.json, adapter/adapter_model.safetensors   PEFT LoRA adapter (with LoRA)
//   elm.safetensors   "projection.weight" / "projection.bias" (llava, encoder_free, signal2vec);
//                     "signal2vec.table" (signal2vec: the frozen [vocabulary, dim] embeddings); "encoder.<name>"
//                     (the encoder's parameters and floating buffers, when it trained or has no
//                     checkpoint of its own); "llm.added_rows.<parameter>" (the vocabulary rows of
//                     the added tokens, [count, hidden], when the base weights rebuild the LLM);
//                     metadata: elm.kind, elm.placeholder_id, encoder.kind, encoder.config.<key>
//   tokenizer.json    the base tokenizer with the added tokens (`<signal>`, `signal_<id>`)
//   elm_config.json   what rebuilding needs (export_config.h)
//   README.md         the model card (model_card.h)
//   merged/           on request, and always when the LLM itself trained (full fine-tuning): a
//                     Hugging Face folder (config.json with the grown vocab_size, model.safetensors
//                     with LoRA merged in, tokenizer files, generation_config.json when the base
//                     has one) that LoadLanguageModel and AutoModelForCausalLM read
//   <extra files>     copied verbatim (an ECG-Byte tokenizer, Signal2Vec embeddings, ...)
// Every file is written atomically, into a sibling directory ".<name>.tmp-<pid>" renamed to the
// output directory at the end: readers see a complete export or none.
//
// Errors: absl::Status naming the path or the field (an unwritable directory names it; a missing
// base tokenizer names the file). ExportElm does not change the ELM: merging adds the LoRA delta
// to the adapted weights for the write and restores their exact bits afterwards.
// Thread-safety: none (the ELM's weights are read, and briefly written while merging).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model_io/dtype.h"
#include "worker/nn/elm.h"
#include "worker/nn/lora.h"
#include "worker/train/export_config.h"
#include "worker/train/model_card.h"

namespace ecgbench::worker::train {

struct ExportRequest {
  std::string out_dir;
  bool overwrite = false;       // false: an existing out_dir is AlreadyExists
  std::string base_model_dir;   // the HF folder the LLM was loaded from (required)
  std::string base_model_name;  // hub id for the card and adapter_config.json; empty: base_model_dir
  // Tokens added to the base tokenizer, with their ids in the grown vocabulary.
  std::vector<ExportedToken> added_tokens;
  std::string tokenizer_path;  // base tokenizer.json; empty: <base_model_dir>/tokenizer.json
  ExportedEncoder encoder;     // llava: how the encoder is rebuilt (kind required)
  nlohmann::json representation = nlohmann::json::object();      // recorded in elm_config.json as is
  std::vector<std::pair<std::string, std::string>> extra_files;  // (relative name, source path)
  bool merged = false;                                           // also write merged/
  common::model_io::DType merged_dtype = common::model_io::DType::kF32;
  common::model_io::DType adapter_dtype = common::model_io::DType::kF32;
  // The card; the export fills elm_kind, base model, LoRA settings, full_fine_tuning, merged,
  // encoder (when empty), files and software_version (when empty).
  ModelCard card;
};

struct ExportResult {
  std::string dir;
  ElmExportConfig config;  // what elm_config.json holds
};

// Writes the export of `elm` (and `adapter`, null without LoRA). The LLM counts as trained (full
// fine-tuning: merged/ is written and elm_config says so) when any of its parameters requires grad.
absl::StatusOr<ExportResult> ExportElm(nn::Elm& elm, const nn::LoraAdapter* adapter, const ExportRequest& request);

// Rebuilds the encoder of a llava export: `encoder` as recorded, `export_dir` to find files.
using ElmEncoderFactory = std::function<absl::StatusOr<std::unique_ptr<nn::ElmEncoder>>(const ExportedEncoder& encoder,
                                                                                        const std::string& export_dir)>;

struct LoadExportOptions {
  std::string base_model_dir;         // empty: the path recorded in elm_config.json
  bool use_merged = false;            // rebuild from merged/ (no adapter) instead of base + adapter
  ElmEncoderFactory encoder_factory;  // required for llava exports
};

struct LoadedElm {
  std::unique_ptr<nn::Elm> elm;
  nn::LoraAdapter adapter{nullptr};  // attached to elm->llm() when the export has one and it is used
  ElmExportConfig config;
};

// The ELM of an export, float32 on the CPU, in eval mode. The base model must match what the export
// recorded (model_type, hidden size, layers, vocabulary: FailedPrecondition naming the field and
// both values); every tensor of elm.safetensors must fit (InvalidArgument naming it).
absl::StatusOr<LoadedElm> LoadExportedElm(const std::string& export_dir, const LoadExportOptions& options = {});

}  // namespace ecgbench::worker::train
