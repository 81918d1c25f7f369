// IIR filter design as scipy.signal 1.10 does it: iirnotch, and butter through the zpk path
// (buttap -> lp2lp/lp2hp/lp2bp_zpk -> bilinear_zpk with pre-warping -> zpk2tf / zpk2sos with
// pairing='nearest'). The arithmetic follows numpy's (complex products and Smith quotients,
// poly() as repeated convolution, Python's float pow), so coefficients agree with scipy's to a
// few ulps. They are not bit-identical on every machine: numpy's tan and its complex reductions
// take SIMD/FMA code paths that depend on the CPU (see Note [Parity of (b, a) filters] in
// filtfilt.h for why a few ulps matter). Pure functions; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::ecg {

// Numerator b and denominator a of a digital filter, highest power of z^-1 first (scipy's (b, a)).
struct TransferFunction {
  std::vector<double> b;
  std::vector<double> a;
};

// One second-order section [b0, b1, b2, a0, a1, a2] (a row of scipy's sos array; a0 == 1).
using SosSection = std::array<double, 6>;

enum class BandType { kLowpass, kHighpass, kBandpass };

// Both output forms of one Butterworth design.
struct ButterDesign {
  TransferFunction ba;          // scipy.signal.butter(..., output='ba')
  std::vector<SosSection> sos;  // scipy.signal.butter(..., output='sos')
};

// scipy.signal.iirnotch(f0, q, fs): second-order notch at f0 with quality factor q.
// InvalidArgument "w0 should be such that 0 < w0 < 1" when 2*f0/fs is outside [0, 1] (scipy's
// check), or when q <= 0 or fs <= 0.
absl::StatusOr<TransferFunction> IirNotch(double f0, double q, double fs = 2.0);

// scipy.signal.butter(order, wn, btype, fs=fs). `wn` has one critical frequency for low/high-pass
// and two (low < high) for band-pass. Without fs, wn is normalised to Nyquist (scipy's fs=None);
// with fs, wn is in the units of fs. Errors (InvalidArgument), with scipy's wording: order < 1 or
// > 32, wrong number of frequencies, wn <= 0, wn[0] >= wn[1], a normalised frequency >= 1
// ("Digital filter critical frequencies must be 0 < Wn < 1", or "... 0 < Wn < fs/2 (fs=200 ->
// fs/2=100)"). This function never clamps; callers that need an edge below Nyquist clamp first
// (see filter_chain.h).
absl::StatusOr<ButterDesign> Butter(int order, const std::vector<double>& wn, BandType type,
                                    std::optional<double> fs = std::nullopt);

}  // namespace ecgbench::common::ecg
