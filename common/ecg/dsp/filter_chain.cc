// The paper-era filter chain (notches, band-pass, baseline high-pass, wavelet denoising).
#include "common/ecg/dsp/filter_chain.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/interleave.h"
#include "common/ecg/dsp/simd.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {
namespace {

constexpr double kClampedBandHigh = 0.99;  // normalised upper band edge when 100 Hz >= Nyquist

absl::Status Prefix(const absl::Status& status, const std::string& prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

}  // namespace

absl::StatusOr<PaperFilterDesign> DesignPaperFilters(double fs, const PaperFilterOptions& options) {
  if (!(fs > 0) || !std::isfinite(fs)) {
    return absl::InvalidArgumentError(absl::StrCat("filter chain: sampling rate must be positive, got ", fs));
  }
  const std::string at = absl::StrCat(" at fs=", fs, " Hz");
  PaperFilterDesign design;
  for (double f0 : options.notch_hz) {
    auto notch = IirNotch(f0, options.notch_q, fs);
    if (!notch.ok()) return Prefix(notch.status(), absl::StrCat("notch ", f0, " Hz", at));
    design.notches.push_back(std::move(*notch));
  }
  // As upstream: normalise by the Nyquist rate and design with fs=None.
  const double nyquist = 0.5 * fs;
  design.band_low_normalized = options.band_low_hz / nyquist;
  design.band_high_normalized = options.band_high_hz / nyquist;
  if (design.band_high_normalized >= 1.0) design.band_high_normalized = kClampedBandHigh;
  auto band = Butter(options.order, {design.band_low_normalized, design.band_high_normalized}, BandType::kBandpass);
  if (!band.ok()) {
    return Prefix(band.status(), absl::StrCat("band-pass ", options.band_low_hz, "-", options.band_high_hz, " Hz", at));
  }
  design.band = std::move(*band);
  auto baseline = Butter(options.order, {options.baseline_hz / nyquist}, BandType::kHighpass);
  if (!baseline.ok()) return Prefix(baseline.status(), absl::StrCat("high-pass ", options.baseline_hz, " Hz", at));
  design.baseline = std::move(*baseline);
  return design;
}

PaperFilterChain::PaperFilterChain(PaperFilterOptions options) : options_(std::move(options)) {}

absl::StatusOr<const PaperFilterChain::Stages*> PaperFilterChain::StagesFor(double fs) {
  for (const auto& stages : cache_) {
    if (stages->fs == fs) return stages.get();
  }
  ECGBENCH_ASSIGN_OR_RETURN(const PaperFilterDesign design, DesignPaperFilters(fs, options_));
  auto stages = std::make_unique<Stages>();
  stages->fs = fs;
  const bool sos = options_.form == FilterForm::kSos;
  for (const TransferFunction& notch : design.notches) {
    // A notch is one biquad: its (b, a) and SOS forms are the same recursion.
    ECGBENCH_ASSIGN_OR_RETURN(ZeroPhaseFilter f, ZeroPhaseFilter::FromTransferFunction(notch));
    stages->filters.push_back(std::move(f));
  }
  for (const ButterDesign* butter : {&design.band, &design.baseline}) {
    ECGBENCH_ASSIGN_OR_RETURN(ZeroPhaseFilter f, sos ? ZeroPhaseFilter::FromSos(butter->sos)
                                                     : ZeroPhaseFilter::FromTransferFunction(butter->ba));
    stages->filters.push_back(std::move(f));
  }
  for (const ZeroPhaseFilter& f : stages->filters) {
    stages->headroom = std::max(stages->headroom, static_cast<size_t>(f.padlen()));
  }
  cache_.push_back(std::move(stages));
  return cache_.back().get();
}

absl::Status PaperFilterChain::ApplyToLead(absl::Span<double> lead, double fs) {
  ECGBENCH_ASSIGN_OR_RETURN(const Stages* stages, StagesFor(fs));
  for (const ZeroPhaseFilter& f : stages->filters) {
    ECGBENCH_RETURN_IF_ERROR(f.Apply(lead, lead, filtfilt_ws_));
  }
  if (options_.wavelet_denoise) {
    ECGBENCH_RETURN_IF_ERROR(WaveletDenoise(lead, lead, wavelet_ws_, options_.wavelet));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> PaperFilterChain::Headroom(double fs) {
  ECGBENCH_ASSIGN_OR_RETURN(const Stages* stages, StagesFor(fs));
  return stages->headroom;
}

absl::Status PaperFilterChain::ApplyInterleavedPadded(double* data, size_t n, size_t lanes, double fs) {
  ECGBENCH_ASSIGN_OR_RETURN(const Stages* stages, StagesFor(fs));
  for (const ZeroPhaseFilter& f : stages->filters) {
    ECGBENCH_RETURN_IF_ERROR(f.ApplyInterleavedPadded(data, n, lanes, filtfilt_ws_));
  }
  if (options_.wavelet_denoise) {
    ECGBENCH_RETURN_IF_ERROR(WaveletDenoiseInterleaved(absl::MakeSpan(data, n * lanes), lanes, wavelet_ws_, options_.wavelet));
  }
  return absl::OkStatus();
}

absl::Status PaperFilterChain::ApplyInterleaved(absl::Span<double> data, size_t lanes, double fs) {
  if (lanes == 0 || lanes % simd::kLanes != 0 || data.size() % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("filter chain: ", data.size(), " values in ", lanes,
                                                   " lanes (lanes must be a positive multiple of ", simd::kLanes,
                                                   " dividing the size)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const size_t head, Headroom(fs));
  const size_t n = data.size() / lanes;
  lanes_.resize((n + 2 * head) * lanes);
  double* rows = lanes_.data() + head * lanes;
  std::copy(data.begin(), data.end(), rows);
  ECGBENCH_RETURN_IF_ERROR(ApplyInterleavedPadded(rows, n, lanes, fs));
  std::copy(rows, rows + n * lanes, data.begin());
  return absl::OkStatus();
}

absl::Status PaperFilterChain::Apply(Record& record) {
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  auto fail = [&](const absl::Status& status) {
    return Prefix(status, absl::StrCat(record.path.empty() ? record.id : record.path, ": filter chain"));
  };
  // All leads at once, interleaved (zero lanes pad to a multiple of 4), in double precision.
  const auto n = static_cast<size_t>(record.num_samples);
  const auto leads = static_cast<size_t>(record.num_leads());
  const size_t lanes = simd::PaddedLanes(leads);
  const absl::StatusOr<size_t> head = Headroom(record.sampling_rate_hz);
  if (!head.ok()) return fail(head.status());
  lanes_.resize((n + 2 * *head) * lanes);
  double* rows = lanes_.data() + *head * lanes;
  InterleaveLeads(record.samples.data(), leads, n, lanes, rows);
  const absl::Status status = ApplyInterleavedPadded(rows, n, lanes, record.sampling_rate_hz);
  if (!status.ok()) return fail(status);
  DeinterleaveLeads(rows, lanes, leads, n, record.samples.data());
  return absl::OkStatus();
}

absl::Status ApplyPaperFilters(Record& record) {
  thread_local PaperFilterChain chain;
  return chain.Apply(record);
}

}  // namespace ecgbench::common::ecg
