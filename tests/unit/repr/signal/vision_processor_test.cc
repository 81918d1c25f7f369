// VisionProcessor: outputs within 1e-6 of numpy running transformers' steps (PIL resize, center
// crop with padding, rescale, normalize) for the CLIP / SigLIP / ViT presets and odd configs;
// output sizes (CLIP's 224 x 23333 intermediate for a stacked signal); bad input.
#include "common/repr/signal/vision_processor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/unit/repr/signal/reference.h"

namespace ecgbench::common::repr {
namespace {

using testing::ReadRaw;
using testing::WriteRaw;

nlohmann::json ConfigJson(const VisionProcessorConfig& c) {
  return {{"do_resize", c.do_resize},
          {"mode", c.resize_mode == ResizeMode::kShortestEdge ? "shortest_edge" : "height_width"},
          {"shortest_edge", c.shortest_edge},
          {"height", c.height},
          {"width", c.width},
          {"resample", PilCode(c.resample)},
          {"do_center_crop", c.do_center_crop},
          {"crop_height", c.crop_height},
          {"crop_width", c.crop_width},
          {"do_rescale", c.do_rescale},
          {"rescale_factor", c.rescale_factor},
          {"do_normalize", c.do_normalize},
          {"image_mean", {c.image_mean[0], c.image_mean[1], c.image_mean[2]}},
          {"image_std", {c.image_std[0], c.image_std[1], c.image_std[2]}}};
}

struct Case {
  VisionProcessorConfig config;
  int h, w;
};

TEST(VisionProcessorTest, MatchesTransformersStepsInNumpy) {
  VisionProcessorConfig padded = ClipPreset();  // crop larger than the resized image: zero padding
  padded.shortest_edge = 200;
  padded.crop_height = 224;
  padded.crop_width = 180;
  VisionProcessorConfig odd = SiglipPreset();  // no rescale: normalize casts uint8 to float32
  odd.do_rescale = false;
  odd.height = 97;
  odd.width = 131;
  VisionProcessorConfig plain = VitPreset();
  plain.do_resize = false;
  plain.do_normalize = false;
  VisionProcessorConfig tall = ClipPreset();
  const std::vector<Case> cases = {
      {ClipPreset(), 12, 1250}, {SiglipPreset(), 12, 1250}, {VitPreset(), 12, 1250}, {ClipPreset(), 12, 2500},
      {ClipPreset(), 720, 1000}, {SiglipPreset(), 720, 1000}, {VitPreset(), 720, 400}, {padded, 12, 1250},
      {padded, 300, 150},       {odd, 50, 60},               {plain, 20, 30},        {tall, 1000, 720}};
  test_support::TempDir dir;
  nlohmann::json jobs = nlohmann::json::array();
  std::vector<std::vector<uint8_t>> inputs;
  for (size_t i = 0; i < cases.size(); ++i) {
    inputs.push_back(testing::RandomImage(cases[i].h, cases[i].w, 100 + i));
    const std::string in = dir / ("in" + std::to_string(i));
    WriteRaw(in, inputs.back());
    jobs.push_back({{"op", "process"}, {"in", in}, {"h", cases[i].h}, {"w", cases[i].w},
                    {"config", ConfigJson(cases[i].config)}, {"out", dir / ("out" + std::to_string(i))}});
  }
  const absl::Status ran = testing::RunReference(dir, jobs);
  ASSERT_TRUE(ran.ok()) << ran;
  VisionWorkspace workspace;  // shared across cases: the plan cache must follow the geometry
  double worst = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    auto processor = VisionProcessor::Create(cases[i].config);
    ASSERT_TRUE(processor.ok()) << processor.status();
    auto size = processor->OutputSize(cases[i].h, cases[i].w);
    ASSERT_TRUE(size.ok());
    const std::vector<float> expected = ReadRaw<float>(dir / ("out" + std::to_string(i)));
    ASSERT_EQ(expected.size(), 3u * size->first * size->second);
    std::vector<float> got(expected.size());
    ASSERT_TRUE(processor->Process(inputs[i], cases[i].h, cases[i].w, &workspace, absl::MakeSpan(got)).ok());
    double max_diff = 0;
    for (size_t k = 0; k < got.size(); ++k) max_diff = std::max(max_diff, std::fabs(double{got[k]} - expected[k]));
    EXPECT_LE(max_diff, 1e-6);
    worst = std::max(worst, max_diff);
  }
  std::printf("vision processor parity: max |diff| = %.3g over %zu cases\n", worst, cases.size());
}

TEST(VisionProcessorTest, ClipUpsamplesAStackedSignalThenCropsItsCenter) {
  auto clip = VisionProcessor::Create(ClipPreset());
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(*clip->ResizedSize(12, 1250), std::make_pair(224, 23333));
  EXPECT_EQ(*clip->OutputSize(12, 1250), std::make_pair(224, 224));
  EXPECT_EQ(*clip->ResizedSize(720, 1000), std::make_pair(224, 311));
  EXPECT_EQ(*clip->ResizedSize(1000, 720), std::make_pair(311, 224));
  auto siglip = VisionProcessor::Create(SiglipPreset());
  EXPECT_EQ(*siglip->OutputSize(12, 1250), std::make_pair(224, 224));
}

TEST(VisionProcessorTest, BadInputIsAnError) {
  auto clip = VisionProcessor::Create(ClipPreset());
  VisionWorkspace ws;
  std::vector<uint8_t> image(12 * 100 * 3);
  std::vector<float> out(3 * 224 * 224);
  EXPECT_EQ(clip->Process(image, 12, 99, &ws, absl::MakeSpan(out)).message(),
            "vision processor: image has 3600 bytes, expected 12x99x3");
  std::vector<float> small(10);
  EXPECT_EQ(clip->Process(image, 12, 100, &ws, absl::MakeSpan(small)).message(),
            "vision processor: output has 10 floats, expected 3x224x224");
  EXPECT_EQ(clip->Process(image, 0, 100, &ws, absl::MakeSpan(out)).message(), "vision processor: image size 0x100");
  EXPECT_EQ(clip->ResizedSize(1, 100000).status().message(),
            "vision processor: resizing 1x100000 to shortest edge 224 exceeds 2^24 pixels");
  VisionProcessorConfig zero_std = VitPreset();
  zero_std.image_std[1] = 0;
  EXPECT_EQ(VisionProcessor::Create(zero_std).status().message(), "vision processor \"vit\": image_std[1] is 0");
  VisionProcessorConfig no_crop = ClipPreset();
  no_crop.crop_width = 0;
  EXPECT_EQ(VisionProcessor::Create(no_crop).status().message(),
            "vision processor \"clip\": crop_size must be in [1, 65536]");
}

}  // namespace
}  // namespace ecgbench::common::repr
