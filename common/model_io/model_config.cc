// config.json -> ModelConfig. Each architecture's reader applies its transformers class defaults
// (cited per field in docs/model-io.md) and derives the bias flags the decoders need.
#include "common/model_io/model_config.h"

#include <algorithm>
#include <filesystem>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"
#include "common/model_io/config_fields.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::model_io {
namespace {

struct ArchDefaults {
  int64_t max_position_embeddings;
  double rope_theta;
  const char* activation;
  bool tie_word_embeddings;
  std::optional<int64_t> bos, eos, pad;
};

// The canonical key when present, else its alias (GPT-2's attribute_map), else the canonical key.
std::string_view Pick(const ConfigFields& f, std::string_view canonical, std::string_view alias) {
  return !f.Has(canonical) && f.Has(alias) ? alias : canonical;
}

absl::StatusOr<Activation> ParseActivation(const ConfigFields& f, std::string_view key, const std::string& name) {
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  return f.Error(key, absl::StrCat("activation \"", name,
                                   "\" is not supported (supported: silu, swish, gelu, gelu_new, gelu_pytorch_tanh, "
                                   "gelu_fast, relu)"));
}

absl::Status RequirePositive(const ConfigFields& f, std::string_view key, double value) {
  if (!(value > 0)) return f.Error(key, absl::StrCat("must be positive, got ", value));
  return absl::OkStatus();
}

absl::Status ParseRope(const ConfigFields& f, double default_theta, RopeConfig& rope) {
  ECGBENCH_ASSIGN_OR_RETURN(rope.theta, f.Double("rope_theta", default_theta));
  ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "rope_theta", rope.theta));
  const nlohmann::json* scaling = f.Find("rope_scaling");
  if (scaling == nullptr) return absl::OkStatus();
  if (!scaling->is_object()) return f.Error("rope_scaling", "must be an object or null");
  ConfigFields s(*scaling, f.file(), "rope_scaling.");
  const std::string_view type_key = s.Has("rope_type") ? "rope_type" : "type";  // "type" is the legacy spelling
  ECGBENCH_ASSIGN_OR_RETURN(const std::string type, s.String(type_key));
  if (type == "default") return absl::OkStatus();
  if (type != "linear" && type != "llama3") {
    return s.Error(type_key, absl::StrCat("rope type \"", type, "\" is not supported (supported: default, linear, llama3)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(rope.factor, s.Double("factor"));
  ECGBENCH_RETURN_IF_ERROR(RequirePositive(s, "factor", rope.factor));
  if (type == "linear") {
    rope.type = RopeType::kLinear;
    return absl::OkStatus();
  }
  rope.type = RopeType::kLlama3;
  ECGBENCH_ASSIGN_OR_RETURN(rope.low_freq_factor, s.Double("low_freq_factor"));
  ECGBENCH_ASSIGN_OR_RETURN(rope.high_freq_factor, s.Double("high_freq_factor"));
  ECGBENCH_ASSIGN_OR_RETURN(rope.original_max_position_embeddings, s.Int("original_max_position_embeddings"));
  ECGBENCH_RETURN_IF_ERROR(RequirePositive(s, "low_freq_factor", rope.low_freq_factor));
  ECGBENCH_RETURN_IF_ERROR(RequirePositive(s, "original_max_position_embeddings",
                                           static_cast<double>(rope.original_max_position_embeddings)));
  if (rope.high_freq_factor < rope.low_freq_factor) {
    return s.Error("high_freq_factor", absl::StrCat("must be >= low_freq_factor (", rope.low_freq_factor, "), got ",
                                                     rope.high_freq_factor));
  }
  return absl::OkStatus();
}

// An id field: absent -> the class default; null -> none; otherwise an integer.
absl::StatusOr<std::optional<int64_t>> TokenId(const ConfigFields& f, std::string_view key,
                                               std::optional<int64_t> fallback) {
  if (!f.Present(key)) return fallback;
  return f.OptionalInt(key);
}

absl::Status ParseCommon(const ConfigFields& f, const ArchDefaults& d, ModelConfig& c) {
  ECGBENCH_ASSIGN_OR_RETURN(c.tie_word_embeddings, f.Bool("tie_word_embeddings", d.tie_word_embeddings));
  ECGBENCH_ASSIGN_OR_RETURN(c.bos_token_id, TokenId(f, "bos_token_id", d.bos));
  ECGBENCH_ASSIGN_OR_RETURN(c.pad_token_id, TokenId(f, "pad_token_id", d.pad));
  if (!f.Present("eos_token_id")) {
    if (d.eos) c.eos_token_ids = {*d.eos};
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(c.eos_token_ids, f.IntList("eos_token_id"));
  }
  const std::string_view dtype_key = f.Has("torch_dtype") ? "torch_dtype" : "dtype";
  ECGBENCH_ASSIGN_OR_RETURN(c.torch_dtype, f.String(dtype_key, ""));
  if (f.Has("quantization_config")) {
    return f.Error("quantization_config", "quantized checkpoints are not supported (load the unquantized weights)");
  }
  return absl::OkStatus();
}

// The config.json spelling of the common sizes (GPT-2 and OPT name some differently).
struct SizeKeys {
  std::string_view hidden = "hidden_size", heads = "num_attention_heads", intermediate = "intermediate_size",
                   layers = "num_hidden_layers", positions = "max_position_embeddings", eps = "rms_norm_eps";
};

// Checks shared by every architecture once the sizes are known.
absl::Status ValidateSizes(const ConfigFields& f, const ModelConfig& c, const SizeKeys& k) {
  const std::pair<std::string_view, int64_t> sizes[] = {
      {"vocab_size", c.vocab_size}, {k.hidden, c.hidden_size}, {k.intermediate, c.intermediate_size},
      {k.layers, c.num_hidden_layers}, {k.heads, c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads}, {"head_dim", c.head_dim},
      {k.positions, c.max_position_embeddings}};
  for (const auto& [key, value] : sizes) {
    if (value <= 0) return f.Error(key, absl::StrCat("must be a positive integer, got ", value));
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return f.Error("num_key_value_heads", absl::StrCat(c.num_key_value_heads, " does not divide ", Sv(k.heads), " (",
                                                       c.num_attention_heads, ")"));
  }
  return RequirePositive(f, k.eps, c.norm_eps);
}

// head_dim when the config does not state it: hidden_size / heads, which must divide.
absl::StatusOr<int64_t> DerivedHeadDim(const ConfigFields& f, std::string_view hidden_key, std::string_view heads_key,
                                       int64_t hidden, int64_t heads) {
  if (heads <= 0) return f.Error(heads_key, absl::StrCat("must be a positive integer, got ", heads));
  if (hidden % heads != 0) {
    return f.Error(hidden_key, absl::StrCat(hidden, " is not divisible by ", Sv(heads_key), " (", heads, ")"));
  }
  return hidden / heads;
}

std::vector<bool> SlidingLayers(int64_t layers, const std::function<bool(int64_t)>& rule) {
  std::vector<bool> out(static_cast<size_t>(std::max<int64_t>(layers, 0)));
  for (int64_t i = 0; i < layers; ++i) out[static_cast<size_t>(i)] = rule(i);
  return out;
}

// "layer_types" (transformers >= 4.53) overrides the rule when present.
absl::Status ParseLayerTypes(const ConfigFields& f, ModelConfig& c) {
  ECGBENCH_ASSIGN_OR_RETURN(const auto types, f.StringList("layer_types"));
  if (!types) return absl::OkStatus();
  if (static_cast<int64_t>(types->size()) != c.num_hidden_layers) {
    return f.Error("layer_types", absl::StrCat("lists ", types->size(), " layers but num_hidden_layers is ",
                                               c.num_hidden_layers));
  }
  for (size_t i = 0; i < types->size(); ++i) {
    if ((*types)[i] != "sliding_attention" && (*types)[i] != "full_attention") {
      return f.Error("layer_types", absl::StrCat("entry ", i, " is \"", (*types)[i],
                                                 "\" (expected sliding_attention or full_attention)"));
    }
    c.sliding_layers[i] = (*types)[i] == "sliding_attention";
  }
  return absl::OkStatus();
}

// llama, qwen2, gemma2: RoPE decoders with RMSNorm and gated MLPs.
absl::Status ParseLlamaLike(const ConfigFields& f, ModelConfig& c) {
  ArchDefaults d;
  switch (c.architecture) {
    case Architecture::kLlama: d = {2048, 10000.0, "silu", false, 1, 2, std::nullopt}; break;
    case Architecture::kQwen2: d = {32768, 10000.0, "silu", false, std::nullopt, std::nullopt, std::nullopt}; break;
    default: d = {8192, 10000.0, "gelu_pytorch_tanh", true, 2, 1, 0}; break;
  }
  const bool gemma = c.architecture == Architecture::kGemma2;
  ECGBENCH_ASSIGN_OR_RETURN(c.vocab_size, f.Int("vocab_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_size, f.Int("hidden_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.intermediate_size, f.Int("intermediate_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_hidden_layers, f.Int("num_hidden_layers"));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_attention_heads, f.Int("num_attention_heads"));
  // LlamaConfig: None -> num_attention_heads; Qwen2Config: default 32, None -> num_attention_heads;
  // Gemma2Config: default 4.
  if (c.architecture == Architecture::kQwen2 && !f.Present("num_key_value_heads")) {
    c.num_key_value_heads = 32;
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(c.num_key_value_heads, f.Int("num_key_value_heads", gemma ? 4 : c.num_attention_heads));
  }
  if (gemma) {
    ECGBENCH_ASSIGN_OR_RETURN(c.head_dim, f.Int("head_dim", 256));
  } else if (f.Has("head_dim")) {
    ECGBENCH_ASSIGN_OR_RETURN(c.head_dim, f.Int("head_dim"));
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(c.head_dim, DerivedHeadDim(f, "hidden_size", "num_attention_heads", c.hidden_size,
                                                         c.num_attention_heads));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.max_position_embeddings, f.Int("max_position_embeddings", d.max_position_embeddings));
  ECGBENCH_ASSIGN_OR_RETURN(c.norm_eps, f.Double("rms_norm_eps", 1e-6));
  // Gemma2MLP reads hidden_activation; hidden_act is ignored there.
  const std::string_view act_key = gemma ? "hidden_activation" : "hidden_act";
  ECGBENCH_ASSIGN_OR_RETURN(c.activation_name, f.String(act_key, d.activation));
  ECGBENCH_ASSIGN_OR_RETURN(c.activation, ParseActivation(f, act_key, c.activation_name));
  ECGBENCH_RETURN_IF_ERROR(ParseRope(f, d.rope_theta, c.rope));
  ECGBENCH_RETURN_IF_ERROR(ParseCommon(f, d, c));

  if (c.architecture == Architecture::kLlama) {
    LlamaOptions o;
    ECGBENCH_ASSIGN_OR_RETURN(o.attention_bias, f.Bool("attention_bias", false));
    ECGBENCH_ASSIGN_OR_RETURN(o.mlp_bias, f.Bool("mlp_bias", false));
    c.qkv_bias = c.out_proj_bias = o.attention_bias;
    c.mlp_bias = o.mlp_bias;
    c.options = o;
  } else if (c.architecture == Architecture::kQwen2) {
    Qwen2Options o;
    ECGBENCH_ASSIGN_OR_RETURN(o.use_sliding_window, f.Bool("use_sliding_window", false));
    ECGBENCH_ASSIGN_OR_RETURN(o.sliding_window, f.Int("sliding_window", 4096));
    ECGBENCH_ASSIGN_OR_RETURN(o.max_window_layers, f.Int("max_window_layers", 28));
    if (o.use_sliding_window) ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "sliding_window", o.sliding_window));
    c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
    c.sliding_layers = SlidingLayers(c.num_hidden_layers, [&](int64_t i) {
      return o.use_sliding_window && i >= o.max_window_layers;
    });
    c.options = o;
  } else {
    Gemma2Options o;
    ECGBENCH_ASSIGN_OR_RETURN(o.query_pre_attn_scalar, f.Double("query_pre_attn_scalar", 256.0));
    // An explicit null disables soft-capping; absent takes the class default.
    if (f.Present("attn_logit_softcapping")) {
      ECGBENCH_ASSIGN_OR_RETURN(o.attn_logit_softcapping, f.OptionalDouble("attn_logit_softcapping"));
    }
    if (f.Present("final_logit_softcapping")) {
      ECGBENCH_ASSIGN_OR_RETURN(o.final_logit_softcapping, f.OptionalDouble("final_logit_softcapping"));
    }
    ECGBENCH_ASSIGN_OR_RETURN(o.sliding_window, f.Int("sliding_window", 4096));
    ECGBENCH_ASSIGN_OR_RETURN(o.attention_bias, f.Bool("attention_bias", false));
    ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "query_pre_attn_scalar", o.query_pre_attn_scalar));
    ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "sliding_window", static_cast<double>(o.sliding_window)));
    if (o.attn_logit_softcapping) ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "attn_logit_softcapping", *o.attn_logit_softcapping));
    if (o.final_logit_softcapping) ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "final_logit_softcapping", *o.final_logit_softcapping));
    c.qkv_bias = c.out_proj_bias = o.attention_bias;
    c.sliding_layers = SlidingLayers(c.num_hidden_layers, [](int64_t i) { return i % 2 == 0; });
    c.options = o;
  }
  if (c.architecture != Architecture::kLlama) ECGBENCH_RETURN_IF_ERROR(ParseLayerTypes(f, c));
  return ValidateSizes(f, c, SizeKeys{});
}

absl::Status ParseGpt2(const ConfigFields& f, ModelConfig& c) {
  const std::string_view hidden_key = Pick(f, "n_embd", "hidden_size");
  const std::string_view heads_key = Pick(f, "n_head", "num_attention_heads");
  ECGBENCH_ASSIGN_OR_RETURN(c.vocab_size, f.Int("vocab_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_size, f.Int(hidden_key));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_hidden_layers, f.Int(Pick(f, "n_layer", "num_hidden_layers")));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_attention_heads, f.Int(heads_key));
  ECGBENCH_ASSIGN_OR_RETURN(c.intermediate_size, f.Int("n_inner", 4 * c.hidden_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.max_position_embeddings, f.Int(Pick(f, "n_positions", "max_position_embeddings"), 1024));
  ECGBENCH_ASSIGN_OR_RETURN(c.norm_eps, f.Double("layer_norm_epsilon", 1e-5));
  ECGBENCH_ASSIGN_OR_RETURN(c.activation_name, f.String("activation_function", "gelu_new"));
  ECGBENCH_ASSIGN_OR_RETURN(c.activation, ParseActivation(f, "activation_function", c.activation_name));
  c.num_key_value_heads = c.num_attention_heads;
  ECGBENCH_ASSIGN_OR_RETURN(c.head_dim, DerivedHeadDim(f, hidden_key, heads_key, c.hidden_size, c.num_attention_heads));
  c.learned_positions = true;
  c.qkv_bias = c.out_proj_bias = c.mlp_bias = true;
  Gpt2Options o;
  ECGBENCH_ASSIGN_OR_RETURN(o.scale_attn_weights, f.Bool("scale_attn_weights", true));
  ECGBENCH_ASSIGN_OR_RETURN(o.scale_attn_by_inverse_layer_idx, f.Bool("scale_attn_by_inverse_layer_idx", false));
  ECGBENCH_ASSIGN_OR_RETURN(o.reorder_and_upcast_attn, f.Bool("reorder_and_upcast_attn", false));
  c.options = o;
  ECGBENCH_RETURN_IF_ERROR(ParseCommon(f, {1024, 0, "gelu_new", true, 50256, 50256, std::nullopt}, c));
  SizeKeys keys;
  keys.hidden = hidden_key;
  keys.heads = heads_key;
  keys.intermediate = "n_inner";
  keys.layers = Pick(f, "n_layer", "num_hidden_layers");
  keys.positions = Pick(f, "n_positions", "max_position_embeddings");
  keys.eps = "layer_norm_epsilon";
  return ValidateSizes(f, c, keys);
}

absl::Status ParseOpt(const ConfigFields& f, ModelConfig& c) {
  ECGBENCH_ASSIGN_OR_RETURN(c.vocab_size, f.Int("vocab_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_size, f.Int("hidden_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_hidden_layers, f.Int("num_hidden_layers"));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_attention_heads, f.Int("num_attention_heads"));
  ECGBENCH_ASSIGN_OR_RETURN(c.intermediate_size, f.Int("ffn_dim"));
  ECGBENCH_ASSIGN_OR_RETURN(c.max_position_embeddings, f.Int("max_position_embeddings", 2048));
  ECGBENCH_ASSIGN_OR_RETURN(c.activation_name, f.String("activation_function", "relu"));
  ECGBENCH_ASSIGN_OR_RETURN(c.activation, ParseActivation(f, "activation_function", c.activation_name));
  c.norm_eps = 1e-5;  // OPT's nn.LayerNorm default; the config has no epsilon
  c.num_key_value_heads = c.num_attention_heads;
  ECGBENCH_ASSIGN_OR_RETURN(c.head_dim, DerivedHeadDim(f, "hidden_size", "num_attention_heads", c.hidden_size,
                                                       c.num_attention_heads));
  c.learned_positions = true;
  OptOptions o;
  ECGBENCH_ASSIGN_OR_RETURN(o.do_layer_norm_before, f.Bool("do_layer_norm_before", true));
  ECGBENCH_ASSIGN_OR_RETURN(o.word_embed_proj_dim, f.Int("word_embed_proj_dim", c.hidden_size));
  ECGBENCH_ASSIGN_OR_RETURN(o.enable_bias, f.Bool("enable_bias", true));
  ECGBENCH_ASSIGN_OR_RETURN(o.layer_norm_elementwise_affine, f.Bool("layer_norm_elementwise_affine", true));
  ECGBENCH_ASSIGN_OR_RETURN(o.remove_final_layer_norm, f.Bool("_remove_final_layer_norm", false));
  ECGBENCH_RETURN_IF_ERROR(RequirePositive(f, "word_embed_proj_dim", static_cast<double>(o.word_embed_proj_dim)));
  c.qkv_bias = c.out_proj_bias = c.mlp_bias = o.enable_bias;
  c.options = o;
  ECGBENCH_RETURN_IF_ERROR(ParseCommon(f, {2048, 0, "relu", true, 2, 2, 1}, c));
  SizeKeys keys;
  keys.intermediate = "ffn_dim";
  return ValidateSizes(f, c, keys);
}

}  // namespace

std::string_view ArchitectureName(Architecture arch) {
  switch (arch) {
    case Architecture::kLlama: return "llama";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kGemma2: return "gemma2";
    case Architecture::kGpt2: return "gpt2";
    case Architecture::kOpt: return "opt";
  }
  return "?";
}

std::optional<int64_t> ModelConfig::SlidingWindowForLayer(int64_t layer) const {
  if (layer < 0 || static_cast<size_t>(layer) >= sliding_layers.size() || !sliding_layers[static_cast<size_t>(layer)]) {
    return std::nullopt;
  }
  if (const Qwen2Options* q = qwen2()) return q->sliding_window;
  if (const Gemma2Options* g = gemma2()) return g->sliding_window;
  return std::nullopt;
}

absl::StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view file_name) {
  const std::string file(file_name);
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, ParseJson(json_text, file));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": must be a JSON object"));
  ConfigFields f(json, file);
  ModelConfig c;
  ECGBENCH_ASSIGN_OR_RETURN(c.model_type, f.String("model_type"));
  if (c.model_type == "llama") {
    c.architecture = Architecture::kLlama;
  } else if (c.model_type == "qwen2") {
    c.architecture = Architecture::kQwen2;
  } else if (c.model_type == "gemma2") {
    c.architecture = Architecture::kGemma2;
  } else if (c.model_type == "gpt2") {
    c.architecture = Architecture::kGpt2;
  } else if (c.model_type == "opt") {
    c.architecture = Architecture::kOpt;
  } else {
    return f.Error("model_type", absl::StrCat("\"", c.model_type,
                                              "\" is not supported (supported: llama, qwen2, gemma2, gpt2, opt)"));
  }
  switch (c.architecture) {
    case Architecture::kGpt2: ECGBENCH_RETURN_IF_ERROR(ParseGpt2(f, c)); break;
    case Architecture::kOpt: ECGBENCH_RETURN_IF_ERROR(ParseOpt(f, c)); break;
    default: ECGBENCH_RETURN_IF_ERROR(ParseLlamaLike(f, c)); break;
  }
  return c;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  const std::string file = std::filesystem::is_directory(path) ? (std::filesystem::path(path) / "config.json").string() : path;
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(file));
  return ParseModelConfig(text, file);
}

}  // namespace ecgbench::common::model_io
