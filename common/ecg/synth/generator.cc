// Synthetic ECG generation: plan -> dipole -> independent leads + noise -> 12 leads (generator.h).
#include "common/ecg/synth/generator.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/synth/beat_model.h"
#include "common/ecg/synth/dipole.h"

namespace ecgbench::common::ecg {

using synth_internal::DipoleSignal;
using synth_internal::kNumIndependentLeads;
using synth_internal::RecordPlan;

absl::Status ValidateSynthOptions(const SynthOptions& options) {
  if (!std::isfinite(options.fs) || options.fs < 50 || options.fs > 10000) {
    return absl::InvalidArgumentError(absl::StrCat("fs must be in [50, 10000] Hz, got ", options.fs));
  }
  if (!std::isfinite(options.duration_s) || options.duration_s <= 0 || options.duration_s > 600) {
    return absl::InvalidArgumentError(absl::StrCat("duration_s must be in (0, 600], got ", options.duration_s));
  }
  if (std::llround(options.fs * options.duration_s) < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("fs * duration_s must give at least one sample, got ", options.fs * options.duration_s));
  }
  return ValidateNoiseOptions(options.noise, options.fs);
}

namespace {

void FillMeta(const RecordPlan& plan, const SynthOptions& options, SynthMeta& meta) {
  meta = SynthMeta{};
  meta.ecg_class = plan.ecg_class;
  meta.bbb_type = plan.bbb;
  meta.st_group = plan.st_group;
  meta.st_leads = StGroupLeads(plan.st_group);
  meta.st_mv = plan.st_mv;
  meta.noise = options.noise;
  for (const auto& b : plan.beats) {
    if (b.onset_s < 0 || b.onset_s >= options.duration_s) continue;
    meta.qrs_onsets_s.push_back(b.onset_s);
    meta.premature.push_back(b.premature);
    meta.num_premature += b.premature ? 1 : 0;
  }
  const size_t n = meta.qrs_onsets_s.size();
  double mean_rr = 0;
  if (n >= 2) {
    mean_rr = (meta.qrs_onsets_s.back() - meta.qrs_onsets_s.front()) / static_cast<double>(n - 1);
    double var = 0;
    for (size_t i = 1; i < n; ++i) {
      const double d = meta.qrs_onsets_s[i] - meta.qrs_onsets_s[i - 1] - mean_rr;
      var += d * d;
    }
    meta.rr_cv = std::sqrt(var / static_cast<double>(n - 1)) / mean_rr;
    meta.heart_rate_bpm = 60.0 / mean_rr;
  }
  meta.pr_ms = plan.ecg_class == EcgClass::kAtrialFibrillation ? std::numeric_limits<double>::quiet_NaN()
                                                                : plan.m.pr_s * 1000.0;
  meta.qrs_ms = plan.m.qrs_s * 1000.0;
  meta.qt_ms = synth_internal::QtSeconds(plan.m, mean_rr > 0 ? mean_rr : 1.0) * 1000.0;
}

}  // namespace

Record Generate(EcgClass c, const SynthOptions& options, Rng& rng, SynthMeta* meta) {
  Record record;
  record.source = "synth";
  if (!ValidateSynthOptions(options).ok()) return record;
  const int64_t n = std::llround(options.fs * options.duration_s);
  const RecordPlan plan = synth_internal::PlanRecord(c, options.duration_s, rng);
  const uint64_t noise_seed = rng.NextU64();

  DipoleSignal dipole(options.fs, n);
  synth_internal::RenderPlan(plan, dipole);
  std::vector<double> independent;
  dipole.ProjectIndependent(independent);
  std::vector<double> scratch;
  synth_internal::AddNoise(options.noise, options.fs, kNumIndependentLeads, n, noise_seed, independent, scratch);

  record.sampling_rate_hz = options.fs;
  record.num_samples = n;
  record.leads.assign(kStandardLeads.begin(), kStandardLeads.end());
  record.samples.assign(static_cast<size_t>(kNumStandardLeads) * static_cast<size_t>(n), 0.0f);
  for (int l = 0; l < kNumIndependentLeads; ++l) {
    const double* src = independent.data() + static_cast<size_t>(l) * static_cast<size_t>(n);
    float* dst = record.lead(synth_internal::kIndependentToStandard[l]);
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
  }
  // Derived limb leads from the stored float I and II, so the identities hold on the output.
  const float* lead_i = record.lead(0);
  const float* lead_ii = record.lead(1);
  float* lead_iii = record.lead(2);
  float* avr = record.lead(3);
  float* avl = record.lead(4);
  float* avf = record.lead(5);
  for (int64_t t = 0; t < n; ++t) {
    const float a = lead_i[t], b = lead_ii[t];
    lead_iii[t] = b - a;
    avr[t] = -(a + b) / 2.0f;
    avl[t] = a - b / 2.0f;
    avf[t] = b - a / 2.0f;
  }
  if (meta != nullptr) FillMeta(plan, options, *meta);
  return record;
}

Record Generate(EcgClass c, const SynthOptions& options, SynthMeta* meta) {
  Rng rng(options.seed);
  return Generate(c, options, rng, meta);
}

}  // namespace ecgbench::common::ecg
