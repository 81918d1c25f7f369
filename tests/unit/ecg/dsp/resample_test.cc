// Resampling against scipy 1.10: signal.resample (FFT), interp1d(kind='cubic') on upstream's
// grids (500->250, 400->250, 360->250, 250->500 Hz, 4 and 5 points) and on a non-uniform grid with
// extrapolation, resample_poly with its Kaiser FIR; then whole Records.
#include "common/ecg/dsp/resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <utility>
#include <string>

#include "common/ecg/dsp/cubic_spline.h"
#include "common/ecg/dsp/fourier_resample.h"
#include "common/ecg/dsp/polyphase.h"
#include "tests/unit/ecg/dsp/reference_data.h"

namespace ecgbench::common::ecg {
namespace {

using testing::MaxAbsDiff;
using testing::ReferenceData;
using testing::ToDouble;

TEST(FourierResampleTest, MatchesScipyResample) {
  auto ref = ReferenceData::Get("fourier");
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_EQ((*ref)->cases().size(), 8u);
  FourierResampler resampler;
  for (const auto& c : (*ref)->cases()) {
    SCOPED_TRACE(c[1]);
    auto x = (*ref)->Read("fr_" + c[1] + "_in");
    auto want = (*ref)->Read("fr_" + c[1] + "_out");
    ASSERT_TRUE(x.ok() && want.ok());
    std::vector<double> y(static_cast<size_t>(std::stoll(c[3])));
    ASSERT_TRUE(resampler.Resample(*x, absl::MakeSpan(y)).ok());
    EXPECT_LE(MaxAbsDiff(y, *want), 1e-12);
  }
  std::vector<double> empty_out;
  EXPECT_FALSE(resampler.Resample(std::vector<double>{1.0}, absl::MakeSpan(empty_out)).ok());
}

TEST(FftPlanTest, ForwardThenInverseIsIdentityTimesN) {
  for (size_t n : {1, 2, 3, 8, 12, 97, 1000}) {
    FftPlan plan(n);
    std::vector<double> re(n), im(n);
    for (size_t i = 0; i < n; ++i) {
      re[i] = std::sin(1.0 + static_cast<double>(i));
      im[i] = std::cos(0.3 * static_cast<double>(i));
    }
    std::vector<double> yr = re, yi = im;
    plan.Forward(yr.data(), yi.data(), 1);
    // X[1] against the definition.
    if (n > 1) {
      std::complex<double> direct = 0;
      for (size_t t = 0; t < n; ++t) {
        direct += std::complex<double>(re[t], im[t]) * std::polar(1.0, -2 * M_PI * static_cast<double>(t) / n);
      }
      EXPECT_NEAR(std::abs(direct - std::complex<double>(yr[1], yi[1])), 0.0, 1e-11) << n;
    }
    plan.Inverse(yr.data(), yi.data(), 1);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(yr[i] / static_cast<double>(n), re[i], 1e-12) << n;
      EXPECT_NEAR(yi[i] / static_cast<double>(n), im[i], 1e-12) << n;
    }
  }
}

TEST(FourierResampleTest, InterleavedEqualsPerSignalBitForBit) {
  for (auto [nx, num] : {std::pair<size_t, size_t>{1001, 1000}, {64, 50}, {50, 64}}) {
    const size_t lanes = 8;
    std::vector<double> x(nx * lanes);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * static_cast<double>(i)) + 0.01 * static_cast<double>(i % 7);
    FourierResampler resampler;
    std::vector<double> y(num * lanes);
    ASSERT_TRUE(resampler.ResampleInterleaved(x, lanes, absl::MakeSpan(y)).ok());
    for (size_t l = 0; l < lanes; ++l) {
      std::vector<double> one(nx), out(num);
      for (size_t t = 0; t < nx; ++t) one[t] = x[t * lanes + l];
      ASSERT_TRUE(resampler.Resample(one, absl::MakeSpan(out)).ok());
      for (size_t t = 0; t < num; ++t) ASSERT_EQ(y[t * lanes + l], out[t]) << nx << " lane " << l << " t " << t;
    }
  }
}

TEST(CubicResampleTest, MatchesInterp1dOnUpstreamGrids) {
  auto ref = ReferenceData::Get("cubic");
  ASSERT_TRUE(ref.ok()) << ref.status();
  CubicResampler resampler;
  int grids = 0;
  for (const auto& c : (*ref)->cases()) {
    SCOPED_TRACE(c[1]);
    if (c[0] == "spline") {
      auto x = (*ref)->Read("sp_x");
      auto y = (*ref)->Read("sp_y");
      auto xn = (*ref)->Read("sp_xnew");
      auto want = (*ref)->Read("sp_out");
      ASSERT_TRUE(x.ok() && y.ok() && xn.ok() && want.ok());
      CubicSplineInterpolator spline;
      std::vector<double> out(xn->size());
      ASSERT_TRUE(spline.Interpolate(*x, *y, *xn, absl::MakeSpan(out)).ok());
      EXPECT_LE(MaxAbsDiff(out, *want), 1e-9);  // includes extrapolation 2 units past both ends
      continue;
    }
    auto x = (*ref)->Read("cu_" + c[1] + "_in");
    auto want = (*ref)->Read("cu_" + c[1] + "_out");
    ASSERT_TRUE(x.ok() && want.ok());
    const double fs = ToDouble(c[3]), target = ToDouble(c[4]);
    const int64_t m = CubicResampleLength(static_cast<int64_t>(x->size()), fs, target);
    ASSERT_EQ(static_cast<size_t>(m), want->size());
    std::vector<double> y(static_cast<size_t>(m));
    ASSERT_TRUE(resampler.Resample(*x, fs, target, absl::MakeSpan(y)).ok());
    EXPECT_LE(MaxAbsDiff(y, *want), 1e-9);
    ++grids;
  }
  EXPECT_EQ(grids, 7);
}

TEST(CubicResampleTest, UpstreamLengthsAndErrors) {
  EXPECT_EQ(CubicResampleLength(5000, 500, 250), 2500);
  EXPECT_EQ(CubicResampleLength(4096, 400, 250), 2560);
  EXPECT_EQ(CubicResampleLength(108000, 360, 250), 75000);
  EXPECT_EQ(CubicResampleLength(3601, 360, 250), 2500);  // truncated, as int() does
  std::vector<double> grid(5);
  Linspace(0, 1, absl::MakeSpan(grid));
  EXPECT_EQ(grid, (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  CubicSplineInterpolator spline;
  std::vector<double> out(1);
  const std::vector<double> three = {0, 1, 2}, at = {0.5};
  EXPECT_EQ(spline.Interpolate(three, three, at, absl::MakeSpan(out)).message(),
            "cubic interpolation: x and y arrays must have at least 4 entries, got 3");
  const std::vector<double> unsorted = {0, 2, 1, 3};
  EXPECT_FALSE(spline.Interpolate(unsorted, unsorted, at, absl::MakeSpan(out)).ok());
  // A cubic is reproduced exactly (not-a-knot), also when extrapolating.
  std::vector<double> xs = {0, 1, 2.5, 3, 4.2, 6}, ys;
  for (double v : xs) ys.push_back(v * v * v - 2 * v + 1);
  const std::vector<double> probe = {-1, 0.3, 2.9, 5.5, 7};
  std::vector<double> got(probe.size());
  ASSERT_TRUE(spline.Interpolate(xs, ys, probe, absl::MakeSpan(got)).ok());
  for (size_t i = 0; i < probe.size(); ++i) EXPECT_NEAR(got[i], probe[i] * probe[i] * probe[i] - 2 * probe[i] + 1, 1e-11);
}

TEST(PolyphaseTest, MatchesResamplePoly) {
  auto ref = ReferenceData::Get("poly");
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_EQ((*ref)->cases().size(), 7u);
  PolyphaseResampler resampler;
  for (const auto& c : (*ref)->cases()) {
    SCOPED_TRACE(c[1]);
    auto x = (*ref)->Read("po_" + c[1] + "_in");
    auto want = (*ref)->Read("po_" + c[1] + "_out");
    auto h = (*ref)->Read("po_" + c[1] + "_h");
    ASSERT_TRUE(x.ok() && want.ok() && h.ok());
    const int up = std::stoi(c[3]), down = std::stoi(c[4]);
    ASSERT_EQ(PolyphaseResampler::OutputLength(static_cast<int64_t>(x->size()), up, down),
              static_cast<int64_t>(want->size()));
    std::vector<double> y(want->size());
    ASSERT_TRUE(resampler.Resample(*x, up, down, absl::MakeSpan(y)).ok());
    EXPECT_LE(MaxAbsDiff(y, *want), 1e-12);  // the brief asks for 1e-6
    EXPECT_LE(MaxAbsDiff(resampler.filter(), *h), 1e-15);
  }
}

TEST(ResampleInterleavedTest, EqualsPerSignalBitForBit) {
  const size_t lanes = 12, n = 3601;
  std::vector<double> x(n * lanes);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.0031 * static_cast<double>(i)) + 0.1 * std::cos(0.7 * static_cast<double>(i));
  CubicResampler cubic;
  PolyphaseResampler poly;
  const size_t m_cubic = static_cast<size_t>(CubicResampleLength(n, 360, 250));
  const size_t m_poly = static_cast<size_t>(PolyphaseResampler::OutputLength(n, 25, 36));
  std::vector<double> yc(m_cubic * lanes), yp(m_poly * lanes);
  ASSERT_TRUE(cubic.ResampleInterleaved(x, lanes, 360, 250, absl::MakeSpan(yc)).ok());
  ASSERT_TRUE(poly.ResampleInterleaved(x, lanes, 25, 36, absl::MakeSpan(yp)).ok());
  for (size_t l = 0; l < lanes; ++l) {
    std::vector<double> one(n), oc(m_cubic), op(m_poly);
    for (size_t t = 0; t < n; ++t) one[t] = x[t * lanes + l];
    ASSERT_TRUE(cubic.Resample(one, 360, 250, absl::MakeSpan(oc)).ok());
    ASSERT_TRUE(poly.Resample(one, 25, 36, absl::MakeSpan(op)).ok());
    for (size_t t = 0; t < m_cubic; ++t) ASSERT_EQ(yc[t * lanes + l], oc[t]) << l << " " << t;
    for (size_t t = 0; t < m_poly; ++t) ASSERT_EQ(yp[t * lanes + l], op[t]) << l << " " << t;
  }
  std::vector<double> bad(m_cubic * 3);
  EXPECT_FALSE(cubic.ResampleInterleaved(std::vector<double>(n * 3), 3, 360, 250, absl::MakeSpan(bad)).ok());
}

TEST(PolyphaseTest, RatiosAndErrors) {
  EXPECT_EQ(*PolyphaseRatio(500, 250), std::make_pair(1, 2));
  EXPECT_EQ(*PolyphaseRatio(360, 250), std::make_pair(25, 36));
  EXPECT_EQ(*PolyphaseRatio(400, 250), std::make_pair(5, 8));
  EXPECT_EQ(*PolyphaseRatio(128.5, 250), std::make_pair(500, 257));
  EXPECT_FALSE(PolyphaseRatio(0, 250).ok());
  EXPECT_FALSE(PolyphaseRatio(360.0001, 250).ok());  // not a multiple of 0.001 Hz
  EXPECT_FALSE(PolyphaseRatio(4097, 1).ok());        // factor above 4096
  PolyphaseResampler resampler;
  std::vector<double> x = {1, 2, 3}, y(3);
  ASSERT_TRUE(resampler.Resample(x, 4, 4, absl::MakeSpan(y)).ok());
  EXPECT_EQ(y, x);
  EXPECT_FALSE(resampler.Resample(x, 0, 1, absl::MakeSpan(y)).ok());
  EXPECT_FALSE(resampler.Resample(x, 1, 2, absl::MakeSpan(y)).ok());  // output must hold 2
}

Record MakeRecord(int leads, int64_t n, double fs) {
  Record r;
  r.id = "rec7";
  r.path = "data/rec7.hea";
  r.sampling_rate_hz = fs;
  r.num_samples = n;
  for (int l = 0; l < leads; ++l) {
    r.leads.push_back("L" + std::to_string(l));
    for (int64_t t = 0; t < n; ++t) {
      r.samples.push_back(static_cast<float>(std::sin(0.02 * static_cast<double>(t) * (l + 1)) + 0.1 * l));
    }
  }
  return r;
}

TEST(RecordResampleTest, CubicMatchesPerLeadResampling) {
  Record r = MakeRecord(3, 5000, 500);
  const Record original = r;
  ASSERT_TRUE(ResampleRecord(r, 250, ResampleMethod::kCubic).ok());
  EXPECT_EQ(r.num_samples, 2500);
  EXPECT_EQ(r.sampling_rate_hz, 250);
  ASSERT_EQ(r.samples.size(), 3u * 2500u);
  CubicResampler cubic;
  for (int l = 0; l < 3; ++l) {
    std::vector<double> in(original.lead(l), original.lead(l) + 5000), out(2500);
    ASSERT_TRUE(cubic.Resample(in, 500, 250, absl::MakeSpan(out)).ok());
    for (int64_t t = 0; t < 2500; ++t) ASSERT_EQ(r.lead(l)[t], static_cast<float>(out[t]));
  }
}

TEST(RecordResampleTest, PolyphaseLengthsAndNoOp) {
  Record r = MakeRecord(12, 4096, 400);
  ASSERT_TRUE(ResampleRecord(r, 250, ResampleMethod::kPolyphase).ok());
  EXPECT_EQ(r.num_samples, 2560);
  Record same = MakeRecord(2, 100, 250);
  const std::vector<float> before = same.samples;
  ASSERT_TRUE(ResampleRecord(same, 250).ok());
  EXPECT_EQ(same.samples, before);
  EXPECT_EQ(*ResampledLength(3601, 360, 250, ResampleMethod::kCubic), 2500);
  EXPECT_EQ(*ResampledLength(3601, 360, 250, ResampleMethod::kPolyphase), 2501);
  EXPECT_EQ(*ParseResampleMethod("polyphase"), ResampleMethod::kPolyphase);
  EXPECT_EQ(ParseResampleMethod("linear").status().message(),
            "unknown resampling method 'linear' (expected cubic or polyphase)");
  EXPECT_STREQ(ResampleMethodName(ResampleMethod::kCubic), "cubic");
}

TEST(RecordResampleTest, ErrorsNameTheRecordAndLeaveItUnchanged) {
  Record tiny = MakeRecord(1, 3, 500);
  const Record before = tiny;
  const absl::Status status = ResampleRecord(tiny, 250);
  EXPECT_EQ(status.message(),
            "data/rec7.hea: resample 500 Hz -> 250 Hz (cubic): cubic interpolation needs at least 4 samples, got 3");
  EXPECT_EQ(tiny.samples, before.samples);
  EXPECT_EQ(tiny.num_samples, 3);
  Record r = MakeRecord(1, 100, 500);
  EXPECT_EQ(ResampleRecord(r, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResampleRecord(r, 1.0001, ResampleMethod::kPolyphase).code(), absl::StatusCode::kInvalidArgument);
  Record broken = MakeRecord(2, 100, 500);
  broken.samples.pop_back();
  EXPECT_EQ(ResampleRecord(broken, 250).code(), absl::StatusCode::kInvalidArgument);
  Record to_nothing = MakeRecord(1, 4, 500);
  EXPECT_EQ(ResampleRecord(to_nothing, 100).code(), absl::StatusCode::kInvalidArgument);  // int(0.8) == 0
}

}  // namespace
}  // namespace ecgbench::common::ecg
