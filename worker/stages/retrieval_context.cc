// RetrievalContext (see retrieval_context.h): rag stage result -> index -> prompt text per segment.
#include "worker/stages/retrieval_context.h"

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker {

namespace rag = common::rag;

std::string RagIndexDir(const v1::Assignment& assignment) {
  const nlohmann::json in = nlohmann::json::parse(assignment.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("rag") || !in["rag"].is_array() || in["rag"].empty()) return "";
  const nlohmann::json& result = in["rag"][0];
  return result.is_object() && result.contains("index") && result["index"].is_string()
             ? result["index"].get<std::string>()
             : std::string();
}

absl::StatusOr<std::unique_ptr<RetrievalContext>> RetrievalContext::FromAssignment(
    const v1::Assignment& assignment, const common::ecg::SegmentStore* store) {
  const nlohmann::json in = nlohmann::json::parse(assignment.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("rag") || !in["rag"].is_array() || in["rag"].empty()) return nullptr;
  const nlohmann::json& result = in["rag"][0];
  if (!result.is_object() || !result.contains("index") || !result["index"].is_string()) {
    return absl::FailedPreconditionError("rag: the rag stage's result names no index directory");
  }
  std::unique_ptr<RetrievalContext> c(new RetrievalContext());
  c->store_ = store;
  c->index_dir_ = result["index"].get<std::string>();
  ECGBENCH_ASSIGN_OR_RETURN(c->index_, rag::RagIndex::Load(c->index_dir_));
  if (c->index_->options().segment_length != store->segment_length()) {
    return absl::InvalidArgumentError(absl::StrCat(c->index_dir_, ": indexed segments of ", c->index_->options().segment_length,
                                                   " samples, the run's store has ", store->segment_length()));
  }
  try {
    c->k_ = result.value("k", 1);
    ECGBENCH_ASSIGN_OR_RETURN(c->space_, rag::ParseRetrievalSpace(result.value("space", std::string("signal"))));
    ECGBENCH_ASSIGN_OR_RETURN(c->mode_, rag::ParseRagPromptMode(result.value("prompt", std::string("system_prompt"))));
    c->prompt_.include_features = result.value("features_in_prompt", false);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("rag: malformed rag stage result: ", e.what()));
  }
  if (c->k_ < 1) return absl::InvalidArgumentError(absl::StrCat("rag: k must be >= 1, got ", c->k_));
  c->extractor_ = std::make_unique<rag::EcgFeatureExtractor>(c->index_->options().features);
  return c;
}

absl::StatusOr<std::string> RetrievalContext::Text(int64_t segment, bool zero_signal) {
  if (segment < 0 || segment >= store_->size()) {
    return absl::InvalidArgumentError(absl::StrCat("rag: segment ", segment, " is outside the store"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const common::ecg::SegmentMeta meta, store_->Meta(segment));
  const size_t n = static_cast<size_t>(store_->segment_length()) * 12;
  absl::Span<const float> ecg(store_->Segment(segment), n);
  if (zero_signal) {
    if (zeros_.size() != n) zeros_.assign(n, 0.0f);  // stays zero: only read
    ecg = absl::MakeConstSpan(zeros_);
  }
  // The query vector goes to a reused buffer (12 L floats for the signal space).
  ECGBENCH_RETURN_IF_ERROR(index_->QueryVector(space_, ecg, *extractor_, query_));
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<rag::RagHit> hits,
                            index_->SearchVector(space_, query_, meta.record_id, k_));
  return rag::FormatRetrievedEcgs(rag::RetrievedFromHits(*index_, hits), prompt_);
}

}  // namespace ecgbench::worker
