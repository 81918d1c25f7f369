// The rag stage (see rag_runner.h): run data -> training segments -> RagIndex -> artifact.
#include "worker/stages/rag_runner.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/util/file_lock.h"
#include "common/ecg/dataset/content_hash.h"
#include "common/rag/rag_index.h"
#include "common/rag/rag_store.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/stages/run_data.h"

namespace ecgbench::worker {

absl::StatusOr<TaskResult> RagRunner::Run(TaskContext& ctx) {
  const v1::Assignment& assignment = ctx.assignment();
  ECGBENCH_ASSIGN_OR_RETURN(RunData run, LoadRunData(assignment));
  const nlohmann::json rag = run.params.value("rag", nlohmann::json::object());
  const std::string space_name = rag.value("space", std::string("signal"));
  ECGBENCH_ASSIGN_OR_RETURN(const common::rag::RetrievalSpace space, common::rag::ParseRetrievalSpace(space_name));
  common::rag::RagIndexOptions options;
  options.spaces = {space};
  options.zscore = rag.value("zscore", false);
  options.num_threads = std::max(1, assignment.cpu_cores());

  common::ecg::ContentHash key("rag");
  key.SetParameters({{"space", space_name}, {"zscore", options.zscore}, {"test_fold", run.test_fold + 1},
                     {"version", 1}});
  key.AddInput("dataset", run.dataset_key);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string artifact,
                            common::ecg::ArtifactDir(options_.artifact_root, "rag", key.Hex()));
  // Another task may be building the same artifact (runs that share it): wait for it, then reuse.
  ECGBENCH_ASSIGN_OR_RETURN(const common::FileLock artifact_lock,
                            common::FileLock::Acquire(common::FileLock::ForArtifact(artifact), [&ctx] { return ctx.cancelled(); }));
  nlohmann::json doc = {{"index", artifact},
                        {"k", rag.value("k", 1)},
                        {"space", space_name},
                        {"prompt", rag.value("prompt", std::string("system_prompt"))},
                        {"zscore", options.zscore},
                        {"features_in_prompt", rag.value("features_in_prompt", false)}};
  TaskResult result;
  if (common::ecg::IsArtifactComplete(artifact)) {
    ECGBENCH_ASSIGN_OR_RETURN(const std::unique_ptr<common::rag::RagIndex> index, common::rag::RagIndex::Load(artifact));
    ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("rag: reusing the index ", artifact, " (", index->size(), " ECGs)"));
    doc["entries"] = index->size();
    doc["reused"] = true;
    result.results = {{"entries", static_cast<double>(index->size())}, {"reused", 1}};
    result.result_json = doc.dump();
    return result;
  }
  if (run.train_segments.empty()) return absl::FailedPreconditionError("rag: the run has no training segments to index");
  ctx.ReportProgress(0, static_cast<int64_t>(run.train_segments.size()), "ECGs", "indexing");
  ECGBENCH_ASSIGN_OR_RETURN(const std::unique_ptr<common::rag::RagIndex> index,
                            common::rag::BuildRagIndexFromStore(*run.store, run.train_segments, options));
  if (ctx.cancelled()) return absl::CancelledError("rag: cancelled");
  ECGBENCH_RETURN_IF_ERROR(index->Save(artifact));
  ECGBENCH_RETURN_IF_ERROR(common::ecg::MarkArtifactComplete(artifact, {{"entries", index->size()}, {"space", space_name}}));
  ctx.ReportProgress(index->size(), index->size(), "ECGs", "indexed");
  ctx.Log(v1::LOG_LEVEL_INFO, absl::StrCat("rag: indexed ", index->size(), " training ECGs (", space_name,
                                           index->is_exact(space) ? ", exact" : absl::StrCat(", IVF nlist ", index->nlist(space)),
                                           ") in ", artifact));
  doc["entries"] = index->size();
  doc["reused"] = false;
  result.results = {{"entries", static_cast<double>(index->size())}, {"reused", 0}};
  result.result_json = doc.dump();
  return result;
}

}  // namespace ecgbench::worker
