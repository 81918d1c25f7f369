// numpy-order reductions, scipy-style peak finding and Welch PSD: exact values on small inputs
// (expected numbers from numpy 1.24 / scipy 1.10, Debian 12).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/rag/find_peaks.h"
#include "common/rag/numpy_stats.h"
#include "common/rag/welch.h"

namespace ecgbench::common::rag {
namespace {

TEST(NumpyStatsTest, PairwiseSumMatchesNumpyBits) {
  // Summation order matters here: numpy's 8 accumulators give 6 and 290, a left-to-right sum 0.
  const std::vector<double> a = {1e16, 1, 1, 1, 1, 1, 1, 1, -1e16};
  EXPECT_EQ(NumpySum(a.data(), 9), 6.0);
  std::vector<double> b(302, 1.0);
  b.front() = 1e16;
  b.back() = -1e16;
  EXPECT_EQ(NumpySum(b.data(), 302), 290.0);
  EXPECT_EQ(NumpySum(a.data(), 0), 0.0);
}

TEST(NumpyStatsTest, MeanStdPercentileMedian) {
  std::vector<double> x(1000), scratch(1000);
  for (int i = 0; i < 1000; ++i) x[i] = 0.1 * (i % 7) + 1e-3 * i;
  EXPECT_EQ(NumpySum(x.data(), 1000), 799.2);
  EXPECT_EQ(NumpyMean(x.data(), 1000), 0.7992);
  EXPECT_EQ(NumpyStd(x.data(), 1000, scratch.data()), 0.35182902097467744);
  std::vector<double> y(x.begin(), x.begin() + 10);
  std::sort(y.begin(), y.end());
  EXPECT_EQ(NumpyPercentileSorted(y.data(), 10, 25), 0.10275000000000001);
  EXPECT_EQ(NumpyPercentileSorted(y.data(), 10, 75), 0.37875000000000003);
  EXPECT_EQ(NumpyMedianSorted(y.data(), 10), 0.20550000000000002);
  EXPECT_EQ(NumpyMedianSorted(y.data(), 9), 0.202);
  EXPECT_EQ(NumpyPercentileSorted(y.data(), 10, 0), y.front());
  EXPECT_EQ(NumpyPercentileSorted(y.data(), 10, 100), y.back());
  EXPECT_EQ(NumpyPercentileSorted(y.data(), 1, 25), y.front());
}

std::vector<int64_t> Peaks(const std::vector<double>& x, double height, double distance) {
  PeakFinder f;
  f.Find(x.data(), static_cast<int64_t>(x.size()), height, distance);
  return f.peaks();
}

TEST(PeakFinderTest, FlatTopsCountOnceAtTheirMiddle) {
  // scipy.signal.find_peaks([0,1,1,1,0,2,2,0,1,1,2,0]) -> [2, 5, 10].
  EXPECT_EQ(Peaks({0, 1, 1, 1, 0, 2, 2, 0, 1, 1, 2, 0}, -1e300, 1), (std::vector<int64_t>{2, 5, 10}));
  EXPECT_EQ(Peaks({3, 1, 0, 1, 3}, -1e300, 1), std::vector<int64_t>{});  // ends are never peaks
  EXPECT_EQ(Peaks({0, 1, 1}, -1e300, 1), std::vector<int64_t>{});       // plateau running to the end
  EXPECT_EQ(Peaks({}, 0, 1), std::vector<int64_t>{});
  EXPECT_EQ(Peaks({1}, 0, 1), std::vector<int64_t>{});
}

TEST(PeakFinderTest, HeightIsInclusive) {
  EXPECT_EQ(Peaks({0, 1, 0, 2, 0}, 1.0, 1), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Peaks({0, 1, 0, 2, 0}, 1.5, 1), (std::vector<int64_t>{3}));
}

TEST(PeakFinderTest, DistanceKeepsTheHighestFirst) {
  const std::vector<double> x = {0, 3, 0, 5, 0, 4, 0, 0, 0, 1, 0};
  EXPECT_EQ(Peaks(x, 0.5, 3), (std::vector<int64_t>{3, 9}));
  EXPECT_EQ(Peaks(x, 0.5, 2), (std::vector<int64_t>{1, 3, 5, 9}));  // gaps of 2 are not < 2
  EXPECT_EQ(Peaks(x, 0.5, 2.5), (std::vector<int64_t>{3, 9}));      // ceil(2.5) = 3
  // A removed peak does not remove its own neighbours: 5 at index 3 drops 4 at index 5, so 3 at 7 stays.
  EXPECT_EQ(Peaks({0, 1, 0, 5, 0, 4, 0, 3, 0}, 0.5, 3), (std::vector<int64_t>{3, 7}));
}

TEST(WelchTest, SineAtABinGivesItsFrequencyAndPower) {
  const double fs = 256;
  std::vector<double> x(1024);
  for (size_t t = 0; t < x.size(); ++t) x[t] = std::sin(2 * M_PI * 32.0 * static_cast<double>(t) / fs) + 3.0;
  WelchPsd w;
  ASSERT_TRUE(w.Compute(x.data(), 1024, fs, 256).ok());
  ASSERT_EQ(w.psd().size(), 129u);
  size_t arg = 0;
  double total = 0;
  for (size_t k = 0; k < w.psd().size(); ++k) {
    total += w.psd()[k];
    if (w.psd()[k] > w.psd()[arg]) arg = k;
  }
  EXPECT_EQ(w.freqs()[arg], 32.0);
  EXPECT_EQ(w.freqs()[128], 128.0);
  EXPECT_NEAR(total * fs / 256, 0.5, 1e-12);  // density: sum * df = variance; the offset is detrended
  EXPECT_NEAR(w.psd()[0], 0.0, 1e-20);
}

TEST(WelchTest, RejectsBadSizes) {
  std::vector<double> x(10, 1.0);
  WelchPsd w;
  EXPECT_EQ(w.Compute(x.data(), 10, 250, 11).message(), "welch: nperseg 11 must be in [1, 10]");
  EXPECT_EQ(w.Compute(x.data(), 10, 0, 10).message(), "welch: sampling rate must be > 0, got 0");
  EXPECT_TRUE(w.Compute(x.data(), 10, 250, 1).ok());
  EXPECT_EQ(w.psd().size(), 1u);
  EXPECT_EQ(w.psd()[0], 0.0);
}

}  // namespace
}  // namespace ecgbench::common::rag
