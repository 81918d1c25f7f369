// Record-level resampling (cubic as upstream, or polyphase); see resample.h.
#include "common/ecg/dsp/resample.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/simd.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {
namespace {

std::string Where(const Record& record) { return record.path.empty() ? record.id : record.path; }

}  // namespace

const char* ResampleMethodName(ResampleMethod method) {
  switch (method) {
    case ResampleMethod::kCubic:
      return "cubic";
    case ResampleMethod::kPolyphase:
      return "polyphase";
  }
  return "unknown";
}

absl::StatusOr<ResampleMethod> ParseResampleMethod(std::string_view name) {
  if (name == "cubic") return ResampleMethod::kCubic;
  if (name == "polyphase") return ResampleMethod::kPolyphase;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown resampling method '", std::string(name), "' (expected cubic or polyphase)"));
}

absl::StatusOr<int64_t> ResampledLength(int64_t n, double fs, double target_hz, ResampleMethod method) {
  if (!(fs > 0) || !(target_hz > 0) || !std::isfinite(fs) || !std::isfinite(target_hz)) {
    return absl::InvalidArgumentError(absl::StrCat("resample: rates must be positive (", fs, " Hz -> ", target_hz,
                                                   " Hz)"));
  }
  if (fs == target_hz) return n;
  if (method == ResampleMethod::kCubic) return CubicResampleLength(n, fs, target_hz);
  ECGBENCH_ASSIGN_OR_RETURN(const auto ratio, PolyphaseRatio(fs, target_hz));
  return PolyphaseResampler::OutputLength(n, ratio.first, ratio.second);
}

absl::Status RecordResampler::Resample(Record& record, double target_hz, ResampleMethod method) {
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  const double fs = record.sampling_rate_hz;
  auto fail = [&](const absl::Status& status) {
    return absl::Status(status.code(), absl::StrCat(Where(record), ": resample ", fs, " Hz -> ", target_hz, " Hz (",
                                                    ResampleMethodName(method), "): ", status.message()));
  };
  auto length = ResampledLength(record.num_samples, fs, target_hz, method);
  if (!length.ok()) return fail(length.status());
  if (fs == target_hz) return absl::OkStatus();
  const int64_t n = record.num_samples;
  const int64_t m = *length;
  if (m < 1) return fail(absl::InvalidArgumentError(absl::StrCat(n, " samples give an empty output")));
  if (method == ResampleMethod::kCubic && n < 4) {
    return fail(absl::InvalidArgumentError(absl::StrCat("cubic interpolation needs at least 4 samples, got ", n)));
  }
  std::pair<int, int> ratio{1, 1};
  if (method == ResampleMethod::kPolyphase) {
    auto r = PolyphaseRatio(fs, target_hz);
    if (!r.ok()) return fail(r.status());
    ratio = *r;
  }
  // All leads at once, interleaved (zero lanes pad to a multiple of 4), in double precision.
  const auto leads = static_cast<size_t>(record.num_leads());
  const size_t lanes = simd::PaddedLanes(leads);
  in_.assign(static_cast<size_t>(n) * lanes, 0.0);
  out_.resize(static_cast<size_t>(m) * lanes);
  for (size_t l = 0; l < leads; ++l) {
    const float* src = record.lead(static_cast<int>(l));
    for (int64_t t = 0; t < n; ++t) in_[static_cast<size_t>(t) * lanes + l] = src[t];
  }
  const absl::Status status =
      method == ResampleMethod::kCubic
          ? cubic_.ResampleInterleaved(in_, lanes, fs, target_hz, absl::MakeSpan(out_))
          : polyphase_.ResampleInterleaved(in_, lanes, ratio.first, ratio.second, absl::MakeSpan(out_));
  if (!status.ok()) return fail(status);
  samples_.resize(leads * static_cast<size_t>(m));
  for (size_t l = 0; l < leads; ++l) {
    float* dst = samples_.data() + l * static_cast<size_t>(m);
    for (int64_t t = 0; t < m; ++t) dst[t] = static_cast<float>(out_[static_cast<size_t>(t) * lanes + l]);
  }
  record.samples.swap(samples_);
  record.num_samples = m;
  record.sampling_rate_hz = target_hz;
  return absl::OkStatus();
}

absl::Status ResampleRecord(Record& record, double target_hz, ResampleMethod method) {
  thread_local RecordResampler resampler;
  return resampler.Resample(record, target_hz, method);
}

}  // namespace ecgbench::common::ecg
