// GPT-2 and OPT decoders (worker/nn/gpt2_opt.h): module names and shapes, positions, KV-cache
// consistency, embeddings input, checkpoint round trips (including the hub's prefix-less names)
// and errors, and parity with reference_gpt2_opt.py (plain PyTorch from HF's modeling_gpt2.py /
// modeling_opt.py, run by /usr/bin/python3 with Debian's python3-torch): max abs logit difference
// <= 1e-4 in fp32 for a left-padded prefill and 8 cached greedy decode steps, for GPT-2 (tied;
// untied with inverse-layer scaling), OPT pre-LN and OPT post-LN with project_in/out.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "common/model_io/checkpoint.h"
#include "common/model_io/safetensors_writer.h"
#include "worker/nn/gpt2_opt.h"
#include "worker/nn/gpt2_opt_io.h"
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

constexpr char kGpt2[] = R"({"model_type": "gpt2", "vocab_size": 97, "n_embd": 64, "n_layer": 2, "n_head": 4,
  "n_positions": 32, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"})";
constexpr char kGpt2Untied[] = R"({"model_type": "gpt2", "vocab_size": 89, "n_embd": 48, "n_layer": 3, "n_head": 6,
  "n_inner": 80, "n_positions": 24, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
  "scale_attn_by_inverse_layer_idx": true, "tie_word_embeddings": false})";
constexpr char kOptPreLn[] = R"({"model_type": "opt", "vocab_size": 103, "hidden_size": 48, "ffn_dim": 96,
  "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 32, "do_layer_norm_before": true,
  "word_embed_proj_dim": 48, "activation_function": "relu", "pad_token_id": 1})";
constexpr char kOptPostLn[] = R"({"model_type": "opt", "vocab_size": 91, "hidden_size": 64, "ffn_dim": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 32, "do_layer_norm_before": false,
  "word_embed_proj_dim": 32, "activation_function": "relu", "pad_token_id": 1})";

// The reference sits next to reference_decoder.py (the build passes that one's path).
std::string ReferenceScript() {
  return (fs::path(ECGBENCH_NN_REFERENCE).parent_path() / "reference_gpt2_opt.py").string();
}

ModelConfig Parse(const char* json) { return testing::ParseConfig(json); }

Gpt2LMHeadModel RandomGpt2(const char* json, uint64_t seed = 7) {
  absl::StatusOr<Gpt2LMHeadModel> model = CreateGpt2(Parse(json));
  EXPECT_TRUE(model.ok()) << model.status();
  RandomInit(*model, seed, 0.2);
  return *model;
}

OptForCausalLM RandomOpt(const char* json, uint64_t seed = 7) {
  absl::StatusOr<OptForCausalLM> model = CreateOpt(Parse(json));
  EXPECT_TRUE(model.ok()) << model.status();
  RandomInit(*model, seed, 0.2);
  return *model;
}

fs::path TempDir(const std::string& name) { return testing::FreshDir("ecgbench_gpt2opt_", name); }

// Saves `original` (as `dtype`), reloads it with `load`, generates, and compares with the reference.
template <typename Model>
void ExpectParity(const std::string& name, Model original, absl::StatusOr<Model> (*load)(const std::string&),
                  DType dtype) {
  const fs::path dir = TempDir(name);
  ASSERT_TRUE(SaveCausalLM(original, dir.string(), dtype).ok());
  absl::StatusOr<Model> model = load(dir.string());
  ASSERT_TRUE(model.ok()) << model.status();
  const Batch batch = MakeBatch((*model)->config().vocab_size);
  ExpectReferenceAgrees(name, ReferenceScript(), dir, batch, GreedyRun(*model, batch, 8));
  fs::remove_all(dir);
}

TEST(Gpt2OptParity, Gpt2TiedGeluNew) { ExpectParity("gpt2", RandomGpt2(kGpt2), &LoadGpt2, DType::kF32); }
TEST(Gpt2OptParity, Gpt2UntiedInverseLayerScaleBf16) {
  ExpectParity("gpt2_untied", RandomGpt2(kGpt2Untied), &LoadGpt2, DType::kBF16);
}
TEST(Gpt2OptParity, OptPreLayerNorm) { ExpectParity("opt_pre", RandomOpt(kOptPreLn), &LoadOpt, DType::kF32); }
TEST(Gpt2OptParity, OptPostLayerNormProjectInOut) {
  ExpectParity("opt_post", RandomOpt(kOptPostLn), &LoadOpt, DType::kF32);
}

TEST(Gpt2Opt, ParametersCarryHuggingFaceNamesAndShapes) {
  const auto gpt2 = RandomGpt2(kGpt2)->named_parameters();
  EXPECT_EQ(gpt2.size(), 2u + 2 * 12 + 2);  // wte, wpe; per block 12; ln_f; tied: no lm_head
  EXPECT_EQ(gpt2["transformer.h.1.attn.c_attn.weight"].sizes(), (std::vector<int64_t>{64, 192}));
  EXPECT_EQ(gpt2["transformer.h.0.mlp.c_fc.weight"].sizes(), (std::vector<int64_t>{64, 256}));
  EXPECT_EQ(gpt2["transformer.h.0.mlp.c_proj.bias"].sizes(), (std::vector<int64_t>{64}));
  EXPECT_EQ(gpt2["transformer.wpe.weight"].sizes(), (std::vector<int64_t>{32, 64}));
  for (const char* name : {"transformer.wte.weight", "transformer.h.0.ln_1.weight", "transformer.h.0.ln_2.bias",
                           "transformer.h.0.attn.c_proj.weight", "transformer.ln_f.weight"}) {
    EXPECT_NE(gpt2.find(name), nullptr) << name;
  }
  EXPECT_EQ(gpt2.find("lm_head.weight"), nullptr);
  EXPECT_NE(RandomGpt2(kGpt2Untied)->named_parameters().find("lm_head.weight"), nullptr);

  const auto pre = RandomOpt(kOptPreLn)->named_parameters();
  EXPECT_EQ(pre.size(), 2u + 2 * 16 + 2);  // embed_tokens, embed_positions; per layer 16; final_layer_norm
  EXPECT_EQ(pre["model.decoder.embed_positions.weight"].sizes(), (std::vector<int64_t>{34, 48}));
  for (const char* name : {"model.decoder.layers.1.self_attn.out_proj.bias", "model.decoder.layers.0.fc1.weight",
                           "model.decoder.layers.0.self_attn_layer_norm.weight",
                           "model.decoder.layers.0.final_layer_norm.bias", "model.decoder.final_layer_norm.weight"}) {
    EXPECT_NE(pre.find(name), nullptr) << name;
  }
  EXPECT_EQ(pre.find("model.decoder.project_in.weight"), nullptr);
  const auto post = RandomOpt(kOptPostLn)->named_parameters();
  EXPECT_EQ(post.find("model.decoder.final_layer_norm.weight"), nullptr);  // post-LN: none
  EXPECT_EQ(post["model.decoder.embed_tokens.weight"].sizes(), (std::vector<int64_t>{91, 32}));
  EXPECT_EQ(post["model.decoder.project_in.weight"].sizes(), (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(post["model.decoder.project_out.weight"].sizes(), (std::vector<int64_t>{32, 64}));
}

TEST(Gpt2Opt, Conv1DIsTransposedLinear) {
  Gpt2Conv1D conv(3, 2);
  torch::NoGradGuard no_grad;
  conv->weight.copy_(torch::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}).view({3, 2}));
  conv->bias.copy_(torch::tensor({0.5f, -0.5f}));
  const torch::Tensor y = conv(torch::tensor({1.f, 0.f, -1.f}).view({1, 1, 3}));
  EXPECT_TRUE(torch::equal(y, torch::tensor({-3.5f, -4.5f}).view({1, 1, 2})));
}

TEST(Gpt2Opt, OptPositionsFollowTheMaskCumsum) {
  const torch::Tensor mask = torch::tensor({0, 0, 1, 1, 1}, torch::kLong).unsqueeze(0);
  EXPECT_TRUE(torch::equal(OptPositionsFromMask(mask, 5), torch::tensor({-1, -1, 0, 1, 2}, torch::kLong).unsqueeze(0)));
  EXPECT_TRUE(torch::equal(OptPositionsFromMask(mask, 1), torch::tensor({2}, torch::kLong).unsqueeze(0)));
}

// Each decode step with the cache equals the last position of a full forward without it, and
// inputs_embeds from EmbedTokens equal input_ids.
template <typename Model>
void ExpectCacheAndEmbedsConsistent(Model model) {
  torch::NoGradGuard no_grad;
  const Batch batch = MakeBatch(model->config().vocab_size);
  const torch::Tensor by_ids = model->forward({batch.ids, {}, batch.mask, {}});
  const torch::Tensor embeds = model->EmbedTokens(batch.ids);
  EXPECT_EQ(embeds.size(2), model->embedding_dim());
  EXPECT_LT(MaxDiff(by_ids, model->forward({{}, embeds, batch.mask, {}})), 1e-6);
  KvCache cache = model->NewCache();
  model->forward({batch.ids, {}, batch.mask, {}}, &cache);
  torch::Tensor ids = batch.ids, mask = batch.mask;
  for (int64_t step = 0; step < 3; ++step) {
    const torch::Tensor next = torch::full({3, 1}, 5 + step, torch::kLong);
    ids = torch::cat({ids, next}, 1);
    mask = torch::cat({mask, torch::ones({3, 1}, torch::kLong)}, 1);
    const torch::Tensor cached = model->forward({next, {}, mask, {}}, &cache);
    const torch::Tensor whole = model->forward({ids, {}, mask, {}});
    EXPECT_LT(MaxDiff(cached.select(1, 0), whole.select(1, -1)), 1e-5);
  }
  EXPECT_EQ(cache.length(), 10);
}

TEST(Gpt2Opt, CacheAndEmbeddingsMatchFullForward) {
  ExpectCacheAndEmbedsConsistent(RandomGpt2(kGpt2));
  ExpectCacheAndEmbedsConsistent(RandomOpt(kOptPreLn));
  ExpectCacheAndEmbedsConsistent(RandomOpt(kOptPostLn));
}

template <typename Model>
void ExpectGradientsEverywhere(Model model) {
  const Batch batch = MakeBatch(model->config().vocab_size);
  torch::nn::functional::cross_entropy(model->forward({batch.ids, {}, batch.mask, {}}).flatten(0, 1),
                                       batch.ids.flatten())
      .backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().template item<double>(), 0.0) << p.key();
  }
}

TEST(Gpt2Opt, BackwardReachesEveryParameter) {
  ExpectGradientsEverywhere(RandomGpt2(kGpt2Untied));
  ExpectGradientsEverywhere(RandomOpt(kOptPostLn));
  OptForCausalLM opt = RandomOpt(kOptPreLn);
  EXPECT_TRUE(torch::equal(opt->model->decoder->embed_tokens->weight[1], torch::zeros({48})));  // padding_idx row
}

TEST(Gpt2Opt, BadInputsThrowWithShapesAndPositions) {
  Gpt2LMHeadModel gpt2 = RandomGpt2(kGpt2);
  const torch::Tensor ids = torch::ones({2, 3}, torch::kLong);
  EXPECT_THROW(gpt2->forward({ids, {}, torch::ones({2, 4}, torch::kLong), {}}), c10::Error);
  EXPECT_THROW(gpt2->forward({ids, torch::zeros({2, 3, 64}), {}, {}}), c10::Error);
  try {
    gpt2->forward({torch::ones({1, 33}, torch::kLong), {}, {}, {}});
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpt2: positions 0..32 outside the 32 learned positions"), std::string::npos)
        << e.what();
  }
  OptForCausalLM opt = RandomOpt(kOptPostLn);
  try {
    opt->forward({{}, torch::zeros({2, 3, 64}), {}, {}});
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("opt: inputs_embeds must be [batch, length, 32], got [2, 3, 64]"),
              std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(opt->forward({torch::ones({1, 32}, torch::kLong), {}, {}, {}}));
  EXPECT_THROW(opt->forward({torch::ones({1, 33}, torch::kLong), {}, {}, {}}), c10::Error);
}

TEST(Gpt2OptIo, ConfigRoundTripAndWrongArchitecture) {
  for (const char* json : {kGpt2, kGpt2Untied, kOptPreLn, kOptPostLn}) {
    const ModelConfig config = Parse(json);
    absl::StatusOr<std::string> text = SerializeGpt2OptConfig(config);
    ASSERT_TRUE(text.ok()) << text.status();
    const ModelConfig back = Parse(text->c_str());
    EXPECT_EQ(back.architecture, config.architecture);
    EXPECT_EQ(back.hidden_size, config.hidden_size);
    EXPECT_EQ(back.intermediate_size, config.intermediate_size);
    EXPECT_EQ(back.max_position_embeddings, config.max_position_embeddings);
    EXPECT_EQ(back.tie_word_embeddings, config.tie_word_embeddings);
    EXPECT_EQ(back.activation, config.activation);
    EXPECT_EQ(back.eos_token_ids, config.eos_token_ids);
    EXPECT_EQ(back.pad_token_id, config.pad_token_id);
    if (config.gpt2()) {
      EXPECT_EQ(back.gpt2()->scale_attn_by_inverse_layer_idx, config.gpt2()->scale_attn_by_inverse_layer_idx);
    } else {
      EXPECT_EQ(back.opt()->do_layer_norm_before, config.opt()->do_layer_norm_before);
      EXPECT_EQ(back.opt()->word_embed_proj_dim, config.opt()->word_embed_proj_dim);
    }
  }
  const ModelConfig opt = Parse(kOptPreLn);
  EXPECT_EQ(CreateGpt2(opt).status().message(), "model_type 'opt': not gpt2");
  EXPECT_EQ(CreateOpt(Parse(kGpt2)).status().message(), "model_type 'gpt2': not opt");
  ModelConfig llama = opt;
  llama.architecture = common::model_io::Architecture::kLlama;
  llama.model_type = "llama";
  llama.options = common::model_io::LlamaOptions{};
  EXPECT_EQ(SerializeGpt2OptConfig(llama).status().message(), "config.json: model_type 'llama' is not gpt2 or opt");
}

TEST(Gpt2OptIo, SaveLoadIsExactAndErrorsNameTensors) {
  const fs::path dir = TempDir("io");
  Gpt2LMHeadModel model = RandomGpt2(kGpt2);
  ASSERT_TRUE(SaveCausalLM(model, dir.string()).ok());
  absl::StatusOr<Gpt2LMHeadModel> back = LoadGpt2(dir.string());
  ASSERT_TRUE(back.ok()) << back.status();
  for (const auto& p : model->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), (*back)->named_parameters()[p.key()]));

  absl::StatusOr<common::model_io::Checkpoint> ckpt = common::model_io::Checkpoint::OpenDirectory(dir.string());
  ASSERT_TRUE(ckpt.ok());
  Gpt2LMHeadModel other = RandomGpt2(kGpt2Untied);
  const absl::Status wrong = LoadWeights(other, *ckpt);
  EXPECT_NE(wrong.message().find("checkpoint tensor 'transformer.wte.weight' has shape [97, 64], the model expects [89, 48]"),
            std::string::npos) << wrong;
  ModelConfig untied = Parse(kGpt2);
  untied.tie_word_embeddings = false;
  Gpt2LMHeadModel needs_head(untied);
  const absl::Status missing = LoadWeights(needs_head, *ckpt);
  EXPECT_NE(missing.message().find("checkpoint lacks parameter 'lm_head.weight' (shape [97, 64]"), std::string::npos)
      << missing;
  ModelConfig one_layer = Parse(kGpt2);
  one_layer.num_hidden_layers = 1;
  Gpt2LMHeadModel shallow(one_layer);
  const absl::Status extra = LoadWeights(shallow, *ckpt);
  EXPECT_NE(extra.message().find("checkpoint has tensors the gpt2 model does not: transformer.h.1."), std::string::npos)
      << extra;
  OptForCausalLM opt = RandomOpt(kOptPreLn);
  EXPECT_NE(LoadWeights(opt, *ckpt).message().find("checkpoint lacks parameter 'model.decoder.embed_tokens.weight' (shape [103, 48]; nor as 'decoder.embed_tokens.weight')"),
            std::string::npos);
  fs::remove_all(dir);
}

// The hub's GPT-2 files name tensors without "transformer." and carry attn.bias mask buffers; OPT's
// without "model.". Both load (as in transformers), and the model computes the same logits.
TEST(Gpt2OptIo, LoadsHubStyleNamesWithoutBasePrefix) {
  const fs::path dir = TempDir("hub");
  Gpt2LMHeadModel gpt2 = RandomGpt2(kGpt2, 11);
  common::model_io::SafetensorsWriter writer;
  std::vector<torch::Tensor> keep;
  for (const auto& p : gpt2->named_parameters()) {
    keep.push_back(p.value().detach().contiguous());
    ASSERT_TRUE(writer.AddFloat32(p.key().substr(std::string("transformer.").size()), keep.back().sizes().vec(),
                                  {keep.back().data_ptr<float>(), static_cast<size_t>(keep.back().numel())}).ok());
  }
  const torch::Tensor mask_buffer = torch::ones({1, 1, 32, 32}).tril();
  ASSERT_TRUE(writer.AddFloat32("h.0.attn.bias", {1, 1, 32, 32},
                                {mask_buffer.data_ptr<float>(), static_cast<size_t>(mask_buffer.numel())}).ok());
  ASSERT_TRUE(writer.Write((dir / "model.safetensors").string()).ok());
  absl::StatusOr<common::model_io::Checkpoint> ckpt = common::model_io::Checkpoint::OpenDirectory(dir.string());
  ASSERT_TRUE(ckpt.ok());
  Gpt2LMHeadModel loaded = RandomGpt2(kGpt2, 12);
  ASSERT_TRUE(LoadWeights(loaded, *ckpt).ok());
  torch::NoGradGuard no_grad;
  const Batch batch = MakeBatch(97);
  EXPECT_TRUE(torch::equal(gpt2->forward({batch.ids, {}, batch.mask, {}}), loaded->forward({batch.ids, {}, batch.mask, {}})));

  const fs::path opt_dir = TempDir("hub_opt");
  OptForCausalLM opt = RandomOpt(kOptPostLn, 11);
  common::model_io::SafetensorsWriter opt_writer;
  keep.clear();
  for (const auto& p : opt->named_parameters()) {
    keep.push_back(p.value().detach().contiguous());
    ASSERT_TRUE(opt_writer.AddFloat32(p.key().substr(std::string("model.").size()), keep.back().sizes().vec(),
                                      {keep.back().data_ptr<float>(), static_cast<size_t>(keep.back().numel())}).ok());
  }
  ASSERT_TRUE(opt_writer.Write((opt_dir / "model.safetensors").string()).ok());
  absl::StatusOr<common::model_io::Checkpoint> opt_ckpt = common::model_io::Checkpoint::OpenDirectory(opt_dir.string());
  ASSERT_TRUE(opt_ckpt.ok());
  OptForCausalLM opt_loaded = RandomOpt(kOptPostLn, 12);
  ASSERT_TRUE(LoadWeights(opt_loaded, *opt_ckpt).ok());
  const Batch opt_batch = MakeBatch(91);
  EXPECT_TRUE(torch::equal(opt->forward({opt_batch.ids, {}, opt_batch.mask, {}}),
                           opt_loaded->forward({opt_batch.ids, {}, opt_batch.mask, {}})));
  fs::remove_all(dir);
  fs::remove_all(opt_dir);
}

}  // namespace
}  // namespace ecgbench::worker::nn
