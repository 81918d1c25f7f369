// config.json parsing for the vision encoders: transformers' class defaults for the real base
// checkpoints' sparse configs, exact error messages naming file and field, and serialisation
// round trips.
#include "worker/nn/vision/vision_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecgbench::worker::nn {
namespace {

using ::testing::HasSubstr;

VisionConfig Parse(const char* json) {
  absl::StatusOr<VisionConfig> c = ParseVisionConfig(json, "cfg.json");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : VisionConfig{};
}

std::string ParseError(const char* json) {
  absl::StatusOr<VisionConfig> c = ParseVisionConfig(json, "cfg.json");
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

// The shape of openai/clip-vit-base-patch32's config.json (text fields trimmed).
TEST(VisionConfig, ClipBaseTakesVisionConfigAndTopLevelProjection) {
  const VisionConfig c = Parse(R"({"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 512,
      "logit_scale_init_value": 2.6592, "text_config": {"hidden_size": 512},
      "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                        "num_hidden_layers": 12, "patch_size": 32, "projection_dim": 512}})");
  EXPECT_EQ(c.architecture, VisionArchitecture::kClip);
  EXPECT_EQ(c.image_size, 224);
  EXPECT_EQ(c.patch_size, 32);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.hidden_act, VisionActivation::kQuickGelu);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-5);
  EXPECT_EQ(c.sequence_length(), 50);
  EXPECT_EQ(c.embed_dim(), 512);
}

// google/siglip-base-patch16-224's vision_config holds little more than patch_size.
TEST(VisionConfig, SiglipBaseRelyOnSiglipVisionConfigDefaults) {
  const VisionConfig c = Parse(R"({"architectures": ["SiglipModel"], "model_type": "siglip",
      "vision_config": {"model_type": "siglip_vision_model", "patch_size": 16}})");
  EXPECT_EQ(c.architecture, VisionArchitecture::kSiglip);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.hidden_act, VisionActivation::kGeluTanh);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-6);
  EXPECT_EQ(c.sequence_length(), 196);
  EXPECT_EQ(c.embed_dim(), 768);
}

TEST(VisionConfig, VitTopLevelAndMaskedImageModelingFromArchitectures) {
  const char* in21k = R"({"architectures": ["ViTModel"], "model_type": "vit", "hidden_size": 768,
      "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu",
      "layer_norm_eps": 1e-12, "image_size": 224, "patch_size": 16, "num_channels": 3, "qkv_bias": true})";
  const VisionConfig c = Parse(in21k);
  EXPECT_EQ(c.architecture, VisionArchitecture::kVit);
  EXPECT_FALSE(c.masked_image_modeling);
  EXPECT_EQ(c.hidden_act, VisionActivation::kGelu);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_EQ(c.sequence_length(), 197);
  EXPECT_EQ(c.encoder_stride, 16);
  const VisionConfig mim = Parse(R"({"architectures": ["ViTForMaskedImageModeling"], "model_type": "vit"})");
  EXPECT_TRUE(mim.masked_image_modeling);
}

TEST(VisionConfig, ErrorsNameFileAndField) {
  EXPECT_EQ(ParseError(R"({"model_type": "clip", "vision_config": {"image_size": 32, "patch_size": 5}})"),
            "cfg.json: field \"vision_config.patch_size\": 5 does not divide image_size 32");
  EXPECT_EQ(ParseError(R"({"model_type": "vit", "hidden_size": "big"})"),
            "cfg.json: field \"hidden_size\": must be an integer, got \"big\"");
  EXPECT_EQ(ParseError(R"({"model_type": "vit", "hidden_size": 30, "num_attention_heads": 4})"),
            "cfg.json: field \"num_attention_heads\": 4 does not divide hidden_size 30");
  EXPECT_EQ(ParseError(R"({"model_type": "siglip", "vision_config": {"hidden_act": "swish"}})"),
            "cfg.json: field \"vision_config.hidden_act\": activation \"swish\" is not supported (supported: "
            "quick_gelu, gelu, gelu_pytorch_tanh, gelu_new, gelu_fast)");
  EXPECT_EQ(ParseError(R"({"model_type": "llama"})"),
            "cfg.json: field \"model_type\": \"llama\" is not a supported vision encoder (supported: clip, "
            "siglip, vit)");
  EXPECT_EQ(ParseError(R"({"hidden_size": 8})"), "cfg.json: field \"model_type\": required field is missing");
  EXPECT_EQ(ParseError(R"({"model_type": "clip", "projection_dim": 0})"),
            "cfg.json: field \"projection_dim\": must be a positive integer, got 0");
  EXPECT_EQ(ParseError(R"({"model_type": "clip", "vision_config": [1]})"),
            "cfg.json: field \"vision_config\": must be an object or null");
  EXPECT_EQ(ParseError(R"({"model_type": "siglip", "vision_config": {"vision_use_head": false}})"),
            "cfg.json: field \"vision_config.vision_use_head\": false is not supported: SiglipModel's image_embeds "
            "come from the attention-pooling head");
  EXPECT_EQ(ParseError(R"({"model_type": "vit", "architectures": ["ViTForMaskedImageModeling"], "encoder_stride": 8})"),
            "cfg.json: field \"encoder_stride\": must equal patch_size 16 for masked image modeling (the SimMIM "
            "decoder upsamples by it), got 8");
  EXPECT_THAT(ParseError("{not json"), HasSubstr("cfg.json"));
}

TEST(VisionConfig, LoadNamesTheMissingFile) {
  absl::StatusOr<VisionConfig> c = LoadVisionConfig("/nonexistent/vision/config.json");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("/nonexistent/vision/config.json"));
}

TEST(VisionConfig, SerializeRoundTrips) {
  for (VisionArchitecture arch : {VisionArchitecture::kClip, VisionArchitecture::kSiglip, VisionArchitecture::kVit}) {
    VisionConfig c = DefaultVisionConfig(arch);
    c.image_size = 48;
    c.patch_size = 12;
    c.hidden_size = 40;
    c.intermediate_size = 72;
    c.num_hidden_layers = 3;
    c.num_attention_heads = 5;
    c.layer_norm_eps = 1e-7;
    c.projection_dim = 24;
    c.encoder_stride = 12;
    c.masked_image_modeling = arch == VisionArchitecture::kVit;
    absl::StatusOr<std::string> text = SerializeVisionConfig(c);
    ASSERT_TRUE(text.ok()) << text.status();
    const VisionConfig back = Parse(text->c_str());
    EXPECT_EQ(back.architecture, arch);
    EXPECT_EQ(back.model_type, c.model_type);
    EXPECT_EQ(back.image_size, 48);
    EXPECT_EQ(back.patch_size, 12);
    EXPECT_EQ(back.hidden_size, 40);
    EXPECT_EQ(back.intermediate_size, 72);
    EXPECT_EQ(back.num_hidden_layers, 3);
    EXPECT_EQ(back.num_attention_heads, 5);
    EXPECT_DOUBLE_EQ(back.layer_norm_eps, 1e-7);
    EXPECT_EQ(back.hidden_act, c.hidden_act);
    EXPECT_EQ(back.hidden_act_name, c.hidden_act_name);
    EXPECT_EQ(back.embed_dim(), c.embed_dim());
    EXPECT_EQ(back.masked_image_modeling, c.masked_image_modeling);
  }
  VisionConfig bad = DefaultVisionConfig(VisionArchitecture::kVit);
  bad.num_hidden_layers = 0;
  EXPECT_EQ(SerializeVisionConfig(bad).status().message(),
            "vision config: field \"num_hidden_layers\": must be a positive integer, got 0");
}

}  // namespace
}  // namespace ecgbench::worker::nn
