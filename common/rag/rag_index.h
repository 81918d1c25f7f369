// The RAG retrieval database: 12-lead ECGs (segments) with their record id and report, indexed
// with FAISS over the 288 features, the flattened signal (12 * L) or both ("combined" =
// [features * sqrt(12 L / 288), signal], upstream PR #3's balancing). IVF-Flat with
// nlist = min(100, max(1, N / 30)) and nprobe 10 as upstream; an exact IndexFlatL2 when
// N <= exact_max_vectors (default 4000, see docs/rag.md). Saved to a folder: rag_metadata.json,
// features.f32 and one <space>.index per space.
//
// Thread-safety: a built or loaded RagIndex is immutable; every const method may be called from
// several threads at once. Errors: InvalidArgument for bad input (naming the record or the field),
// FailedPrecondition when searching a space that was not built, NotFound / DataLoss for missing or
// corrupt files (naming the file), Internal for FAISS failures.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/ecg/core/record.h"
#include "common/rag/ecg_features.h"

namespace ecgbench::common::rag {

enum class RetrievalSpace { kFeature, kSignal, kCombined };
inline constexpr RetrievalSpace kAllRetrievalSpaces[] = {RetrievalSpace::kFeature, RetrievalSpace::kSignal,
                                                         RetrievalSpace::kCombined};

// "feature", "signal", "combined" (upstream's mode names; the index file is "<name>.index").
const char* RetrievalSpaceName(RetrievalSpace space);
// Accepts those names and "features"; InvalidArgument listing them otherwise.
absl::StatusOr<RetrievalSpace> ParseRetrievalSpace(std::string_view name);

// One ECG to index. `samples` (12 * L floats, lead-major) need only live until Build returns.
struct RagSource {
  std::string record_id;
  std::string report;
  const float* samples = nullptr;
};

// A RagSource viewing `record` (12 standard leads in standard order; InvalidArgument naming the
// record otherwise). The record must outlive the source.
absl::StatusOr<RagSource> RagSourceFromRecord(const ecg::Record& record);

struct RagIndexOptions {
  std::vector<RetrievalSpace> spaces = {RetrievalSpace::kSignal};  // indexes to build (upstream: all 3)
  int64_t segment_length = 2500;  // samples per lead of every ECG (and query)
  FeatureOptions features;        // sampling rate (250 Hz) and Welch segment cap
  bool zscore = false;            // PR #3: features z-scored across leads, signal per lead
  int nprobe = 10;
  int max_nlist = 100;
  int vectors_per_list = 30;         // nlist = min(max_nlist, max(1, N / vectors_per_list))
  int64_t exact_max_vectors = 4000;  // N <= this: exact IndexFlatL2 instead of IVF-Flat
  int num_threads = 0;               // feature-extraction threads; <= 0: hardware concurrency
};

struct RagHit {
  int64_t index = 0;     // entry number in the database
  float distance = 0;    // squared L2 distance, as FAISS reports it
};

class RagIndex {
 public:
  // Extracts features (threads), builds the requested indexes. InvalidArgument when `sources` is
  // empty, a source has no samples or non-finite samples (naming its record id), or options are bad.
  static absl::StatusOr<std::unique_ptr<RagIndex>> Build(const std::vector<RagSource>& sources,
                                                         const RagIndexOptions& options);
  // Reads a folder written by Save; checks the metadata fields and index sizes.
  static absl::StatusOr<std::unique_ptr<RagIndex>> Load(const std::string& dir);
  // Creates `dir` if needed and writes every file atomically (temp name + rename).
  absl::Status Save(const std::string& dir) const;

  ~RagIndex();
  RagIndex(const RagIndex&) = delete;
  RagIndex& operator=(const RagIndex&) = delete;

  int64_t size() const;
  const RagIndexOptions& options() const;  // as built (spaces, L, fs, zscore, nprobe, ...)
  bool has_space(RetrievalSpace space) const;
  int64_t dimension(RetrievalSpace space) const;  // 288, 12 L or 288 + 12 L
  bool is_exact(RetrievalSpace space) const;      // flat index (no IVF)
  int nlist(RetrievalSpace space) const;          // 0 for a flat index
  const std::string& record_id(int64_t i) const;  // REQUIRES 0 <= i < size()
  const std::string& report(int64_t i) const;
  absl::Span<const float> features(int64_t i) const;  // the raw (not normalised) 288 features

  // The vector that `space` indexes for an ECG of 12 * segment_length floats (normalisation and
  // scaling as in the database). `extractor` must use the index's FeatureOptions.
  absl::Status QueryVector(RetrievalSpace space, absl::Span<const float> ecg, EcgFeatureExtractor& extractor,
                           std::vector<float>& out) const;

  // The k nearest entries (ascending distance), skipping every entry whose record id equals
  // `exclude_record_id` (all segments of the query's record; empty: nothing skipped). Fewer than k
  // when fewer entries remain (or an IVF probe finds fewer). k >= 1.
  absl::StatusOr<std::vector<RagHit>> SearchVector(RetrievalSpace space, absl::Span<const float> query,
                                                   std::string_view exclude_record_id, int k) const;
  // QueryVector + SearchVector. `extractor` may be null (a temporary one is made).
  absl::StatusOr<std::vector<RagHit>> Search(RetrievalSpace space, absl::Span<const float> ecg,
                                             std::string_view exclude_record_id, int k,
                                             EcgFeatureExtractor* extractor = nullptr) const;

 private:
  struct State;
  explicit RagIndex(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace ecgbench::common::rag
