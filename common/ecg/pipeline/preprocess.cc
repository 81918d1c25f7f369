// The preprocess pipeline: a batch of records at a time is processed on worker threads (each with
// its own resampler and filter chain), then the batch's segments are appended in record order.
#include "common/ecg/pipeline/preprocess.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/segmenter.h"
#include "common/ecg/formats/record_reader.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::ecg {

namespace {

// What one record produced; reused across batches so buffers keep their capacity.
struct Slot {
  std::vector<float> samples;
  std::vector<SegmentMeta> meta;
  SegmenterCounts counts;
  std::string error;
};


absl::Status ProcessOne(const RecordRef& ref, const PreprocessOptions& options, const SegmentOptions& seg,
                        RecordReader& reader, RecordConditioner& conditioner, Slot& slot) {
  ECGBENCH_ASSIGN_OR_RETURN(Record record, reader.Read(ref));
  if (record.patient_id.empty()) record.patient_id = ref.patient_id;
  if (record.report.empty()) record.report = ref.report;
  ECGBENCH_RETURN_IF_ERROR(HarmonizeLeads(record));
  ConditionOptions steps;
  steps.target_rate_hz = options.target_rate_hz;
  steps.paper_filters = options.paper_filters;
  steps.resample = options.resample;
  ECGBENCH_ASSIGN_OR_RETURN(NonFiniteScan scan, conditioner.Condition(record, steps));
  SegmentLabels labels(ref.labels.begin(), ref.labels.end());
  if (!record.dx_codes.empty()) labels.emplace("dx", absl::StrJoin(record.dx_codes, ","));
  return SegmentRecordInto(record, labels, seg, &slot.samples, &slot.meta, &slot.counts, scan.spans).status();
}

std::string Where(const RecordRef& ref) {
  if (!ref.paths.empty()) return ref.paths.front();
  return ref.id;
}

}  // namespace

nlohmann::json PreprocessCounts::ToJson() const {
  return {{"records_total", records_total}, {"records_done", records_done}, {"records_skipped", records_skipped},
          {"segments", segments},           {"quality", quality},           {"errors", errors}};
}

std::pair<size_t, size_t> ShardRange(size_t n, int shard, int num_shards) {
  if (num_shards < 1 || shard < 0 || shard >= num_shards) return {0, 0};
  const size_t k = static_cast<size_t>(num_shards), s = static_cast<size_t>(shard);
  const size_t base = n / k, extra = n % k;
  const size_t begin = s * base + std::min(s, extra);
  return {begin, begin + base + (s < extra ? 1 : 0)};
}

absl::StatusOr<PreprocessCounts> PreprocessRecords(const std::vector<RecordRef>& refs, size_t begin, size_t end,
                                                   const PreprocessOptions& options, const std::string& out_dir,
                                                   const PreprocessHooks& hooks) {
  if (options.dataset.empty()) return absl::InvalidArgumentError("preprocess: dataset is empty");
  if (!(options.target_rate_hz > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess: target rate must be positive, got ", options.target_rate_hz));
  }
  if (options.segment_len <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess: segment length must be positive, got ", options.segment_len));
  }
  if (begin > end || end > refs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess: record range [", begin, ", ", end, ") outside 0..",
                                                   refs.size()));
  }
  const int threads = std::max(1, options.threads);
  SegmentOptions seg;
  seg.length = options.segment_len;
  seg.quality.nan_policy = options.nan;
  SegmentStoreOptions so;
  so.segment_length = options.segment_len;
  so.sampling_rate_hz = options.target_rate_hz;
  if (options.shard_bytes > 0) so.shard_bytes = options.shard_bytes;
  so.parameters = options.parameters;
  so.content_hash = options.content_hash;
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<SegmentStoreWriter> writer, SegmentStoreWriter::Create(out_dir, so));

  RecordReader reader(options.dataset);
  const size_t batch = static_cast<size_t>(threads) * 8;
  std::vector<Slot> slots(batch);
  std::vector<RecordConditioner> conditioners(static_cast<size_t>(threads));
  PreprocessCounts counts;
  counts.records_total = static_cast<int64_t>(end - begin);
  SegmenterCounts seg_counts;
  const size_t stride = static_cast<size_t>(kNumStandardLeads) * static_cast<size_t>(options.segment_len);

  for (size_t b = begin; b < end; b += batch) {
    if (hooks.cancelled && hooks.cancelled()) {
      writer->Abort();
      return absl::CancelledError("preprocess cancelled");
    }
    const size_t n = std::min(batch, end - b);
    std::atomic<size_t> next{0};
    auto work = [&](size_t tid) {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        Slot& slot = slots[i];
        slot.samples.clear();
        slot.meta.clear();
        slot.counts = SegmenterCounts();
        slot.error.clear();
        absl::Status st = ProcessOne(refs[b + i], options, seg, reader, conditioners[tid], slot);
        if (!st.ok()) {
          slot.samples.clear();
          slot.meta.clear();
          slot.error = std::string(st.message());
        }
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < static_cast<size_t>(threads) && t < n; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();

    for (size_t i = 0; i < n; ++i) {
      Slot& slot = slots[i];
      if (!slot.error.empty()) {
        counts.records_skipped++;
        if (counts.errors.size() < PreprocessCounts::kMaxErrors) {
          const std::string& where = Where(refs[b + i]);
          counts.errors.push_back(slot.error.rfind(where, 0) == 0 ? slot.error : absl::StrCat(where, ": ", slot.error));
        }
        continue;
      }
      counts.records_done++;
      seg_counts.Merge(slot.counts);
      for (size_t k = 0; k < slot.meta.size(); ++k) {
        ECGBENCH_RETURN_IF_ERROR(writer->Append(slot.meta[k], slot.samples.data() + k * stride));
        counts.segments++;
      }
    }
    counts.quality = seg_counts.ToJson();
    if (hooks.progress) hooks.progress(counts);
  }
  counts.quality = seg_counts.ToJson();
  ECGBENCH_RETURN_IF_ERROR(writer->Finish(counts.ToJson()));
  return counts;
}

}  // namespace ecgbench::common::ecg
