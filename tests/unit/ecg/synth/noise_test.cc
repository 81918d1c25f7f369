// Noise options change the signal as intended: each kind adds its own component (with the same
// seed the clean part is bit-identical, so noisy - clean is exactly the added noise) with its
// spectrum where the option says: powerline at 50/60 Hz, baseline wander below 0.5 Hz, muscle
// noise in 20-150 Hz, white noise flat.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/ecg/synth/generator.h"
#include "tests/unit/ecg/synth/ecg_measure.h"

namespace ecgbench::common::ecg {
namespace {

using testing::PowerAt;

// noisy - clean for lead `lead` of a record made with `noise` (and seed 77).
std::vector<float> AddedNoise(const NoiseOptions& noise, int lead, EcgClass c = EcgClass::kSinusRhythm) {
  SynthOptions clean;
  clean.seed = 77;
  clean.noise = NoiseOptions::None();
  SynthOptions noisy = clean;
  noisy.noise = noise;
  const Record a = Generate(c, clean);
  const Record b = Generate(c, noisy);
  std::vector<float> d(static_cast<size_t>(a.num_samples));
  for (int64_t t = 0; t < a.num_samples; ++t) d[t] = b.lead(lead)[t] - a.lead(lead)[t];
  return d;
}

// Power in [lo, hi) Hz summed over the DFT bins of an n-sample signal (bin width fs / n).
double BandPower(const std::vector<float>& x, double fs, double lo, double hi) {
  const double df = fs / static_cast<double>(x.size());
  double p = 0;
  for (double f = std::ceil(lo / df) * df; f < hi; f += df) p += PowerAt(x.data(), static_cast<int64_t>(x.size()), fs, f);
  return p;
}

TEST(NoiseTest, PowerlineAddsAPeakAtTheMainsFrequency) {
  for (double mains : {50.0, 60.0}) {
    NoiseOptions noise = NoiseOptions::None();
    noise.powerline_mv = 0.05;
    noise.powerline_hz = mains;
    for (int lead : {0, 1, 7, 11}) {
      const std::vector<float> d = AddedNoise(noise, lead);
      const double peak = PowerAt(d.data(), 5000, 500, mains);
      // amplitude 0.6..1.0 x 0.05 mV -> power A^2/4
      EXPECT_GE(peak, 0.03 * 0.03 / 4 * 0.99) << mains;
      EXPECT_LE(peak, 0.05 * 0.05 / 4 * 1.01) << mains;
      const double other = mains == 50 ? 60 : 50;
      EXPECT_LT(PowerAt(d.data(), 5000, 500, other), 1e-9 * peak + 1e-12);
      EXPECT_GT(BandPower(d, 500, mains - 0.5, mains + 0.6), 0.999 * BandPower(d, 500, 0, 250));
    }
  }
}

TEST(NoiseTest, PowerlineShowsInTheWholeRecordSpectrum) {
  SynthOptions options;
  options.seed = 9;
  options.noise.powerline_mv = 0.05;
  options.noise.powerline_hz = 60;
  const Record r = Generate(EcgClass::kSinusRhythm, options);
  const float* ii = r.lead(1);
  const double at60 = PowerAt(ii, r.num_samples, 500, 60);
  for (double f : {45.0, 50.0, 55.0, 58.0, 62.0, 65.0, 70.0}) EXPECT_GT(at60, 50 * PowerAt(ii, r.num_samples, 500, f)) << f;
}

TEST(NoiseTest, BaselineWanderIsBelowHalfAHertz) {
  NoiseOptions noise = NoiseOptions::None();
  noise.baseline_wander_mv = 0.1;
  const std::vector<float> d = AddedNoise(noise, 1);
  const double low = BandPower(d, 500, 0, 0.6);
  const double all = BandPower(d, 500, 0, 250);
  EXPECT_GT(low, 0.95 * all);
  double peak = 0;
  for (float v : d) peak = std::max(peak, static_cast<double>(std::fabs(v)));
  EXPECT_GT(peak, 0.05);
  EXPECT_LE(peak, 0.2 + 1e-6);
}

TEST(NoiseTest, MuscleNoiseIsInTheEmgBand) {
  NoiseOptions noise = NoiseOptions::None();
  noise.muscle_mv = 0.03;
  const std::vector<float> d = AddedNoise(noise, 7);
  const double band = BandPower(d, 500, 15, 170);
  const double all = BandPower(d, 500, 0, 250);
  EXPECT_GT(band, 0.8 * all);
  EXPECT_LT(BandPower(d, 500, 0, 5), 0.01 * all);
  double rms = 0;
  for (float v : d) rms += static_cast<double>(v) * v;
  rms = std::sqrt(rms / static_cast<double>(d.size()));
  EXPECT_NEAR(rms, 0.03, 0.006);
}

TEST(NoiseTest, WhiteNoiseIsFlatWithTheRequestedDeviation) {
  NoiseOptions noise = NoiseOptions::None();
  noise.white_mv = 0.02;
  const std::vector<float> d = AddedNoise(noise, 0);
  double var = 0;
  for (float v : d) var += static_cast<double>(v) * v;
  EXPECT_NEAR(std::sqrt(var / static_cast<double>(d.size())), 0.02, 0.001);
  const double low = BandPower(d, 500, 0, 125);
  const double high = BandPower(d, 500, 125, 250);
  EXPECT_NEAR(low / (low + high), 0.5, 0.05);
}

TEST(NoiseTest, KindsAreIndependentStreams) {
  // Switching powerline on changes nothing but the added sinusoid: the white noise is the same.
  NoiseOptions white = NoiseOptions::None();
  white.white_mv = 0.01;
  NoiseOptions both = white;
  both.powerline_mv = 0.02;
  const std::vector<float> a = AddedNoise(white, 1);
  const std::vector<float> b = AddedNoise(both, 1);
  std::vector<float> diff(a.size());
  for (size_t i = 0; i < a.size(); ++i) diff[i] = b[i] - a[i];
  EXPECT_GT(BandPower(diff, 500, 49.5, 50.6), 0.999 * BandPower(diff, 500, 0, 250));
}

TEST(NoiseTest, NoNoiseMeansAFlatBaselineBetweenBeats) {
  SynthOptions options;
  options.seed = 4;
  options.noise = NoiseOptions::None();
  SynthMeta meta;
  const Record r = Generate(EcgClass::kSinusBradycardia, options, &meta);
  // In the middle of a long TP segment (bradycardia) the clean signal is exactly at baseline.
  const double t = meta.qrs_onsets_s[1] - 0.6;
  const int64_t i = std::llround(t * 500);
  for (int l = 0; l < 12; ++l) EXPECT_NEAR(r.lead(l)[i], 0.0, 0.02) << l;
}

}  // namespace
}  // namespace ecgbench::common::ecg
