// LoRA (worker/nn/lora.h): a fresh adapter is a no-op, adapter forward == merged forward, unmerge
// restores the base, dropout only in training, only adapter tensors train, PEFT file format (keys,
// adapter_config.json against a hand-written PEFT 0.13 file) both ways, load errors, and a
// python3-torch check that reads the safetensors files by hand and recomputes W + scaling * B @ A.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "tests/unit/testing/run_command.h"
#include "worker/nn/causal_lm_io.h"
#include "worker/nn/lora.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::DType;
using common::model_io::LoraTarget;
namespace fs = std::filesystem;

constexpr char kLlama[] = R"({"model_type": "llama", "vocab_size": 97, "hidden_size": 64, "intermediate_size": 96,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
  "max_position_embeddings": 128, "hidden_act": "silu", "tie_word_embeddings": false})";
constexpr char kQwen2[] = R"({"model_type": "qwen2", "vocab_size": 101, "hidden_size": 48, "intermediate_size": 80,
  "num_hidden_layers": 2, "num_attention_heads": 6, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
  "max_position_embeddings": 128, "hidden_act": "silu", "tie_word_embeddings": true})";

const std::vector<LoraTarget> kAllSeven = {LoraTarget::kQ,    LoraTarget::kK,  LoraTarget::kV,   LoraTarget::kO,
                                           LoraTarget::kGate, LoraTarget::kUp, LoraTarget::kDown};

CausalLM RandomModel(const char* json = kLlama) {
  absl::StatusOr<common::model_io::ModelConfig> config = common::model_io::ParseModelConfig(json, "config.json");
  EXPECT_TRUE(config.ok()) << config.status();
  absl::StatusOr<CausalLM> model = CreateCausalLM(*config);
  EXPECT_TRUE(model.ok()) << model.status();
  RandomInit(*model, 11, 0.2);
  (*model)->eval();
  return *model;
}

LoraAdapter Attach(CausalLM& model, LoraOptions options) {
  absl::StatusOr<LoraAdapter> adapter = AttachLora(model, options);
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  return *adapter;
}

LoraOptions Options(int64_t rank, double alpha, double dropout, std::vector<LoraTarget> targets) {
  LoraOptions o;
  o.rank = rank;
  o.alpha = alpha;
  o.dropout = dropout;
  o.targets = std::move(targets);
  o.seed = 5;
  return o;
}

// Sets every lora_B (and lora_A when `also_a`) to seeded N(0, 0.05^2) values.
void Perturb(LoraAdapter& adapter, uint64_t seed, bool also_a = false) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& [key, p] : adapter->NamedPeftTensors()) {
    if (also_a || key.find("lora_B") != std::string::npos) p.copy_(torch::randn(p.sizes()) * 0.05);
  }
}

torch::Tensor Logits(CausalLM& model, uint64_t seed = 3) {
  torch::manual_seed(seed);
  const torch::Tensor ids = torch::randint(1, model->config().vocab_size, {2, 6}, torch::kLong);
  DecoderInputs in;
  in.input_ids = ids;
  return model->forward(in);
}

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

fs::path TempDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ecgbench_lora_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Lora, FreshAdapterLeavesLogitsUnchanged) {
  for (const char* json : {kLlama, kQwen2}) {
    CausalLM model = RandomModel(json);
    const torch::Tensor before = Logits(model);
    LoraAdapter adapter = Attach(model, Options(4, 8, 0.1, kAllSeven));
    EXPECT_EQ(adapter->size(), 14u);
    EXPECT_TRUE(torch::equal(Logits(model), before));
    model->train();  // dropout on the LoRA input: B is zero, still no change
    EXPECT_TRUE(torch::equal(Logits(model), before));
  }
}

TEST(Lora, InitialisationFollowsPeft) {
  CausalLM model = RandomModel();
  LoraAdapter adapter = Attach(model, Options(4, 8, 0.0, {LoraTarget::kQ, LoraTarget::kDown}));
  ASSERT_EQ(adapter->module_paths(),
            (std::vector<std::string>{"model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj",
                                      "model.layers.1.self_attn.q_proj", "model.layers.1.mlp.down_proj"}));
  LoraLinearImpl* down = adapter->Find("model.layers.1.mlp.down_proj");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->lora_A.sizes(), (std::vector<int64_t>{4, 96}));
  EXPECT_EQ(down->lora_B.sizes(), (std::vector<int64_t>{64, 4}));
  // kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  const double bound = 1.0 / std::sqrt(96.0);
  EXPECT_LE(down->lora_A.abs().max().item<double>(), bound);
  EXPECT_GT(down->lora_A.abs().max().item<double>(), 0.9 * bound);
  EXPECT_EQ(down->lora_B.abs().max().item<double>(), 0.0);
  EXPECT_EQ(adapter->Find("model.layers.0.self_attn.k_proj"), nullptr);
  // Same seed, same A.
  CausalLM other = RandomModel();
  LoraAdapter again = Attach(other, Options(4, 8, 0.0, {LoraTarget::kQ, LoraTarget::kDown}));
  EXPECT_TRUE(torch::equal(again->Find("model.layers.1.mlp.down_proj")->lora_A, down->lora_A));
}

TEST(Lora, MergeMatchesAdapterForwardAndUnmergeRestores) {
  CausalLM model = RandomModel();
  const torch::Tensor base = Logits(model);
  std::vector<torch::Tensor> weights;
  for (const torch::Tensor& p : model->parameters()) weights.push_back(p.detach().clone());
  LoraAdapter adapter = Attach(model, Options(4, 8, 0.0, kAllSeven));
  Perturb(adapter, 9);
  const torch::Tensor adapted = Logits(model);
  EXPECT_GT(MaxDiff(adapted, base), 1e-2);  // the perturbed adapter matters

  LoraLinearImpl* o = adapter->Find("model.layers.0.self_attn.o_proj");
  ASSERT_NE(o, nullptr);
  const torch::Tensor expected_o = o->base_weight().detach() + 2.0 * torch::matmul(o->lora_B, o->lora_A).detach();
  adapter->Merge();
  EXPECT_TRUE(adapter->merged());
  EXPECT_LE(MaxDiff(o->base_weight(), expected_o), 1e-7);
  EXPECT_LE(MaxDiff(Logits(model), adapted), 1e-5);

  adapter->Unmerge();
  EXPECT_FALSE(adapter->merged());
  const std::vector<torch::Tensor> restored = model->parameters();
  ASSERT_EQ(restored.size(), weights.size());
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_LE(MaxDiff(restored[i], weights[i]), 1e-6) << i;
  EXPECT_LE(MaxDiff(Logits(model), adapted), 1e-5);

  adapter->Detach();
  EXPECT_LE(MaxDiff(Logits(model), base), 1e-5);
  EXPECT_TRUE(AttachLora(model, Options(2, 2, 0.0, {LoraTarget::kQ})).ok());  // detached: free again
}

TEST(Lora, DropoutOnlyInTrainingMode) {
  CausalLM model = RandomModel();
  LoraAdapter adapter = Attach(model, Options(4, 8, 0.5, {LoraTarget::kQ, LoraTarget::kV, LoraTarget::kUp}));
  Perturb(adapter, 4, /*also_a=*/true);
  DecoderInputs in;
  in.input_ids = torch::randint(1, 97, {2, 6}, torch::kLong);
  auto forward = [&](uint64_t seed) {
    torch::manual_seed(seed);  // the dropout masks
    return model->forward(in);
  };
  model->eval();
  const torch::Tensor eval1 = forward(1), eval2 = forward(2);
  EXPECT_TRUE(torch::equal(eval1, eval2));
  model->train();
  const torch::Tensor train1 = forward(1), train2 = forward(2);
  EXPECT_GT(MaxDiff(train1, eval1), 1e-4);
  EXPECT_GT(MaxDiff(train1, train2), 1e-4);  // other masks, other logits
  EXPECT_TRUE(torch::equal(forward(1), train1));
  model->eval();
  EXPECT_TRUE(torch::equal(forward(3), eval1));

  // One projection directly: eval is the exact LoRA formula; training zeroes ~half of the inputs
  // and scales the rest by 1 / (1 - p).
  LoraLinearImpl* q = adapter->Find("model.layers.0.self_attn.q_proj");
  const torch::Tensor x = torch::ones({1, 4000, 64});
  const torch::Tensor y = torch::zeros({1, 4000, 64});
  const torch::Tensor exact = torch::matmul(torch::matmul(x, q->lora_A.t()), q->lora_B.t()) * 2.0;
  EXPECT_LE(MaxDiff(q->Adjust(x, y, false), exact), 1e-6);
  torch::manual_seed(1);
  const torch::Tensor dropped = q->Adjust(x, y, true);
  EXPECT_GT(MaxDiff(dropped, exact), 1e-3);
  EXPECT_LE(MaxDiff(dropped.mean(1), exact.mean(1)), 0.1 * exact.abs().max().item<double>());
}

TEST(Lora, OnlyAdapterParametersTrain) {
  CausalLM model = RandomModel();
  LoraAdapter adapter = Attach(model, Options(4, 8, 0.1, kAllSeven));
  for (const auto& item : model->named_parameters()) EXPECT_FALSE(item.value().requires_grad()) << item.key();
  const auto trainable = TrainableParameters(model, adapter);
  ASSERT_EQ(trainable.size(), 28u);
  EXPECT_EQ(trainable.front().first, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(trainable.back().first, "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");

  model->train();
  Logits(model).pow(2).mean().backward();
  for (const auto& item : model->named_parameters()) EXPECT_FALSE(item.value().grad().defined()) << item.key();
  for (const auto& [key, p] : trainable) {
    ASSERT_TRUE(p.grad().defined()) << key;
    // B starts at zero, so A's gradient (through B) is zero and B's is not.
    const double grad = p.grad().abs().max().item<double>();
    if (key.find("lora_B") != std::string::npos) {
      EXPECT_GT(grad, 0.0) << key;
    } else {
      EXPECT_EQ(grad, 0.0) << key;
    }
  }
  // One SGD step on the trainable list moves the logits; a second backward reaches A too.
  std::vector<torch::Tensor> params;
  for (const auto& kv : trainable) params.push_back(kv.second);
  torch::optim::SGD sgd(params, torch::optim::SGDOptions(0.5));
  model->eval();
  const torch::Tensor before = Logits(model);
  sgd.step();
  sgd.zero_grad();
  EXPECT_GT(MaxDiff(Logits(model), before), 1e-6);
  model->train();
  Logits(model).pow(2).mean().backward();
  EXPECT_GT(adapter->Find("model.layers.0.self_attn.q_proj")->lora_A.grad().abs().max().item<double>(), 0.0);
}

TEST(Lora, RefusesBadOptionsAndASecondAdapter) {
  CausalLM model = RandomModel();
  EXPECT_EQ(AttachLora(model, Options(0, 8, 0.0, {LoraTarget::kQ})).status().message(),
            "LoRA: r must be positive, got 0");
  EXPECT_EQ(AttachLora(model, Options(4, 8, 1.0, {LoraTarget::kQ})).status().message(),
            "LoRA: lora_dropout must be in [0, 1), got 1");
  EXPECT_EQ(AttachLora(model, Options(4, 8, 0.0, {})).status().message(), "LoRA: no target modules given");
  LoraAdapter adapter = Attach(model, Options(4, 8, 0.0, {LoraTarget::kV}));
  const absl::Status second = AttachLora(model, Options(4, 8, 0.0, {LoraTarget::kV})).status();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.message(),
            "LoRA: model.layers.0.self_attn.v_proj already carries an adapter (Detach it before attaching another)");
}

// What PEFT 0.13's save_pretrained writes for LoraConfig(r=4, lora_alpha=8, lora_dropout=0.1,
// target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM") on a model named "tiny-llama".
constexpr char kExpectedConfig[] = R"({
  "alpha_pattern": {},
  "auto_mapping": null,
  "base_model_name_or_path": "tiny-llama",
  "bias": "none",
  "fan_in_fan_out": false,
  "inference_mode": true,
  "init_lora_weights": true,
  "layer_replication": null,
  "layers_pattern": null,
  "layers_to_transform": null,
  "loftq_config": {},
  "lora_alpha": 8,
  "lora_dropout": 0.1,
  "megatron_config": null,
  "megatron_core": "megatron.core",
  "modules_to_save": null,
  "peft_type": "LORA",
  "r": 4,
  "rank_pattern": {},
  "revision": null,
  "target_modules": [
    "q_proj",
    "v_proj"
  ],
  "task_type": "CAUSAL_LM",
  "use_dora": false,
  "use_rslora": false
}
)";

TEST(LoraFiles, SavesPeftKeysAndConfig) {
  const fs::path dir = TempDir("format");
  CausalLM model = RandomModel();
  LoraOptions options = Options(4, 8, 0.1, {LoraTarget::kQ, LoraTarget::kV});
  options.base_model_name_or_path = "tiny-llama";
  LoraAdapter adapter = Attach(model, options);
  ASSERT_TRUE(SaveLoraAdapter(adapter, dir.string()).ok());
  absl::StatusOr<std::string> config = common::ReadFile((dir / "adapter_config.json").string());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(*config, kExpectedConfig);

  absl::StatusOr<common::model_io::SafetensorsFile> file =
      common::model_io::SafetensorsFile::Open((dir / "adapter_model.safetensors").string());
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<std::string> names;
  for (const auto& t : file->tensors()) {
    EXPECT_EQ(t.dtype, DType::kF32) << t.name;
    ASSERT_EQ(t.shape.size(), 2u) << t.name;
    names.push_back(t.name + " [" + std::to_string(t.shape[0]) + ", " + std::to_string(t.shape[1]) + "]");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight [4, 64]",
                       "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight [64, 4]",
                       "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight [4, 64]",
                       "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight [32, 4]",
                       "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight [4, 64]",
                       "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight [64, 4]",
                       "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight [4, 64]",
                       "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight [32, 4]"}));
  EXPECT_EQ(file->metadata().at("format"), "pt");
  fs::remove_all(dir);
}

TEST(LoraFiles, SaveLoadRoundTripIsExact) {
  const fs::path dir = TempDir("roundtrip");
  CausalLM model = RandomModel();
  LoraOptions options = Options(3, 6, 0.05, kAllSeven);
  options.use_rslora = true;
  LoraAdapter adapter = Attach(model, options);
  Perturb(adapter, 21, /*also_a=*/true);
  const torch::Tensor adapted = Logits(model);
  ASSERT_TRUE(SaveLoraAdapter(adapter, dir.string()).ok());

  CausalLM fresh = RandomModel();
  absl::StatusOr<LoraAdapter> loaded = LoadLoraAdapter(fresh, dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->config().r, 3);
  EXPECT_TRUE((*loaded)->config().use_rslora);
  EXPECT_DOUBLE_EQ((*loaded)->config().Scaling(), 6.0 / std::sqrt(3.0));
  EXPECT_DOUBLE_EQ((*loaded)->config().lora_dropout, 0.05);
  EXPECT_EQ((*loaded)->module_paths(), adapter->module_paths());
  const auto want = adapter->NamedPeftTensors(), got = (*loaded)->NamedPeftTensors();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_TRUE(torch::equal(got[i].second, want[i].second)) << want[i].first;
  }
  EXPECT_TRUE(torch::equal(Logits(fresh), adapted));
  EXPECT_EQ(TrainableParameters(fresh, *loaded).size(), 28u);
  fs::remove_all(dir);
}

// An adapter as PEFT writes it (keys in PEFT's order, a PEFT 0.13 config with target_modules in set
// order and fields we ignore) loads, with scaling lora_alpha / r.
TEST(LoraFiles, LoadsAPeftWrittenAdapter) {
  const fs::path dir = TempDir("peft");
  std::string config = kExpectedConfig;
  config.replace(config.find("\"q_proj\",\n    \"v_proj\""), 22, "\"v_proj\",\n    \"q_proj\"");
  config.replace(config.find("\"lora_alpha\": 8"), 15, "\"lora_alpha\": 16");
  ASSERT_TRUE(common::WriteFileAtomic((dir / "adapter_config.json").string(), config).ok());
  common::model_io::SafetensorsWriter writer;
  torch::manual_seed(8);
  std::map<std::string, torch::Tensor> tensors;
  for (int layer = 0; layer < 2; ++layer) {
    for (const char* proj : {"q_proj", "v_proj"}) {
      const std::string base = "base_model.model.model.layers." + std::to_string(layer) + ".self_attn." + proj;
      tensors[base + ".lora_A.weight"] = torch::randn({4, 64});
      tensors[base + ".lora_B.weight"] = torch::randn({std::string(proj) == "q_proj" ? 64 : 32, 4});
    }
  }
  for (const auto& [key, t] : tensors) {
    const absl::Span<const float> data(t.data_ptr<float>(), static_cast<size_t>(t.numel()));
    ASSERT_TRUE(writer.AddFloat32(key, t.sizes().vec(), data, DType::kBF16).ok());
  }
  ASSERT_TRUE(writer.Write((dir / "adapter_model.safetensors").string()).ok());

  CausalLM model = RandomModel();
  absl::StatusOr<LoraAdapter> adapter = LoadLoraAdapter(model, dir.string());
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  EXPECT_DOUBLE_EQ((*adapter)->config().Scaling(), 4.0);
  EXPECT_EQ((*adapter)->size(), 4u);
  for (const auto& [key, p] : (*adapter)->NamedPeftTensors()) {
    EXPECT_TRUE(torch::equal(p, tensors.at(key).to(torch::kBFloat16).to(torch::kFloat))) << key;
  }
  fs::remove_all(dir);
}

TEST(LoraFiles, LoadErrorsNameTheTensorAndLeaveTheModelUntouched) {
  const fs::path dir = TempDir("errors");
  CausalLM source = RandomModel();
  LoraAdapter adapter = Attach(source, Options(4, 8, 0.0, {LoraTarget::kQ}));
  ASSERT_TRUE(SaveLoraAdapter(adapter, dir.string()).ok());
  const std::string weights = (dir / "adapter_model.safetensors").string();
  const std::string config_path = (dir / "adapter_config.json").string();
  CausalLM model = RandomModel();
  const torch::Tensor base = Logits(model);

  // Targets v too, but the file has only q's tensors.
  std::string config = *common::ReadFile(config_path);
  config.replace(config.find("\"q_proj\""), 8, "\"q_proj\",\n    \"v_proj\"");
  ASSERT_TRUE(common::WriteFileAtomic(config_path, config).ok());
  EXPECT_EQ(LoadLoraAdapter(model, dir.string()).status().message(),
            weights + ": no tensor 'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight' for targeted "
                      "module 'model.layers.0.self_attn.v_proj'");
  EXPECT_TRUE(torch::equal(Logits(model), base));  // hooks removed again
  EXPECT_TRUE(model->parameters().front().requires_grad());

  // Targets only k: the q tensors are unexpected.
  config.replace(config.find("\"q_proj\",\n    \"v_proj\""), 22, "\"k_proj\"");
  ASSERT_TRUE(common::WriteFileAtomic(config_path, config).ok());
  EXPECT_EQ(LoadLoraAdapter(model, dir.string()).status().message(),
            weights + ": tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' adapts "
                      "'model.layers.0.self_attn.q_proj', which adapter_config.json does not target in this llama "
                      "model");

  // Rank 2 in the config, rank 4 in the file.
  config = *common::ReadFile(config_path);
  config.replace(config.find("\"k_proj\""), 8, "\"q_proj\"");
  config.replace(config.find("\"r\": 4"), 6, "\"r\": 2");
  ASSERT_TRUE(common::WriteFileAtomic(config_path, config).ok());
  EXPECT_EQ(LoadLoraAdapter(model, dir.string()).status().message(),
            weights + ": tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [4, 64], "
                      "expected [2, 64] (r = 2)");

  config.replace(config.find("\"bias\": \"none\""), 14, "\"bias\": \"all\"");
  ASSERT_TRUE(common::WriteFileAtomic(config_path, config).ok());
  EXPECT_EQ(LoadLoraAdapter(model, dir.string()).status().message(),
            config_path + ": LoRA: bias other than \"none\" is not supported (trainable base biases)");
  EXPECT_TRUE(torch::equal(Logits(model), base));
  fs::remove_all(dir);
}

// python3-torch reads adapter_model.safetensors, the base and the merged model.safetensors by hand
// (8-byte header length, JSON header, raw little-endian data) and checks merged == W + s * B @ A.
constexpr char kPythonCheck[] = R"PY(
import json, struct, sys, torch
def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(info["shape"])
    return out
d = sys.argv[1]
cfg = json.load(open(d + "/adapter/adapter_config.json"))
assert cfg["peft_type"] == "LORA" and cfg["task_type"] == "CAUSAL_LM", cfg
scaling = cfg["lora_alpha"] / cfg["r"]
lora = read(d + "/adapter/adapter_model.safetensors")
base, merged = read(d + "/base/model.safetensors"), read(d + "/merged/model.safetensors")
worst, modules = 0.0, 0
for key in sorted(lora):
    if not key.endswith(".lora_A.weight"):
        continue
    module = key[len("base_model.model."):-len(".lora_A.weight")]
    a, b = lora[key], lora[key.replace("lora_A", "lora_B")]
    assert a.shape[0] == cfg["r"] and b.shape[1] == cfg["r"], (key, a.shape, b.shape)
    want = base[module + ".weight"] + scaling * (b @ a)
    worst = max(worst, (want - merged[module + ".weight"]).abs().max().item())
    modules += 1
print("modules=%d max_abs_diff=%.3g" % (modules, worst))
sys.exit(0 if modules == 14 and worst <= 1e-6 else 1)
)PY";

TEST(LoraPython, MergedWeightsEqualBasePlusScaledBA) {
  const fs::path dir = TempDir("python");
  CausalLM model = RandomModel();
  ASSERT_TRUE(SaveCausalLM(model, (dir / "base").string()).ok());
  LoraAdapter adapter = Attach(model, Options(4, 12, 0.0, kAllSeven));
  Perturb(adapter, 33, /*also_a=*/true);
  ASSERT_TRUE(SaveLoraAdapter(adapter, (dir / "adapter").string()).ok());
  adapter->Merge();
  ASSERT_TRUE(SaveCausalLM(model, (dir / "merged").string()).ok());
  const fs::path script = dir / "check.py";
  ASSERT_TRUE(common::WriteFileAtomic(script.string(), kPythonCheck).ok());
  const test_support::CommandResult r =
      test_support::RunCommand("/usr/bin/python3 " + script.string() + " " + dir.string());
  EXPECT_TRUE(r.ok()) << "python3-torch check failed (needs python3-torch: scripts/install-deps.sh):\n" << r.output;
  EXPECT_NE(r.output.find("modules=14"), std::string::npos) << r.output;
  std::cout << r.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ecgbench::worker::nn
