// config.json of a Hugging Face BERT encoder (model_type "bert", transformers' BertConfig field
// names), e.g. ncbi/MedCPT-Query-Encoder, or of a RoBERTa encoder (model_type "roberta", e.g.
// roberta-large, BERTScore's default model: same layers, positions counted from pad_token_id + 1).
// Torch-free; pure functions, thread-safe.
// Absent (or null) fields take transformers' defaults (BertConfig: bert-base-uncased's sizes;
// RobertaConfig: the same but vocab_size 50265, pad_token_id 1). Errors (InvalidArgument) name the
// file and the field: a wrong JSON type, a non-positive size, heads not dividing the width, an
// unsupported model_type, a hidden_act other than gelu (erf), gelu_new / gelu_pytorch_tanh (tanh
// approximation) or relu, a position_embedding_type other than "absolute", a pad_token_id outside
// the vocabulary (or, for RoBERTa, leaving no position: pad_token_id + 1 >= max_position_embeddings).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::worker::nn {

enum class BertActivation { kGelu, kGeluTanh, kRelu };

// kBert: position ids 0 .. T-1. kRoberta: position ids pad_token_id + 1, + 2, ... counted over the
// non-pad tokens, pad_token_id at pad tokens (transformers' create_position_ids_from_input_ids).
enum class BertFamily { kBert, kRoberta };

struct BertConfig {
  BertFamily family = BertFamily::kBert;
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  BertActivation hidden_act = BertActivation::kGelu;
  std::string hidden_act_name = "gelu";  // the config's spelling, written back by Serialize
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  double initializer_range = 0.02;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // The longest input the position table allows: max_position_embeddings, less pad_token_id + 1
  // for RoBERTa (514 - 2 = 512 for roberta-large).
  int64_t max_sequence_length() const {
    return family == BertFamily::kRoberta ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
  }
  const char* model_type() const { return family == BertFamily::kRoberta ? "roberta" : "bert"; }
};

// model_type "bert" only (the MERL text encoder). `file_name` is used in messages only.
absl::StatusOr<BertConfig> ParseBertConfig(std::string_view json_text, std::string_view file_name);
// `path` is a config.json or a directory holding one. model_type "bert" only.
absl::StatusOr<BertConfig> LoadBertConfig(const std::string& path);
// model_type "bert" or "roberta" (BERTScore's encoders).
absl::StatusOr<BertConfig> ParseBertFamilyConfig(std::string_view json_text, std::string_view file_name);
absl::StatusOr<BertConfig> LoadBertFamilyConfig(const std::string& path);
// config.json text (architectures ["BertModel"] / ["RobertaModel"], model_type "bert" / "roberta"),
// so ParseBertFamilyConfig and transformers' AutoConfig read back the same model. Validates first.
absl::StatusOr<std::string> SerializeBertConfig(const BertConfig& config);
// The checks ParseBertConfig applies, for configs built in code.
absl::Status ValidateBertConfig(const BertConfig& config, std::string_view file_name = "bert config");

}  // namespace ecgbench::worker::nn
