// Windowing of 12-lead records into fixed-length segments.
#include "common/ecg/dataset/segmenter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/leads.h"

namespace ecgbench::common::ecg {

void SegmenterCounts::Merge(const SegmenterCounts& o) {
  records += o.records;
  records_too_short += o.records_too_short;
  windows += o.windows;
  quality.Merge(o.quality);
}

nlohmann::json SegmenterCounts::ToJson() const {
  return nlohmann::json{{"records", records},
                        {"records_too_short", records_too_short},
                        {"windows", windows},
                        {"quality", quality.ToJson()}};
}

namespace {

absl::Status CheckRecordShape(const Record& record) {
  if (absl::Status st = record.Validate(); !st.ok()) return st;
  const std::string where = record.path.empty() ? record.id : record.path;
  if (record.num_leads() != kNumStandardLeads) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": segmenter needs the ", kNumStandardLeads,
                                                   " standard leads (run HarmonizeLeads first), got ",
                                                   record.num_leads(), " leads"));
  }
  for (int l = 0; l < kNumStandardLeads; ++l) {
    if (record.leads[static_cast<size_t>(l)] != kStandardLeads[static_cast<size_t>(l)]) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": lead ", l, " is \"", record.leads[static_cast<size_t>(l)],
                                                     "\", expected \"", kStandardLeads[static_cast<size_t>(l)],
                                                     "\" (run HarmonizeLeads first)"));
    }
  }
  return absl::OkStatus();
}

bool OverlapsSpan(const std::vector<TimeSpan>& spans, double begin_s, double end_s) {
  for (const TimeSpan& s : spans) {
    if (s.begin_s < end_s && s.end_s > begin_s) return true;
  }
  return false;
}

SegmentMeta MetaFor(const Record& record, const SegmentLabels& labels) {
  SegmentMeta meta;
  meta.record_id = record.id;
  meta.patient_id = record.patient_id;
  meta.report = record.report;
  meta.source = record.source;
  meta.sampling_rate_hz = record.sampling_rate_hz;
  meta.labels = labels;
  return meta;
}

// The shared window loop. `acquire()` returns where to write the next window ([12 x L]);
// `release()` undoes the acquisition of a skipped window; `emit(k)` publishes a kept window.
template <typename Acquire, typename Release, typename Emit>
absl::Status ForEachWindow(const Record& record, const SegmentOptions& options,
                           const std::vector<TimeSpan>& spans, SegmenterCounts* counts, Acquire acquire,
                           Release release, Emit emit) {
  const int64_t len = options.length;
  const int64_t windows = record.num_samples / len;
  ++counts->records;
  if (windows == 0) ++counts->records_too_short;
  const double rate = record.sampling_rate_hz;
  for (int64_t k = 0; k < windows; ++k) {
    ++counts->windows;
    const bool in_span =
        !spans.empty() && OverlapsSpan(spans, static_cast<double>(k * len) / rate, static_cast<double>((k + 1) * len) / rate);
    if (in_span && options.quality.nan_policy == NanPolicy::kSkip) {
      SegmentQuality q;
      q.in_nonfinite_span = true;
      q.skip = SkipReason::kNonFinite;
      counts->quality.Add(q);
      continue;
    }
    float* dst = acquire();
    for (int l = 0; l < kNumStandardLeads; ++l) {
      const float* src = record.lead(l) + k * len;
      std::copy(src, src + len, dst + static_cast<int64_t>(l) * len);
    }
    SegmentQuality q = CheckSegment(dst, kNumStandardLeads, len, len, options.quality);
    q.in_nonfinite_span = in_span;
    counts->quality.Add(q);
    if (q.skip != SkipReason::kNone) {
      release();
      continue;
    }
    if (absl::Status st = emit(k, dst); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Segmenter> Segmenter::Create(const SegmentOptions& options) {
  if (options.length <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("segment length must be positive, got ", options.length));
  }
  return Segmenter(options);
}

absl::StatusOr<int64_t> Segmenter::Run(const Record& record, const SegmentLabels& labels, const SegmentSink& sink,
                                       const std::vector<TimeSpan>& nonfinite_spans) {
  if (absl::Status st = CheckRecordShape(record); !st.ok()) return st;
  buffer_.resize(static_cast<size_t>(kNumStandardLeads * options_.length));
  SegmentMeta meta = MetaFor(record, labels);
  int64_t emitted = 0;
  absl::Status st = ForEachWindow(
      record, options_, nonfinite_spans, &counts_, [this] { return buffer_.data(); }, [] {},
      [&](int64_t k, const float* data) {
        meta.segment_index = k;
        ++emitted;
        return sink(meta, data);
      });
  if (!st.ok()) return st;
  return emitted;
}

absl::StatusOr<int64_t> SegmentRecordInto(const Record& record, const SegmentLabels& labels,
                                          const SegmentOptions& options, std::vector<float>* out_samples,
                                          std::vector<SegmentMeta>* out_meta, SegmenterCounts* counts,
                                          const std::vector<TimeSpan>& nonfinite_spans) {
  if (options.length <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("segment length must be positive, got ", options.length));
  }
  if (absl::Status st = CheckRecordShape(record); !st.ok()) return st;
  const size_t block = static_cast<size_t>(kNumStandardLeads * options.length);
  out_samples->reserve(out_samples->size() + block * static_cast<size_t>(record.num_samples / options.length));
  SegmentMeta meta = MetaFor(record, labels);
  SegmenterCounts local;
  int64_t emitted = 0;
  absl::Status st = ForEachWindow(
      record, options, nonfinite_spans, &local,
      [&] {
        out_samples->resize(out_samples->size() + block);
        return out_samples->data() + (out_samples->size() - block);
      },
      [&] { out_samples->resize(out_samples->size() - block); },
      [&](int64_t k, const float*) {
        meta.segment_index = k;
        out_meta->push_back(meta);
        ++emitted;
        return absl::OkStatus();
      });
  if (!st.ok()) return st;
  if (counts != nullptr) counts->Merge(local);
  return emitted;
}

}  // namespace ecgbench::common::ecg
