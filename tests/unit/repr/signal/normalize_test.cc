// Normalization: min-max and percentile normalization bit-identical to numpy running upstream's code
// on float32 segments (and provably different from a float64 evaluation), percentiles identical to
// np.percentile, the seeded store sample, the JSON round trip, Normalizer parsing and errors.
#include "common/repr/signal/normalize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/repr/signal/percentile_stats.h"
#include "tests/unit/repr/signal/reference.h"

namespace ecgbench::common::repr {
namespace {

using testing::ReadRaw;
using testing::WriteRaw;

std::vector<float> Signal(size_t n, double scale, double offset, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed + 1;
  for (size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(s >> 11) * 0x1.0p-53;
    v[i] = static_cast<float>(offset + scale * (std::sin(i * 0.01) + u - 0.5));
  }
  return v;
}

// What a float64 evaluation with one float32 rounding would give (the semantics numpy does NOT
// use on float32 input): the tests require it to differ somewhere, so they can tell the two apart.
std::vector<float> Float64Path(const std::vector<float>& in, double lo, double hi) {
  std::vector<float> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const double y = (double{in[i]} - lo) / (hi - lo + 1e-6);
    out[i] = static_cast<float>(std::min(1.0, std::max(0.0, y)));
  }
  return out;
}

size_t BitMismatches(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  size_t n = 0;
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) n += std::memcmp(&a[k], &b[k], sizeof(float)) != 0;
  return n;
}

// Inputs that exercise numpy's float32 arithmetic: ordinary ECG-like ranges, a tiny range where
// the 1e-6 dominates, a large offset where it vanishes in float32 (max maps to exactly 1), a huge
// range, a constant signal (all 0) and signed zeros.
std::vector<std::vector<float>> NormalizeInputs() {
  std::vector<float> zeros = {0.0f, -0.0f, 0.5f, -0.0f, 1.0f};
  return {Signal(12 * 1250, 1.5, 0.2, 1), Signal(12 * 500, 1e-3, -4, 2),  Signal(12 * 2500, 300, 10, 3),
          std::vector<float>(60, 0.25f),  Signal(12 * 250, 1e-7, 0.5, 4), Signal(12 * 250, 50, 1000, 5),
          Signal(12 * 250, 1e30, 0, 6),   zeros};
}

TEST(NormalizeTest, MinMaxMatchesNumpyOnFloat32BitForBit) {
  test_support::TempDir dir;
  const std::vector<std::vector<float>> inputs = NormalizeInputs();
  nlohmann::json jobs = nlohmann::json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    WriteRaw(dir / ("in" + std::to_string(i)), inputs[i]);
    jobs.push_back(
        {{"op", "minmax"}, {"in", dir / ("in" + std::to_string(i))}, {"out", dir / ("out" + std::to_string(i))}});
  }
  const absl::Status ran = testing::RunReference(dir, jobs);
  ASSERT_TRUE(ran.ok()) << ran;
  size_t float64_path_mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<float> expected = ReadRaw<float>(dir / ("out" + std::to_string(i)));
    std::ifstream meta(dir / ("out" + std::to_string(i) + ".json"));
    const nlohmann::json mm = nlohmann::json::parse(meta);
    std::vector<float> out(inputs[i].size());
    auto range = Normalizer::MinMax().Apply(inputs[i], absl::MakeSpan(out));
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(range->lo, mm["min"].get<double>());
    EXPECT_EQ(range->hi, mm["max"].get<double>());
    EXPECT_EQ(BitMismatches(out, expected), 0u) << "input " << i;
    float64_path_mismatches += BitMismatches(Float64Path(inputs[i], range->lo, range->hi), expected);
    // In place gives the same values.
    std::vector<float> inplace = inputs[i];
    ASSERT_TRUE(Normalizer::MinMax().Apply(inplace, absl::MakeSpan(inplace)).ok());
    EXPECT_EQ(BitMismatches(inplace, out), 0u);
  }
  EXPECT_GT(float64_path_mismatches, 1000u);
  // A range of ~100: + 1e-6 is lost in the float32 denominator, so the maximum maps to exactly 1
  // (it would stay below 1 in float64).
  std::vector<float> out(inputs[5].size());
  ASSERT_TRUE(Normalizer::MinMax().Apply(inputs[5], absl::MakeSpan(out)).ok());
  EXPECT_EQ(*std::max_element(out.begin(), out.end()), 1.0f);
}

TEST(NormalizeTest, PercentileMatchesNumpyOnFloat32BitForBit) {
  test_support::TempDir dir;
  const std::vector<std::vector<float>> inputs = NormalizeInputs();
  // p1 / p99 as float64 (PercentileStats): values that are not float32-representable on purpose.
  const std::vector<std::pair<double, double>> percentiles = {{-1.2345678901234, 1.98765432109876},
                                                              {-4.0004, -3.9996},
                                                              {-250.123456789, 310.987654321},
                                                              {0.1, 0.3},
                                                              {0.49999999, 0.50000001},
                                                              {960.3, 1040.7},
                                                              {-1e30, 1e30},
                                                              {0.0, 1.0}};
  nlohmann::json jobs = nlohmann::json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    WriteRaw(dir / ("in" + std::to_string(i)), inputs[i]);
    jobs.push_back({{"op", "pnorm"},
                    {"in", dir / ("in" + std::to_string(i))},
                    {"out", dir / ("out" + std::to_string(i))},
                    {"p1", percentiles[i].first},
                    {"p99", percentiles[i].second}});
  }
  const absl::Status ran = testing::RunReference(dir, jobs);
  ASSERT_TRUE(ran.ok()) << ran;
  size_t float64_path_mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<float> expected = ReadRaw<float>(dir / ("out" + std::to_string(i)));
    PercentileStats stats;
    stats.p1 = percentiles[i].first;
    stats.p99 = percentiles[i].second;
    std::vector<float> out(inputs[i].size());
    auto range = Normalizer::Percentile(stats).Apply(inputs[i], absl::MakeSpan(out));
    ASSERT_TRUE(range.ok()) << range.status();
    EXPECT_EQ(range->lo, stats.p1 - 0.5);
    EXPECT_EQ(range->hi, stats.p99 + 0.5);
    EXPECT_EQ(BitMismatches(out, expected), 0u) << "input " << i;
    float64_path_mismatches += BitMismatches(Float64Path(inputs[i], range->lo, range->hi), expected);
  }
  EXPECT_GT(float64_path_mismatches, 1000u);
}

TEST(NormalizeTest, RangeFieldsFollowNumpyScalarArithmetic) {
  // max - min in float32, + 1e-6 in float64, then float32.
  const NormalizeRange mm = MinMaxRangeOf(-1.0f, 3.0f);
  EXPECT_EQ(mm.lo, -1.0);
  EXPECT_EQ(mm.hi, 3.0);
  EXPECT_EQ(mm.offset, -1.0f);
  EXPECT_EQ(mm.denominator, static_cast<float>(4.0 + 1e-6));
  const NormalizeRange c = MinMaxRangeOf(2.0f, 2.0f);  // constant signal: 0 / 1e-6 = 0
  EXPECT_EQ(c.denominator, 1e-6f);
  EXPECT_EQ(NormalizeValue(c, 2.0f), 0.0f);
  EXPECT_FALSE(std::signbit(NormalizeValue(MinMaxRangeOf(0.0f, 1.0f), -0.0f)));  // numpy's clip: +0
  PercentileStats stats;
  stats.p1 = 0.1;
  stats.p99 = 0.7;
  const NormalizeRange p = PercentileRange(stats);
  EXPECT_EQ(p.lo, 0.1 - 0.5);
  EXPECT_EQ(p.hi, 0.7 + 0.5);
  EXPECT_EQ(p.offset, static_cast<float>(0.1 - 0.5));
  EXPECT_EQ(p.denominator, static_cast<float>((0.7 + 0.5) - (0.1 - 0.5) + 1e-6));
}

TEST(NormalizeTest, PercentileFormulaAndErrors) {
  PercentileStats stats;
  stats.p1 = -1.0;
  stats.p99 = 2.0;
  auto n = Normalizer::Parse("percentile", &stats);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->name(), "percentile");
  const std::vector<float> in = {-1.5f, -1.0f, 0.5f, 2.5f, 3.0f};
  std::vector<float> out(in.size());
  auto range = n->Apply(in, absl::MakeSpan(out));
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->lo, -1.5);
  EXPECT_EQ(range->hi, 2.5);
  const float denominator = static_cast<float>(4.0 + 1e-6);
  for (size_t i = 0; i < in.size(); ++i) {
    const float y = (in[i] + 1.5f) / denominator;
    EXPECT_EQ(out[i], std::min(1.0f, std::max(0.0f, y))) << i;
  }
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[4], 1.0f);
  EXPECT_EQ(Normalizer::Parse("percentile").status().message(),
            "normalizer \"percentile\" needs p1/p99 statistics (EstimatePercentiles or a saved percentile_stats.json)");
  EXPECT_EQ(Normalizer::Parse("zscore").status().message(),
            "unknown normalizer \"zscore\" (expected \"minmax\" or \"percentile\")");
  EXPECT_EQ(Normalizer::Parse("minmax")->kind(), NormalizerKind::kMinMax);
  std::vector<float> bad = {1, 2, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(Normalizer::MinMax().Apply(bad, absl::MakeSpan(bad)).status().message(), "normalize: input[2] is nan");
  bad[2] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(n->Apply(bad, absl::MakeSpan(bad)).status().message(), "normalize: input[2] is infinite");
  EXPECT_EQ(Normalizer::MinMax().Apply({}, {}).status().message(), "normalize: empty input");
  std::vector<float> short_out(2);
  EXPECT_EQ(Normalizer::MinMax().Apply(in, absl::MakeSpan(short_out)).status().message(),
            "normalize: output has 2 values, input 5");
}

TEST(PercentileTest, LinearPercentileMatchesNumpy) {
  test_support::TempDir dir;
  const std::vector<size_t> sizes = {1, 2, 3, 100, 101, 12345};
  nlohmann::json jobs = nlohmann::json::array();
  std::vector<std::vector<double>> values;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::vector<float> f = Signal(sizes[i], 2.0, 0.0, 40 + i);
    values.emplace_back(f.begin(), f.end());
    WriteRaw(dir / ("p" + std::to_string(i)), values.back());
    jobs.push_back({{"op", "percentile"},
                    {"in", dir / ("p" + std::to_string(i))},
                    {"out", dir / ("p" + std::to_string(i) + ".json")}});
  }
  const absl::Status ran = testing::RunReference(dir, jobs);
  ASSERT_TRUE(ran.ok()) << ran;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::ifstream in(dir / ("p" + std::to_string(i) + ".json"));
    const nlohmann::json ref = nlohmann::json::parse(in);
    std::vector<double> v = values[i];
    EXPECT_EQ(PercentileLinear(&v, 1.0), ref["p1"].get<double>()) << "n = " << sizes[i];
    EXPECT_EQ(PercentileLinear(&v, 99.0), ref["p99"].get<double>()) << "n = " << sizes[i];
  }
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ecg::SegmentStoreOptions o;
    o.segment_length = 50;
    o.content_hash = "abc123";
    auto w = ecg::SegmentStoreWriter::Create(dir_ / "store", o);
    ASSERT_TRUE(w.ok()) << w.status();
    for (int s = 0; s < 4; ++s) {
      const std::vector<float> v = Signal(12 * 50, 1.0 + s, 0.1 * s, 70 + s);
      all_.insert(all_.end(), v.begin(), v.end());
      ecg::SegmentMeta meta;
      meta.record_id = "r" + std::to_string(s);
      ASSERT_TRUE((*w)->Append(meta, v.data()).ok());
    }
    ASSERT_TRUE((*w)->Finish().ok());
    auto store = ecg::SegmentStore::Open(dir_ / "store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  test_support::TempDir dir_;
  std::vector<double> all_;
  std::unique_ptr<ecg::SegmentStore> store_;
};

TEST_F(StoreTest, SmallStoreUsesEveryValue) {
  auto stats = EstimatePercentiles(*store_, {});
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::vector<double> v = all_;
  EXPECT_EQ(stats->p1, PercentileLinear(&v, 1.0));
  EXPECT_EQ(stats->p99, PercentileLinear(&v, 99.0));
  EXPECT_EQ(stats->num_values, 2400);
  EXPECT_EQ(stats->num_segments, 4);
  EXPECT_EQ(stats->store_content_hash, "abc123");
}

TEST_F(StoreTest, SampleIsSeededAndRoundTripsThroughJson) {
  auto a = EstimatePercentiles(*store_, {500, 7});
  auto b = EstimatePercentiles(*store_, {500, 7});
  auto c = EstimatePercentiles(*store_, {500, 8});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->num_values, 500);
  EXPECT_EQ(a->p1, b->p1);
  EXPECT_EQ(a->p99, b->p99);
  EXPECT_TRUE(a->p1 != c->p1 || a->p99 != c->p99);
  ASSERT_TRUE(SavePercentileStats(*a, dir_ / "stats.json").ok());
  auto loaded = LoadPercentileStats(dir_ / "stats.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->p1, a->p1);
  EXPECT_EQ(loaded->p99, a->p99);
  EXPECT_EQ(loaded->seed, 7u);
  EXPECT_EQ(loaded->max_values, 500);
  EXPECT_EQ(loaded->ToJson(), a->ToJson());
  EXPECT_EQ(EstimatePercentiles(*store_, {0, 1}).status().message(), "percentiles: max_values must be > 0, got 0");
}

TEST(PercentileTest, BadJsonNamesTheField) {
  PercentileStats s;
  s.p1 = -0.5;
  s.p99 = 0.75;
  nlohmann::json j = s.ToJson();
  j.erase("p99");
  EXPECT_EQ(PercentileStats::FromJson(j, "stats.json").status().message(), "stats.json: field \"p99\" is missing");
  j = s.ToJson();
  j["p1"] = "low";
  EXPECT_EQ(PercentileStats::FromJson(j, "stats.json").status().message(), "stats.json: field \"p1\" must be a number");
  j = s.ToJson();
  j["p1"] = 2.0;
  EXPECT_EQ(PercentileStats::FromJson(j, "stats.json").status().message(),
            "stats.json: field \"p1\" is greater than p99");
  j = s.ToJson();
  j["version"] = 2;
  EXPECT_EQ(PercentileStats::FromJson(j, "stats.json").status().message(),
            "stats.json: field \"version\" is 2, expected 1");
  j = s.ToJson();
  j["seed"] = -1;
  EXPECT_EQ(PercentileStats::FromJson(j, "stats.json").status().message(),
            "stats.json: field \"seed\" must be a non-negative integer");
  EXPECT_EQ(PercentileStats::FromJson(nlohmann::json::array(), "stats.json").status().message(),
            "stats.json: not a JSON object");
  test_support::TempDir dir;
  std::ofstream(dir / "bad.json") << "{\"p1\": ";
  auto bad = LoadPercentileStats(dir / "bad.json");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.json"), std::string::npos) << bad.status();
}

}  // namespace
}  // namespace ecgbench::common::repr
