// The LanguageModel interface over all five families (worker/nn/language_model.h), and what it
// makes generic: generation for GPT-2 and OPT (greedy == argmax over full forwards, embeddings
// prefill == ids prefill), LoRA on GPT-2's Conv1D (fan_in_fan_out) and OPT's projections (no-op
// when fresh, adapter == merged, PEFT keys and a python3-torch check of W + scaling * (B A)^T), and
// token-embedding growth (token_embeddings.h): old rows and logits unchanged, new rows distinct
// and frozen, save/reload with the new vocabulary, errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/model_io/peft_adapter.h"
#include "common/util/files.h"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/worker/nn/parity_util.h"
#include "worker/nn/generate.h"
#include "worker/nn/language_model.h"
#include "worker/nn/lora.h"
#include "worker/nn/token_embeddings.h"

namespace ecgbench::worker::nn {
namespace {

using testing::Batch;
using testing::MakeBatch;
using testing::MaxDiff;
namespace fs = std::filesystem;

constexpr char kGpt2[] = R"({"model_type": "gpt2", "vocab_size": 97, "n_embd": 32, "n_layer": 2, "n_head": 4,
  "n_positions": 32, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"})";
constexpr char kOpt[] = R"({"model_type": "opt", "vocab_size": 103, "hidden_size": 48, "ffn_dim": 96,
  "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 32, "do_layer_norm_before": false,
  "word_embed_proj_dim": 32, "activation_function": "relu", "pad_token_id": 1})";
constexpr char kLlamaUntied[] = R"({"model_type": "llama", "vocab_size": 80, "hidden_size": 16,
  "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
  "rms_norm_eps": 1e-5, "max_position_embeddings": 64, "hidden_act": "silu", "tie_word_embeddings": false})";
constexpr char kQwenTied[] = R"({"model_type": "qwen2", "vocab_size": 70, "hidden_size": 16,
  "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
  "rms_norm_eps": 1e-6, "max_position_embeddings": 64, "hidden_act": "silu", "tie_word_embeddings": true})";

std::unique_ptr<LanguageModel> RandomModel(const char* json, uint64_t seed = 7) {
  absl::StatusOr<std::unique_ptr<LanguageModel>> model = CreateLanguageModel(testing::ParseConfig(json));
  EXPECT_TRUE(model.ok()) << model.status();
  (*model)->RandomInit(seed, 0.2);
  (*model)->module().eval();
  return *std::move(model);
}

torch::Tensor Logits(LanguageModel& model, const Batch& batch) {
  torch::NoGradGuard no_grad;
  return model.Forward({batch.ids, {}, batch.mask, {}});
}

// Greedy tokens [B, steps] from full forwards over prompt + tokens so far (no cache).
torch::Tensor ReferenceGreedy(LanguageModel& model, const Batch& batch, int64_t steps) {
  torch::NoGradGuard no_grad;
  torch::Tensor ids = batch.ids, mask = batch.mask;
  for (int64_t s = 0; s < steps; ++s) {
    const torch::Tensor next = model.Forward({ids, {}, mask, {}}).select(1, -1).argmax(-1, /*keepdim=*/true);
    ids = torch::cat({ids, next}, 1);
    mask = torch::cat({mask, torch::ones({mask.size(0), 1}, torch::kLong)}, 1);
  }
  return ids.narrow(1, batch.ids.size(1), steps);
}

GenerationResult MustGenerate(LanguageModel& model, const GenerationRequest& request) {
  absl::StatusOr<GenerationResult> result = Generate(model, request);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : GenerationResult{};
}

LoraAdapter MustAttach(LanguageModel& model, std::vector<common::model_io::LoraTarget> targets) {
  LoraOptions options;
  options.rank = 4;
  options.alpha = 8;
  options.targets = std::move(targets);
  options.seed = 5;
  absl::StatusOr<LoraAdapter> adapter = AttachLora(model, options);
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  return *std::move(adapter);
}

void PerturbAdapter(LoraAdapter& adapter) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(21);
  for (auto& [key, p] : adapter->NamedPeftTensors()) p.copy_(torch::randn(p.sizes()) * 0.1);
}

TEST(LanguageModel, CreatesEveryFamilyAndReportsItsShape) {
  const std::unique_ptr<LanguageModel> gpt2 = RandomModel(kGpt2);
  EXPECT_EQ(gpt2->embedding_dim(), 32);
  EXPECT_EQ(gpt2->lm_head(), nullptr);  // tied
  EXPECT_EQ(gpt2->LoraSites().size(), 8u);
  EXPECT_TRUE(gpt2->LoraSites()[0].fan_in_fan_out);
  EXPECT_EQ(gpt2->LoraSites()[0].path, "transformer.h.0.attn.c_attn");
  const std::unique_ptr<LanguageModel> opt = RandomModel(kOpt);
  EXPECT_EQ(opt->embedding_dim(), 32);  // word_embed_proj_dim
  EXPECT_EQ(opt->LoraSites().size(), 12u);
  EXPECT_EQ(opt->LoraSites()[5].path, "model.decoder.layers.0.fc2");
  const std::unique_ptr<LanguageModel> llama = RandomModel(kLlamaUntied);
  EXPECT_NE(llama->lm_head(), nullptr);
  EXPECT_EQ(llama->LoraSites().size(), 7u);
  EXPECT_EQ(llama->LoraSites()[4].path, "model.layers.0.mlp.gate_proj");
}

TEST(LanguageModel, SaveAndLoadDispatchOnTheConfig) {
  for (const char* json : {kGpt2, kOpt, kLlamaUntied}) {
    const std::unique_ptr<LanguageModel> model = RandomModel(json);
    const fs::path dir = testing::FreshDir("ecgbench_lm_", "save");
    ASSERT_TRUE(model->Save(dir.string()).ok());
    absl::StatusOr<std::unique_ptr<LanguageModel>> loaded = LoadLanguageModel(dir.string());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    (*loaded)->module().eval();
    const Batch batch = MakeBatch(model->config().vocab_size);
    EXPECT_EQ(MaxDiff(Logits(*model, batch), Logits(**loaded, batch)), 0.0) << model->config().model_type;
    fs::remove_all(dir);
  }
  EXPECT_FALSE(LoadLanguageModel("/nonexistent/model").ok());
}

// bf16 weights (what GPU runs use): every family runs, logits stay within bf16 rounding of fp32,
// and generation works on the bf16 model.
TEST(LanguageModel, Bf16WeightsTrackFloat32) {
  for (const char* json : {kLlamaUntied, kQwenTied, kGpt2, kOpt}) {
    const std::unique_ptr<LanguageModel> model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const torch::Tensor reference = Logits(*model, batch);
    model->module().to(torch::kBFloat16);
    const torch::Tensor logits = Logits(*model, batch);
    EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
    const double scale = reference.abs().max().item<double>();
    EXPECT_LE(MaxDiff(logits.to(torch::kFloat), reference), 0.05 * scale) << model->config().model_type;
    GenerationRequest request;
    request.input_ids = batch.ids;
    request.attention_mask = batch.mask;
    request.max_new_tokens = 4;
    EXPECT_EQ(MustGenerate(*model, request).tokens.size(1), 4) << model->config().model_type;
  }
}

TEST(LanguageModelGenerate, Gpt2AndOptGreedyEqualsArgmaxOverFullForwards) {
  for (const char* json : {kGpt2, kOpt}) {
    const std::unique_ptr<LanguageModel> model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    GenerationRequest request;
    request.input_ids = batch.ids;
    request.attention_mask = batch.mask;
    request.max_new_tokens = 8;
    const GenerationResult result = MustGenerate(*model, request);
    ASSERT_EQ(result.tokens.sizes(), (std::vector<int64_t>{3, 8}));
    EXPECT_TRUE(torch::equal(result.tokens, ReferenceGreedy(*model, batch, 8))) << model->config().model_type;

    // The same prompt as embeddings (OPT: word_embed_proj_dim wide) continues identically.
    GenerationRequest embeds = request;
    embeds.input_ids = torch::Tensor();
    {
      torch::NoGradGuard no_grad;
      embeds.inputs_embeds = model->EmbedTokens(batch.ids);
    }
    const GenerationResult from_embeds = MustGenerate(*model, embeds);
    EXPECT_TRUE(torch::equal(from_embeds.tokens, result.tokens)) << model->config().model_type;
  }
}

TEST(LanguageModelLora, Gpt2AndOptAdaptersMergeLikeTheirForward) {
  using common::model_io::LoraTarget;
  for (const char* json : {kGpt2, kOpt}) {
    const std::unique_ptr<LanguageModel> model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const torch::Tensor base = Logits(*model, batch);
    LoraAdapter adapter = MustAttach(*model, {LoraTarget::kQ, LoraTarget::kV, LoraTarget::kO, LoraTarget::kUp,
                                              LoraTarget::kDown});
    EXPECT_EQ(MaxDiff(Logits(*model, batch), base), 0.0) << "a fresh adapter changes nothing";
    // GPT-2: q and v share c_attn, so 4 modules per layer; OPT: q, v, out_proj, fc1, fc2.
    EXPECT_EQ(adapter->size(), model->config().architecture == common::model_io::Architecture::kGpt2 ? 8u : 10u);
    for (const auto& [name, p] : TrainableParameters(*model, adapter)) {
      EXPECT_NE(name.find(".lora_"), std::string::npos) << name << " should be frozen";
    }
    PerturbAdapter(adapter);
    const torch::Tensor adapted = Logits(*model, batch);
    EXPECT_GT(MaxDiff(adapted, base), 1e-3);
    adapter->Merge();
    EXPECT_LE(MaxDiff(Logits(*model, batch), adapted), 2e-5) << model->config().model_type;
    adapter->Unmerge();
    EXPECT_LE(MaxDiff(Logits(*model, batch), adapted), 2e-5);
    adapter->Detach();
    EXPECT_LE(MaxDiff(Logits(*model, batch), base), 2e-5);
  }
}

TEST(LanguageModelLora, RefusesGateOnModelsWithoutAGatedMlp) {
  const std::unique_ptr<LanguageModel> model = RandomModel(kOpt);
  LoraOptions options;
  options.targets = {common::model_io::LoraTarget::kGate};
  const absl::StatusOr<LoraAdapter> adapter = AttachLora(*model, options);
  ASSERT_FALSE(adapter.ok());
  EXPECT_NE(adapter.status().message().find("gate"), std::string::npos) << adapter.status();
}

// Reads base, adapter and merged safetensors by hand and checks W + scaling * (B A)^T for Conv1D.
constexpr char kGpt2PythonCheck[] = R"PY(
import json, struct, sys, torch
def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(info["shape"])
    return out
d = sys.argv[1]
cfg = json.load(open(d + "/adapter/adapter_config.json"))
assert cfg["fan_in_fan_out"] is True, cfg
scaling = cfg["lora_alpha"] / cfg["r"]
base, lora, merged = load(d + "/base/model.safetensors"), load(d + "/adapter/adapter_model.safetensors"), load(d + "/merged/model.safetensors")
worst, modules = 0.0, 0
for key in sorted(lora):
    if not key.endswith(".lora_A.weight"):
        continue
    module = key[len("base_model.model."):-len(".lora_A.weight")]
    a, b = lora[key], lora[key.replace("lora_A", "lora_B")]
    w = base[module + ".weight"]
    assert a.shape == (cfg["r"], w.shape[0]) and b.shape == (w.shape[1], cfg["r"]), (key, a.shape, b.shape, w.shape)
    want = w + scaling * (b @ a).T
    worst = max(worst, (want - merged[module + ".weight"]).abs().max().item())
    modules += 1
print("modules=%d max_abs_diff=%.3g" % (modules, worst))
sys.exit(0 if modules == 8 and worst <= 1e-6 else 1)
)PY";

TEST(LanguageModelLora, Gpt2AdapterFilesFollowPeftsConv1DLayout) {
  using common::model_io::LoraTarget;
  const fs::path dir = testing::FreshDir("ecgbench_lm_", "gpt2_lora");
  const std::unique_ptr<LanguageModel> model = RandomModel(kGpt2);
  ASSERT_TRUE(model->Save((dir / "base").string()).ok());
  LoraAdapter adapter = MustAttach(*model, {LoraTarget::kQ, LoraTarget::kV, LoraTarget::kO, LoraTarget::kUp,
                                            LoraTarget::kDown});
  PerturbAdapter(adapter);
  ASSERT_TRUE(SaveLoraAdapter(adapter, (dir / "adapter").string()).ok());
  const Batch batch = MakeBatch(model->config().vocab_size);
  const torch::Tensor adapted = Logits(*model, batch);

  // The file round-trips onto a fresh copy of the base model.
  absl::StatusOr<std::unique_ptr<LanguageModel>> fresh = LoadLanguageModel((dir / "base").string());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  (*fresh)->module().eval();
  absl::StatusOr<LoraAdapter> loaded = LoadLoraAdapter(**fresh, (dir / "adapter").string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(MaxDiff(Logits(**fresh, batch), adapted), 0.0);
  EXPECT_TRUE((*loaded)->config().fan_in_fan_out);

  adapter->Merge();
  ASSERT_TRUE(model->Save((dir / "merged").string()).ok());
  ASSERT_TRUE(common::WriteFileAtomic((dir / "check.py").string(), kGpt2PythonCheck).ok());
  const test_support::CommandResult r =
      test_support::RunCommand("/usr/bin/python3 " + (dir / "check.py").string() + " " + dir.string());
  EXPECT_TRUE(r.ok()) << "python3-torch check failed (needs python3-torch: scripts/install-deps.sh):\n" << r.output;
  EXPECT_NE(r.output.find("modules=8"), std::string::npos) << r.output;
  std::cout << r.output;
  fs::remove_all(dir);
}

TEST(TokenEmbeddings, GrowingKeepsOldRowsAndLogitsAndFreezesNewRows) {
  for (const char* json : {kLlamaUntied, kQwenTied, kGpt2, kOpt}) {
    const std::unique_ptr<LanguageModel> model = RandomModel(json);
    const int64_t old_vocab = model->config().vocab_size;
    const Batch batch = MakeBatch(old_vocab);
    const torch::Tensor before = Logits(*model, batch);
    const torch::Tensor old_rows = model->token_embeddings()->weight.detach().clone();

    absl::StatusOr<AddedRows> added = ResizeTokenEmbeddings(*model, old_vocab + 12);
    ASSERT_TRUE(added.ok()) << added.status();
    EXPECT_EQ(added->first_row, old_vocab);
    EXPECT_EQ(added->count, 12);
    EXPECT_EQ(added->weights.size(), model->lm_head() != nullptr ? 2u : 1u);
    EXPECT_EQ(model->config().vocab_size, old_vocab + 12);
    const torch::Tensor& weight = model->token_embeddings()->weight;
    ASSERT_EQ(weight.size(0), old_vocab + 12);
    EXPECT_TRUE(torch::equal(weight.narrow(0, 0, old_vocab), old_rows));

    const torch::Tensor after = Logits(*model, batch);
    ASSERT_EQ(after.size(-1), old_vocab + 12);
    EXPECT_EQ(MaxDiff(after.narrow(-1, 0, old_vocab), before), 0.0) << model->config().model_type;

    // New rows are distinct tokens (not all the mean), and get no gradient.
    const torch::Tensor new_rows = weight.narrow(0, old_vocab, 12).detach();
    EXPECT_GT((new_rows[0] - new_rows[1]).abs().max().item<double>(), 1e-3);
    model->module().train();
    const torch::Tensor ids = torch::tensor(std::vector<int64_t>{1, old_vocab + 3, 2, old_vocab + 11}).unsqueeze(0);
    model->Forward({ids, {}, {}, {}}).sum().backward();
    for (const torch::Tensor& w : added->weights) {
      ASSERT_TRUE(w.grad().defined());
      EXPECT_EQ(w.grad().narrow(0, old_vocab, 12).abs().max().item<double>(), 0.0);
      EXPECT_GT(w.grad().narrow(0, 0, old_vocab).abs().max().item<double>(), 0.0);
    }
  }
}

TEST(TokenEmbeddings, NewRowsFollowTheVocabularyDistributionAndSaveReloads) {
  // Many rows so the covariance is positive definite and the sample statistics are stable.
  const std::unique_ptr<LanguageModel> model = RandomModel(kQwenTied);
  ResizeOptions options;
  options.seed = 3;
  ASSERT_TRUE(ResizeTokenEmbeddings(*model, 70 + 4000, options).ok());
  const torch::Tensor w = model->token_embeddings()->weight.detach();
  const torch::Tensor old_rows = w.narrow(0, 0, 70), new_rows = w.narrow(0, 70, 4000);
  EXPECT_LE((new_rows.mean(0) - old_rows.mean(0)).abs().max().item<double>(), 0.03);
  const torch::Tensor ratio = new_rows.std(0) / old_rows.std(0);
  EXPECT_GT(ratio.min().item<double>(), 0.85);
  EXPECT_LT(ratio.max().item<double>(), 1.15);

  // Same seed, same rows; the saved folder reloads with the grown vocabulary.
  const std::unique_ptr<LanguageModel> again = RandomModel(kQwenTied);
  ASSERT_TRUE(ResizeTokenEmbeddings(*again, 70 + 4000, options).ok());
  EXPECT_TRUE(torch::equal(again->token_embeddings()->weight, model->token_embeddings()->weight));
  const fs::path dir = testing::FreshDir("ecgbench_lm_", "resized");
  ASSERT_TRUE(model->Save(dir.string()).ok());
  absl::StatusOr<std::unique_ptr<LanguageModel>> loaded = LoadLanguageModel(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->config().vocab_size, 4070);
  EXPECT_TRUE(torch::equal((*loaded)->token_embeddings()->weight, model->token_embeddings()->weight));
  fs::remove_all(dir);
}

TEST(TokenEmbeddings, NormalInitScaleAndErrors) {
  const std::unique_ptr<LanguageModel> model = RandomModel(kGpt2);
  ResizeOptions options;
  options.init = NewRowInit::kNormal;
  options.stddev = 0.5;
  options.freeze_new_rows = false;
  absl::StatusOr<AddedRows> added = ResizeTokenEmbeddings(*model, 97 + 3000, options);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_FALSE(added->frozen);
  const double std = model->token_embeddings()->weight.narrow(0, 97, 3000).std().item<double>();
  EXPECT_NEAR(std, 0.5, 0.01);
  // The same size again is a no-op; shrinking and bad options are refused with the reason.
  absl::StatusOr<AddedRows> same = ResizeTokenEmbeddings(*model, 3097);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->count, 0);
  const absl::StatusOr<AddedRows> smaller = ResizeTokenEmbeddings(*model, 50);
  ASSERT_FALSE(smaller.ok());
  EXPECT_NE(smaller.status().message().find("smaller"), std::string::npos) << smaller.status();
  ResizeOptions bad;
  bad.covariance_scale = 0;
  EXPECT_FALSE(ResizeTokenEmbeddings(*model, 4000, bad).ok());
  EXPECT_EQ(model->config().vocab_size, 3097);  // a refused resize changes nothing
}

}  // namespace
}  // namespace ecgbench::worker::nn
