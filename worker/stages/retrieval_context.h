// The RAG context of a run's conversations: for the ECG of a conversation, the top-k most similar
// training ECGs of the rag stage's index (its own record excluded) as prompt text in upstream's
// wording (common/rag/rag_prompt.h). Used by the train and evaluate stages when the spec has a
// `rag` section (their inputs then hold the rag stage's result). Torch-free.
//
// Thread-safety: none (one feature extractor and query buffer); one per loading thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/rag/rag_index.h"
#include "common/rag/rag_prompt.h"
#include "ecgbench/v1/worker.pb.h"

namespace ecgbench::worker {

// The rag stage's index directory in the assignment's inputs; empty when there is none.
std::string RagIndexDir(const v1::Assignment& assignment);

class RetrievalContext {
 public:
  // Null when the assignment's inputs have no rag result. FailedPrecondition when the result names
  // no index; the index's load errors (naming the file); InvalidArgument when the index was built
  // for another segment length than `store`'s. `store` must outlive the context.
  static absl::StatusOr<std::unique_ptr<RetrievalContext>> FromAssignment(const v1::Assignment& assignment,
                                                                         const common::ecg::SegmentStore* store);

  // The retrieval text for segment `segment` of the store (the query is its signal, or an all-zero
  // signal with `zero_signal`: the `zeros` ablation). Empty when every hit is filtered out.
  absl::StatusOr<std::string> Text(int64_t segment, bool zero_signal = false);

  bool in_user_query() const { return mode_ == common::rag::RagPromptMode::kUserQuery; }
  const std::string& index_dir() const { return index_dir_; }

 private:
  RetrievalContext() = default;

  std::unique_ptr<common::rag::RagIndex> index_;
  const common::ecg::SegmentStore* store_ = nullptr;
  std::string index_dir_;
  int k_ = 1;
  common::rag::RetrievalSpace space_ = common::rag::RetrievalSpace::kSignal;
  common::rag::RagPromptMode mode_ = common::rag::RagPromptMode::kSystemPrompt;
  common::rag::RagPromptOptions prompt_;
  std::unique_ptr<common::rag::EcgFeatureExtractor> extractor_;
  std::vector<float> zeros_;
  std::vector<float> query_;
};

}  // namespace ecgbench::worker
