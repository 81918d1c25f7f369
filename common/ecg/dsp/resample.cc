// Record-level resampling (cubic as upstream, or polyphase); see resample.h.
#include "common/ecg/dsp/resample.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/interleave.h"
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

absl::Status RecordResampler::ResampleRows(absl::Span<const double> in, size_t lanes, double fs, double target_hz,
                                           ResampleMethod method, std::vector<double>& out) {
  if (lanes == 0 || lanes % simd::kLanes != 0 || in.size() % lanes != 0) {
    return absl::InvalidArgumentError(absl::StrCat("resample: ", in.size(), " values in ", lanes,
                                                   " lanes (lanes must be a positive multiple of ", simd::kLanes,
                                                   " dividing the size)"));
  }
  const auto n = static_cast<int64_t>(in.size() / lanes);
  ECGBENCH_ASSIGN_OR_RETURN(const int64_t m, ResampledLength(n, fs, target_hz, method));
  if (fs == target_hz) {
    out.assign(in.begin(), in.end());
    return absl::OkStatus();
  }
  if (m < 1) return absl::InvalidArgumentError(absl::StrCat(n, " samples give an empty output"));
  if (method == ResampleMethod::kCubic && n < 4) {
    return absl::InvalidArgumentError(absl::StrCat("cubic interpolation needs at least 4 samples, got ", n));
  }
  out.resize(static_cast<size_t>(m) * lanes);
  if (method == ResampleMethod::kCubic) return cubic_.ResampleInterleaved(in, lanes, fs, target_hz, absl::MakeSpan(out));
  ECGBENCH_ASSIGN_OR_RETURN(const auto ratio, PolyphaseRatio(fs, target_hz));
  return polyphase_.ResampleInterleaved(in, lanes, ratio.first, ratio.second, absl::MakeSpan(out));
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
  // All leads at once, interleaved (zero lanes pad to a multiple of 4), in double precision.
  const auto n = static_cast<size_t>(record.num_samples);
  const auto leads = static_cast<size_t>(record.num_leads());
  const size_t lanes = simd::PaddedLanes(leads);
  in_.resize(n * lanes);
  InterleaveLeads(record.samples.data(), leads, n, lanes, in_.data());
  if (absl::Status status = ResampleRows(in_, lanes, fs, target_hz, method, out_); !status.ok()) return fail(status);
  const size_t m = out_.size() / lanes;
  samples_.resize(leads * m);
  DeinterleaveLeads(out_.data(), lanes, leads, m, samples_.data());
  record.samples.swap(samples_);
  record.num_samples = static_cast<int64_t>(m);
  record.sampling_rate_hz = target_hz;
  return absl::OkStatus();
}

absl::Status ResampleRecord(Record& record, double target_hz, ResampleMethod method) {
  thread_local RecordResampler resampler;
  return resampler.Resample(record, target_hz, method);
}

}  // namespace ecgbench::common::ecg
