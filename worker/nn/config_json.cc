// Serialises a Llama-family ModelConfig to config.json (see config_json.h).
#include "worker/nn/config_json.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker::nn {

using common::model_io::Architecture;
using common::model_io::ModelConfig;
using common::model_io::RopeType;

absl::StatusOr<std::string> SerializeLlamaFamilyConfig(const ModelConfig& c) {
  nlohmann::json j;
  switch (c.architecture) {
    case Architecture::kLlama: j["architectures"] = {"LlamaForCausalLM"}; break;
    case Architecture::kQwen2: j["architectures"] = {"Qwen2ForCausalLM"}; break;
    case Architecture::kGemma2: j["architectures"] = {"Gemma2ForCausalLM"}; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("config.json: model_type '", c.model_type,
                                                     "' is not a Llama-family decoder (llama, qwen2, gemma2)"));
  }
  j["model_type"] = std::string(common::model_io::ArchitectureName(c.architecture));
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.norm_eps;
  j[c.architecture == Architecture::kGemma2 ? "hidden_activation" : "hidden_act"] = c.activation_name;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["rope_theta"] = c.rope.theta;
  switch (c.rope.type) {
    case RopeType::kDefault: j["rope_scaling"] = nullptr; break;
    case RopeType::kLinear: j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", c.rope.factor}}; break;
    case RopeType::kLlama3:
      j["rope_scaling"] = {{"rope_type", "llama3"},
                           {"factor", c.rope.factor},
                           {"low_freq_factor", c.rope.low_freq_factor},
                           {"high_freq_factor", c.rope.high_freq_factor},
                           {"original_max_position_embeddings", c.rope.original_max_position_embeddings}};
      break;
  }
  if (c.bos_token_id) j["bos_token_id"] = *c.bos_token_id;
  if (c.eos_token_ids.size() == 1) j["eos_token_id"] = c.eos_token_ids[0];
  if (c.eos_token_ids.size() > 1) j["eos_token_id"] = c.eos_token_ids;
  if (c.pad_token_id) j["pad_token_id"] = *c.pad_token_id;
  j["torch_dtype"] = c.torch_dtype.empty() ? "float32" : c.torch_dtype;
  if (const auto* o = c.llama()) {
    j["attention_bias"] = o->attention_bias;
    j["mlp_bias"] = o->mlp_bias;
  } else if (const auto* o = c.qwen2()) {
    j["use_sliding_window"] = o->use_sliding_window;
    j["sliding_window"] = o->sliding_window;
    j["max_window_layers"] = o->max_window_layers;
  } else if (const auto* o = c.gemma2()) {
    // An integer in transformers' Gemma2Config (256 in Google's configs): written as one when whole,
    // or strict config loaders (transformers >= 5) reject the file.
    const double scalar = o->query_pre_attn_scalar;
    if (scalar == std::floor(scalar) && std::fabs(scalar) < 9007199254740992.0) {
      j["query_pre_attn_scalar"] = static_cast<int64_t>(scalar);
    } else {
      j["query_pre_attn_scalar"] = scalar;
    }
    j["attn_logit_softcapping"] = o->attn_logit_softcapping ? nlohmann::json(*o->attn_logit_softcapping) : nullptr;
    j["final_logit_softcapping"] = o->final_logit_softcapping ? nlohmann::json(*o->final_logit_softcapping) : nullptr;
    j["sliding_window"] = o->sliding_window;
    j["attention_bias"] = o->attention_bias;
  }
  return j.dump(2) + "\n";
}

}  // namespace ecgbench::worker::nn
