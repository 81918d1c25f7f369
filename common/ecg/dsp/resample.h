// Resampling a whole Record to a target rate (default 250 Hz in the pipeline): all leads at once
// (interleaved, SIMD across leads; each lead bit-identical to resampling it alone), in double
// precision, stored back as float32 mV (upstream casts to float32 after resampling).
//   kCubic     upstream-exact: interp1d(kind='cubic') on linspace grids, int(n * target / fs)
//              output samples (see cubic_spline.h). Needs n >= 4.
//   kPolyphase anti-aliased scipy.signal.resample_poly(x, up, down) with up/down from the rates
//              (see polyphase.h); ceil(n * up / down) output samples, which equals the cubic
//              length whenever n * target / fs is an integer (500->250, 400->250, 360->250 for
//              whole seconds).
// A record already at target_hz is left untouched (upstream skips resampling when fs == target).
//
// RecordResampler is not thread-safe; keep one per thread. In steady state (same shapes) it does
// not allocate: the output buffer is swapped with the record's and reused for the next record.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dsp/cubic_spline.h"
#include "common/ecg/dsp/polyphase.h"

namespace ecgbench::common::ecg {

enum class ResampleMethod { kCubic, kPolyphase };

// "cubic" / "polyphase".
const char* ResampleMethodName(ResampleMethod method);
// Inverse of ResampleMethodName; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<ResampleMethod> ParseResampleMethod(std::string_view name);

// Number of samples a lead of n samples has after resampling from fs to target_hz (n when the
// rates are equal); InvalidArgument for bad rates or ratios (polyphase).
absl::StatusOr<int64_t> ResampledLength(int64_t n, double fs, double target_hz, ResampleMethod method);

class RecordResampler {
 public:
  RecordResampler() = default;

  // Resamples every lead of `record` and sets sampling_rate_hz = target_hz and num_samples.
  // InvalidArgument naming the record (path, else id) when the record is inconsistent
  // (Record::Validate), target_hz <= 0, the output would be empty, the lead is too short for the
  // method, or the polyphase ratio is unsupported. On error the record is unchanged.
  absl::Status Resample(Record& record, double target_hz, ResampleMethod method);

  // The signal part of Resample for `lanes` interleaved signals in double (n = in.size() / lanes
  // rows, lanes a multiple of 4): `out` is resized to ResampledLength rows and filled. Errors
  // as Resample, without the record's name; fs == target_hz copies.
  absl::Status ResampleRows(absl::Span<const double> in, size_t lanes, double fs, double target_hz,
                            ResampleMethod method, std::vector<double>& out);

 private:
  CubicResampler cubic_;
  PolyphaseResampler polyphase_;
  std::vector<double> in_;
  std::vector<double> out_;
  std::vector<float> samples_;
};

// RecordResampler::Resample with a per-thread resampler.
absl::Status ResampleRecord(Record& record, double target_hz, ResampleMethod method = ResampleMethod::kCubic);

}  // namespace ecgbench::common::ecg
