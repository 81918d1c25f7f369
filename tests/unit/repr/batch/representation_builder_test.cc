// RepresentationBuilder: each kind against an independent composition of the underlying libraries,
// perturbation order, blackout / no_signal, reproducibility, token truncation, bad input.
#include "common/repr/batch/representation_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/signal/stacked.h"
#include "common/repr/signal/zscore.h"
#include "tests/unit/repr/batch/test_segments.h"

namespace ecgbench::common::repr {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kLength = 250;  // 1 s at 250 Hz: small images, fast tests
constexpr size_t kValues = 12 * kLength;

std::unique_ptr<RepresentationBuilder> MakeBuilder(const RepresentationOptions& options) {
  auto builder = RepresentationBuilder::Create(options);
  EXPECT_TRUE(builder.ok()) << builder.status();
  return builder.ok() ? *std::move(builder) : nullptr;
}

RepresentationSample BuildOne(RepresentationBuilder* builder, const std::vector<float>& segment,
                              int64_t sample_index = 0, int epoch = 0) {
  RepresentationSample sample;
  const absl::Status status = builder->Build(segment.data(), kLength, sample_index, epoch, &sample);
  EXPECT_TRUE(status.ok()) << status;
  return sample;
}

std::vector<float> Normalized(const Normalizer& normalizer, const std::vector<float>& raw) {
  std::vector<float> out(raw.size());
  EXPECT_TRUE(normalizer.Apply(raw, absl::MakeSpan(out)).ok());
  return out;
}

std::vector<float> Process(const VisionProcessorConfig& config, const uint8_t* pixels, int h, int w) {
  auto processor = VisionProcessor::Create(config);
  EXPECT_TRUE(processor.ok());
  const auto out_hw = *processor->OutputSize(h, w);
  std::vector<float> out(static_cast<size_t>(3 * out_hw.first * out_hw.second));
  VisionWorkspace ws;
  EXPECT_TRUE(processor->Process(absl::MakeConstSpan(pixels, static_cast<size_t>(h) * w * 3), h, w, &ws,
                                 absl::MakeSpan(out))
                  .ok());
  return out;
}

std::vector<float> StackedExpected(const Normalizer& normalizer, const std::vector<float>& raw,
                                   const VisionProcessorConfig& config) {
  std::vector<uint8_t> stacked(raw.size() * 3);
  EXPECT_TRUE(NormalizeAndStack(normalizer, raw, 12, absl::MakeSpan(stacked)).ok());
  return Process(config, stacked.data(), 12, kLength);
}

std::vector<float> ImageExpected(const RepresentationOptions& o, const std::vector<float>& raw, int64_t sample_index,
                                 int epoch) {
  EcgRenderer renderer(DefaultEcgPlotOptions(o.image_layout));
  RgbImage image;
  EXPECT_TRUE(renderer.Render(raw.data(), 12, kLength, o.sampling_rate_hz, &image).ok());
  if (o.augment) ImageAugmenter().Augment(o.seed, sample_index, epoch, &image);
  return Process(o.vision, image.pixels.data(), image.height, image.width);
}

// The first sample index whose noise draw adds Gaussian noise (so perturbation tests test something).
int64_t NoisySample(uint64_t seed) {
  for (int64_t i = 0;; ++i) {
    std::vector<float> x = testing::SyntheticSegment(kLength);
    auto info = Perturb(Perturbation::kNoise, {seed, static_cast<uint64_t>(i), 0}, 12, absl::MakeSpan(x));
    if (info.ok() && info->noise && info->wander) return i;
  }
}

TEST(RepresentationBuilderTest, SignalIsTheNormalizerOutput) {
  const auto raw = testing::SyntheticSegment(kLength);
  RepresentationOptions options;
  auto builder = MakeBuilder(options);
  const RepresentationSample sample = BuildOne(builder.get(), raw);
  EXPECT_TRUE(sample.has_ecg);
  EXPECT_THAT(sample.shape, ElementsAre(12, kLength));
  EXPECT_EQ(sample.values, Normalized(Normalizer::MinMax(), raw));
  EXPECT_TRUE(sample.token_ids.empty());

  PercentileStats stats;
  stats.p1 = -0.75;
  stats.p99 = 1.25;
  options.normalizer = Normalizer::Percentile(stats);
  auto percentile = MakeBuilder(options);
  EXPECT_EQ(BuildOne(percentile.get(), raw).values, Normalized(options.normalizer, raw));

  // zscore: each lead minus its mean over its standard deviation (zscore.h), not the normalizer.
  options.zscore = true;
  auto zscore = MakeBuilder(options);
  std::vector<float> expected(raw.size());
  ASSERT_TRUE(ZScorePerLead(raw, 12, absl::MakeSpan(expected)).ok());
  EXPECT_EQ(BuildOne(zscore.get(), raw).values, expected);
}

TEST(RepresentationBuilderTest, SignalNoiseComesAfterNormalization) {
  RepresentationOptions options;
  options.perturbation = Perturbation::kNoise;
  options.seed = 11;
  const int64_t index = NoisySample(options.seed);
  const auto raw = testing::SyntheticSegment(kLength);
  auto builder = MakeBuilder(options);
  const auto got = BuildOne(builder.get(), raw, index, 0).values;

  std::vector<float> after = Normalized(Normalizer::MinMax(), raw);
  ASSERT_TRUE(Perturb(Perturbation::kNoise, {11, static_cast<uint64_t>(index), 0}, 12, absl::MakeSpan(after)).ok());
  EXPECT_EQ(got, after);

  std::vector<float> before = raw;
  ASSERT_TRUE(Perturb(Perturbation::kNoise, {11, static_cast<uint64_t>(index), 0}, 12, absl::MakeSpan(before)).ok());
  EXPECT_NE(got, Normalized(Normalizer::MinMax(), before));
}

TEST(RepresentationBuilderTest, FeaturesAreTheLogCompressedRagFeatures) {
  const auto raw = testing::SyntheticSegment(kLength);
  RepresentationOptions options;
  options.kind = RepresentationKind::kFeatures;
  auto builder = MakeBuilder(options);
  ASSERT_NE(builder, nullptr);
  EXPECT_THAT(*builder->DenseShape(kLength), ElementsAre(12, 24));
  const RepresentationSample sample = BuildOne(builder.get(), raw);
  EXPECT_THAT(sample.shape, ElementsAre(12, 24));
  std::vector<double> features(288);
  rag::EcgFeatureExtractor extractor;
  ASSERT_TRUE(extractor.Extract(raw.data(), 12, kLength, absl::MakeSpan(features)).ok());
  ASSERT_EQ(sample.values.size(), 288u);
  int nonzero = 0;
  for (size_t i = 0; i < 288; ++i) {
    EXPECT_EQ(sample.values[i], static_cast<float>(std::copysign(std::log1p(std::fabs(features[i])), features[i])))
        << "feature " << i;
    nonzero += sample.values[i] != 0.0f;
  }
  EXPECT_GT(nonzero, 200);  // a real ECG has mostly non-zero features
  // Blackout: the features of a zero segment (all zero); no_signal: zeros and no ECG.
  options.perturbation = Perturbation::kBlackout;
  auto blackout = MakeBuilder(options);
  const RepresentationSample zero = BuildOne(blackout.get(), raw);
  EXPECT_EQ(zero.values, std::vector<float>(288, 0.0f));
}

TEST(RepresentationBuilderTest, StackedSignalIsTheVisionProcessorOfTheStackedImage) {
  const auto raw = testing::SyntheticSegment(kLength, 1);
  for (const auto& vision : {ClipPreset(), SiglipPreset(), VitPreset()}) {
    RepresentationOptions options;
    options.kind = RepresentationKind::kStackedSignal;
    options.vision = vision;
    auto builder = MakeBuilder(options);
    const RepresentationSample sample = BuildOne(builder.get(), raw);
    EXPECT_THAT(sample.shape, ElementsAre(3, 224, 224)) << vision.name;
    EXPECT_EQ(sample.values, StackedExpected(Normalizer::MinMax(), raw, vision)) << vision.name;
  }
}

TEST(RepresentationBuilderTest, StackedNoiseComesBeforeNormalization) {
  RepresentationOptions options;
  options.kind = RepresentationKind::kStackedSignal;
  options.vision = SiglipPreset();
  options.perturbation = Perturbation::kNoise;
  options.seed = 5;
  const int64_t index = NoisySample(options.seed);
  const auto raw = testing::SyntheticSegment(kLength);
  auto builder = MakeBuilder(options);
  std::vector<float> perturbed = raw;
  ASSERT_TRUE(Perturb(Perturbation::kNoise, {5, static_cast<uint64_t>(index), 3}, 12, absl::MakeSpan(perturbed)).ok());
  EXPECT_EQ(BuildOne(builder.get(), raw, index, 3).values, StackedExpected(Normalizer::MinMax(), perturbed, options.vision));
}

TEST(RepresentationBuilderTest, ImageIsTheVisionProcessorOfTheRendering) {
  const auto raw = testing::SyntheticSegment(kLength, 2);
  for (const EcgLayout layout : {EcgLayout::k2x6, EcgLayout::k4x3Rhythm}) {
    RepresentationOptions options;
    options.kind = RepresentationKind::kImage;
    options.vision = SiglipPreset();
    options.image_layout = layout;
    auto builder = MakeBuilder(options);
    const RepresentationSample sample = BuildOne(builder.get(), raw);
    EXPECT_THAT(sample.shape, ElementsAre(3, 224, 224));
    EXPECT_EQ(sample.values, ImageExpected(options, raw, 0, 0)) << EcgLayoutName(layout);
    EXPECT_THAT(*builder->DenseShape(kLength), ElementsAre(3, 224, 224));
  }
}

TEST(RepresentationBuilderTest, ImageAugmentationIsSeededBySampleAndEpoch) {
  RepresentationOptions options;
  options.kind = RepresentationKind::kImage;
  options.vision = VitPreset();
  options.augment = true;
  options.seed = 3;
  int64_t index = 0;
  while (!SampleImageAugment(ImageAugmentOptions(), options.seed, index, 1).changes_image()) ++index;
  const auto raw = testing::SyntheticSegment(kLength);
  auto builder = MakeBuilder(options);
  const auto augmented = BuildOne(builder.get(), raw, index, 1).values;
  EXPECT_EQ(augmented, ImageExpected(options, raw, index, 1));
  options.augment = false;
  EXPECT_NE(augmented, ImageExpected(options, raw, index, 1));
}

TEST(RepresentationBuilderTest, TokensDecodeToTheSymbolsOfTheNormalizedSegment) {
  RepresentationOptions options;
  options.kind = RepresentationKind::kToken;
  options.tokenizer = testing::SmallTokenizer();
  const auto raw = testing::SyntheticSegment(kLength);
  auto builder = MakeBuilder(options);
  const RepresentationSample sample = BuildOne(builder.get(), raw);
  const std::vector<float> normalized = Normalized(Normalizer::MinMax(), raw);
  const std::string symbols = *Symbolize(normalized.data(), static_cast<int64_t>(normalized.size()), kLength);
  EXPECT_EQ(*options.tokenizer->Decode(sample.token_ids), symbols);
  EXPECT_EQ(sample.token_ids, *options.tokenizer->Encode(symbols, EncodeMode::kLongestMatch));
  EXPECT_LT(sample.token_ids.size(), kValues);  // the merges did merge
  EXPECT_THAT(sample.shape, ElementsAre(static_cast<int64_t>(sample.token_ids.size())));
  EXPECT_TRUE(sample.values.empty());

  options.max_tokens = 100;
  auto truncating = MakeBuilder(options);
  const auto truncated = BuildOne(truncating.get(), raw).token_ids;
  EXPECT_EQ(truncated, std::vector<int32_t>(sample.token_ids.begin(), sample.token_ids.begin() + 100));
}

TEST(RepresentationBuilderTest, TokenNoiseComesBeforeNormalization) {
  RepresentationOptions options;
  options.kind = RepresentationKind::kToken;
  options.tokenizer = testing::SmallTokenizer();
  options.perturbation = Perturbation::kNoise;
  options.seed = 9;
  const int64_t index = NoisySample(options.seed);
  const auto raw = testing::SyntheticSegment(kLength);
  auto builder = MakeBuilder(options);
  std::vector<float> perturbed = raw;
  ASSERT_TRUE(Perturb(Perturbation::kNoise, {9, static_cast<uint64_t>(index), 0}, 12, absl::MakeSpan(perturbed)).ok());
  const std::vector<float> normalized = Normalized(Normalizer::MinMax(), perturbed);
  EXPECT_EQ(*options.tokenizer->Decode(BuildOne(builder.get(), raw, index, 0).token_ids),
            *Symbolize(normalized.data(), static_cast<int64_t>(normalized.size()), kLength));
}

TEST(RepresentationBuilderTest, BlackoutGivesZerosOrTheRepresentationOfAZeroSignal) {
  const auto raw = testing::SyntheticSegment(kLength);
  const std::vector<float> zeros(kValues, 0.0f);
  RepresentationOptions options;
  options.perturbation = Perturbation::kBlackout;
  auto signal = MakeBuilder(options);
  EXPECT_EQ(BuildOne(signal.get(), raw).values, zeros);

  options.kind = RepresentationKind::kToken;
  options.tokenizer = testing::SmallTokenizer();
  auto token = MakeBuilder(options);
  EXPECT_EQ(*options.tokenizer->Decode(BuildOne(token.get(), raw).token_ids), std::string(kValues, 'a'));

  options.kind = RepresentationKind::kStackedSignal;
  options.vision = ClipPreset();
  auto stacked = MakeBuilder(options);
  EXPECT_EQ(BuildOne(stacked.get(), raw).values, StackedExpected(Normalizer::MinMax(), zeros, options.vision));

  options.kind = RepresentationKind::kImage;
  auto image = MakeBuilder(options);
  EXPECT_EQ(BuildOne(image.get(), raw).values, ImageExpected(options, zeros, 0, 0));
}

TEST(RepresentationBuilderTest, NoSignalMarksTheSampleAndSkipsTheSegment) {
  std::vector<float> raw = testing::SyntheticSegment(kLength);
  raw[17] = std::numeric_limits<float>::quiet_NaN();  // never read
  RepresentationOptions options;
  options.perturbation = Perturbation::kNoSignal;
  auto signal = MakeBuilder(options);
  const RepresentationSample dense = BuildOne(signal.get(), raw);
  EXPECT_FALSE(dense.has_ecg);
  EXPECT_THAT(dense.shape, ElementsAre(12, kLength));
  EXPECT_EQ(dense.values, std::vector<float>(kValues, 0.0f));

  options.kind = RepresentationKind::kToken;
  options.tokenizer = testing::SmallTokenizer();
  auto token = MakeBuilder(options);
  const RepresentationSample tokens = BuildOne(token.get(), raw);
  EXPECT_FALSE(tokens.has_ecg);
  EXPECT_TRUE(tokens.token_ids.empty());
  EXPECT_THAT(tokens.shape, ElementsAre(0));
}

TEST(RepresentationBuilderTest, DeterministicBySeedSampleAndEpochWhateverCameBefore) {
  RepresentationOptions options;
  options.kind = RepresentationKind::kImage;
  options.vision = SiglipPreset();
  options.perturbation = Perturbation::kNoise;
  options.augment = true;
  options.seed = 21;
  const auto a = testing::SyntheticSegment(kLength, 0);
  const auto b = testing::SyntheticSegment(kLength, 3);
  auto first = MakeBuilder(options);
  auto second = MakeBuilder(options);
  const auto a0 = BuildOne(first.get(), a, 4, 0).values;
  BuildOne(second.get(), b, 9, 2);  // a different history
  EXPECT_EQ(BuildOne(second.get(), a, 4, 0).values, a0);
  EXPECT_EQ(BuildOne(first.get(), a, 4, 0).values, a0);
  // Over a few epochs the draw changes.
  bool differs = false;
  for (int epoch = 1; epoch < 8 && !differs; ++epoch) differs = BuildOne(first.get(), a, 4, epoch).values != a0;
  EXPECT_TRUE(differs);
}

TEST(RepresentationBuilderTest, LengthMayChangeBetweenCalls) {
  RepresentationOptions options;
  auto builder = MakeBuilder(options);
  const auto longer = testing::SyntheticSegment(2 * kLength);
  RepresentationSample sample;
  ASSERT_TRUE(builder->Build(longer.data(), 2 * kLength, 0, 0, &sample).ok());
  EXPECT_THAT(sample.shape, ElementsAre(12, 2 * kLength));
  EXPECT_EQ(sample.values, Normalized(Normalizer::MinMax(), longer));
  EXPECT_THAT(BuildOne(builder.get(), testing::SyntheticSegment(kLength)).shape, ElementsAre(12, kLength));
}

TEST(RepresentationBuilderTest, BadInputIsAnErrorNamingTheSample) {
  std::vector<float> raw = testing::SyntheticSegment(kLength);
  raw[37] = std::numeric_limits<float>::quiet_NaN();
  RepresentationOptions options;
  auto builder = MakeBuilder(options);
  RepresentationSample sample;
  absl::Status status = builder->Build(raw.data(), kLength, 3, 0, &sample);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("sample 3: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("input[37]"));

  options.kind = RepresentationKind::kImage;
  options.vision = SiglipPreset();
  auto image = MakeBuilder(options);
  status = image->Build(raw.data(), kLength, 4, 0, &sample);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("sample 4: "));

  const auto ok = testing::SyntheticSegment(kLength);
  EXPECT_EQ(builder->Build(ok.data(), kLength, -1, 0, &sample).message(), "sample -1: sample index -1 < 0");
  EXPECT_EQ(builder->Build(ok.data(), kLength, 0, -2, &sample).message(), "sample 0: epoch -2 < 0");
  EXPECT_EQ(builder->Build(ok.data(), 0, 0, 0, &sample).message(),
            "sample 0: segment length must be in 1..2147483647, got 0");
  EXPECT_EQ(builder->Build(nullptr, kLength, 0, 0, &sample).message(), "sample 0: segment is null");
  std::vector<float> small(10);
  bool has_ecg = true;
  EXPECT_EQ(builder->BuildDense(ok.data(), kLength, 0, 0, absl::MakeSpan(small), &has_ecg).message(),
            "sample 0: output holds 10 floats, the signal sample needs 3000");
  std::vector<int32_t> ids;
  EXPECT_EQ(builder->BuildTokens(ok.data(), kLength, 0, 0, &ids, &has_ecg).message(),
            "sample 0: kind signal has no token output");
  EXPECT_FALSE(builder->DenseShape(0).ok());
}

TEST(RepresentationBuilderTest, CreateRefusesBadOptions) {
  RepresentationOptions options;
  options.kind = RepresentationKind::kToken;
  EXPECT_EQ(RepresentationBuilder::Create(options).status().message(),
            "tokenizer: kind token needs an ECG-Byte tokenizer");
  options.kind = RepresentationKind::kStackedSignal;
  options.vision.image_std = {0.5f, 0.0f, 0.5f};
  auto bad_vision = RepresentationBuilder::Create(options);
  ASSERT_FALSE(bad_vision.ok());
  EXPECT_THAT(std::string(bad_vision.status().message()), HasSubstr("vision processor: "));
  // A token builder has no dense shape.
  options.kind = RepresentationKind::kToken;
  options.tokenizer = testing::SmallTokenizer();
  auto token = MakeBuilder(options);
  EXPECT_EQ(token->DenseShape(kLength).status().message(),
            "kind token has no dense shape (its length varies per sample)");
}

}  // namespace
}  // namespace ecgbench::common::repr
