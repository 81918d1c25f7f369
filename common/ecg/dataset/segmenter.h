// Segmenter: cuts a harmonised, resampled 12-lead Record into non-overlapping windows of L samples
// (L = 500, 1250, 2500 or any L > 0; floor(T / L) windows, the tail is dropped), checks each window
// (quality.h) and hands the kept ones to a sink as a contiguous [12 x L] float32 block plus its
// SegmentMeta. Each window is copied exactly once, into the segmenter's reusable output buffer
// (or straight into the caller's vector with SegmentRecordInto); no allocation per sample or window.
// segment_index is the window position k (samples [k*L, (k+1)*L)), so indices of kept segments can
// have gaps where windows were skipped.
// Thread-compatible: one Segmenter per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dataset/quality.h"
#include "common/ecg/dataset/segment_meta.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

using SegmentLabels = std::map<std::string, std::string>;

struct SegmentOptions {
  int64_t length = 1250;  // L, samples per window
  QualityOptions quality;
};

// Receives one kept segment: `data` points to 12 * L floats, lead-major, valid only during the call.
// A non-OK status stops the record and is returned by Run.
using SegmentSink = std::function<absl::Status(const SegmentMeta& meta, const float* data)>;

struct SegmenterCounts {
  int64_t records = 0;            // records given to Run successfully
  int64_t records_too_short = 0;  // fewer than L samples: no window
  int64_t windows = 0;            // windows cut (kept + skipped)
  QualityCounts quality;          // per-window checks

  void Merge(const SegmenterCounts& other);
  nlohmann::json ToJson() const;  // {"records", "records_too_short", "windows", "quality": {...}}
};

class Segmenter {
 public:
  // InvalidArgument when options.length <= 0.
  static absl::StatusOr<Segmenter> Create(const SegmentOptions& options);

  // Segments `record` (REQUIRES nothing: a record that is not exactly the 12 standard leads in
  // order, or fails Record::Validate, gives InvalidArgument naming the record and the reason).
  // `labels` go to every segment. `nonfinite_spans` (from ZeroFillNonFinite at the native rate)
  // mark windows that held NaN/Inf before resampling: under NanPolicy::kSkip they are skipped,
  // under kZero kept and counted as zero-filled. Returns the number of segments given to `sink`.
  absl::StatusOr<int64_t> Run(const Record& record, const SegmentLabels& labels, const SegmentSink& sink,
                              const std::vector<TimeSpan>& nonfinite_spans = {});

  const SegmenterCounts& counts() const { return counts_; }
  const SegmentOptions& options() const { return options_; }

 private:
  explicit Segmenter(const SegmentOptions& options) : options_(options) {}

  SegmentOptions options_;
  SegmenterCounts counts_;
  std::vector<float> buffer_;  // 12 * L, reused for every window
};

// Same windows and checks, appended to caller-owned outputs: `out_samples` grows by 12 * L floats
// and `out_meta` by one entry per kept segment (each window is written directly into out_samples
// and checked there). Returns the number of segments appended; on error the outputs are unchanged.
absl::StatusOr<int64_t> SegmentRecordInto(const Record& record, const SegmentLabels& labels,
                                          const SegmentOptions& options, std::vector<float>* out_samples,
                                          std::vector<SegmentMeta>* out_meta, SegmenterCounts* counts,
                                          const std::vector<TimeSpan>& nonfinite_spans = {});

}  // namespace ecgbench::common::ecg
