// RecordConditioner: zero-fill, filters and resampling on one interleaved buffer (condition.h).
#include "common/ecg/pipeline/condition.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/ecg/dsp/interleave.h"
#include "common/ecg/dsp/simd.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

absl::StatusOr<NonFiniteScan> RecordConditioner::Condition(Record& record, const ConditionOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  NonFiniteScan scan = ZeroFillNonFinite(record);
  const double fs = record.sampling_rate_hz;
  const bool resample = fs != options.target_rate_hz;
  if (!options.paper_filters && !resample) return scan;
  const std::string where = record.path.empty() ? record.id : record.path;
  auto fail = [&](const absl::Status& status, const std::string& step) {
    return absl::Status(status.code(), absl::StrCat(where, ": ", step, ": ", status.message()));
  };
  const std::string resample_step = absl::StrCat("resample ", fs, " Hz -> ", options.target_rate_hz, " Hz (",
                                                 ResampleMethodName(options.resample), ")");
  if (resample) {  // check the output length before any work
    auto length = ResampledLength(record.num_samples, fs, options.target_rate_hz, options.resample);
    if (!length.ok()) return fail(length.status(), resample_step);
  }
  const auto n = static_cast<size_t>(record.num_samples);
  const auto leads = static_cast<size_t>(record.num_leads());
  const size_t lanes = simd::PaddedLanes(leads);
  size_t head = 0;
  if (options.paper_filters) {
    absl::StatusOr<size_t> h = filters_.Headroom(fs);
    if (!h.ok()) return fail(h.status(), "filter chain");
    head = *h;
  }
  rows_.resize((n + 2 * head) * lanes);
  double* rows = rows_.data() + head * lanes;
  InterleaveLeads(record.samples.data(), leads, n, lanes, rows);
  if (options.paper_filters) {
    if (absl::Status st = filters_.ApplyInterleavedPadded(rows, n, lanes, fs); !st.ok()) {
      return fail(st, "filter chain");
    }
  }
  if (!resample) {
    DeinterleaveLeads(rows, lanes, leads, n, record.samples.data());
    return scan;
  }
  if (absl::Status st = resampler_.ResampleRows(absl::MakeConstSpan(rows, n * lanes), lanes, fs,
                                                options.target_rate_hz, options.resample, out_);
      !st.ok()) {
    return fail(st, resample_step);
  }
  const size_t m = out_.size() / lanes;
  record.samples.resize(leads * m);
  DeinterleaveLeads(out_.data(), lanes, leads, m, record.samples.data());
  record.num_samples = static_cast<int64_t>(m);
  record.sampling_rate_hz = options.target_rate_hz;
  return scan;
}

}  // namespace ecgbench::common::ecg
