// RagIndex: building the FAISS indexes and searching them (see rag_index.h). FAISS throws
// faiss::FaissException; this file and rag_index_io.cc are the only places that call it, and every
// call is wrapped so that exceptions become absl::Status (Internal).
#include "common/rag/rag_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ecg/core/leads.h"
#include "common/rag/feature_batch.h"
#include "common/rag/rag_index_state.h"
#include "spdlog/spdlog.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::rag {

RagIndex::State::~State() = default;

const char* RetrievalSpaceName(RetrievalSpace space) {
  switch (space) {
    case RetrievalSpace::kFeature:
      return "feature";
    case RetrievalSpace::kSignal:
      return "signal";
    case RetrievalSpace::kCombined:
      return "combined";
  }
  return "signal";
}

absl::StatusOr<RetrievalSpace> ParseRetrievalSpace(std::string_view name) {
  if (name == "feature" || name == "features") return RetrievalSpace::kFeature;
  if (name == "signal") return RetrievalSpace::kSignal;
  if (name == "combined") return RetrievalSpace::kCombined;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown retrieval space '", std::string(name), "' (expected feature, signal or combined)"));
}

absl::StatusOr<RagSource> RagSourceFromRecord(const ecg::Record& record) {
  ECGBENCH_RETURN_IF_ERROR(record.Validate());
  if (record.num_leads() != kFeatureLeads) {
    return absl::InvalidArgumentError(
        absl::StrCat("record ", record.id, ": has ", record.num_leads(), " leads, the RAG index needs 12"));
  }
  for (int l = 0; l < kFeatureLeads; ++l) {
    if (ecg::StandardLeadIndex(record.leads[static_cast<size_t>(l)]) != l) {
      return absl::InvalidArgumentError(absl::StrCat("record ", record.id, ": lead ", l, " is '",
                                                     record.leads[static_cast<size_t>(l)],
                                                     "', not in the standard order (harmonize the leads first)"));
    }
  }
  return RagSource{record.id, record.report, record.samples.data()};
}

int64_t SpaceDimension(RetrievalSpace space, int64_t segment_length) {
  const int64_t signal = kFeatureLeads * segment_length;
  switch (space) {
    case RetrievalSpace::kFeature:
      return kNumEcgFeatures;
    case RetrievalSpace::kSignal:
      return signal;
    case RetrievalSpace::kCombined:
      return kNumEcgFeatures + signal;
  }
  return signal;
}

void AssembleVector(RetrievalSpace space, const double* features, const float* signal, int64_t segment_length,
                    bool zscore, float* out, double* scratch) {
  const int64_t signal_dim = kFeatureLeads * segment_length;
  float* signal_out = out;
  if (space != RetrievalSpace::kSignal) {
    std::copy(features, features + kNumEcgFeatures, scratch);
    if (zscore) ZScoreFeaturesAcrossLeads(absl::MakeSpan(scratch, kNumEcgFeatures));
    // PR #3 balances the two parts of the combined vector: features scaled by sqrt(signal / feature dim).
    const double scale = space == RetrievalSpace::kCombined
                             ? std::sqrt(static_cast<double>(signal_dim) / static_cast<double>(kNumEcgFeatures))
                             : 1.0;
    for (int j = 0; j < kNumEcgFeatures; ++j) out[j] = static_cast<float>(scratch[j] * scale);
    if (space == RetrievalSpace::kFeature) return;
    signal_out = out + kNumEcgFeatures;
  }
  std::copy(signal, signal + signal_dim, signal_out);
  if (zscore) ZScoreSignalPerLead(signal_out, kFeatureLeads, segment_length);
}

absl::Status CheckOptions(const RagIndexOptions& o) {
  if (o.spaces.empty()) return absl::InvalidArgumentError("rag index options: spaces is empty");
  for (size_t i = 0; i < o.spaces.size(); ++i) {
    for (size_t j = i + 1; j < o.spaces.size(); ++j) {
      if (o.spaces[i] == o.spaces[j]) {
        return absl::InvalidArgumentError(
            absl::StrCat("rag index options: space '", RetrievalSpaceName(o.spaces[i]), "' listed twice"));
      }
    }
  }
  if (o.segment_length < 2) {
    return absl::InvalidArgumentError(absl::StrCat("rag index options: segment_length must be >= 2, got ", o.segment_length));
  }
  if (!(o.features.sampling_rate_hz > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rag index options: sampling_rate_hz must be > 0, got ", o.features.sampling_rate_hz));
  }
  if (o.features.max_nperseg < 1 || o.nprobe < 1 || o.max_nlist < 1 || o.vectors_per_list < 1 ||
      o.exact_max_vectors < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rag index options: max_nperseg (", o.features.max_nperseg, "), nprobe (", o.nprobe, "), max_nlist (",
        o.max_nlist, ") and vectors_per_list (", o.vectors_per_list, ") must be >= 1, exact_max_vectors (",
        o.exact_max_vectors, ") >= 0"));
  }
  return absl::OkStatus();
}

namespace {

// An exact flat index for small sets, else IVF-Flat trained on all vectors.
absl::StatusOr<std::unique_ptr<faiss::Index>> MakeIndex(const float* data, int64_t n, int64_t d,
                                                        const RagIndexOptions& o, int* nlist_out) {
  try {
    if (n <= o.exact_max_vectors) {
      auto flat = std::make_unique<faiss::IndexFlatL2>(d);
      flat->add(n, data);
      *nlist_out = 0;
      return std::unique_ptr<faiss::Index>(std::move(flat));
    }
    const int64_t nlist = std::min<int64_t>(o.max_nlist, std::max<int64_t>(1, n / o.vectors_per_list));
    auto quantizer = std::make_unique<faiss::IndexFlatL2>(d);
    auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), d, static_cast<size_t>(nlist), faiss::METRIC_L2);
    quantizer.release();
    ivf->own_fields = true;
    ivf->train(n, data);
    ivf->add(n, data);
    ivf->nprobe = static_cast<size_t>(o.nprobe);
    *nlist_out = static_cast<int>(nlist);
    return std::unique_ptr<faiss::Index>(std::move(ivf));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("faiss: building an index of ", n, " x ", d, ": ", e.what()));
  }
}

}  // namespace

RagIndex::RagIndex(std::unique_ptr<State> state) : s_(std::move(state)) {}
RagIndex::~RagIndex() = default;

absl::StatusOr<std::unique_ptr<RagIndex>> RagIndex::Build(const std::vector<RagSource>& sources,
                                                          const RagIndexOptions& options) {
  ECGBENCH_RETURN_IF_ERROR(CheckOptions(options));
  if (sources.empty()) return absl::InvalidArgumentError("rag index: no ECGs to index");
  const auto n = static_cast<int64_t>(sources.size());
  for (const RagSource& src : sources) {
    if (src.samples == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("rag index: ECG ", src.record_id, " has no samples"));
    }
  }
  auto state = std::make_unique<State>();
  state->options = options;
  const int64_t L = options.segment_length;
  std::vector<double> features(static_cast<size_t>(n) * kNumEcgFeatures);
  ECGBENCH_RETURN_IF_ERROR(ExtractFeaturesBatch(
      n, [&](int64_t i) { return sources[static_cast<size_t>(i)].samples; }, kFeatureLeads, L, options.features,
      options.num_threads, absl::MakeSpan(features),
      [&](int64_t i) { return sources[static_cast<size_t>(i)].record_id; }));
  state->features.assign(features.begin(), features.end());
  state->ids.reserve(sources.size());
  state->reports.reserve(sources.size());
  for (const RagSource& src : sources) {
    state->ids.push_back(src.record_id);
    state->reports.push_back(src.report);
    ++state->id_counts[src.record_id];
  }
  std::vector<float> matrix;
  double scratch[kNumEcgFeatures];
  for (RetrievalSpace space : options.spaces) {
    const int64_t d = SpaceDimension(space, L);
    matrix.resize(static_cast<size_t>(n * d));
    for (int64_t i = 0; i < n; ++i) {
      AssembleVector(space, features.data() + i * kNumEcgFeatures, sources[static_cast<size_t>(i)].samples, L,
                     options.zscore, matrix.data() + i * d, scratch);
    }
    ECGBENCH_ASSIGN_OR_RETURN(state->indexes[SpaceSlot(space)],
                              MakeIndex(matrix.data(), n, d, options, &state->nlists[SpaceSlot(space)]));
    spdlog::info("rag index: {} vectors of {} dims in space '{}' ({})", n, d, RetrievalSpaceName(space),
                 state->nlists[SpaceSlot(space)] == 0 ? std::string("exact flat")
                                                      : absl::StrCat("IVF-Flat, nlist ", state->nlists[SpaceSlot(space)]));
  }
  return std::unique_ptr<RagIndex>(new RagIndex(std::move(state)));
}

int64_t RagIndex::size() const { return static_cast<int64_t>(s_->ids.size()); }
const RagIndexOptions& RagIndex::options() const { return s_->options; }
bool RagIndex::has_space(RetrievalSpace space) const { return s_->indexes[SpaceSlot(space)] != nullptr; }
int64_t RagIndex::dimension(RetrievalSpace space) const { return SpaceDimension(space, s_->options.segment_length); }
bool RagIndex::is_exact(RetrievalSpace space) const { return s_->nlists[SpaceSlot(space)] == 0; }
int RagIndex::nlist(RetrievalSpace space) const { return s_->nlists[SpaceSlot(space)]; }
const std::string& RagIndex::record_id(int64_t i) const { return s_->ids[static_cast<size_t>(i)]; }
const std::string& RagIndex::report(int64_t i) const { return s_->reports[static_cast<size_t>(i)]; }
absl::Span<const float> RagIndex::features(int64_t i) const {
  return absl::MakeConstSpan(s_->features.data() + i * kNumEcgFeatures, kNumEcgFeatures);
}

absl::Status RagIndex::QueryVector(RetrievalSpace space, absl::Span<const float> ecg, EcgFeatureExtractor& extractor,
                                   std::vector<float>& out) const {
  const int64_t L = s_->options.segment_length;
  if (static_cast<int64_t>(ecg.size()) != kFeatureLeads * L) {
    return absl::InvalidArgumentError(absl::StrCat("rag query: ECG has ", ecg.size(), " values, the index expects 12 x ",
                                                   L, " = ", kFeatureLeads * L));
  }
  double features[kNumEcgFeatures];
  double scratch[kNumEcgFeatures];
  if (space != RetrievalSpace::kSignal) {
    ECGBENCH_RETURN_IF_ERROR(extractor.Extract(ecg.data(), kFeatureLeads, L, absl::MakeSpan(features)));
  } else {
    // The signal space does not use features, but a non-finite query is still bad input.
    for (size_t i = 0; i < ecg.size(); ++i) {
      if (!std::isfinite(ecg[i])) {
        return absl::InvalidArgumentError(absl::StrCat("rag query: lead ", static_cast<int64_t>(i) / L, ": ECG sample ",
                                                       static_cast<int64_t>(i) % L, " is not finite"));
      }
    }
    std::fill(features, features + kNumEcgFeatures, 0.0);
  }
  out.resize(static_cast<size_t>(SpaceDimension(space, L)));
  AssembleVector(space, features, ecg.data(), L, s_->options.zscore, out.data(), scratch);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RagHit>> RagIndex::SearchVector(RetrievalSpace space, absl::Span<const float> query,
                                                           std::string_view exclude_record_id, int k) const {
  const faiss::Index* index = s_->indexes[SpaceSlot(space)].get();
  if (index == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("rag search: the index has no '", RetrievalSpaceName(space), "' space"));
  }
  if (k < 1) return absl::InvalidArgumentError(absl::StrCat("rag search: k must be >= 1, got ", k));
  const int64_t d = dimension(space);
  if (static_cast<int64_t>(query.size()) != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("rag search: query has ", query.size(), " values, space '", RetrievalSpaceName(space), "' has ", d));
  }
  int64_t skip = 0;
  if (!exclude_record_id.empty()) {
    auto it = s_->id_counts.find(absl::string_view(exclude_record_id.data(), exclude_record_id.size()));
    if (it != s_->id_counts.end()) skip = it->second;
  }
  const int64_t want = std::min<int64_t>(size(), k + skip);
  std::vector<float> distances(static_cast<size_t>(want));
  std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(want));
  try {
    index->search(1, query.data(), want, distances.data(), labels.data());
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("faiss: search in space '", RetrievalSpaceName(space), "': ", e.what()));
  }
  std::vector<RagHit> hits;
  hits.reserve(static_cast<size_t>(k));
  for (int64_t r = 0; r < want && static_cast<int>(hits.size()) < k; ++r) {
    const faiss::Index::idx_t label = labels[static_cast<size_t>(r)];
    if (label < 0 || label >= size()) continue;
    if (skip > 0 && s_->ids[static_cast<size_t>(label)] == exclude_record_id) continue;
    hits.push_back(RagHit{label, distances[static_cast<size_t>(r)]});
  }
  return hits;
}

absl::StatusOr<std::vector<RagHit>> RagIndex::Search(RetrievalSpace space, absl::Span<const float> ecg,
                                                     std::string_view exclude_record_id, int k,
                                                     EcgFeatureExtractor* extractor) const {
  std::vector<float> query;
  if (extractor != nullptr) {
    ECGBENCH_RETURN_IF_ERROR(QueryVector(space, ecg, *extractor, query));
  } else {
    EcgFeatureExtractor local(s_->options.features);
    ECGBENCH_RETURN_IF_ERROR(QueryVector(space, ecg, local, query));
  }
  return SearchVector(space, query, exclude_record_id, k);
}

}  // namespace ecgbench::common::rag
