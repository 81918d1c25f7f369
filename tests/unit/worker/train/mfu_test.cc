// MFU arithmetic: PaLM's model FLOPs per token and the utilisation over ranks and a peak.
#include "worker/train/mfu.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace ecgbench::worker::train {
namespace {

TEST(MfuTest, PalmFlopsPerTokenAndUtilisation) {
  // Llama-3.2-1B-shaped: 1.236e9 parameters, 16 layers, width 2048, 1024-token context.
  const double per_token = ModelFlopsPerToken(1235814400, 16, 2048, 1024);
  EXPECT_DOUBLE_EQ(per_token, 6.0 * 1235814400 + 12.0 * 16 * 2048 * 1024);
  // 50,000 tokens/s on 8 ranks of 989 TFLOP/s.
  EXPECT_NEAR(Mfu(per_token, 50000, 8, 989e12), per_token * 50000 / (8 * 989e12), 1e-15);
  EXPECT_NEAR(Mfu(1e9, 1e3, 1, 1e12), 1.0, 1e-15);
}

TEST(MfuTest, PeakFromTheEnvironment) {
  ::unsetenv("ECGBENCH_PEAK_TFLOPS");
  EXPECT_FALSE(PeakFlopsFromEnv().has_value());
  ::setenv("ECGBENCH_PEAK_TFLOPS", "989.5", 1);
  ASSERT_TRUE(PeakFlopsFromEnv().has_value());
  EXPECT_DOUBLE_EQ(*PeakFlopsFromEnv(), 989.5e12);
  for (const char* bad : {"", "abc", "-3", "0", "12x"}) {
    ::setenv("ECGBENCH_PEAK_TFLOPS", bad, 1);
    EXPECT_FALSE(PeakFlopsFromEnv().has_value()) << bad;
  }
  ::unsetenv("ECGBENCH_PEAK_TFLOPS");
}

}  // namespace
}  // namespace ecgbench::worker::train
