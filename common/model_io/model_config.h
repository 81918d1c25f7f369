// config.json of a Hugging Face causal LM, parsed into one typed ModelConfig for the five
// architectures the project supports (model_type llama, qwen2, gemma2, gpt2, opt).
//
// Defaults: a field that is absent (or null) takes the default of the transformers configuration
// class (LlamaConfig, Qwen2Config, Gemma2Config, GPT2Config, OPTConfig as of transformers 4.45-4.56;
// docs/model-io.md lists each one). Exception: the fields that fix tensor shapes (vocab size,
// hidden size, layer and head counts, MLP width) are required, because transformers' defaults for
// them describe some other model (e.g. Llama-2-7B) and would only fail later as shape mismatches.
// Errors (InvalidArgument) name the file and the field: a missing required field, a wrong JSON
// type, an inconsistent value (heads not dividing), or an unsupported feature (rope type, activation,
// quantization_config, model_type).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::model_io {

enum class Architecture { kLlama, kQwen2, kGemma2, kGpt2, kOpt };
std::string_view ArchitectureName(Architecture arch);  // the model_type: "llama", ...

// ACT2FN names: silu/swish -> kSilu; gelu -> kGelu (erf); gelu_new, gelu_pytorch_tanh, gelu_fast ->
// kGeluTanh (the tanh approximation); relu -> kRelu.
enum class Activation { kSilu, kGelu, kGeluTanh, kRelu };

enum class RopeType { kDefault, kLinear, kLlama3 };

struct RopeConfig {
  double theta = 10000.0;
  RopeType type = RopeType::kDefault;   // rope_scaling null or rope_type "default"
  double factor = 1.0;                  // linear, llama3
  double low_freq_factor = 1.0;         // llama3
  double high_freq_factor = 4.0;        // llama3
  int64_t original_max_position_embeddings = 0;  // llama3
};

struct LlamaOptions {
  bool attention_bias = false;  // q/k/v/o biases
  bool mlp_bias = false;
};
struct Qwen2Options {
  bool use_sliding_window = false;
  int64_t sliding_window = 4096;
  int64_t max_window_layers = 28;  // layers >= this use the window when use_sliding_window
};
struct Gemma2Options {
  double query_pre_attn_scalar = 256;  // attention scale = query_pre_attn_scalar^-0.5
  std::optional<double> attn_logit_softcapping = 50.0;   // null disables
  std::optional<double> final_logit_softcapping = 30.0;  // null disables
  int64_t sliding_window = 4096;                         // on even-numbered layers (0, 2, ...)
  bool attention_bias = false;
};
struct Gpt2Options {
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  bool reorder_and_upcast_attn = false;
};
struct OptOptions {
  bool do_layer_norm_before = true;     // pre-LN (true) or post-LN (false, OPT-350m)
  int64_t word_embed_proj_dim = 0;      // != hidden_size adds project_in / project_out
  bool enable_bias = true;
  bool layer_norm_elementwise_affine = true;
  bool remove_final_layer_norm = false;  // "_remove_final_layer_norm"
  bool HasFinalLayerNorm() const { return do_layer_norm_before && !remove_final_layer_norm; }
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  std::string model_type;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;          // gpt2: n_embd
  int64_t intermediate_size = 0;    // gpt2: n_inner or 4 * n_embd; opt: ffn_dim
  int64_t num_hidden_layers = 0;    // gpt2: n_layer
  int64_t num_attention_heads = 0;  // gpt2: n_head
  int64_t num_key_value_heads = 0;  // = num_attention_heads without grouped-query attention
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;  // gpt2: n_positions
  double norm_eps = 1e-6;               // rms_norm_eps / layer_norm_epsilon / 1e-5 for OPT
  Activation activation = Activation::kSilu;
  std::string activation_name;          // as written (hidden_act / hidden_activation / activation_function)
  bool tie_word_embeddings = false;
  bool learned_positions = false;       // gpt2, opt; otherwise RoPE
  RopeConfig rope;                      // meaningful when !learned_positions
  bool qkv_bias = false;                // derived per architecture
  bool out_proj_bias = false;
  bool mlp_bias = false;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;   // eos_token_id: an integer or a list
  std::optional<int64_t> pad_token_id;
  std::string torch_dtype;              // "torch_dtype" or "dtype"; empty when absent
  std::variant<LlamaOptions, Qwen2Options, Gemma2Options, Gpt2Options, OptOptions> options;
  // qwen2, gemma2: one entry per layer, true where the layer attends within the sliding window
  // ("layer_types" when given, else the transformers rule); empty for the other architectures.
  std::vector<bool> sliding_layers;

  const LlamaOptions* llama() const { return std::get_if<LlamaOptions>(&options); }
  const Qwen2Options* qwen2() const { return std::get_if<Qwen2Options>(&options); }
  const Gemma2Options* gemma2() const { return std::get_if<Gemma2Options>(&options); }
  const Gpt2Options* gpt2() const { return std::get_if<Gpt2Options>(&options); }
  const OptOptions* opt() const { return std::get_if<OptOptions>(&options); }

  // Window length of layer `layer` (0-based), or nullopt for full attention (qwen2, gemma2 rules).
  std::optional<int64_t> SlidingWindowForLayer(int64_t layer) const;
};

// `file_name` is used in messages only.
absl::StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view file_name);
// Reads `path` (a config.json) or `path`/config.json when `path` is a directory.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path);

}  // namespace ecgbench::common::model_io
