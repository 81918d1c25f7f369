// The segment store: preprocessed segments as memory-mappable float32 shards plus a JSONL index and
// a manifest with checksums (layout in docs/data.md, "Segment store"):
//   <dir>/shard-00000.f32 ...  raw little-endian float32 [n x 12 x L], C order (lead-major segments)
//   <dir>/index.jsonl          line i = segment i: shard, offset (bytes), record_id, patient_id,
//                              segment_index, report, source, labels
//   <dir>/manifest.json        version, L, leads, rate, counts, per-shard XXH3-128, index XXH3-128,
//                              parameters, content_hash
// SegmentStoreWriter builds <dir>.tmp-<pid> and renames it to <dir> in Finish(), so a store
// directory is always complete. Several writers (one per preprocess shard task) produce part stores
// that MergeStores combines cheaply (hard links or renames of shards, one pass over the indexes).
// SegmentStore maps the shards read-only: Segment(i) is O(1) and touches only that segment's pages.
// Host byte order must be little-endian (checked at compile time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_meta.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

inline constexpr int kSegmentStoreVersion = 2;  // 2: XXH3-128 checksums (1 had SHA-256)
inline constexpr uint64_t kDefaultShardBytes = uint64_t{256} << 20;

struct SegmentStoreOptions {
  int64_t segment_length = 1250;              // L
  double sampling_rate_hz = 250;              // every segment's rate
  uint64_t shard_bytes = kDefaultShardBytes;  // a shard is closed before it would exceed this
                                              // (it always holds at least one segment)
  nlohmann::json parameters = nlohmann::json::object();  // preprocessing parameters, recorded
  std::string content_hash;                              // artifact key, recorded
};

// Not thread-safe; one writer per store. Destroying an unfinished writer removes its temp dir.
class SegmentStoreWriter {
 public:
  // AlreadyExists when `dir` exists; InvalidArgument for L <= 0 or rate <= 0.
  static absl::StatusOr<std::unique_ptr<SegmentStoreWriter>> Create(const std::string& dir,
                                                                    const SegmentStoreOptions& options);
  ~SegmentStoreWriter();
  SegmentStoreWriter(const SegmentStoreWriter&) = delete;
  SegmentStoreWriter& operator=(const SegmentStoreWriter&) = delete;

  // Appends one segment: `data` = 12 * L floats. InvalidArgument naming the record when
  // meta.sampling_rate_hz is set (non-zero) and differs from the store's; I/O errors name the file.
  // A failed Append leaves the writer unusable (Finish then fails).
  absl::Status Append(const SegmentMeta& meta, const float* data);
  // Closes the shards, writes manifest.json ("counts" = {segments, records, shards} plus the keys
  // of `counts`, e.g. the segmenter's quality counters) and renames the temp dir into place.
  absl::Status Finish(const nlohmann::json& counts = nlohmann::json::object());
  // Removes the temp dir; idempotent; no-op after a successful Finish.
  void Abort();

  int64_t num_segments() const;
  const std::string& temp_dir() const;

 private:
  struct State;
  explicit SegmentStoreWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// Immutable after Open: every const method is thread-safe.
class SegmentStore {
 public:
  // Reads and checks manifest.json (version, fields), maps the shards and the index, checks shard
  // sizes and the index line count. Errors name the file and the field.
  static absl::StatusOr<std::unique_ptr<SegmentStore>> Open(const std::string& dir);
  ~SegmentStore();

  int64_t size() const;  // number of segments
  int64_t segment_length() const;
  int num_leads() const;  // always 12
  double sampling_rate_hz() const;
  int num_shards() const;
  const std::string& dir() const;
  const nlohmann::json& manifest() const;

  // Segment i as 12 * L floats, lead-major; valid while the store lives. REQUIRES 0 <= i < size().
  const float* Segment(int64_t i) const;
  // Metadata of segment i (parses index line i). OutOfRange / InvalidArgument naming index.jsonl:line.
  absl::StatusOr<SegmentMeta> Meta(int64_t i) const;
  absl::StatusOr<std::vector<SegmentMeta>> AllMeta() const;
  // Recomputes every shard's and the index's SHA-256 and checks each index line's shard/offset.
  // DataLoss naming the file (and line) on the first mismatch.
  absl::Status Verify() const;

 private:
  struct State;
  explicit SegmentStore(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

struct MergeOptions {
  bool move_shards = false;  // false: hard-link (copy across filesystems), parts stay valid;
                             // true: rename shards out of the parts, then delete the part dirs
  std::string content_hash;  // recorded in the merged manifest; empty: SHA-256 of the canonical
                             // JSON {"merge": [part content hashes in order]}
};

// Combines finished part stores (same L, rate, leads and parameters; else InvalidArgument naming the
// part and the field) into a new store `out`, segments in part order. Shard checksums are taken from
// the part manifests (not recomputed); "counts" are summed key by key.
absl::Status MergeStores(const std::vector<std::string>& parts, const std::string& out,
                         const MergeOptions& options = {});

// .npy version 1.0 header (magic, version, length, dict, space padding, '\n'; 64-byte aligned).
std::string NpyHeaderV1(const std::string& descr, const std::vector<int64_t>& shape);

// Writes <out_dir>/ecgs.npy (float32 [N x 12 x L]) and <out_dir>/segments.jsonl (line i: {"index": i,
// record_id, patient_id, segment_index, report, source, labels}), each atomically.
absl::Status ExportNpyJsonl(const SegmentStore& store, const std::string& out_dir);

}  // namespace ecgbench::common::ecg
