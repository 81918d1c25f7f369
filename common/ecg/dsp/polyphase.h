// Polyphase anti-aliased resampling as scipy.signal.resample_poly(x, up, down) (1.10) with its
// defaults window=('kaiser', 5.0), padtype='constant' (zeros beyond the ends): up and down are
// reduced by their gcd; the FIR is firwin(2 * half_len + 1, 1 / max(up, down), window=('kaiser',
// 5.0)) * up with half_len = 10 * max(up, down); the output has ceil(n * up / down) samples and
// is centred like scipy's (y[k] = sum_i h[i] * x_up[k * down + half_len - i]).
//
// Not thread-safe (the filter of the last (up, down) is cached); keep one per thread. After the
// first call with a given ratio and the largest size, calls do not allocate.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ecgbench::common::ecg {

// Integer up/down factors (reduced by their gcd) for resampling fs to target_hz. Rates must be
// positive and multiples of 0.001 Hz, and max(up, down) <= 4096 (longer filters are not worth
// it: use the cubic method); InvalidArgument otherwise.
absl::StatusOr<std::pair<int, int>> PolyphaseRatio(double fs, double target_hz);

class PolyphaseResampler {
 public:
  PolyphaseResampler() = default;

  // ceil(n * up / down) after gcd reduction.
  static int64_t OutputLength(int64_t n, int up, int down);

  // y = resample_poly(x, up, down); y.size() must equal OutputLength(x.size(), up, down).
  // up == down copies x. InvalidArgument for up < 1, down < 1, an empty x or a wrong y size.
  absl::Status Resample(absl::Span<const double> x, int up, int down, absl::Span<double> y);

  // `lanes` interleaved signals (x[t * lanes + l]; lanes 1 or a multiple of 4); bit-identical
  // per signal to Resample.
  absl::Status ResampleInterleaved(absl::Span<const double> x, size_t lanes, int up, int down, absl::Span<double> y);

  // The FIR used for the last ratio (firwin(...) * up), for tests.
  const std::vector<double>& filter() const { return h_; }

 private:
  void Design(int up, int down);

  int up_ = 0;
  int down_ = 0;
  int half_len_ = 0;
  std::vector<double> h_;
};

}  // namespace ecgbench::common::ecg
