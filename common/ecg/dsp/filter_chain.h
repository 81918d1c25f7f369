// The paper-era ECG-Bench / ECG-Byte filter chain (PreprocessBaseECG._advanced_ecg_filter followed
// by _wavelet_denoise), applied per lead at the record's native rate, before resampling:
//   1. notch 50 Hz and 2. notch 60 Hz: iirnotch(f0, Q=30, fs), each through filtfilt;
//   3. band-pass butter(4, [0.5 / nyq, 100 / nyq], 'band'), nyq = 0.5 * fs, through filtfilt;
//   4. baseline high-pass butter(4, 0.05 / nyq, 'high'), through filtfilt;
//   5. db6 level-4 wavelet denoising (wavelet.h), which ends with nan_to_num.
// Deviations from upstream, on purpose:
//   - Upper band edge: scipy raises when 100 / nyq >= 1 (fs <= 200 Hz). Here the normalised edge
//     is then clamped to 0.99, i.e. 0.99 * nyq Hz (99 Hz at fs = 200, 49.5 Hz at fs = 100).
//     A lower edge that is not below the clamped upper edge is an error.
//   - Precision: upstream ran in float64 for WFDB input but rounded to float32 between stages for
//     CODE-15 (float32 HDF5); here every stage runs in double and only the result is float32.
//   - (b, a) filters get the exact lfilter_zi (Note [Parity of (b, a) filters] in filtfilt.h).
// Notch frequencies above Nyquist are an error, as in scipy (upstream skipped such records).
// Filters use the (b, a) form by default, as upstream did; FilterForm::kSos uses second-order
// sections (sosfiltfilt), numerically sound but ~1e-3 away from scipy's (b, a) result for the
// 0.05 Hz high-pass at 500 Hz.
//
// PaperFilterChain caches the designs per sampling rate and owns its workspaces: not thread-safe,
// keep one per thread; after warm-up (same rate, same length) Apply does not allocate. Apply runs
// all leads at once (interleaved, SIMD across leads); each lead gets exactly what ApplyToLead
// gives it, on every x86-64 CPU (the AVX2 and baseline kernels round identically).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dsp/filtfilt.h"
#include "common/ecg/dsp/iir_design.h"
#include "common/ecg/dsp/wavelet.h"

namespace ecgbench::common::ecg {

enum class FilterForm { kTransferFunction, kSos };

struct PaperFilterOptions {
  std::vector<double> notch_hz = {50.0, 60.0};
  double notch_q = 30.0;
  double band_low_hz = 0.5;
  double band_high_hz = 100.0;
  double baseline_hz = 0.05;
  int order = 4;
  bool wavelet_denoise = true;
  WaveletDenoiseOptions wavelet;
  FilterForm form = FilterForm::kTransferFunction;
};

// The designs the chain uses at sampling rate fs.
struct PaperFilterDesign {
  std::vector<TransferFunction> notches;  // one per options.notch_hz
  ButterDesign band;
  ButterDesign baseline;
  double band_low_normalized = 0;   // band_low_hz / nyq
  double band_high_normalized = 0;  // band_high_hz / nyq, clamped to 0.99
};

// InvalidArgument naming the stage and the rate when a design is impossible.
absl::StatusOr<PaperFilterDesign> DesignPaperFilters(double fs, const PaperFilterOptions& options = {});

class PaperFilterChain {
 public:
  explicit PaperFilterChain(PaperFilterOptions options = {});

  // Filters every lead of `record` in place (all leads at once, interleaved, in double).
  // InvalidArgument naming the record (path, else id) when the record is inconsistent, a design
  // fails at its rate, or the leads have no more samples than the longest filter's padlen (27
  // for the order-4 band-pass); the record is then unchanged.
  absl::Status Apply(Record& record);

  // One lead in double precision, in place; bit-identical to what Apply computes for it.
  absl::Status ApplyToLead(absl::Span<double> lead, double fs);

  // `lanes` interleaved signals in place (sample t of signal l at data[t * lanes + l], lanes a
  // multiple of 4), as ApplyToLead on each.
  absl::Status ApplyInterleaved(absl::Span<double> data, size_t lanes, double fs);

  // The same without copies: `data` points at row 0 of n interleaved rows inside a buffer with
  // Headroom(fs) writable rows before row 0 and after row n - 1 (the filters pad there).
  absl::Status ApplyInterleavedPadded(double* data, size_t n, size_t lanes, double fs);
  // Rows of room ApplyInterleavedPadded needs around the signal at rate fs (the longest padlen);
  // errors as a failed design.
  absl::StatusOr<size_t> Headroom(double fs);

 private:
  struct Stages {
    double fs = 0;
    std::vector<ZeroPhaseFilter> filters;  // notches, band-pass, high-pass, in order
    size_t headroom = 0;                   // max padlen
  };
  absl::StatusOr<const Stages*> StagesFor(double fs);

  PaperFilterOptions options_;
  std::vector<std::unique_ptr<Stages>> cache_;  // one per rate seen
  FiltFiltWorkspace filtfilt_ws_;
  WaveletWorkspace wavelet_ws_;
  std::vector<double> lanes_;
};

// PaperFilterChain(default options).Apply(record) with a per-thread chain.
absl::Status ApplyPaperFilters(Record& record);

}  // namespace ecgbench::common::ecg
