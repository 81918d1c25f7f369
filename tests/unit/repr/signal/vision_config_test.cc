// Vision processor presets and the preprocessor_config.json loader: the real configs of the
// encoders upstream uses, old (int size) and new (dict size) styles, and errors naming the field.
#include "common/repr/signal/vision_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::repr {
namespace {

VisionProcessorConfig Parse(const std::string& text) {
  auto c = ParsePreprocessorConfig(nlohmann::json::parse(text), "cfg.json");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : VisionProcessorConfig{};
}

std::string Error(const std::string& text) {
  return std::string(ParsePreprocessorConfig(nlohmann::json::parse(text), "cfg.json").status().message());
}

TEST(VisionConfigTest, PresetsMatchTheHubConfigs) {
  const VisionProcessorConfig clip = ClipPreset();
  EXPECT_EQ(clip.resize_mode, ResizeMode::kShortestEdge);
  EXPECT_EQ(clip.shortest_edge, 224);
  EXPECT_TRUE(clip.do_center_crop);
  EXPECT_EQ(clip.image_mean[0], 0.48145466f);
  EXPECT_EQ(clip.image_std[2], 0.27577711f);
  EXPECT_EQ(SiglipPreset().resample, ResampleFilter::kBicubic);
  EXPECT_EQ(VitPreset().resample, ResampleFilter::kBilinear);
  EXPECT_FALSE(VitPreset().do_center_crop);
  EXPECT_EQ(VisionPresetByName("siglip")->name, "siglip");
  EXPECT_EQ(VisionPresetByName("blip").status().message(),
            "unknown vision processor preset \"blip\" (expected clip, siglip or vit)");
}

TEST(VisionConfigTest, ReadsRealConfigs) {
  // openai/clip-vit-base-patch32 (old style: int size and crop_size).
  VisionProcessorConfig c = Parse(R"({"crop_size": 224, "do_center_crop": true, "do_normalize": true,
      "do_resize": true, "feature_extractor_type": "CLIPFeatureExtractor",
      "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
      "resample": 3, "size": 224})");
  EXPECT_EQ(c.resize_mode, ResizeMode::kShortestEdge);
  EXPECT_EQ(c.shortest_edge, 224);
  EXPECT_EQ(c.crop_height, 224);
  EXPECT_EQ(c.crop_width, 224);
  EXPECT_EQ(c.name, "cfg.json");
  // openai/clip-vit-large-patch14 (new style).
  c = Parse(R"({"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true,
      "do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
      "image_processor_type": "CLIPImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
      "processor_class": "CLIPProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
      "size": {"shortest_edge": 336}})");
  EXPECT_EQ(c.shortest_edge, 336);
  EXPECT_EQ(c.rescale_factor, 0.00392156862745098);
  // google/siglip-base-patch16-224.
  c = Parse(R"({"do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
      "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
      "processor_class": "SiglipProcessor",
      "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}})");
  EXPECT_EQ(c.resize_mode, ResizeMode::kHeightWidth);
  EXPECT_EQ(c.height, 224);
  EXPECT_FALSE(c.do_center_crop);
  // google/vit-base-patch16-224 (int size is square for ViT; defaults fill the rest).
  c = Parse(R"({"do_normalize": true, "do_resize": true, "feature_extractor_type": "ViTFeatureExtractor",
      "image_mean": 0.5, "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 384})");
  EXPECT_EQ(c.resize_mode, ResizeMode::kHeightWidth);
  EXPECT_EQ(c.height, 384);
  EXPECT_EQ(c.width, 384);
  EXPECT_EQ(c.resample, ResampleFilter::kBilinear);
  EXPECT_TRUE(c.do_rescale);
  EXPECT_EQ(c.image_mean[2], 0.5f);
}

TEST(VisionConfigTest, ErrorsNameFileAndField) {
  EXPECT_EQ(Error(R"({"size": 224})"),
            "cfg.json: field \"image_processor_type\" is missing (nor is there a feature_extractor_type)");
  EXPECT_EQ(Error(R"({"image_processor_type": "BlipImageProcessor"})"),
            "cfg.json: field \"image_processor_type\" is \"BlipImageProcessor\"; supported: CLIP*, Siglip*, ViT* image "
            "processors");
  EXPECT_EQ(Error(R"({"image_processor_type": "CLIPImageProcessor", "resample": 1})"),
            "cfg.json: field \"resample\" is 1; supported: 2 (BILINEAR), 3 (BICUBIC)");
  EXPECT_EQ(Error(R"({"image_processor_type": "CLIPImageProcessor", "resample": "bicubic"})"),
            "cfg.json: field \"resample\" must be a PIL filter code (2 or 3)");
  EXPECT_EQ(Error(R"({"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 224}})"),
            "cfg.json: field \"size\" {\"shortest_edge\"} is only supported for CLIP processors");
  EXPECT_EQ(Error(R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 0, "width": 3}})"),
            "cfg.json: field \"size.height\" must be an integer in [1, 65536]");
  EXPECT_EQ(Error(R"({"image_processor_type": "ViTImageProcessor", "crop_size": [1, 2]})"),
            "cfg.json: field \"crop_size\" must be an integer or {\"height\", \"width\"}");
  EXPECT_EQ(Error(R"({"image_processor_type": "ViTImageProcessor", "image_mean": [0.5, 0.5]})"),
            "cfg.json: field \"image_mean\" must be a number or a list of 3 numbers");
  EXPECT_EQ(Error(R"({"image_processor_type": "ViTImageProcessor", "image_std": [0.5, 0, 0.5]})"),
            "cfg.json: field \"image_std\" must hold finite numbers > 0");
  EXPECT_EQ(Error(R"({"image_processor_type": "ViTImageProcessor", "do_resize": "yes"})"),
            "cfg.json: field \"do_resize\" must be true or false");
  EXPECT_EQ(Error(R"({"image_processor_type": "ViTImageProcessor", "do_pad": true})"),
            "cfg.json: field \"do_pad\" is true, but that step is not supported");
  EXPECT_EQ(Error(R"([1, 2])"), "cfg.json: not a JSON object");
}

TEST(VisionConfigTest, LoadsFilesAndReportsBadOnes) {
  test_support::TempDir dir;
  std::ofstream(dir / "ok.json") << R"({"image_processor_type": "SiglipImageProcessor"})";
  auto ok = LoadPreprocessorConfig(dir / "ok.json");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->name, dir / "ok.json");
  std::ofstream(dir / "bad.json") << "{\"size\": ";
  auto bad = LoadPreprocessorConfig(dir / "bad.json");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(dir / "bad.json"), std::string::npos) << bad.status();
  auto missing = LoadPreprocessorConfig(dir / "missing.json");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.json"), std::string::npos) << missing.status();
}

}  // namespace
}  // namespace ecgbench::common::repr
