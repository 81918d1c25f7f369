// A RAG database over a segment store: every segment (or the listed ones, e.g. the training split
// only, so that evaluation questions cannot retrieve their own test ECG's neighbours by leakage)
// indexed with its record id and report. The segments are read in place from the store's mapped
// shards; nothing is copied besides what FAISS keeps.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/rag/rag_index.h"

namespace ecgbench::common::rag {

// Builds a RagIndex over `segments` of `store` (empty: all, in store order). The segment length
// and sampling rate come from the store (overriding options.segment_length and
// options.features.sampling_rate_hz). InvalidArgument when the store does not have 12 leads or a
// listed segment is out of range (naming it); errors reading the index name index.jsonl:line.
absl::StatusOr<std::unique_ptr<RagIndex>> BuildRagIndexFromStore(const ecg::SegmentStore& store,
                                                                 const std::vector<int64_t>& segments,
                                                                 RagIndexOptions options);

}  // namespace ecgbench::common::rag
