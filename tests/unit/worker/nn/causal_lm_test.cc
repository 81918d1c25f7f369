// Llama-family decoders (worker/nn): module names, masks and position ids, KV-cache consistency,
// embeddings input, checkpoint round trips and errors, and parity with reference_decoder.py (a
// plain-PyTorch reference of the Hugging Face definitions run by /usr/bin/python3 with Debian's
// python3-torch): max abs logit difference <= 1e-4 in fp32 for a left-padded prefill and 8
// cached greedy decode steps, for Llama (GQA), Qwen2 (qkv bias, tied), Llama 3 rope scaling
// (bf16 weights) and Gemma 2.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "common/model_io/checkpoint.h"
#include "common/model_io/safetensors_writer.h"
#include "worker/nn/causal_lm.h"
#include "worker/nn/causal_lm_io.h"
#include "worker/nn/config_json.h"
#include "tests/unit/worker/nn/parity_util.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::DType;
using common::model_io::ModelConfig;
using testing::Batch;
using testing::ExpectReferenceAgrees;
using testing::GenerationRun;
using testing::GreedyRun;
using testing::MakeBatch;
using testing::MaxDiff;
namespace fs = std::filesystem;

ModelConfig Parse(const char* json) { return testing::ParseConfig(json); }

constexpr char kLlama[] = R"({"model_type": "llama", "vocab_size": 97, "hidden_size": 64, "intermediate_size": 96,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
  "max_position_embeddings": 128, "hidden_act": "silu", "tie_word_embeddings": false})";
constexpr char kQwen2[] = R"({"model_type": "qwen2", "vocab_size": 101, "hidden_size": 48, "intermediate_size": 80,
  "num_hidden_layers": 2, "num_attention_heads": 6, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
  "max_position_embeddings": 128, "rope_theta": 1000000.0, "hidden_act": "silu", "tie_word_embeddings": true})";
constexpr char kLlama3Rope[] = R"({"model_type": "llama", "vocab_size": 89, "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16,
  "rms_norm_eps": 1e-5, "max_position_embeddings": 512, "rope_theta": 500000.0, "hidden_act": "silu",
  "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 64}})";
constexpr char kGemma2[] = R"({"model_type": "gemma2", "vocab_size": 83, "hidden_size": 48, "intermediate_size": 64,
  "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
  "rms_norm_eps": 1e-6, "max_position_embeddings": 128, "hidden_activation": "gelu_pytorch_tanh",
  "query_pre_attn_scalar": 24, "attn_logit_softcapping": 2.0, "final_logit_softcapping": 3.0,
  "sliding_window": 4})";

CausalLM RandomModel(const char* json, uint64_t seed = 7) {
  absl::StatusOr<CausalLM> model = CreateCausalLM(Parse(json));
  EXPECT_TRUE(model.ok()) << model.status();
  RandomInit(*model, seed, 0.2);
  return *model;
}

fs::path TempDir(const std::string& name) { return testing::FreshDir("ecgbench_nn_", name); }

// Saves a random model (as `dtype`), reloads it, generates, and compares with the Python reference.
void ExpectParity(const std::string& name, const char* json, DType dtype) {
  const fs::path dir = TempDir(name);
  CausalLM original = RandomModel(json);
  ASSERT_TRUE(SaveCausalLM(original, dir.string(), dtype).ok());
  absl::StatusOr<CausalLM> model = LoadCausalLM(dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  const Batch batch = MakeBatch((*model)->config().vocab_size);

  ExpectReferenceAgrees(name, ECGBENCH_NN_REFERENCE, dir, batch, GreedyRun(*model, batch, 8));
  fs::remove_all(dir);
}

TEST(CausalLmParity, LlamaGroupedQueryAttention) { ExpectParity("llama", kLlama, DType::kF32); }
TEST(CausalLmParity, Qwen2QkvBiasTiedEmbeddings) { ExpectParity("qwen2", kQwen2, DType::kF32); }
TEST(CausalLmParity, Llama3RopeScalingBf16Weights) { ExpectParity("llama3", kLlama3Rope, DType::kBF16); }
TEST(CausalLmParity, Gemma2SoftcapSlidingWindow) { ExpectParity("gemma2", kGemma2, DType::kF16); }

TEST(CausalLm, ParametersCarryHuggingFaceNames) {
  const auto llama = RandomModel(kLlama)->named_parameters();
  for (const char* name : {"model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
                           "model.layers.0.mlp.gate_proj.weight", "model.layers.0.post_attention_layernorm.weight",
                           "model.norm.weight", "lm_head.weight"}) {
    EXPECT_NE(llama.find(name), nullptr) << name;
  }
  EXPECT_EQ(llama.size(), 1u + 2 * 9 + 2);
  EXPECT_EQ(llama["model.layers.0.self_attn.k_proj.weight"].sizes(), (std::vector<int64_t>{32, 64}));
  const auto qwen = RandomModel(kQwen2)->named_parameters();
  EXPECT_NE(qwen.find("model.layers.0.self_attn.v_proj.bias"), nullptr);
  EXPECT_EQ(qwen.find("model.layers.0.self_attn.o_proj.bias"), nullptr);
  EXPECT_EQ(qwen.find("lm_head.weight"), nullptr);  // tied
  const auto gemma = RandomModel(kGemma2)->named_parameters();
  EXPECT_NE(gemma.find("model.layers.2.pre_feedforward_layernorm.weight"), nullptr);
  EXPECT_NE(gemma.find("model.layers.2.post_feedforward_layernorm.weight"), nullptr);
}

TEST(CausalLm, MasksAndPositionIds) {
  const torch::Tensor mask = torch::tensor({0, 0, 1, 1, 1}, torch::kLong).unsqueeze(0);
  EXPECT_TRUE(torch::equal(PositionIdsFromMask(mask, 5), torch::tensor({1, 1, 0, 1, 2}, torch::kLong).unsqueeze(0)));
  EXPECT_TRUE(torch::equal(PositionIdsFromMask(mask, 2), torch::tensor({1, 2}, torch::kLong).unsqueeze(0)));
  // Last two queries of five, window 2: query 3 sees keys 2, 3; query 4 sees 3, 4 (keys 0, 1 are padding).
  const torch::Tensor allowed = AllowedAttention(mask, 2, 2).squeeze();
  EXPECT_TRUE(torch::equal(allowed, torch::tensor({0, 0, 1, 1, 0, 0, 0, 0, 1, 1}, torch::kBool).view({2, 5})));
  const torch::Tensor full = AllowedAttention(mask, 2, 0).squeeze();
  EXPECT_TRUE(torch::equal(full, torch::tensor({0, 0, 1, 1, 0, 0, 0, 1, 1, 1}, torch::kBool).view({2, 5})));
}

TEST(CausalLm, Llama3RopeBands) {
  const ModelConfig config = Parse(kLlama3Rope);
  const torch::Tensor plain = 1.0 / torch::pow(torch::tensor(500000.0f), torch::arange(0, 16, 2).to(torch::kFloat) / 16);
  const torch::Tensor scaled = RopeInverseFrequencies(config.rope, 16);
  // Wavelength < 16 (high frequency): unchanged; > 64 (low frequency): divided by the factor 8.
  EXPECT_FLOAT_EQ(scaled[0].item<float>(), plain[0].item<float>());
  EXPECT_FLOAT_EQ(scaled[7].item<float>(), plain[7].item<float>() / 8);
  // 2*pi/inv_freq[1] = 2*pi*500000^(1/8) = 32.9: the smooth band, between the two.
  EXPECT_LT(scaled[1].item<float>(), plain[1].item<float>());
  EXPECT_GT(scaled[1].item<float>(), plain[1].item<float>() / 8);
}

TEST(CausalLm, CachedDecodeMatchesFullForward) {
  for (const char* json : {kLlama, kGemma2}) {
    CausalLM model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const GenerationRun run = GreedyRun(model, batch, 8);
    torch::NoGradGuard no_grad;
    const torch::Tensor ids = torch::cat({batch.ids, run.tokens}, 1);
    const torch::Tensor mask = torch::cat({batch.mask, torch::ones({3, 8}, torch::kLong)}, 1);
    const torch::Tensor full = model->forward({ids, {}, mask, {}});
    EXPECT_LT(MaxDiff(full.narrow(1, 6, 8), torch::cat({run.prefill.narrow(1, 6, 1), run.decode.narrow(1, 0, 7)}, 1)),
              1e-5);
  }
}

TEST(CausalLm, LeftPaddingDoesNotChangeRealPositions) {
  CausalLM model = RandomModel(kQwen2);
  const Batch batch = MakeBatch(model->config().vocab_size);
  torch::NoGradGuard no_grad;
  const torch::Tensor padded = model->forward({batch.ids, {}, batch.mask, {}});
  const torch::Tensor alone = model->forward({batch.ids.slice(0, 1, 2).slice(1, 3, 7), {}, {}, {}});
  EXPECT_LT(MaxDiff(padded.slice(0, 1, 2).slice(1, 3, 7), alone), 1e-5);
}

TEST(CausalLm, EmbeddingsInputMatchesIds) {
  for (const char* json : {kLlama, kGemma2}) {
    CausalLM model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    torch::NoGradGuard no_grad;
    const torch::Tensor from_ids = model->forward({batch.ids, {}, batch.mask, {}});
    const torch::Tensor from_embeds = model->forward({{}, model->EmbedTokens(batch.ids), batch.mask, {}});
    EXPECT_EQ(MaxDiff(from_ids, from_embeds), 0.0);
    // An ELM prefills from embeddings and decodes from ids: same logits as from ids throughout.
    KvCache cache = model->NewCache();
    model->forward({{}, model->EmbedTokens(batch.ids), batch.mask, {}}, &cache);
    const torch::Tensor next = from_ids.select(1, -1).argmax(-1, /*keepdim=*/true);
    const torch::Tensor mask = torch::cat({batch.mask, torch::ones({3, 1}, torch::kLong)}, 1);
    const torch::Tensor step = model->forward({next, {}, mask, {}}, &cache);
    const torch::Tensor whole = model->forward({torch::cat({batch.ids, next}, 1), {}, mask, {}});
    EXPECT_LT(MaxDiff(step.select(1, 0), whole.select(1, -1)), 1e-5);
  }
}

TEST(CausalLm, BackwardReachesEveryParameter) {
  CausalLM model = RandomModel(kQwen2);
  const Batch batch = MakeBatch(model->config().vocab_size);
  torch::nn::functional::cross_entropy(model->forward({batch.ids, {}, batch.mask, {}}).flatten(0, 1),
                                       batch.ids.flatten())
      .backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST(CausalLm, BadInputsThrowWithShapes) {
  CausalLM model = RandomModel(kLlama);
  const torch::Tensor ids = torch::ones({2, 3}, torch::kLong);
  EXPECT_THROW(model->forward({ids, {}, torch::ones({2, 4}, torch::kLong), {}}), c10::Error);
  EXPECT_THROW(model->forward({ids, torch::zeros({2, 3, 64}), {}, {}}), c10::Error);
  try {
    model->forward({{}, torch::zeros({2, 3, 5}), {}, {}});
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("inputs_embeds must be [batch, length, 64], got [2, 3, 5]"), std::string::npos);
  }
}

TEST(CausalLmIo, ConfigRoundTrip) {
  for (const char* json : {kLlama, kQwen2, kLlama3Rope, kGemma2}) {
    const ModelConfig config = Parse(json);
    absl::StatusOr<std::string> text = SerializeLlamaFamilyConfig(config);
    ASSERT_TRUE(text.ok()) << text.status();
    const ModelConfig back = Parse(text->c_str());
    EXPECT_EQ(back.architecture, config.architecture);
    EXPECT_EQ(back.num_key_value_heads, config.num_key_value_heads);
    EXPECT_EQ(back.head_dim, config.head_dim);
    EXPECT_EQ(back.tie_word_embeddings, config.tie_word_embeddings);
    EXPECT_EQ(back.rope.type, config.rope.type);
    EXPECT_EQ(back.rope.original_max_position_embeddings, config.rope.original_max_position_embeddings);
    EXPECT_EQ(back.sliding_layers, config.sliding_layers);
    EXPECT_EQ(back.activation, config.activation);
  }
  // transformers >= 5 types Gemma 2's query_pre_attn_scalar as an int and rejects 24.0 (found by
  // loading our file with transformers 5.17 on the GPU machine): whole values are written as ints.
  const std::string gemma = *SerializeLlamaFamilyConfig(Parse(kGemma2));
  EXPECT_NE(gemma.find("\"query_pre_attn_scalar\": 24,"), std::string::npos) << gemma;
  ModelConfig gpt2 = Parse(kLlama);
  gpt2.architecture = common::model_io::Architecture::kGpt2;
  gpt2.model_type = "gpt2";
  EXPECT_EQ(SerializeLlamaFamilyConfig(gpt2).status().message(),
            "config.json: model_type 'gpt2' is not a Llama-family decoder (llama, qwen2, gemma2)");
  EXPECT_EQ(CreateCausalLM(gpt2).status().message(), "model_type 'gpt2': not a Llama-family decoder (llama, qwen2, gemma2)");
}

TEST(CausalLmIo, SaveLoadIsExactInF32AndErrorsNameTensors) {
  const fs::path dir = TempDir("io");
  CausalLM model = RandomModel(kLlama);
  ASSERT_TRUE(SaveCausalLM(model, dir.string()).ok());
  absl::StatusOr<CausalLM> back = LoadCausalLM(dir.string());
  ASSERT_TRUE(back.ok()) << back.status();
  for (const auto& p : model->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), (*back)->named_parameters()[p.key()]));

  // A different layout: the same tensors, one missing / one wrongly shaped / one extra.
  absl::StatusOr<common::model_io::Checkpoint> ckpt = common::model_io::Checkpoint::OpenDirectory(dir.string());
  ASSERT_TRUE(ckpt.ok());
  CausalLM qwen = RandomModel(kQwen2);
  const absl::Status wrong = LoadWeights(qwen, *ckpt);
  EXPECT_NE(wrong.message().find("checkpoint tensor 'model.embed_tokens.weight' has shape [97, 64], the model expects [101, 48]"),
            std::string::npos) << wrong;
  ModelConfig with_bias = Parse(kLlama);
  with_bias.qkv_bias = true;
  CausalLM biased(with_bias);
  const absl::Status missing = LoadWeights(biased, *ckpt);
  EXPECT_NE(missing.message().find("checkpoint lacks parameter 'model.layers.0.self_attn.q_proj.bias' (shape [64])"),
            std::string::npos) << missing;
  ModelConfig tied = Parse(kLlama);
  tied.tie_word_embeddings = true;
  CausalLM tied_model(tied);
  EXPECT_TRUE(LoadWeights(tied_model, *ckpt).ok());  // lm_head.weight ignored, as transformers does
  ModelConfig one_layer = Parse(kLlama);
  one_layer.num_hidden_layers = 1;
  CausalLM shallow(one_layer);
  const absl::Status extra = LoadWeights(shallow, *ckpt);
  EXPECT_NE(extra.message().find("checkpoint has tensors the llama model does not: model.layers.1."), std::string::npos)
      << extra;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ecgbench::worker::nn
