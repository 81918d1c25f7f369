// Signal quality checks for records and segments: non-finite values (NaN/±Inf), flat leads and
// saturated (clipped) leads, with per-reason counters. Policies and definitions (see docs/data.md,
// "Quality policies"):
//  - Non-finite: policy kSkip (default) drops the segment and counts it; kZero replaces each
//    non-finite value by 0, keeps the segment and counts segment and values. Upstream ECG-Bench HEAD
//    zero-fills silently (np.nan_to_num) and counts nothing.
//  - Flat lead: peak-to-peak (max - min over the finite samples of the window) < 1e-3 mV.
//  - Saturated lead (not flat): for the lead's minimum or its maximum value e, at least 5 % of the
//    window's samples are "at e" AND the longest run of consecutive samples at e is >= 20, where
//    "at e" means |x - e| <= tolerance, tolerance = 0.1 % of the lead's peak-to-peak (exact clipping
//    plateaus, robust to float rounding). Clipping plateaus are exact at the native rate; after
//    cubic-spline resampling the overshoot at plateau edges can hide them, so check the record
//    before resampling when saturation matters (the segmenter re-checks segments as well).
// Flat and saturated leads are counted, not removed, unless skip_flat / skip_saturated is set.
// All functions are pure apart from the buffer they are given; thread-compatible.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/core/record.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

enum class NanPolicy { kSkip, kZero };

// "skip" | "zero"; InvalidArgument naming the value otherwise.
absl::StatusOr<NanPolicy> ParseNanPolicy(std::string_view name);
const char* NanPolicyName(NanPolicy policy);

struct QualityOptions {
  NanPolicy nan_policy = NanPolicy::kSkip;
  float flat_peak_to_peak_mv = 1e-3f;     // a lead is flat below this peak-to-peak
  double saturation_min_fraction = 0.05;  // share of samples at one extreme
  int64_t saturation_min_run = 20;        // longest run at that extreme
  double saturation_tolerance = 1e-3;     // relative to the lead's peak-to-peak
  bool skip_flat = false;                 // drop segments with a flat lead (default: count only)
  bool skip_saturated = false;            // drop segments with a saturated lead (default: count only)
};

enum class SkipReason { kNone, kNonFinite, kFlat, kSaturated };

// What CheckSegment found in one window.
struct SegmentQuality {
  int64_t nonfinite_values = 0;  // NaN/±Inf values seen (replaced by 0 under kZero)
  int flat_leads = 0;
  int saturated_leads = 0;
  bool in_nonfinite_span = false;  // the window overlaps a span found by ZeroFillNonFinite
  SkipReason skip = SkipReason::kNone;  // kNone: keep the segment
};

// Counters per reason, summed over segments (and over shards with Merge).
struct QualityCounts {
  int64_t segments_checked = 0;
  int64_t segments_kept = 0;
  int64_t skipped_nonfinite = 0;
  int64_t skipped_flat = 0;
  int64_t skipped_saturated = 0;
  int64_t zero_filled_segments = 0;  // kept segments that had non-finite values set to 0
  int64_t zero_filled_values = 0;    // values set to 0 by CheckSegment (not by ZeroFillNonFinite)
  int64_t segments_with_flat_lead = 0;
  int64_t flat_leads = 0;
  int64_t segments_with_saturated_lead = 0;
  int64_t saturated_leads = 0;

  void Add(const SegmentQuality& q);
  void Merge(const QualityCounts& other);
  nlohmann::json ToJson() const;  // keys are the member names
  bool operator==(const QualityCounts& o) const;
};

// Checks `num_leads` rows of `length` samples starting at `data`, row r at data + r * stride
// (stride == length for a contiguous [leads x L] segment, stride == num_samples for a window of a
// record). Under kZero non-finite values are replaced by 0 in place; nothing else is modified.
// Skip priority: non-finite (kSkip), then flat (skip_flat), then saturated (skip_saturated).
// REQUIRES: length > 0, stride >= length.
SegmentQuality CheckSegment(float* data, int num_leads, int64_t length, int64_t stride,
                            const QualityOptions& options);

// Per-lead primitives (finite input expected; non-finite values are ignored for min/max).
bool IsFlatLead(const float* x, int64_t n, float flat_peak_to_peak_mv);
bool IsSaturatedLead(const float* x, int64_t n, const QualityOptions& options);

// A time interval [begin_s, end_s) in seconds from the record's start.
struct TimeSpan {
  double begin_s = 0;
  double end_s = 0;
};

struct NonFiniteScan {
  int64_t values = 0;            // non-finite values found (and set to 0)
  std::vector<TimeSpan> spans;   // where they were, merged across leads, sorted
};

// Zero-fills every NaN/±Inf sample of `record` (in place) and reports where they were: sample t
// covers [t / rate, (t + 1) / rate). Run it at the native rate before filtering/resampling (a
// cubic spline would spread one NaN over the whole record); pass `spans` to the segmenter
// (SegmentOptions::nonfinite_spans) so that the NaN policy still applies to the windows that
// contained them. REQUIRES: record.Validate() is OK.
NonFiniteScan ZeroFillNonFinite(Record& record);

}  // namespace ecgbench::common::ecg
