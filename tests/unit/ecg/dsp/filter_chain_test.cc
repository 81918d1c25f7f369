// The paper-era chain against the upstream Python (_advanced_ecg_filter + _wavelet_denoise) on
// 12-lead records: PTB-XL-like (500 Hz x 5000), CODE-15-like (400 Hz x 4096), an odd length
// (500 Hz x 2501: waverec returns n + 1 and is FFT-resampled back) and 200 Hz with the upper
// band edge clamped to 0.99 * Nyquist (the Python reference clamps the same way; scipy would
// raise).
//
// SOS form: agrees with the Python sosfiltfilt chain to 1e-10 in double (measured <= 1.1e-11)
// and to float32 rounding through Records. (b, a) form, the default and upstream's: limited by
// the 0.05 Hz high-pass, whose (b, a) recursion amplifies rounding by ~1e13 at DC and whose
// lfilter_zi scipy solves with cond ~5e14 (Note [Parity of (b, a) filters] in filtfilt.h).
// Measured on Debian 12: 6.0e-5 (500 Hz), 2.9e-5 (400 Hz), 7.6e-5 (odd length), 1.6e-5 (200 Hz)
// mV on outputs of ~2.5 mV (the SOS chain is 2.0e-4 from scipy's (b, a) chain); asserted
// <= 1e-3 mV.
#include "common/ecg/dsp/filter_chain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "tests/unit/ecg/dsp/reference_data.h"

namespace ecgbench::common::ecg {
namespace {

using testing::MaxAbsDiff;
using testing::ReferenceData;
using testing::ToDouble;

Record FromLeadMajor(const std::vector<double>& values, int leads, int64_t n, double fs) {
  Record r;
  r.id = "chain";
  r.sampling_rate_hz = fs;
  r.num_samples = n;
  for (int l = 0; l < leads; ++l) r.leads.push_back("L" + std::to_string(l));
  r.samples.assign(values.begin(), values.end());  // the reference rounded them to float32 already
  return r;
}

std::vector<double> ToDoubles(const Record& r) { return {r.samples.begin(), r.samples.end()}; }

TEST(FilterChainTest, MatchesUpstreamPython) {
  auto ref = ReferenceData::Get("chain");
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_EQ((*ref)->cases().size(), 4u);
  PaperFilterOptions sos_options;
  sos_options.form = FilterForm::kSos;
  PaperFilterChain ba_chain, sos_chain(sos_options);
  for (const auto& c : (*ref)->cases()) {
    const std::string& name = c[1];
    SCOPED_TRACE(name);
    const double fs = ToDouble(c[2]);
    const int64_t n = std::stoll(c[3]);
    const int leads = std::stoi(c[4]);
    auto in = (*ref)->Read("ch_" + name + "_in");
    auto want_ba = (*ref)->Read("ch_" + name + "_ba");
    auto want_sos = (*ref)->Read("ch_" + name + "_sos");
    ASSERT_TRUE(in.ok() && want_ba.ok() && want_sos.ok());

    // Double precision, one lead at a time.
    std::vector<double> sos_out(in->size());
    for (int l = 0; l < leads; ++l) {
      std::vector<double> lead(in->begin() + l * n, in->begin() + (l + 1) * n);
      ASSERT_TRUE(sos_chain.ApplyToLead(absl::MakeSpan(lead), fs).ok());
      std::copy(lead.begin(), lead.end(), sos_out.begin() + l * n);
    }
    EXPECT_LE(MaxAbsDiff(sos_out, *want_sos), 1e-10);

    // Records (float32 in and out).
    Record r_sos = FromLeadMajor(*in, leads, n, fs);
    ASSERT_TRUE(sos_chain.Apply(r_sos).ok());
    EXPECT_LE(MaxAbsDiff(ToDoubles(r_sos), *want_sos), 1e-6);
    Record r_ba = FromLeadMajor(*in, leads, n, fs);
    ASSERT_TRUE(ba_chain.Apply(r_ba).ok());
    EXPECT_LE(MaxAbsDiff(ToDoubles(r_ba), *want_ba), 1e-3);
  }
}

TEST(FilterChainTest, RecordPathEqualsPerLeadPath) {
  for (int64_t n : {3000, 1001}) {
    Record r;
    r.id = "eq";
    r.sampling_rate_hz = 400;
    r.num_samples = n;
    for (int l = 0; l < 5; ++l) {  // 5 leads: padded to 8 lanes
      r.leads.push_back("L" + std::to_string(l));
      for (int64_t t = 0; t < n; ++t) r.samples.push_back(static_cast<float>(std::sin(0.02 * t * (l + 1)) + 0.3 * l));
    }
    const Record original = r;
    for (FilterForm form : {FilterForm::kTransferFunction, FilterForm::kSos}) {
      PaperFilterOptions options;
      options.form = form;
      PaperFilterChain chain(options);
      Record filtered = original;
      ASSERT_TRUE(chain.Apply(filtered).ok());
      for (int l = 0; l < 5; ++l) {
        std::vector<double> lead(original.lead(l), original.lead(l) + n);
        ASSERT_TRUE(chain.ApplyToLead(absl::MakeSpan(lead), 400).ok());
        for (int64_t t = 0; t < n; ++t) ASSERT_EQ(filtered.lead(l)[t], static_cast<float>(lead[t])) << l << " " << t;
      }
    }
  }
}

TEST(FilterChainTest, ApplyPaperFiltersUsesTheDefaultChainAndRemovesHum) {
  Record hum, clean;
  for (Record* r : {&hum, &clean}) {
    r->id = "r1";
    r->sampling_rate_hz = 500;
    r->num_samples = 1000;
    r->leads = {"I", "II"};
  }
  for (int l = 0; l < 2; ++l) {
    for (int t = 0; t < 1000; ++t) {
      const double slow = std::sin(0.05 * t + l);
      clean.samples.push_back(static_cast<float>(slow));
      hum.samples.push_back(static_cast<float>(slow + 0.2 * std::sin(2 * M_PI * 50 * t / 500.0)));
    }
  }
  Record again = hum;
  ASSERT_TRUE(ApplyPaperFilters(hum).ok());
  PaperFilterChain chain;
  ASSERT_TRUE(chain.Apply(again).ok());
  EXPECT_EQ(hum.samples, again.samples);
  ASSERT_TRUE(chain.Apply(clean).ok());
  // 0.2 mV of 50 Hz hum leaves < 0.03 mV away from the edges (Python: 0.027).
  double worst = 0;
  for (int t = 100; t < 900; ++t) worst = std::max(worst, static_cast<double>(std::fabs(hum.lead(0)[t] - clean.lead(0)[t])));
  EXPECT_LT(worst, 0.03);
}

TEST(FilterChainTest, DesignsClampTheUpperBandEdge) {
  auto at500 = DesignPaperFilters(500);
  ASSERT_TRUE(at500.ok());
  EXPECT_DOUBLE_EQ(at500->band_high_normalized, 100 / 250.0);
  EXPECT_DOUBLE_EQ(at500->band_low_normalized, 0.5 / 250.0);
  auto at200 = DesignPaperFilters(200);
  ASSERT_TRUE(at200.ok());
  EXPECT_EQ(at200->band_high_normalized, 0.99);
  auto at100 = DesignPaperFilters(100);
  ASSERT_FALSE(at100.ok());  // the 60 Hz notch is above Nyquist, as in scipy
  EXPECT_EQ(at100.status().message(),
            "notch 60 Hz at fs=100 Hz: iirnotch(f0=60, fs=100): w0 should be such that 0 < w0 < 1");
  PaperFilterOptions no_notch;
  no_notch.notch_hz = {};
  auto at100_no_notch = DesignPaperFilters(100, no_notch);
  ASSERT_TRUE(at100_no_notch.ok());
  EXPECT_EQ(at100_no_notch->band_high_normalized, 0.99);
  EXPECT_EQ(at100_no_notch->notches.size(), 0u);
  PaperFilterOptions bad_band = no_notch;
  bad_band.band_low_hz = 60;
  auto at100_bad = DesignPaperFilters(100, bad_band);
  ASSERT_FALSE(at100_bad.ok());
  EXPECT_TRUE(absl::StrContains(at100_bad.status().message(), "band-pass 60-100 Hz at fs=100 Hz")) << at100_bad.status();
  EXPECT_FALSE(DesignPaperFilters(0).ok());
}

TEST(FilterChainTest, ErrorsNameTheRecord) {
  Record r;
  r.id = "x";
  r.path = "p/x.hea";
  r.sampling_rate_hz = 500;
  r.num_samples = 27;
  r.leads = {"V1"};
  r.samples.assign(27, 0.5f);
  const std::vector<float> before = r.samples;
  const absl::Status status = ApplyPaperFilters(r);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "p/x.hea: filter chain: The length of the input vector x must be greater than padlen, which is 27.");
  EXPECT_EQ(r.samples, before);
  r.sampling_rate_hz = 100;
  r.num_samples = 200;
  r.samples.assign(200, 0.5f);
  EXPECT_TRUE(absl::StrContains(ApplyPaperFilters(r).message(), "p/x.hea: filter chain: notch 60 Hz"));
}

TEST(FilterChainTest, NanLeadBecomesZeros) {
  Record r;
  r.id = "nan";
  r.sampling_rate_hz = 500;
  r.num_samples = 600;
  r.leads = {"I", "II"};
  for (int t = 0; t < 1200; ++t) r.samples.push_back(static_cast<float>(std::sin(0.01 * t)));
  r.samples[100] = NAN;  // lead I only
  ASSERT_TRUE(ApplyPaperFilters(r).ok());
  for (int t = 0; t < 600; ++t) ASSERT_EQ(r.lead(0)[t], 0.0f) << t;  // IIR spreads NaN; nan_to_num zeroes it
  double energy = 0;
  for (int t = 0; t < 600; ++t) energy += std::fabs(r.lead(1)[t]);
  EXPECT_GT(energy, 1.0);
}

}  // namespace
}  // namespace ecgbench::common::ecg
