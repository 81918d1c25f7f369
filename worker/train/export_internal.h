// Pieces shared by export.cc (writing) and export_load.cc (reading) of an ELM export: the ELM kind
// names and the tensors elm.safetensors holds for the encoder and the added vocabulary rows.
// Internal to worker/train. Thread-safety: none (tensors of live modules are returned).
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "worker/nn/elm.h"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::train {

// elm.safetensors' prefix of the added vocabulary rows ("llm.added_rows.model.embed_tokens.weight").
inline constexpr char kAddedRowsPrefix[] = "llm.added_rows.";
inline constexpr char kEncoderPrefix[] = "encoder.";
inline constexpr char kSignal2VecTableName[] = "signal2vec.table";  // signal2vec ELMs: [vocabulary, dim]

// "llava", "encoder_free", "ecg_byte" and back (nullopt for another name).
std::string_view ElmKindName(nn::ElmKind kind);
std::optional<nn::ElmKind> ElmKindFromName(std::string_view name);

// ("encoder.<name>", tensor) for every parameter and floating buffer of the encoder's module
// (BatchNorm running statistics; not the integer num_batches_tracked), in module order.
std::vector<std::pair<std::string, torch::Tensor>> EncoderTensors(nn::ElmEncoder& encoder);

// (parameter name, weight) of the token embeddings and of an untied lm_head, names as in
// llm.module().named_parameters() (Hugging Face names).
std::vector<std::pair<std::string, torch::Tensor>> VocabularyWeights(nn::LanguageModel& llm);

}  // namespace ecgbench::worker::train
