// ParseRepresentationOptions: defaults, each kind's fields and artifacts, and errors naming the field.
#include "common/repr/batch/representation_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal/percentile_stats.h"
#include "tests/unit/repr/batch/test_segments.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::repr {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

std::string ErrorOf(const json& rep, const RepresentationArtifacts& artifacts = {}) {
  auto options = ParseRepresentationOptions(rep, artifacts);
  if (options.ok()) return "OK";
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << options.status();
  return std::string(options.status().message());
}

TEST(RepresentationOptionsTest, EmptySectionTakesTheSpecDefaults) {
  auto options = ParseRepresentationOptions(json::object(), {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->kind, RepresentationKind::kSignal);
  EXPECT_EQ(options->normalizer.kind(), NormalizerKind::kMinMax);
  EXPECT_EQ(options->perturbation, Perturbation::kNone);
  EXPECT_EQ(options->seed, 0u);
  EXPECT_EQ(options->max_tokens, 0);
  EXPECT_EQ(options->tokenizer, nullptr);
}

TEST(RepresentationOptionsTest, SpecJsonOfASignalRepresentation) {
  // The shape ToJson(RepresentationSpec) produces (nulls for absent paths).
  const json rep = {{"kind", "signal"},
                    {"encoder", {{"name", "projection"}, {"path", nullptr}, {"pretrain", false}}},
                    {"encoder_tokens", 1},
                    {"normalization", "minmax"},
                    {"ecg_byte", {{"merges", 6000}, {"samples", 300000}, {"tokenizer", nullptr}}},
                    {"perturb", "noise"},
                    {"image", {{"layout", "2x6"}, {"augment", false}}}};
  auto options = ParseRepresentationOptions(rep, {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->kind, RepresentationKind::kSignal);
  EXPECT_EQ(options->perturbation, Perturbation::kNoise);
  EXPECT_FALSE(options->zscore);
  auto zscore = ParseRepresentationOptions({{"kind", "signal"}, {"normalization", "zscore"}}, {});
  ASSERT_TRUE(zscore.ok()) << zscore.status();
  EXPECT_TRUE(zscore->zscore);
}

TEST(RepresentationOptionsTest, ImageReadsLayoutAugmentAndThePresetOfTheEncoder) {
  const json rep = {{"kind", "image"},
                    {"encoder", {{"name", "siglip"}, {"path", nullptr}}},
                    {"perturb", "blackout"},
                    {"image", {{"layout", "4x3+rhythm"}, {"augment", true}}}};
  auto options = ParseRepresentationOptions(rep, {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->kind, RepresentationKind::kImage);
  EXPECT_EQ(options->perturbation, Perturbation::kBlackout);
  EXPECT_EQ(options->image_layout, EcgLayout::k4x3Rhythm);
  EXPECT_TRUE(options->augment);
  EXPECT_EQ(options->vision.name, SiglipPreset().name);
  EXPECT_EQ(options->vision.resize_mode, ResizeMode::kHeightWidth);
  EXPECT_FALSE(options->vision.do_center_crop);
}

TEST(RepresentationOptionsTest, StackedSignalWithAnEncoderNameString) {
  auto options = ParseRepresentationOptions({{"kind", "stacked_signal"}, {"encoder", "clip"}}, {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->kind, RepresentationKind::kStackedSignal);
  EXPECT_EQ(options->vision.name, ClipPreset().name);
  EXPECT_EQ(options->vision.resize_mode, ResizeMode::kShortestEdge);
  EXPECT_TRUE(options->vision.do_center_crop);
}

TEST(RepresentationOptionsTest, PreprocessorConfigFromTheEncoderDirectoryOrTheArtifact) {
  test_support::TempDir dir;
  std::ofstream(dir / "preprocessor_config.json")
      << R"({"image_processor_type": "ViTImageProcessor", "size": {"height": 32, "width": 48}})";
  auto from_dir = ParseRepresentationOptions(
      {{"kind", "stacked_signal"}, {"encoder", {{"name", nullptr}, {"path", dir.path()}}}}, {});
  ASSERT_TRUE(from_dir.ok()) << from_dir.status();
  EXPECT_EQ(from_dir->vision.height, 32);
  EXPECT_EQ(from_dir->vision.width, 48);

  RepresentationArtifacts artifacts;
  artifacts.vision_config_path = dir / "preprocessor_config.json";
  auto from_artifact = ParseRepresentationOptions({{"kind", "image"}, {"encoder", "clip"}}, artifacts);
  ASSERT_TRUE(from_artifact.ok()) << from_artifact.status();
  EXPECT_EQ(from_artifact->vision.width, 48);

  artifacts.vision_config_path = dir / "missing.json";
  auto missing = ParseRepresentationOptions({{"kind", "image"}, {"encoder", "clip"}}, artifacts);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);  // the loader's code is kept
  EXPECT_THAT(std::string(missing.status().message()), StartsWith("representation.encoder: "));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("missing.json"));
}

TEST(RepresentationOptionsTest, TokenLoadsTheTokenizerFromTheArtifactOrTheSpec) {
  test_support::TempDir dir;
  ASSERT_TRUE(SaveTokenizer(dir / "tok.json", *testing::SmallTokenizer()).ok());
  const json rep = {{"kind", "token"}, {"ecg_byte", {{"tokenizer", dir / "tok.json"}}}};
  auto from_spec = ParseRepresentationOptions(rep, {});
  ASSERT_TRUE(from_spec.ok()) << from_spec.status();
  ASSERT_NE(from_spec->tokenizer, nullptr);
  EXPECT_EQ(from_spec->tokenizer->num_merges(), 6);

  RepresentationArtifacts artifacts;
  artifacts.tokenizer_path = dir / "tok.json";
  auto from_artifact = ParseRepresentationOptions({{"kind", "token"}}, artifacts);
  ASSERT_TRUE(from_artifact.ok()) << from_artifact.status();
  EXPECT_EQ(from_artifact->tokenizer->vocab_size(), 262);
}

TEST(RepresentationOptionsTest, PercentileLoadsTheStatistics) {
  test_support::TempDir dir;
  PercentileStats stats;
  stats.p1 = -1.25;
  stats.p99 = 2.5;
  stats.num_values = 100;
  ASSERT_TRUE(SavePercentileStats(stats, dir / "percentiles.json").ok());
  RepresentationArtifacts artifacts;
  artifacts.percentiles_path = dir / "percentiles.json";
  auto options = ParseRepresentationOptions({{"normalization", "percentile"}}, artifacts);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->normalizer.kind(), NormalizerKind::kPercentile);
  EXPECT_EQ(options->normalizer.stats().p1, -1.25);
  EXPECT_EQ(options->normalizer.stats().p99, 2.5);
}

TEST(RepresentationOptionsTest, ErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(json::array()), "representation: expected an object, got []");
  EXPECT_EQ(ErrorOf({{"kind", "sig"}}),
            "representation.kind: unknown representation kind \"sig\" (expected signal|stacked_signal|image|token|features)");
  EXPECT_EQ(ErrorOf({{"kind", 3}}), "representation.kind: expected a string, got 3");
  EXPECT_THAT(ErrorOf({{"perturb", "jitter"}}), StartsWith("representation.perturb: unknown perturbation \"jitter\""));
  EXPECT_THAT(ErrorOf({{"normalization", "robust"}}), StartsWith("representation.normalization: "));
  EXPECT_EQ(ErrorOf({{"kind", "image"}, {"encoder", "siglip"}, {"normalization", "zscore"}}),
            "representation.normalization: zscore is for kind signal only (image needs values in [0, 1]: minmax or "
            "percentile)");
  EXPECT_EQ(ErrorOf({{"normalization", "percentile"}}),
            "representation.normalization: percentile needs the dataset percentiles (percentiles.json), and no "
            "percentiles file was given");
  EXPECT_EQ(ErrorOf({{"kind", "image"}, {"encoder", "siglip"}, {"image", {{"augment", "yes"}}}}),
            "representation.image.augment: expected a boolean, got \"yes\"");
  EXPECT_THAT(ErrorOf({{"kind", "image"}, {"encoder", "siglip"}, {"image", {{"layout", "3x4"}}}}),
              StartsWith("representation.image.layout: unknown ECG image layout '3x4'"));
  EXPECT_EQ(ErrorOf({{"kind", "image"}, {"encoder", "siglip"}, {"image", "2x6"}}),
            "representation.image: expected an object, got \"2x6\"");
  EXPECT_EQ(ErrorOf({{"kind", "image"}, {"encoder", "projection"}}),
            "representation.encoder: kind image needs a vision processor: encoder.name clip|siglip|vit, "
            "encoder.path a model directory with preprocessor_config.json, or a preprocessor config file; got "
            "name \"projection\" and path \"\"");
  EXPECT_EQ(ErrorOf({{"kind", "stacked_signal"}, {"encoder", 7}}),
            "representation.encoder: expected a name or an object, got 7");
  EXPECT_EQ(ErrorOf({{"kind", "token"}}),
            "representation.ecg_byte.tokenizer: kind token needs an ECG-Byte tokenizer (ecg_byte.tokenizer or the "
            "tokenizer stage's artifact), and none was given");
  EXPECT_EQ(ErrorOf({{"kind", "token"}, {"ecg_byte", {{"tokenizer", 5}}}}),
            "representation.ecg_byte.tokenizer: expected a string, got 5");
}

TEST(RepresentationOptionsTest, FileErrorsKeepTheFileName) {
  test_support::TempDir dir;
  auto missing = ParseRepresentationOptions({{"kind", "token"}, {"ecg_byte", {{"tokenizer", dir / "nope.json"}}}}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), StartsWith("representation.ecg_byte.tokenizer: "));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.json"));

  std::ofstream(dir / "bad.json") << R"({"format": "ecgbench.ecg_byte", "version": 1, "merges": [[97, 400]]})";
  auto bad = ParseRepresentationOptions({{"kind", "token"}, {"ecg_byte", {{"tokenizer", dir / "bad.json"}}}}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("bad.json"));

  RepresentationArtifacts artifacts;
  artifacts.percentiles_path = dir / "p.json";
  auto no_stats = ParseRepresentationOptions({{"normalization", "percentile"}}, artifacts);
  ASSERT_FALSE(no_stats.ok());
  EXPECT_THAT(std::string(no_stats.status().message()), StartsWith("representation.normalization: "));
  EXPECT_THAT(std::string(no_stats.status().message()), HasSubstr("p.json"));
}

TEST(RepresentationOptionsTest, ValidateNamesTheField) {
  RepresentationOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.kind = RepresentationKind::kToken;
  EXPECT_EQ(options.Validate().message(), "tokenizer: kind token needs an ECG-Byte tokenizer");
  options.tokenizer = testing::SmallTokenizer();
  options.max_tokens = -1;
  EXPECT_EQ(options.Validate().message(), "max_tokens: must be >= 0 (0 keeps all), got -1");
  options.max_tokens = 10;
  options.sampling_rate_hz = 0;
  EXPECT_EQ(options.Validate().message(), "sampling_rate_hz: must be finite and > 0, got 0");
}

TEST(RepresentationOptionsTest, KindNamesRoundTrip) {
  for (const auto kind : {RepresentationKind::kSignal, RepresentationKind::kStackedSignal, RepresentationKind::kImage,
                          RepresentationKind::kToken}) {
    auto parsed = ParseRepresentationKind(RepresentationKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
}

}  // namespace
}  // namespace ecgbench::common::repr
