// Cross-check of the 288 RAG features against features_reference.py (numpy / scipy / PyWavelets,
// written from the upstream description): every value within 1e-6 relative (plus 1e-12 absolute
// for values that are zero up to rounding), over synthetic ECGs, several lengths (Welch with one
// or three segments, wavelet depths 5, 3 and 0) and degenerate leads.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/rag/ecg_features.h"
#include "common/rag/feature_batch.h"
#include "tests/unit/rag/synthetic_ecg.h"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/testing/temp_dir.h"

#ifndef ECGBENCH_RAG_FEATURES_REFERENCE
#error "ECGBENCH_RAG_FEATURES_REFERENCE must name tests/unit/rag/features_reference.py"
#endif

namespace ecgbench::common::rag {
namespace {

using testing::SyntheticEcg;
using testing::SyntheticEcgOptions;

struct Batch {
  std::vector<float> ecgs;  // count x 12 x n
  int64_t n = 0;
  double fs = 250;
};

std::vector<double> ReadDoubles(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<double> v(bytes.size() / sizeof(double));
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(v.size() * sizeof(double)),
            reinterpret_cast<char*>(v.data()));
  return v;
}

// Reference features of every batch, from one run of the Python script.
std::vector<std::vector<double>> ReferenceFeatures(const std::vector<Batch>& batches) {
  test_support::TempDir dir;
  std::string command = absl::StrCat("/usr/bin/python3 '", ECGBENCH_RAG_FEATURES_REFERENCE, "'");
  for (size_t b = 0; b < batches.size(); ++b) {
    const std::string in = dir / absl::StrCat("in", b, ".f32");
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char*>(batches[b].ecgs.data()),
               static_cast<std::streamsize>(batches[b].ecgs.size() * sizeof(float)));
    absl::StrAppend(&command, " '", in, "' '", dir / absl::StrCat("out", b, ".f64"), "' 12 ", batches[b].n, " ",
                    batches[b].fs);
  }
  const test_support::CommandResult r = test_support::RunCommand(command);
  EXPECT_TRUE(r.ok()) << "features_reference.py failed (needs /usr/bin/python3 with Debian's python3-numpy, "
                         "python3-scipy, python3-pywt): "
                      << r.output;
  std::vector<std::vector<double>> out;
  for (size_t b = 0; b < batches.size(); ++b) out.push_back(ReadDoubles(dir / absl::StrCat("out", b, ".f64")));
  return out;
}

// Compares C++ and reference features of the batches; returns the number of values compared.
int64_t CompareBatches(const std::vector<Batch>& batches) {
  const std::vector<std::vector<double>> refs = ReferenceFeatures(batches);
  int64_t compared = 0;
  int failures = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    const int64_t n = batches[b].n;
    const std::vector<float>& ecgs = batches[b].ecgs;
    const int64_t count = static_cast<int64_t>(ecgs.size()) / (12 * n);
    std::vector<double> mine(static_cast<size_t>(count * kNumEcgFeatures));
    FeatureOptions options;
    options.sampling_rate_hz = batches[b].fs;
    const absl::Status st = ExtractFeaturesBatch(
        count, [&](int64_t i) { return ecgs.data() + i * 12 * n; }, 12, n, options, 2, absl::MakeSpan(mine));
    EXPECT_TRUE(st.ok()) << st;
    const std::vector<double>& ref = refs[b];
    EXPECT_EQ(ref.size(), mine.size()) << "L=" << n;
    if (ref.size() != mine.size()) continue;
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_FALSE(std::isnan(mine[i]));
      const double tol = 1e-6 * std::max(std::fabs(ref[i]), std::fabs(mine[i])) + 1e-12;
      if (!(std::fabs(ref[i] - mine[i]) <= tol) && ++failures <= 20) {
        const size_t ecg = i / kNumEcgFeatures, lead = (i % kNumEcgFeatures) / kFeaturesPerLead;
        ADD_FAILURE() << "L=" << n << " ECG " << ecg << " lead " << lead << " feature '"
                      << FeatureNames()[i % kFeaturesPerLead] << "': C++ " << mine[i] << " vs reference " << ref[i];
      }
    }
    compared += static_cast<int64_t>(ref.size());
  }
  EXPECT_EQ(failures, 0);
  return compared;
}

std::vector<float> SyntheticBatch(int count, int64_t n, uint64_t seed0) {
  std::vector<float> all;
  for (int k = 0; k < count; ++k) {
    SyntheticEcgOptions o;
    o.num_samples = n;
    o.noise = 0.005 + 0.02 * (k % 4);
    o.amplitude = 0.5 + 0.25 * (k % 5);
    const std::vector<float> e = SyntheticEcg(seed0 + static_cast<uint64_t>(k), o);
    all.insert(all.end(), e.begin(), e.end());
  }
  return all;
}

// One ECG whose leads are the awkward cases: constant, zero, ramp (no local maxima), a single
// spike (one peak), quantised beats (flat tops), white noise, square wave, slow sine, a lead with
// two tall peaks closer than the minimum distance, a large offset, a negative-only lead.
std::vector<float> DegenerateEcg(int64_t n) {
  std::vector<float> e = SyntheticEcg(99, SyntheticEcgOptions{n, 250, 72, 0.01, 1.0});
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 1);
  auto lead = [&](int l) { return e.data() + l * n; };
  for (int64_t t = 0; t < n; ++t) {
    lead(0)[t] = 0.25f;
    lead(1)[t] = 0.0f;
    lead(2)[t] = static_cast<float>(0.001 * static_cast<double>(t));
    const double d = static_cast<double>(t - n / 2) / 4.0;
    lead(3)[t] = static_cast<float>(std::exp(-d * d));  // one peak
    lead(4)[t] = std::round(lead(4)[t] * 10.0f) / 10.0f;
    lead(5)[t] = static_cast<float>(g(rng));
    lead(6)[t] = (t / 37) % 2 == 0 ? 1.0f : -1.0f;
    lead(7)[t] = static_cast<float>(std::sin(2 * M_PI * 1.3 * static_cast<double>(t) / 250.0));
    lead(8)[t] = (t == n / 3 || t == n / 3 + 20) ? 2.0f : static_cast<float>(0.01 * g(rng));
    lead(9)[t] += 100.0f;
    lead(10)[t] = -std::fabs(lead(10)[t]) - 1.0f;
  }
  return e;
}

TEST(FeaturesReferenceTest, TenAndFiveSecondEcgsMatchNumpyScipyPywt) {
  Batch ten{SyntheticBatch(16, 2500, 1000), 2500, 250};
  const std::vector<float> odd10 = DegenerateEcg(2500);
  ten.ecgs.insert(ten.ecgs.end(), odd10.begin(), odd10.end());
  Batch five{SyntheticBatch(6, 1250, 2000), 1250, 250};  // one Welch segment
  const std::vector<float> odd5 = DegenerateEcg(1250);
  five.ecgs.insert(five.ecgs.end(), odd5.begin(), odd5.end());
  EXPECT_EQ(CompareBatches({ten, five}), (17 + 7) * kNumEcgFeatures);
}

TEST(FeaturesReferenceTest, ShortSignalsAndOtherRates) {
  const std::vector<Batch> batches = {
      {SyntheticBatch(4, 300, 3000), 300, 250},
      {SyntheticBatch(3, 100, 4000), 100, 250},   // wavelet level 3
      {SyntheticBatch(2, 1001, 5000), 1001, 100},  // odd nperseg, other rate
      {SyntheticBatch(2, 7, 6000), 7, 250},        // wavelet level 0
      {SyntheticBatch(2, 2, 7000), 2, 250}};
  EXPECT_EQ(CompareBatches(batches), (4 + 3 + 2 + 2 + 2) * kNumEcgFeatures);
}

}  // namespace
}  // namespace ecgbench::common::rag
