// RecordConditioner: the per-record signal steps shared by the batch pipeline and single-record
// tools (`ecgbench data convert`), in this order: NaN/Inf scan with zero-fill at the native rate
// (before any filter or spline can spread one over the record), optional paper-era filters,
// resampling to the target rate (skipped when already there). Lead harmonisation comes before
// and is the caller's choice.
//
// The record goes once into an interleaved double buffer with room for the filters' padding,
// is filtered in place and resampled from there, and comes back once: no copies between the
// steps, double precision throughout (upstream's float64), float32 only at the end.
//
// Not thread-safe (designs, spline factorisations and buffers are cached); keep one per thread.
// After warm-up (same rate, same length) Condition does not allocate.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dataset/quality.h"
#include "common/ecg/dsp/filter_chain.h"
#include "common/ecg/dsp/resample.h"

namespace ecgbench::common::ecg {

struct ConditionOptions {
  double target_rate_hz = 250;
  bool paper_filters = false;  // notch 50/60, band-pass 0.5-100, high-pass 0.05, db6 denoise
  ResampleMethod resample = ResampleMethod::kCubic;
};

class RecordConditioner {
 public:
  RecordConditioner() = default;

  // Conditions `record` in place. The returned scan says where non-finite values were (for the
  // NaN policy). Errors name the record (path, else id): an inconsistent record, a filter design
  // impossible at its rate, too few samples for the filters or the resampler. On error the record
  // may have been zero-filled but is otherwise unchanged.
  absl::StatusOr<NonFiniteScan> Condition(Record& record, const ConditionOptions& options);

 private:
  PaperFilterChain filters_;
  RecordResampler resampler_;
  std::vector<double> rows_;  // interleaved input with filter headroom
  std::vector<double> out_;   // interleaved resampled rows
};

}  // namespace ecgbench::common::ecg
