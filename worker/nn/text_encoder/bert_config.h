// config.json of a Hugging Face BERT encoder (model_type "bert", transformers' BertConfig field
// names), e.g. ncbi/MedCPT-Query-Encoder. Torch-free; pure functions, thread-safe.
// Absent (or null) fields take BertConfig's defaults (bert-base-uncased's sizes). Errors
// (InvalidArgument) name the file and the field: a wrong JSON type, a non-positive size, heads not
// dividing the width, a model_type other than "bert", a hidden_act other than gelu (erf),
// gelu_new / gelu_pytorch_tanh (tanh approximation) or relu, a position_embedding_type other than
// "absolute", a pad_token_id outside the vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::worker::nn {

enum class BertActivation { kGelu, kGeluTanh, kRelu };

struct BertConfig {
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
};

// `file_name` is used in messages only.
absl::StatusOr<BertConfig> ParseBertConfig(std::string_view json_text, std::string_view file_name);
// `path` is a config.json or a directory holding one.
absl::StatusOr<BertConfig> LoadBertConfig(const std::string& path);
// config.json text (architectures ["BertModel"], model_type "bert"), so ParseBertConfig and
// transformers' AutoConfig read back the same model. Validates first.
absl::StatusOr<std::string> SerializeBertConfig(const BertConfig& config);
// The checks ParseBertConfig applies, for configs built in code.
absl::Status ValidateBertConfig(const BertConfig& config, std::string_view file_name = "bert config");

}  // namespace ecgbench::worker::nn
