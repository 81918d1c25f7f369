// PilResize / PilResizePlan: byte-exact parity with Pillow's Image.resize (BILINEAR, BICUBIC, up
// and down, mixed, skipped passes), region plans equal to slices of the full resize, bad sizes.
#include "common/repr/signal/pil_resize.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/repr/signal/reference.h"

namespace ecgbench::common::repr {
namespace {

using testing::ReadRaw;
using testing::WriteRaw;

struct Case {
  int in_h, in_w, out_h, out_w;
  ResampleFilter filter;
  bool smooth;  // a smooth gradient image instead of uniform noise
};

std::vector<uint8_t> SmoothImage(int h, int w) {
  std::vector<uint8_t> img(static_cast<size_t>(h) * w * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c)
        img[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((x * 7 + y * 3 + c * 50) % 256);
    }
  }
  return img;
}

TEST(PilResizeTest, MatchesPillowExactly) {
  const std::vector<Case> cases = {
      {12, 1250, 224, 23333, ResampleFilter::kBicubic, false},  // CLIP on a stacked 10 s signal
      {12, 1250, 224, 224, ResampleFilter::kBicubic, false},    // SigLIP
      {12, 1250, 224, 224, ResampleFilter::kBilinear, false},   // ViT
      {12, 500, 224, 224, ResampleFilter::kBicubic, true},
      {720, 1000, 224, 311, ResampleFilter::kBicubic, false},  // CLIP on a rendered image
      {720, 1000, 224, 224, ResampleFilter::kBilinear, false},
      {720, 1000, 224, 224, ResampleFilter::kBicubic, true},
      {40, 30, 333, 251, ResampleFilter::kBicubic, false},  // up both ways
      {40, 30, 333, 251, ResampleFilter::kBilinear, false},
      {37, 53, 101, 29, ResampleFilter::kBilinear, false},  // mixed
      {37, 53, 101, 29, ResampleFilter::kBicubic, false},
      {5, 7, 5, 3, ResampleFilter::kBicubic, false},   // vertical pass skipped
      {5, 7, 9, 7, ResampleFilter::kBilinear, false},  // horizontal pass skipped
      {1, 1, 3, 4, ResampleFilter::kBicubic, false},
      {16, 16, 16, 16, ResampleFilter::kBicubic, false},  // identity
  };
  test_support::TempDir dir;
  nlohmann::json jobs = nlohmann::json::array();
  std::vector<std::vector<uint8_t>> inputs;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    inputs.push_back(c.smooth ? SmoothImage(c.in_h, c.in_w) : testing::RandomImage(c.in_h, c.in_w, i));
    const std::string in = dir / ("in" + std::to_string(i));
    WriteRaw(in, inputs.back());
    jobs.push_back({{"op", "resize"},
                    {"in", in},
                    {"h", c.in_h},
                    {"w", c.in_w},
                    {"out_h", c.out_h},
                    {"out_w", c.out_w},
                    {"filter", PilCode(c.filter)},
                    {"out", dir / ("out" + std::to_string(i))}});
  }
  const absl::Status ran = testing::RunReference(dir, jobs);
  ASSERT_TRUE(ran.ok()) << ran;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(std::to_string(c.in_h) + "x" + std::to_string(c.in_w) + " -> " + std::to_string(c.out_h) + "x" +
                 std::to_string(c.out_w) + " filter " + std::to_string(PilCode(c.filter)));
    const std::vector<uint8_t> expected = ReadRaw<uint8_t>(dir / ("out" + std::to_string(i)));
    std::vector<uint8_t> got(static_cast<size_t>(c.out_h) * c.out_w * 3);
    ASSERT_TRUE(PilResize(inputs[i].data(), c.in_h, c.in_w, 3, c.out_h, c.out_w, c.filter, got.data()).ok());
    ASSERT_EQ(got.size(), expected.size());
    size_t mismatches = 0;
    for (size_t k = 0; k < got.size(); ++k) mismatches += got[k] != expected[k];
    EXPECT_EQ(mismatches, 0u);
  }
}

TEST(PilResizeTest, RegionEqualsSliceOfFullResize) {
  const int in_h = 12, in_w = 300, out_h = 224, out_w = 5600;
  const std::vector<uint8_t> in = testing::RandomImage(in_h, in_w, 7);
  std::vector<uint8_t> full(static_cast<size_t>(out_h) * out_w * 3);
  ASSERT_TRUE(PilResize(in.data(), in_h, in_w, 3, out_h, out_w, ResampleFilter::kBicubic, full.data()).ok());
  const ResizeRegion region{10, 2688, 200, 224};
  auto plan = PilResizePlan::Build(in_h, in_w, out_h, out_w, ResampleFilter::kBicubic, region);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<uint8_t> part(static_cast<size_t>(region.height) * region.width * 3);
  PilResizeScratch scratch;
  for (int pass = 0; pass < 2; ++pass) {  // a reused scratch gives the same bytes
    plan->Run(in.data(), 3, &scratch, part.data());
    for (int y = 0; y < region.height; ++y) {
      for (int x = 0; x < region.width * 3; ++x) {
        ASSERT_EQ(part[(static_cast<size_t>(y) * region.width) * 3 + x],
                  full[(static_cast<size_t>(y + region.y0) * out_w + region.x0) * 3 + x])
            << "row " << y << " byte " << x;
      }
    }
  }
}

TEST(PilResizeTest, BadSizesAreErrors) {
  uint8_t px[3] = {1, 2, 3};
  uint8_t out[3];
  EXPECT_EQ(PilResize(px, 1, 1, 3, 0, 1, ResampleFilter::kBicubic, out).message(),
            "resize: sizes must be positive, got 1x1 -> 0x1");
  EXPECT_EQ(PilResize(px, 1, 1, 0, 1, 1, ResampleFilter::kBicubic, out).message(),
            "resize: channels must be positive, got 0");
  EXPECT_EQ(PilResizePlan::Build(4, 4, 8, 8, ResampleFilter::kBilinear, ResizeRegion{4, 0, 5, 8}).status().message(),
            "resize: region 5x8 at (4, 0) is outside the 8x8 output");
  EXPECT_EQ(ResampleFilterFromPil(1).status().message(),
            "resample filter 1 is not supported (2 = BILINEAR, 3 = BICUBIC)");
  EXPECT_EQ(*ResampleFilterFromPil(2), ResampleFilter::kBilinear);
  EXPECT_EQ(PilCode(ResampleFilter::kBicubic), 3);
}

}  // namespace
}  // namespace ecgbench::common::repr
