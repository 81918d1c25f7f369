// Zero-phase IIR filtering as scipy.signal.filtfilt(b, a, x) and sosfiltfilt(sos, x) (1.10) with
// their defaults: padtype='odd', padlen = 3 * max(len(a), len(b)) (sos: 3 * (2 * n_sections + 1
// - sections whose b2 and a2 are both zero)), a forward pass started from lfilter_zi * x_ext[0],
// a backward pass started from lfilter_zi * y[-1], the pad cut off again. The recursions are
// direct form II transposed in scipy's operation order.
//
// Note [Parity of (b, a) filters]. scipy gets lfilter_zi by solving (I - A^T) zi = B with
// LAPACK. For the paper-era filters that system is ill-conditioned (cond ~1e9 for the 0.5-100 Hz
// band-pass at 500 Hz, ~5e14 for the 0.05 Hz high-pass, whose poles sit within 6e-4 of z = 1),
// so scipy's zi carries relative errors of ~1e-7 and ~1e-3 whose exact values depend on the
// BLAS/LAPACK build and the CPU. Here zi is the exact steady state of the given coefficients:
// zi[i] = sum_{j>i} (b[j] - g * a[j]) with g = sum(b) / sum(a), evaluated in double-double and
// rounded once. The (b, a) recursions themselves are so sensitive that one ulp in a[3] of the
// 500 Hz band-pass moves the output by ~2e-7, and one ulp in b[2] of the 0.05 Hz high-pass by
// ~3e-3. The measured distances to scipy 1.10 (Debian 12) are asserted, with their reasons, in
// tests/unit/ecg/dsp/filtfilt_test.cc. The SOS form has none of these problems.
//
// ZeroPhaseFilter is immutable after creation; Apply is const and may run concurrently on
// distinct workspaces. A FiltFiltWorkspace is not thread-safe; keep one per thread. After the
// workspace has seen the longest input, Apply does not allocate.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/ecg/dsp/iir_design.h"

namespace ecgbench::common::ecg {

// Scratch buffers for ZeroPhaseFilter::Apply (the padded signal and the filter state).
class FiltFiltWorkspace {
 public:
  FiltFiltWorkspace() = default;

 private:
  friend class ZeroPhaseFilter;
  std::vector<double> ext_;
  std::vector<double> state_;
};

class ZeroPhaseFilter {
 public:
  // InvalidArgument when b or a is empty, a[0] == 0, a coefficient is not finite, or
  // sum(a) == 0 (a pole at z = 1: scipy's solve fails as singular).
  static absl::StatusOr<ZeroPhaseFilter> FromTransferFunction(const TransferFunction& tf);
  // InvalidArgument when `sos` is empty, a section's a0 != 1, or a coefficient is not finite.
  static absl::StatusOr<ZeroPhaseFilter> FromSos(const std::vector<SosSection>& sos);

  // y = filtfilt(x). x and y must have the same size and may be the same memory. InvalidArgument
  // "The length of the input vector x must be greater than padlen, which is 27." (scipy's words)
  // when x.size() <= padlen().
  absl::Status Apply(absl::Span<const double> x, absl::Span<double> y, FiltFiltWorkspace& ws) const;

  // Filters `lanes` signals at once, in place: sample t of signal l at data[t * lanes + l].
  // lanes must be a positive multiple of 4 (pad with zero signals) dividing data.size(). Each
  // signal gets exactly (bit for bit) what Apply gives it; SIMD across signals (AVX2 when the CPU
  // has it, without FMA) makes this 2-4x faster per signal. Errors as Apply, plus the layout.
  absl::Status ApplyInterleaved(absl::Span<double> data, size_t lanes, FiltFiltWorkspace& ws) const;

  // ApplyInterleaved without copies, for a buffer with room around the signal: `data` points at
  // row 0 of n rows of `lanes`; rows [-padlen(), 0) and [n, n + padlen()) must be writable and
  // are overwritten with the padding. Same results, same errors.
  absl::Status ApplyInterleavedPadded(double* data, size_t n, size_t lanes, FiltFiltWorkspace& ws) const;

  int padlen() const { return padlen_; }
  bool is_sos() const { return !sos_.empty(); }
  // lfilter_zi(b, a) (order entries), or sosfilt_zi(sos) flattened (2 per section).
  const std::vector<double>& zi() const { return zi_; }

 private:
  ZeroPhaseFilter() = default;
  absl::Status CheckLength(size_t n) const;
  absl::Status Filter(const double* x, double* y, size_t n, size_t lanes, FiltFiltWorkspace& ws) const;
  void FilterPadded(double* data, size_t n, size_t lanes, FiltFiltWorkspace& ws) const;
  void Run(double* ext, size_t n, size_t lanes, double* state) const;

  std::vector<double> b_;  // normalised by a[0], zero-padded to a common length
  std::vector<double> a_;
  std::vector<SosSection> sos_;
  std::vector<double> zi_;
  int padlen_ = 0;
};

// scipy.signal.lfilter_zi(b, a), computed exactly (see the Note above). Errors as
// ZeroPhaseFilter::FromTransferFunction.
absl::StatusOr<std::vector<double>> LfilterZi(const std::vector<double>& b, const std::vector<double>& a);

// scipy.signal.sosfilt_zi(sos), flattened row-major ([n_sections x 2]).
absl::StatusOr<std::vector<double>> SosfiltZi(const std::vector<SosSection>& sos);

// One-shot conveniences (allocate; use ZeroPhaseFilter in loops).
absl::StatusOr<std::vector<double>> FiltFilt(const TransferFunction& tf, absl::Span<const double> x);
absl::StatusOr<std::vector<double>> SosFiltFilt(const std::vector<SosSection>& sos, absl::Span<const double> x);

}  // namespace ecgbench::common::ecg
