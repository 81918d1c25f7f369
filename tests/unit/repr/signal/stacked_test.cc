// The stacked signal: identical to numpy's (normalize(x) * 255).astype(np.uint8) on 3 channels,
// truncation at the edges, and errors.
#include "common/repr/signal/stacked.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tests/unit/repr/signal/reference.h"

namespace ecgbench::common::repr {
namespace {

TEST(StackedTest, MatchesNumpyExactly) {
  std::vector<float> raw(12 * 1250);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<float>(std::sin(i * 0.013) * 1.7 + (i % 97) * 1e-3);
  test_support::TempDir dir;
  testing::WriteRaw(dir / "in", raw);
  const absl::Status ran = testing::RunReference(
      dir, nlohmann::json::array({{{"op", "stack"}, {"in", dir / "in"}, {"out", dir / "out"}}}));
  ASSERT_TRUE(ran.ok()) << ran;
  const std::vector<uint8_t> expected = testing::ReadRaw<uint8_t>(dir / "out");
  std::vector<uint8_t> got(raw.size() * 3);
  auto range = NormalizeAndStack(Normalizer::MinMax(), raw, 12, absl::MakeSpan(got));
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(got, expected);
}

TEST(StackedTest, TruncatesLikeAstype) {
  const std::vector<float> y = {0.0f, 0.5f, 0.999f, 1.0f, 1.5f, -0.2f};
  std::vector<uint8_t> out(y.size() * 3);
  ASSERT_TRUE(StackNormalized(y, 1, absl::MakeSpan(out)).ok());
  const std::vector<uint8_t> expected_values = {0, 127, 254, 255, 255, 0};
  for (size_t i = 0; i < y.size(); ++i) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(out[i * 3 + c], expected_values[i]) << i;
  }
  // Row = lead, column = sample.
  const std::vector<float> two_leads = {0.0f, 0.2f, 1.0f, 0.6f};
  std::vector<uint8_t> img(12);
  ASSERT_TRUE(StackNormalized(two_leads, 2, absl::MakeSpan(img)).ok());
  EXPECT_EQ(img[(1 * 2 + 0) * 3], 255);  // lead 1, sample 0
  EXPECT_EQ(img[(0 * 2 + 1) * 3], 51);   // lead 0, sample 1
}

TEST(StackedTest, BadInputIsAnError) {
  std::vector<uint8_t> out(9);
  EXPECT_EQ(StackNormalized(std::vector<float>{0.1f, 0.2f, 0.3f}, 2, absl::MakeSpan(out)).message(),
            "stacked signal: 3 values do not form 2 leads");
  EXPECT_EQ(StackNormalized(std::vector<float>{0.1f, 0.2f}, 1, absl::MakeSpan(out)).message(),
            "stacked signal: output has 9 bytes, expected 6");
  EXPECT_EQ(StackNormalized(std::vector<float>{0.1f, NAN, 0.3f}, 1, absl::MakeSpan(out)).message(),
            "stacked signal: input[1] is not finite");
  EXPECT_EQ(NormalizeAndStack(Normalizer::MinMax(), std::vector<float>{0.1f, INFINITY, 0.3f}, 1, absl::MakeSpan(out))
                .status()
                .message(),
            "normalize: input[1] is infinite");
  EXPECT_EQ(StackNormalized({}, 1, {}).message(), "stacked signal: empty signal");
}

}  // namespace
}  // namespace ecgbench::common::repr
