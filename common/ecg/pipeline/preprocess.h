// Preprocess: records of a base dataset -> a segment store. The one pipeline behind the worker's
// preprocess stage and `ecgbench data preprocess|convert`:
//   read (formats) -> harmonise leads -> NaN/Inf scan (policy) -> optional paper-era filters at the
//   native rate -> resample to the target rate -> segment into windows -> append to the store.
// A bad record (unreadable, wrong leads, too short) is skipped and counted with its reason; the
// batch goes on. Records run on `threads` threads; segments are appended in record order, so the
// output does not depend on the thread count.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/quality.h"
#include "common/ecg/dsp/resample.h"
#include "common/ecg/pipeline/condition.h"
#include "common/ecg/formats/catalogs.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

struct PreprocessOptions {
  std::string dataset;            // ptbxl | mimic | code15 | cpsc | csn (how RecordRefs are read)
  double target_rate_hz = 250;
  int64_t segment_len = 1250;
  bool paper_filters = false;     // notch 50/60, band-pass 0.5-100, high-pass 0.05, db6 denoise
  NanPolicy nan = NanPolicy::kSkip;
  ResampleMethod resample = ResampleMethod::kCubic;
  int threads = 1;
  uint64_t shard_bytes = 0;       // segment store shard size; 0: the store's default
  nlohmann::json parameters;      // recorded in the store manifest (e.g. the spec's data section)
  std::string content_hash;       // recorded in the store manifest
};

struct PreprocessCounts {
  int64_t records_total = 0;      // records in the range
  int64_t records_done = 0;       // read and segmented (possibly into 0 segments)
  int64_t records_skipped = 0;    // unreadable or invalid: see errors
  int64_t segments = 0;           // written to the store
  nlohmann::json quality;         // segmenter and quality counts (SegmenterCounts::ToJson)
  std::vector<std::string> errors;  // the first kMaxErrors reasons, "path: reason"
  static constexpr size_t kMaxErrors = 50;
  nlohmann::json ToJson() const;
};

struct PreprocessHooks {
  // Called from the calling thread after each batch of records (not concurrently).
  std::function<void(const PreprocessCounts&)> progress;
  // Polled between batches; true stops early with CANCELLED and removes the partial store.
  std::function<bool()> cancelled;
};

// Processes refs[begin, end) into a new segment store at `out_dir` (must not exist; written
// atomically). Returns the counts; errors only for problems that are not a single record's fault
// (bad options, the output directory, cancellation).
absl::StatusOr<PreprocessCounts> PreprocessRecords(const std::vector<RecordRef>& refs, size_t begin, size_t end,
                                                   const PreprocessOptions& options, const std::string& out_dir,
                                                   const PreprocessHooks& hooks = {});

// The contiguous record range of shard `shard` of `num_shards` over `n` records (balanced: sizes
// differ by at most one).
std::pair<size_t, size_t> ShardRange(size_t n, int shard, int num_shards);

}  // namespace ecgbench::common::ecg
