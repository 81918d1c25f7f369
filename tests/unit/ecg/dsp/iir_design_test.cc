// IirNotch and Butter against scipy.signal 1.10 (coefficients within 1e-10 relative), and their
// errors.
#include "common/ecg/dsp/iir_design.h"

#include <gtest/gtest.h>

#include <cmath>

#include "absl/strings/match.h"
#include "tests/unit/ecg/dsp/reference_data.h"

namespace ecgbench::common::ecg {
namespace {

using testing::ReferenceData;
using testing::ToDouble;

// max |ours - scipy| / max |scipy|.
double RelDiff(const std::vector<double>& ours, const std::vector<double>& ref) {
  if (ours.size() != ref.size()) return INFINITY;
  return testing::MaxAbsDiff(ours, ref) / testing::MaxAbs(ref);
}

BandType ParseBand(const std::string& s) {
  if (s == "lowpass") return BandType::kLowpass;
  if (s == "highpass") return BandType::kHighpass;
  return BandType::kBandpass;
}

TEST(IirDesignTest, MatchesScipy) {
  auto ref = ReferenceData::Get("design");
  ASSERT_TRUE(ref.ok()) << ref.status();
  int notches = 0, butters = 0;
  for (const auto& c : (*ref)->cases()) {
    const std::string& name = c[1];
    SCOPED_TRACE(name);
    auto b = (*ref)->Read(name + "_b");
    auto a = (*ref)->Read(name + "_a");
    ASSERT_TRUE(b.ok() && a.ok());
    if (c[0] == "notch") {
      auto tf = IirNotch(ToDouble(c[2]), ToDouble(c[3]), ToDouble(c[4]));
      ASSERT_TRUE(tf.ok()) << tf.status();
      EXPECT_LE(RelDiff(tf->b, *b), 1e-14);
      EXPECT_LE(RelDiff(tf->a, *a), 1e-14);
      ++notches;
      continue;
    }
    std::optional<double> fs;
    if (c[4] != "none") fs = ToDouble(c[4]);
    std::vector<double> wn;
    for (size_t i = 5; i < c.size(); ++i) wn.push_back(ToDouble(c[i]));
    auto design = Butter(std::stoi(c[2]), wn, ParseBand(c[3]), fs);
    ASSERT_TRUE(design.ok()) << design.status();
    EXPECT_LE(RelDiff(design->ba.b, *b), 1e-10);
    EXPECT_LE(RelDiff(design->ba.a, *a), 1e-10);
    auto sos = (*ref)->Read(name + "_sos");
    ASSERT_TRUE(sos.ok());
    std::vector<double> flat;
    for (const SosSection& s : design->sos) flat.insert(flat.end(), s.begin(), s.end());
    // Same pairing and section order as zpk2sos(pairing='nearest'); scale is per section.
    ASSERT_EQ(flat.size(), sos->size());
    for (size_t s = 0; s < flat.size() / 6; ++s) {
      std::vector<double> ours(flat.begin() + 6 * s, flat.begin() + 6 * s + 6);
      std::vector<double> theirs(sos->begin() + 6 * s, sos->begin() + 6 * s + 6);
      EXPECT_LE(RelDiff(ours, theirs), 1e-10) << "section " << s;
    }
    ++butters;
  }
  EXPECT_EQ(notches, 7);
  EXPECT_EQ(butters, 19);
}

TEST(IirDesignTest, NotchIsUnitGainAtDcAndZeroAtF0) {
  auto tf = IirNotch(50, 30, 500);
  ASSERT_TRUE(tf.ok());
  EXPECT_NEAR((tf->b[0] + tf->b[1] + tf->b[2]) / (tf->a[0] + tf->a[1] + tf->a[2]), 1.0, 1e-15);
  // |H(e^{jw0})| = 0 at w0 = 2 pi 50 / 500.
  const double w = 2 * M_PI * 50 / 500;
  const double re = tf->b[0] + tf->b[1] * std::cos(w) + tf->b[2] * std::cos(2 * w);
  const double im = -tf->b[1] * std::sin(w) - tf->b[2] * std::sin(2 * w);
  EXPECT_NEAR(std::hypot(re, im), 0.0, 1e-15);
}

TEST(IirDesignTest, NotchRejectsFrequenciesAboveNyquist) {
  auto tf = IirNotch(60, 30, 100);
  ASSERT_FALSE(tf.ok());
  EXPECT_EQ(tf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(tf.status().message(), "w0 should be such that 0 < w0 < 1")) << tf.status();
  EXPECT_FALSE(IirNotch(50, 0, 500).ok());
  EXPECT_FALSE(IirNotch(50, 30, 0).ok());
  EXPECT_TRUE(IirNotch(50, 30, 100).ok());  // w0 == 1 is accepted, as in scipy
}

TEST(IirDesignTest, ButterErrorsUseScipyWording) {
  auto at_nyquist = Butter(4, {0.5, 100}, BandType::kBandpass, 200.0);
  ASSERT_FALSE(at_nyquist.ok());
  EXPECT_EQ(at_nyquist.status().message(),
            "butter: Digital filter critical frequencies must be 0 < Wn < fs/2 (fs=200 -> fs/2=100)");
  auto normalised = Butter(4, {0.005, 1.0}, BandType::kBandpass);
  ASSERT_FALSE(normalised.ok());
  EXPECT_EQ(normalised.status().message(), "butter: Digital filter critical frequencies must be 0 < Wn < 1");
  EXPECT_EQ(Butter(4, {0.4, 0.2}, BandType::kBandpass).status().message(), "butter: Wn[0] must be less than Wn[1]");
  EXPECT_EQ(Butter(4, {0.0}, BandType::kHighpass).status().message(),
            "butter: filter critical frequencies must be greater than 0");
  EXPECT_FALSE(Butter(4, {0.1, 0.2}, BandType::kHighpass).ok());
  EXPECT_FALSE(Butter(4, {0.1}, BandType::kBandpass).ok());
  EXPECT_FALSE(Butter(0, {0.1}, BandType::kLowpass).ok());
  EXPECT_FALSE(Butter(4, {0.1}, BandType::kLowpass, -1.0).ok());
}

TEST(IirDesignTest, ButterShapes) {
  auto band = Butter(4, {0.002, 0.4}, BandType::kBandpass);
  ASSERT_TRUE(band.ok());
  EXPECT_EQ(band->ba.b.size(), 9u);
  EXPECT_EQ(band->ba.a.size(), 9u);
  EXPECT_EQ(band->sos.size(), 4u);
  EXPECT_EQ(band->ba.a[0], 1.0);
  auto odd = Butter(3, {0.3}, BandType::kLowpass);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->sos.size(), 2u);
  // Odd order: the real pole gets a section of its own, [k, 2k, k, 1, a1, 0], first (as scipy's
  // zpk2sos pads with a pole and a zero at the origin), the remaining zeros go with the pair.
  EXPECT_EQ(odd->sos[0][5], 0.0);
  EXPECT_NE(odd->sos[0][2], 0.0);
  EXPECT_EQ(odd->sos[1][0], 1.0);
  EXPECT_EQ(odd->sos[1][2], 0.0);
  for (const SosSection& s : band->sos) EXPECT_EQ(s[3], 1.0);
}

}  // namespace
}  // namespace ecgbench::common::ecg
