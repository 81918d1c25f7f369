// Vision encoders (CLIP, SigLIP, ViT) on tiny random configs: embedding parity with
// reference_vision.py (plain PyTorch from Hugging Face's modeling files, run by /usr/bin/python3
// with Debian's python3-torch; max abs diff <= 1e-4 in fp32), checkpoint loading (text towers and
// shards accepted; missing, mis-shaped and unknown tensors named), determinism, batch-row
// independence, input checks, and ViT's masked image modeling (mask, SimMIM loss, gradients).
#include <ATen/CPUGeneratorImpl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "tests/unit/worker/nn/parity_util.h"
#include "worker/nn/vision/vision_encoder.h"
#include "worker/nn/vision/vision_models.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::DType;
using common::model_io::SafetensorsWriter;
using ::testing::HasSubstr;
using testing::FreshDir;
using testing::MaxDiff;
using testing::ParseDiff;

// Image 32x32, patch 8 (16 patches), hidden 32, 2 layers, 4 heads; CLIP projects to 24.
VisionConfig Tiny(VisionArchitecture arch, bool masked_image_modeling = false) {
  VisionConfig c = DefaultVisionConfig(arch);
  c.image_size = 32;
  c.patch_size = 8;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.projection_dim = 24;
  c.encoder_stride = 8;
  c.masked_image_modeling = masked_image_modeling;
  return c;
}

std::shared_ptr<VisionEncoder> MakeRandom(const VisionConfig& c, uint64_t seed) {
  absl::StatusOr<std::shared_ptr<VisionEncoder>> e = CreateVisionEncoder(c);
  EXPECT_TRUE(e.ok()) << e.status();
  RandomInit(**e, seed, 0.2);
  (*e)->eval();
  return *e;
}

torch::Tensor Pixels(int64_t batch, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  return torch::randn({batch, 3, 32, 32}, g, torch::kFloat);
}

std::shared_ptr<VisionEncoder> Load(const std::filesystem::path& dir, const VisionLoadOptions& options = {}) {
  absl::StatusOr<std::shared_ptr<VisionEncoder>> e = LoadVisionEncoder(dir.string(), options);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : nullptr;
}

void AddFloat(SafetensorsWriter& w, const std::string& name, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat).contiguous();
  ASSERT_TRUE(w.AddFloat32(name, c.sizes().vec(), {c.data_ptr<float>(), static_cast<size_t>(c.numel())}).ok()) << name;
}

// Writes config.json and model.safetensors from `encoder`'s parameters (HF names: ViT without
// "vit."), after `edit` changed the name -> tensor map.
void WriteCheckpoint(const std::filesystem::path& dir, VisionEncoder& encoder,
                     const std::function<void(std::map<std::string, torch::Tensor>&)>& edit) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : encoder.named_parameters()) tensors[item.key()] = item.value();
  edit(tensors);
  SafetensorsWriter w;
  for (const auto& [name, t] : tensors) AddFloat(w, name, t);
  ASSERT_TRUE(w.Write((dir / "model.safetensors").string()).ok());
  ASSERT_TRUE(common::WriteFileAtomic((dir / "config.json").string(), *SerializeVisionConfig(encoder.config())).ok());
}

std::string LoadError(const std::filesystem::path& dir) {
  absl::StatusOr<std::shared_ptr<VisionEncoder>> e = LoadVisionEncoder(dir.string());
  EXPECT_FALSE(e.ok());
  return std::string(e.status().message());
}

// Saves a seeded random tower, loads it back (the round trip must be exact) and writes the pixels
// and our outputs next to it as DIR/case.safetensors for reference_vision.py.
void WriteParityCase(const std::filesystem::path& dir, const VisionConfig& config) {
  const std::shared_ptr<VisionEncoder> original = MakeRandom(config, 11);
  ASSERT_TRUE(SaveVisionEncoder(*original, dir.string()).ok());
  const std::shared_ptr<VisionEncoder> model = Load(dir);
  ASSERT_NE(model, nullptr);
  torch::NoGradGuard no_grad;
  const torch::Tensor pixels = Pixels(3, 5);
  const torch::Tensor features = model->Features(pixels), embeds = model->Embed(pixels);
  ASSERT_EQ(embeds.sizes(), (std::vector<int64_t>{3, config.embed_dim()}));
  EXPECT_TRUE(torch::equal(embeds, original->Embed(pixels)));
  SafetensorsWriter w;
  AddFloat(w, "pixels", pixels);
  AddFloat(w, "features", features);
  AddFloat(w, "embeds", embeds);
  torch::Tensor mask_u8;
  if (config.masked_image_modeling) {
    auto* vit = dynamic_cast<VitVisionEncoder*>(model.get());
    ASSERT_NE(vit, nullptr);
    at::Generator g = at::detail::createCPUGenerator(9);
    const torch::Tensor mask = RandomPatchMask(3, config.num_patches(), 0.75, g);
    mask_u8 = mask.to(torch::kUInt8).contiguous();
    ASSERT_TRUE(w.Add("bool_masked_pos", DType::kU8, mask_u8.sizes().vec(), mask_u8.data_ptr(), mask_u8.numel()).ok());
    AddFloat(w, "masked_features", vit->MeanHiddenStates(pixels, mask));
    AddFloat(w, "simmim_loss", vit->MaskedImageModelingLoss(pixels, mask).reshape({1}));
  }
  ASSERT_TRUE(w.Write((dir / "case.safetensors").string()).ok());
}

// One reference process for all four cases (importing torch dominates its time); it prints one
// line per case: "NAME: features_max_abs_diff=X embeds_max_abs_diff=Y ...".
TEST(VisionParity, ClipSiglipVitAndSimMim) {
  const std::pair<std::string, VisionConfig> cases[] = {
      {"clip", Tiny(VisionArchitecture::kClip)},
      {"siglip", Tiny(VisionArchitecture::kSiglip)},
      {"vit", Tiny(VisionArchitecture::kVit)},
      {"vit_mim", Tiny(VisionArchitecture::kVit, /*masked_image_modeling=*/true)}};
  const std::filesystem::path root = FreshDir("ecgbench_vision_", "parity");
  std::string command = std::string("/usr/bin/python3 ") + ECGBENCH_VISION_REFERENCE;
  for (const auto& [name, config] : cases) {
    std::filesystem::create_directories(root / name);
    WriteParityCase(root / name, config);
    command += " " + (root / name).string();
  }
  const test_support::CommandResult r = test_support::RunCommand(command);
  ASSERT_TRUE(r.ok()) << "reference_vision.py failed (needs python3-torch: scripts/install-deps.sh):\n" << r.output;
  std::cout << r.output;
  for (const auto& [name, config] : cases) {
    const size_t at = r.output.find(name + ": ");
    ASSERT_NE(at, std::string::npos) << name << " missing from:\n" << r.output;
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    EXPECT_LE(ParseDiff(line, "features_max_abs_diff"), 1e-4) << line;
    EXPECT_LE(ParseDiff(line, "embeds_max_abs_diff"), 1e-4) << line;
    if (config.masked_image_modeling) {
      EXPECT_LE(ParseDiff(line, "masked_features_max_abs_diff"), 1e-4) << line;
      EXPECT_LE(ParseDiff(line, "simmim_loss_abs_diff"), 1e-4) << line;
    }
  }
  std::filesystem::remove_all(root);
}

TEST(VisionEncoder, ParameterNamesAreHuggingFaces) {
  const std::shared_ptr<VisionEncoder> clip = MakeRandom(Tiny(VisionArchitecture::kClip), 1);
  const auto clip_params = clip->named_parameters();
  for (const char* name : {"vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                           "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                           "vision_model.encoder.layers.1.self_attn.out_proj.bias",
                           "vision_model.encoder.layers.0.mlp.fc1.weight", "vision_model.post_layernorm.bias",
                           "visual_projection.weight"}) {
    EXPECT_NE(clip_params.find(name), nullptr) << name;
  }
  EXPECT_EQ(clip_params.find("vision_model.embeddings.patch_embedding.bias"), nullptr);
  EXPECT_EQ(clip_params.find("visual_projection.bias"), nullptr);
  EXPECT_EQ(clip_params.size(), 8u + 2 * 16u);
  const std::shared_ptr<VisionEncoder> siglip = MakeRandom(Tiny(VisionArchitecture::kSiglip), 1);
  const auto siglip_params = siglip->named_parameters();
  for (const char* name : {"vision_model.embeddings.patch_embedding.bias", "vision_model.head.probe",
                           "vision_model.head.attention.in_proj_weight", "vision_model.head.attention.in_proj_bias",
                           "vision_model.head.attention.out_proj.weight", "vision_model.head.layernorm.weight",
                           "vision_model.head.mlp.fc2.bias", "vision_model.encoder.layers.1.layer_norm2.weight"}) {
    EXPECT_NE(siglip_params.find(name), nullptr) << name;
  }
  const std::shared_ptr<VisionEncoder> vit = MakeRandom(Tiny(VisionArchitecture::kVit, true), 1);
  const auto vit_params = vit->named_parameters();
  for (const char* name : {"embeddings.cls_token", "embeddings.mask_token", "embeddings.position_embeddings",
                           "embeddings.patch_embeddings.projection.weight",
                           "encoder.layer.1.attention.attention.query.weight",
                           "encoder.layer.0.attention.output.dense.bias", "encoder.layer.0.intermediate.dense.weight",
                           "encoder.layer.1.output.dense.weight", "encoder.layer.1.layernorm_before.weight",
                           "encoder.layer.0.layernorm_after.bias", "layernorm.weight", "decoder.0.weight"}) {
    EXPECT_NE(vit_params.find(name), nullptr) << name;
  }
  EXPECT_EQ(vit_params["decoder.0.weight"].sizes(), (std::vector<int64_t>{8 * 8 * 3, 32, 1, 1}));
}

TEST(VisionEncoder, EmbedDimsAndUnitNorms) {
  torch::NoGradGuard no_grad;
  const torch::Tensor pixels = Pixels(2, 3);
  const std::shared_ptr<VisionEncoder> clip = MakeRandom(Tiny(VisionArchitecture::kClip), 2);
  const std::shared_ptr<VisionEncoder> siglip = MakeRandom(Tiny(VisionArchitecture::kSiglip), 2);
  const std::shared_ptr<VisionEncoder> vit = MakeRandom(Tiny(VisionArchitecture::kVit), 2);
  EXPECT_EQ(clip->embed_dim(), 24);
  EXPECT_EQ(siglip->embed_dim(), 32);
  EXPECT_EQ(vit->embed_dim(), 32);
  for (const auto& e : {clip, siglip}) {
    const torch::Tensor norms = e->Embed(pixels).norm(2, -1);
    EXPECT_LE(MaxDiff(norms, torch::ones({2})), 1e-6);
  }
  EXPECT_TRUE(torch::equal(vit->Embed(pixels), vit->Features(pixels)));
}

TEST(VisionEncoder, DeterministicInTrainAndEvalMode) {
  const torch::Tensor pixels = Pixels(2, 4);
  for (VisionArchitecture arch : {VisionArchitecture::kClip, VisionArchitecture::kSiglip, VisionArchitecture::kVit}) {
    const std::shared_ptr<VisionEncoder> a = MakeRandom(Tiny(arch), 7), b = MakeRandom(Tiny(arch), 7);
    torch::NoGradGuard no_grad;
    const torch::Tensor first = a->Embed(pixels);
    EXPECT_TRUE(torch::equal(first, a->Embed(pixels)));
    EXPECT_TRUE(torch::equal(first, b->Embed(pixels)));
    a->train();
    EXPECT_TRUE(torch::equal(first, a->Embed(pixels)));
    EXPECT_FALSE(torch::equal(first, MakeRandom(Tiny(arch), 8)->Embed(pixels)));
  }
}

TEST(VisionEncoder, BatchRowsAreIndependent) {
  torch::NoGradGuard no_grad;
  const torch::Tensor pixels = Pixels(3, 6);
  for (VisionArchitecture arch : {VisionArchitecture::kClip, VisionArchitecture::kSiglip, VisionArchitecture::kVit}) {
    const std::shared_ptr<VisionEncoder> e = MakeRandom(Tiny(arch), 3);
    const torch::Tensor batch = e->Embed(pixels);
    torch::Tensor changed = pixels.clone();
    changed[1].mul_(-2.0);
    const torch::Tensor other = e->Embed(changed);
    for (int64_t i = 0; i < 3; ++i) {
      EXPECT_LE(MaxDiff(batch[i], e->Embed(pixels.narrow(0, i, 1))[0]), 1e-5) << VisionArchitectureName(arch) << i;
    }
    EXPECT_LE(MaxDiff(batch[0], other[0]), 1e-5);
    EXPECT_LE(MaxDiff(batch[2], other[2]), 1e-5);
    EXPECT_GT(MaxDiff(batch[1], other[1]), 1e-3);
  }
}

TEST(VisionEncoder, RejectsPixelsOfTheWrongShape) {
  const std::shared_ptr<VisionEncoder> clip = MakeRandom(Tiny(VisionArchitecture::kClip), 1);
  try {
    clip->Embed(torch::zeros({2, 3, 16, 16}));
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what_without_backtrace(),
                HasSubstr("clip vision encoder: pixels must be floating [batch, 3, 32, 32], got Float [2, 3, 16, 16]"));
  }
  EXPECT_THROW(clip->Embed(torch::zeros({2, 3, 32, 32}, torch::kLong)), c10::Error);
  EXPECT_THROW(clip->Embed(torch::zeros({3, 32, 32})), c10::Error);
  EXPECT_THROW(clip->Embed(torch::Tensor()), c10::Error);
}

// A CLIPModel checkpoint holds the text tower too, here sharded over two files by an index.
TEST(VisionLoad, ClipCheckpointWithTextTowerAndShardsLoads) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "clip_text");
  const std::shared_ptr<VisionEncoder> clip = MakeRandom(Tiny(VisionArchitecture::kClip), 4);
  SafetensorsWriter vision_shard, text_shard;
  std::string weight_map;
  int i = 0;
  for (const auto& item : clip->named_parameters()) {
    const bool first = i++ % 2 == 0;
    AddFloat(first ? vision_shard : text_shard, item.key(), item.value());
    const char* shard = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
    weight_map += "\"" + item.key() + "\": \"" + shard + "\", ";
  }
  const std::map<std::string, torch::Tensor> text = {
      {"text_model.embeddings.token_embedding.weight", torch::ones({10, 16})},
      {"text_model.final_layer_norm.weight", torch::ones({16})},
      {"text_projection.weight", torch::ones({24, 16})},
      {"logit_scale", torch::ones({})}};
  for (const auto& [name, t] : text) {
    AddFloat(text_shard, name, t);
    weight_map += "\"" + name + "\": \"model-00002-of-00002.safetensors\", ";
  }
  const torch::Tensor position_ids = torch::arange(17, torch::kLong).reshape({1, 17});
  ASSERT_TRUE(text_shard.Add("vision_model.embeddings.position_ids", DType::kI64, {1, 17}, position_ids.data_ptr(),
                             17 * sizeof(int64_t)).ok());
  weight_map += "\"vision_model.embeddings.position_ids\": \"model-00002-of-00002.safetensors\"";
  ASSERT_TRUE(vision_shard.Write((dir / "model-00001-of-00002.safetensors").string()).ok());
  ASSERT_TRUE(text_shard.Write((dir / "model-00002-of-00002.safetensors").string()).ok());
  ASSERT_TRUE(common::WriteFileAtomic((dir / "model.safetensors.index.json").string(),
                                      "{\"metadata\": {}, \"weight_map\": {" + weight_map + "}}").ok());
  ASSERT_TRUE(common::WriteFileAtomic((dir / "config.json").string(), *SerializeVisionConfig(clip->config())).ok());
  const std::shared_ptr<VisionEncoder> loaded = Load(dir);
  ASSERT_NE(loaded, nullptr);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(loaded->Embed(Pixels(2, 1)), clip->Embed(Pixels(2, 1))));
  std::filesystem::remove_all(dir);
}

TEST(VisionLoad, MissingTensorIsNamedWithItsShape) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "missing");
  const std::shared_ptr<VisionEncoder> clip = MakeRandom(Tiny(VisionArchitecture::kClip), 4);
  WriteCheckpoint(dir, *clip, [](auto& t) { t.erase("vision_model.post_layernorm.bias"); });
  EXPECT_THAT(LoadError(dir), HasSubstr("checkpoint lacks tensor 'vision_model.post_layernorm.bias' (the clip vision "
                                        "encoder expects shape [32])"));
  std::filesystem::remove_all(dir);
}

TEST(VisionLoad, WrongShapeNamesBothShapes) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "shape");
  const std::shared_ptr<VisionEncoder> siglip = MakeRandom(Tiny(VisionArchitecture::kSiglip), 4);
  WriteCheckpoint(dir, *siglip, [](auto& t) { t["vision_model.head.probe"] = torch::zeros({1, 1, 16}); });
  EXPECT_EQ(LoadError(dir),
            "checkpoint tensor 'vision_model.head.probe' has shape [1, 1, 16], the model expects [1, 1, 32]");
  std::filesystem::remove_all(dir);
}

TEST(VisionLoad, UnknownVisionTensorIsAnError) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "unknown");
  const std::shared_ptr<VisionEncoder> clip = MakeRandom(Tiny(VisionArchitecture::kClip), 4);
  WriteCheckpoint(dir, *clip,
                  [](auto& t) { t["vision_model.encoder.layers.2.mlp.fc1.weight"] = torch::zeros({64, 32}); });
  EXPECT_EQ(LoadError(dir), "checkpoint has 1 tensor(s) the clip vision encoder does not have: "
                            "'vision_model.encoder.layers.2.mlp.fc1.weight' [64, 32] in " +
                                (dir / "model.safetensors").string());
  std::filesystem::remove_all(dir);
}

TEST(VisionLoad, UnknownModelTypeNamesTheConfig) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "type");
  ASSERT_TRUE(common::WriteFileAtomic((dir / "config.json").string(), R"({"model_type": "dinov2"})").ok());
  EXPECT_EQ(LoadError(dir), (dir / "config.json").string() +
                                ": field \"model_type\": \"dinov2\" is not a supported vision encoder (supported: "
                                "clip, siglip, vit)");
  std::filesystem::remove_all(dir);
}

// vit-base-patch16-224-in21k is a ViTModel checkpoint (with a pooler): it loads as is, and for
// SimMIM pretraining with a fresh mask_token and decoder, as transformers does.
TEST(VisionLoad, VitModelCheckpointLoadsPlainAndForMaskedImageModeling) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "vit_in21k");
  const std::shared_ptr<VisionEncoder> vit = MakeRandom(Tiny(VisionArchitecture::kVit), 4);
  WriteCheckpoint(dir, *vit, [](auto& t) {
    t["pooler.dense.weight"] = torch::zeros({32, 32});
    t["pooler.dense.bias"] = torch::zeros({32});
  });
  const std::shared_ptr<VisionEncoder> plain = Load(dir);
  VisionLoadOptions options;
  options.masked_image_modeling = true;
  options.init_seed = 5;
  const std::shared_ptr<VisionEncoder> mim = Load(dir, options);
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(mim, nullptr);
  EXPECT_FALSE(plain->config().masked_image_modeling);
  EXPECT_TRUE(mim->config().masked_image_modeling);
  const auto params = mim->named_parameters();
  EXPECT_TRUE(torch::equal(params["embeddings.mask_token"], torch::zeros({1, 1, 32})));
  EXPECT_TRUE(torch::equal(params["decoder.0.bias"], torch::zeros({192})));
  const double stddev = params["decoder.0.weight"].std().item<double>();
  EXPECT_GT(stddev, 0.015);
  EXPECT_LT(stddev, 0.025);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(plain->Embed(Pixels(2, 2)), mim->Embed(Pixels(2, 2))));
  std::filesystem::remove_all(dir);
}

TEST(VisionLoad, MaskedImageModelingLayoutRoundTripsWithVitPrefix) {
  const std::filesystem::path dir = FreshDir("ecgbench_vision_", "vit_mim_names");
  const std::shared_ptr<VisionEncoder> vit = MakeRandom(Tiny(VisionArchitecture::kVit, true), 4);
  ASSERT_TRUE(SaveVisionEncoder(*vit, dir.string(), DType::kBF16).ok());
  absl::StatusOr<common::model_io::Checkpoint> checkpoint = common::model_io::Checkpoint::OpenDirectory(dir.string());
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_TRUE(checkpoint->Contains("vit.embeddings.mask_token"));
  EXPECT_TRUE(checkpoint->Contains("vit.encoder.layer.0.attention.attention.query.weight"));
  EXPECT_TRUE(checkpoint->Contains("decoder.0.weight"));
  EXPECT_FALSE(checkpoint->Contains("embeddings.cls_token"));
  const std::shared_ptr<VisionEncoder> loaded = Load(dir);
  ASSERT_NE(loaded, nullptr);
  EXPECT_TRUE(loaded->config().masked_image_modeling);
  torch::NoGradGuard no_grad;
  // bf16 storage: close, not equal.
  EXPECT_LE(MaxDiff(loaded->Embed(Pixels(2, 2)), vit->Embed(Pixels(2, 2))), 0.1);
  std::filesystem::remove_all(dir);
}

TEST(VitMaskedImageModeling, RandomPatchMaskIsExactAndSeeded) {
  at::Generator a = at::detail::createCPUGenerator(3), b = at::detail::createCPUGenerator(3);
  const torch::Tensor mask = RandomPatchMask(4, 16, 0.75, a);
  EXPECT_EQ(mask.scalar_type(), torch::kBool);
  EXPECT_TRUE(torch::equal(mask.sum(1), torch::full({4}, 12, torch::kLong)));
  EXPECT_TRUE(torch::equal(mask, RandomPatchMask(4, 16, 0.75, b)));
  EXPECT_FALSE(torch::equal(mask[0], mask[1]) && torch::equal(mask[1], mask[2]) && torch::equal(mask[2], mask[3]));
  EXPECT_EQ(RandomPatchMask(2, 16, 0.0, a).sum().item<int64_t>(), 0);
  EXPECT_THROW(RandomPatchMask(2, 16, 1.5, a), c10::Error);
}

TEST(VitMaskedImageModeling, LossTrainsMaskTokenAndDecoder) {
  const std::shared_ptr<VisionEncoder> model = MakeRandom(Tiny(VisionArchitecture::kVit, true), 6);
  auto* vit = dynamic_cast<VitVisionEncoder*>(model.get());
  ASSERT_NE(vit, nullptr);
  model->train();
  at::Generator g = at::detail::createCPUGenerator(1);
  const torch::Tensor pixels = Pixels(2, 8), mask = RandomPatchMask(2, 16, 0.75, g);
  const torch::Tensor loss = vit->MaskedImageModelingLoss(pixels, mask);
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_GT(loss.item<double>(), 0.0);
  loss.backward();
  const auto params = model->named_parameters();
  EXPECT_GT(params["embeddings.mask_token"].grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(params["decoder.0.weight"].grad().abs().sum().item<double>(), 0.0);
  // No masked patch: nothing to reconstruct.
  EXPECT_EQ(vit->MaskedImageModelingLoss(pixels, torch::zeros({2, 16}, torch::kBool)).item<double>(), 0.0);
  // A mask needs the mask token; a plain ViT has none.
  const std::shared_ptr<VisionEncoder> plain = MakeRandom(Tiny(VisionArchitecture::kVit), 6);
  EXPECT_THROW(dynamic_cast<VitVisionEncoder&>(*plain).MeanHiddenStates(pixels, mask), c10::Error);
  EXPECT_THROW(dynamic_cast<VitVisionEncoder&>(*plain).MaskedImageModelingLoss(pixels, mask), c10::Error);
  EXPECT_THROW(vit->MeanHiddenStates(pixels, torch::zeros({2, 15}, torch::kBool)), c10::Error);
}

}  // namespace
}  // namespace ecgbench::worker::nn
