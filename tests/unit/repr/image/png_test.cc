// PNG encode/decode round trips and the errors for missing and malformed files.
#include "common/repr/image/png.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/util/files.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::repr {
namespace {

TEST(PngTest, RoundTripIsExact) {
  RgbImage image(37, 11);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>((i * 37 + i / 5) % 256);
  test_support::TempDir dir;
  const std::string path = dir / "a.png";
  ASSERT_TRUE(WritePng(image, path).ok());
  auto back = ReadPng(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->width, 37);
  EXPECT_EQ(back->height, 11);
  EXPECT_TRUE(*back == image);
}

TEST(PngTest, Errors) {
  test_support::TempDir dir;
  auto missing = ReadPng(dir / "missing.png");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir / "missing.png"), std::string::npos) << missing.status();

  ASSERT_TRUE(WriteFileAtomic(dir / "bad.png", "not a png at all").ok());
  auto bad = ReadPng(dir / "bad.png");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), dir / "bad.png" + ": not a PNG file (bad signature)");

  // A valid signature followed by garbage.
  ASSERT_TRUE(WriteFileAtomic(dir / "trunc.png", std::string("\x89PNG\r\n\x1a\n\x00\x00\x00", 11)).ok());
  auto trunc = ReadPng(dir / "trunc.png");
  ASSERT_FALSE(trunc.ok());
  EXPECT_EQ(trunc.status().message().rfind(dir / "trunc.png" + ": cannot decode PNG", 0), 0u) << trunc.status();

  EXPECT_EQ(WritePng(RgbImage(), dir / "e.png").message(),
            dir / "e.png" + ": cannot encode an empty image (0 x 0) as PNG");
  EXPECT_FALSE(WritePng(RgbImage(2, 2), dir / "no/such/dir/x.png").ok());
}

}  // namespace
}  // namespace ecgbench::common::repr
