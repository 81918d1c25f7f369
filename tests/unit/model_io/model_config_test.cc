// config.json parsing: the published configs of Llama-3.2-1B, Qwen2.5-1.5B, gemma-2-2b, gpt2 and
// opt-125m (as on the Hugging Face Hub) with their typed values; defaults for absent fields; errors.
#include "common/model_io/model_config.h"

#include "gtest/gtest.h"
#include "tests/unit/model_io/test_util.h"

namespace ecgbench::common::model_io {
namespace {

constexpr char kLlama32_1B[] = R"({
  "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
  "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
  "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
  "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256
})";

constexpr char kQwen25_1_5B[] = R"({
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 1536, "initializer_range": 0.02,
  "intermediate_size": 8960, "max_position_embeddings": 131072, "max_window_layers": 28,
  "model_type": "qwen2", "num_attention_heads": 12, "num_hidden_layers": 28, "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": true,
  "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true, "use_mrope": false,
  "use_sliding_window": false, "vocab_size": 151936
})";

constexpr char kGemma2_2B[] = R"({
  "architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
  "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
  "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
  "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2",
  "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0,
  "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
  "torch_dtype": "float32", "transformers_version": "4.42.4", "use_cache": true, "vocab_size": 256000
})";

constexpr char kGpt2[] = R"({
  "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
  "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
  "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
  "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
  "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
  "vocab_size": 50257
})";

constexpr char kOpt125m[] = R"({
  "_name_or_path": "facebook/opt-125m", "_remove_final_layer_norm": false, "activation_dropout": 0.0,
  "activation_function": "relu", "architectures": ["OPTForCausalLM"], "attention_dropout": 0.0,
  "bos_token_id": 2, "do_layer_norm_before": true, "dropout": 0.1, "eos_token_id": 2, "ffn_dim": 3072,
  "hidden_size": 768, "init_std": 0.02, "layerdrop": 0.0, "max_position_embeddings": 2048,
  "model_type": "opt", "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 1,
  "prefix": "</s>", "torch_dtype": "float16", "transformers_version": "4.21.0.dev0", "use_cache": true,
  "vocab_size": 50272, "word_embed_proj_dim": 768
})";

ModelConfig Parse(const std::string& text) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(text, "config.json");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : ModelConfig{};
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(text, "config.json");
  if (c.ok()) return "OK";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(ModelConfigTest, Llama32_1B) {
  const ModelConfig c = Parse(kLlama32_1B);
  EXPECT_EQ(c.architecture, Architecture::kLlama);
  EXPECT_EQ(c.vocab_size, 128256);
  EXPECT_EQ(c.hidden_size, 2048);
  EXPECT_EQ(c.intermediate_size, 8192);
  EXPECT_EQ(c.num_hidden_layers, 16);
  EXPECT_EQ(c.num_attention_heads, 32);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.norm_eps, 1e-5);
  EXPECT_EQ(c.activation, Activation::kSilu);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_FALSE(c.learned_positions);
  EXPECT_EQ(c.rope.theta, 500000.0);
  EXPECT_EQ(c.rope.type, RopeType::kLlama3);
  EXPECT_EQ(c.rope.factor, 32.0);
  EXPECT_EQ(c.rope.low_freq_factor, 1.0);
  EXPECT_EQ(c.rope.high_freq_factor, 4.0);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 8192);
  EXPECT_FALSE(c.qkv_bias || c.out_proj_bias || c.mlp_bias);
  EXPECT_EQ(c.bos_token_id, 128000);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{128001});
  EXPECT_FALSE(c.pad_token_id.has_value());
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  ASSERT_NE(c.llama(), nullptr);
  EXPECT_TRUE(c.sliding_layers.empty());
  EXPECT_FALSE(c.SlidingWindowForLayer(0).has_value());
}

TEST(ModelConfigTest, Qwen25_1_5B) {
  const ModelConfig c = Parse(kQwen25_1_5B);
  EXPECT_EQ(c.architecture, Architecture::kQwen2);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 128);  // 1536 / 12
  EXPECT_EQ(c.norm_eps, 1e-6);
  EXPECT_EQ(c.rope.theta, 1e6);
  EXPECT_EQ(c.rope.type, RopeType::kDefault);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.out_proj_bias);
  EXPECT_FALSE(c.mlp_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{151643});
  ASSERT_NE(c.qwen2(), nullptr);
  EXPECT_FALSE(c.qwen2()->use_sliding_window);
  EXPECT_EQ(c.qwen2()->sliding_window, 131072);
  EXPECT_EQ(c.qwen2()->max_window_layers, 28);
  EXPECT_EQ(c.sliding_layers, std::vector<bool>(28, false));
  // With the window on, layers >= max_window_layers use it.
  std::string on = kQwen25_1_5B;
  on.replace(on.find("\"use_sliding_window\": false"), 27, "\"use_sliding_window\": true ");
  on.replace(on.find("\"max_window_layers\": 28"), 23, "\"max_window_layers\": 26");
  const ModelConfig w = Parse(on);
  EXPECT_FALSE(w.SlidingWindowForLayer(25).has_value());
  EXPECT_EQ(w.SlidingWindowForLayer(26), 131072);
  EXPECT_EQ(w.SlidingWindowForLayer(27), 131072);
}

TEST(ModelConfigTest, Gemma2_2B) {
  const ModelConfig c = Parse(kGemma2_2B);
  EXPECT_EQ(c.architecture, Architecture::kGemma2);
  EXPECT_EQ(c.hidden_size, 2304);
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.activation, Activation::kGeluTanh);
  EXPECT_EQ(c.activation_name, "gelu_pytorch_tanh");
  EXPECT_TRUE(c.tie_word_embeddings);  // Gemma2Config default; the file does not say
  EXPECT_EQ(c.bos_token_id, 2);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{1});
  EXPECT_EQ(c.pad_token_id, 0);
  ASSERT_NE(c.gemma2(), nullptr);
  EXPECT_EQ(c.gemma2()->query_pre_attn_scalar, 256.0);
  EXPECT_EQ(c.gemma2()->attn_logit_softcapping, 50.0);
  EXPECT_EQ(c.gemma2()->final_logit_softcapping, 30.0);
  EXPECT_EQ(c.SlidingWindowForLayer(0), 4096);
  EXPECT_FALSE(c.SlidingWindowForLayer(1).has_value());
  EXPECT_EQ(c.SlidingWindowForLayer(24), 4096);
  EXPECT_FALSE(c.SlidingWindowForLayer(25).has_value());
  // Explicit null disables soft-capping; layer_types overrides the alternation.
  std::string text = kGemma2_2B;
  text.replace(text.find("\"attn_logit_softcapping\": 50.0"), 30, "\"attn_logit_softcapping\": null");
  std::string types;
  for (int i = 0; i < 26; ++i) types += std::string(i ? "," : "") + (i == 3 ? "\"sliding_attention\"" : "\"full_attention\"");
  text.insert(1, "\"layer_types\": [" + types + "],");
  const ModelConfig g = Parse(text);
  EXPECT_FALSE(g.gemma2()->attn_logit_softcapping.has_value());
  EXPECT_EQ(g.SlidingWindowForLayer(3), 4096);
  EXPECT_FALSE(g.SlidingWindowForLayer(0).has_value());
}

TEST(ModelConfigTest, Gpt2) {
  const ModelConfig c = Parse(kGpt2);
  EXPECT_EQ(c.architecture, Architecture::kGpt2);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.intermediate_size, 3072);  // n_inner null -> 4 * n_embd
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.num_key_value_heads, 12);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 1024);
  EXPECT_EQ(c.norm_eps, 1e-5);
  EXPECT_EQ(c.activation, Activation::kGeluTanh);
  EXPECT_TRUE(c.learned_positions);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.qkv_bias && c.out_proj_bias && c.mlp_bias);
  EXPECT_EQ(c.bos_token_id, 50256);
  EXPECT_EQ(c.eos_token_ids, std::vector<int64_t>{50256});
  ASSERT_NE(c.gpt2(), nullptr);
  EXPECT_TRUE(c.gpt2()->scale_attn_weights);
  EXPECT_FALSE(c.gpt2()->scale_attn_by_inverse_layer_idx);
  // attribute_map aliases are accepted when the GPT-2 names are absent.
  const ModelConfig a = Parse(R"({"model_type": "gpt2", "vocab_size": 100, "hidden_size": 64,
                                  "num_hidden_layers": 2, "num_attention_heads": 4, "n_inner": 100})");
  EXPECT_EQ(a.hidden_size, 64);
  EXPECT_EQ(a.head_dim, 16);
  EXPECT_EQ(a.intermediate_size, 100);
  EXPECT_EQ(a.max_position_embeddings, 1024);
  EXPECT_EQ(a.activation_name, "gelu_new");
}

TEST(ModelConfigTest, Opt125m) {
  const ModelConfig c = Parse(kOpt125m);
  EXPECT_EQ(c.architecture, Architecture::kOpt);
  EXPECT_EQ(c.vocab_size, 50272);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.norm_eps, 1e-5);
  EXPECT_EQ(c.activation, Activation::kRelu);
  EXPECT_TRUE(c.learned_positions);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.pad_token_id, 1);
  EXPECT_EQ(c.bos_token_id, 2);
  EXPECT_EQ(c.torch_dtype, "float16");
  ASSERT_NE(c.opt(), nullptr);
  EXPECT_TRUE(c.opt()->do_layer_norm_before);
  EXPECT_EQ(c.opt()->word_embed_proj_dim, 768);
  EXPECT_TRUE(c.opt()->enable_bias);
  EXPECT_TRUE(c.opt()->HasFinalLayerNorm());
  EXPECT_TRUE(c.qkv_bias && c.out_proj_bias && c.mlp_bias);
}

TEST(ModelConfigTest, DefaultsFollowTransformers) {
  const ModelConfig l = Parse(R"({"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096,
      "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32})");
  EXPECT_EQ(l.num_key_value_heads, 32);
  EXPECT_EQ(l.head_dim, 128);
  EXPECT_EQ(l.max_position_embeddings, 2048);
  EXPECT_EQ(l.norm_eps, 1e-6);
  EXPECT_EQ(l.rope.theta, 10000.0);
  EXPECT_FALSE(l.tie_word_embeddings);
  EXPECT_EQ(l.bos_token_id, 1);
  EXPECT_EQ(l.eos_token_ids, std::vector<int64_t>{2});
  const ModelConfig q = Parse(R"({"model_type": "qwen2", "vocab_size": 10, "hidden_size": 64,
      "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 32})");
  EXPECT_EQ(q.num_key_value_heads, 32);  // Qwen2Config's default is 32, not num_attention_heads
  EXPECT_EQ(q.max_position_embeddings, 32768);
  EXPECT_FALSE(q.bos_token_id.has_value());
  EXPECT_TRUE(q.eos_token_ids.empty());
  const ModelConfig g = Parse(R"({"model_type": "gemma2", "vocab_size": 10, "hidden_size": 64,
      "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 8})");
  EXPECT_EQ(g.num_key_value_heads, 4);
  EXPECT_EQ(g.head_dim, 256);
  EXPECT_EQ(g.activation_name, "gelu_pytorch_tanh");
  EXPECT_EQ(g.pad_token_id, 0);
  const ModelConfig o = Parse(R"({"model_type": "opt", "vocab_size": 10, "hidden_size": 64, "ffn_dim": 128,
      "num_hidden_layers": 2, "num_attention_heads": 4, "do_layer_norm_before": false,
      "word_embed_proj_dim": 32, "pad_token_id": null, "eos_token_id": [2, 3]})");
  EXPECT_FALSE(o.opt()->HasFinalLayerNorm());
  EXPECT_EQ(o.opt()->word_embed_proj_dim, 32);
  EXPECT_FALSE(o.pad_token_id.has_value());  // explicit null overrides the default 1
  EXPECT_EQ(o.eos_token_ids, (std::vector<int64_t>{2, 3}));
}

TEST(ModelConfigTest, ClearErrors) {
  EXPECT_EQ(ErrorOf(R"({"vocab_size": 3})"), "config.json: field \"model_type\": required field is missing");
  EXPECT_EQ(ErrorOf(R"({"model_type": "mistral"})"),
            "config.json: field \"model_type\": \"mistral\" is not supported (supported: llama, qwen2, gemma2, gpt2, opt)");
  EXPECT_EQ(ErrorOf(R"({"model_type": "llama", "vocab_size": 3})"),
            "config.json: field \"hidden_size\": required field is missing");
  EXPECT_EQ(ErrorOf(R"({"model_type": "gpt2", "vocab_size": 3, "n_embd": 64, "n_layer": 2})"),
            "config.json: field \"n_head\": required field is missing");
  EXPECT_EQ(ErrorOf(R"({"model_type": "opt", "vocab_size": 3, "hidden_size": 64, "num_hidden_layers": 1,
                        "num_attention_heads": 4})"),
            "config.json: field \"ffn_dim\": required field is missing");
  const std::string base = R"("model_type": "llama", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128,
                              "num_hidden_layers": 2, "num_attention_heads": 8)";
  EXPECT_EQ(ErrorOf("{" + base + ", \"num_key_value_heads\": 3}"),
            "config.json: field \"num_key_value_heads\": 3 does not divide num_attention_heads (8)");
  EXPECT_EQ(ErrorOf("{" + base + ", \"hidden_act\": \"mish\"}"),
            "config.json: field \"hidden_act\": activation \"mish\" is not supported (supported: silu, swish, gelu, "
            "gelu_new, gelu_pytorch_tanh, gelu_fast, relu)");
  EXPECT_EQ(ErrorOf("{" + base + ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}"),
            "config.json: field \"rope_scaling.rope_type\": rope type \"yarn\" is not supported (supported: default, "
            "linear, llama3)");
  EXPECT_EQ(ErrorOf("{" + base + ", \"rope_scaling\": {\"type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
                                 " \"high_freq_factor\": 4.0}}"),
            "config.json: field \"rope_scaling.original_max_position_embeddings\": required field is missing");
  EXPECT_EQ(ErrorOf("{" + base + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": \"2\"}}"),
            "config.json: field \"rope_scaling.factor\": must be a number, got \"2\"");
  EXPECT_EQ(ErrorOf("{" + base + ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 4.0,"
                                 " \"high_freq_factor\": 1.0, \"original_max_position_embeddings\": 8192}}"),
            "config.json: field \"rope_scaling.high_freq_factor\": must be >= low_freq_factor (4), got 1");
  EXPECT_EQ(ErrorOf("{" + base + ", \"vocab_size\": 10.5}"), "config.json: field \"vocab_size\": must be an integer, got 10.5");
  EXPECT_EQ(ErrorOf("{" + base + ", \"tie_word_embeddings\": 1}"),
            "config.json: field \"tie_word_embeddings\": must be true or false, got 1");
  EXPECT_EQ(ErrorOf("{" + base + ", \"quantization_config\": {\"quant_method\": \"gptq\"}}"),
            "config.json: field \"quantization_config\": quantized checkpoints are not supported (load the unquantized "
            "weights)");
  EXPECT_EQ(ErrorOf(R"({"model_type": "llama", "vocab_size": 10, "hidden_size": 60, "intermediate_size": 128,
                        "num_hidden_layers": 2, "num_attention_heads": 8})"),
            "config.json: field \"hidden_size\": 60 is not divisible by num_attention_heads (8)");
  EXPECT_EQ(ErrorOf(R"({"model_type": "gpt2", "vocab_size": 0, "n_embd": 64, "n_layer": 2, "n_head": 4})"),
            "config.json: field \"vocab_size\": must be a positive integer, got 0");
  EXPECT_EQ(ErrorOf(R"({"model_type": "gemma2", "vocab_size": 10, "hidden_size": 64, "intermediate_size": 128,
                        "num_hidden_layers": 2, "num_attention_heads": 8, "layer_types": ["full_attention"]})"),
            "config.json: field \"layer_types\": lists 1 layers but num_hidden_layers is 2");
  EXPECT_NE(ErrorOf("{\"model_type\": ").find("config.json: invalid JSON at byte"), std::string::npos);
  EXPECT_EQ(ErrorOf("[1]"), "config.json: must be a JSON object");
}

TEST(ModelConfigTest, LoadsFromDirectory) {
  testing::TempDir dir;
  testing::WriteBytes(dir / "config.json", kGpt2);
  absl::StatusOr<ModelConfig> c = LoadModelConfig(dir.path());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, Architecture::kGpt2);
  EXPECT_EQ(LoadModelConfig(dir / "nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ecgbench::common::model_io
