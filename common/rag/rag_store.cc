// RagIndex over a segment store (see rag_store.h).
#include "common/rag/rag_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::rag {

absl::StatusOr<std::unique_ptr<RagIndex>> BuildRagIndexFromStore(const ecg::SegmentStore& store,
                                                                 const std::vector<int64_t>& segments,
                                                                 RagIndexOptions options) {
  if (store.num_leads() != kFeatureLeads) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment store ", store.dir(), ": has ", store.num_leads(), " leads, the RAG index needs 12"));
  }
  options.segment_length = store.segment_length();
  options.features.sampling_rate_hz = store.sampling_rate_hz();
  std::vector<int64_t> chosen = segments;
  if (chosen.empty()) {
    chosen.resize(static_cast<size_t>(store.size()));
    for (int64_t i = 0; i < store.size(); ++i) chosen[static_cast<size_t>(i)] = i;
  }
  std::vector<RagSource> sources;
  sources.reserve(chosen.size());
  for (int64_t i : chosen) {
    if (i < 0 || i >= store.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("segment store ", store.dir(), ": segment ", i, " out of range [0, ", store.size(), ")"));
    }
    ECGBENCH_ASSIGN_OR_RETURN(ecg::SegmentMeta meta, store.Meta(i));
    sources.push_back(RagSource{std::move(meta.record_id), std::move(meta.report), store.Segment(i)});
  }
  return RagIndex::Build(sources, options);
}

}  // namespace ecgbench::common::rag
