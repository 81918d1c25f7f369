// RunData: the run's data section and the dataset stage's outputs (run_data.h).
#include "worker/stages/run_data.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/util/det_random.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

namespace ecg = common::ecg;

absl::StatusOr<RunData> LoadRunData(const v1::Assignment& assignment) {
  RunData run;
  ECGBENCH_ASSIGN_OR_RETURN(run.params, common::ParseJson(assignment.params_json(), "stage params"));
  ECGBENCH_ASSIGN_OR_RETURN(nlohmann::json in, common::ParseJson(assignment.inputs_json(), "stage inputs"));
  if (!in.contains("dataset") || !in["dataset"].is_array() || in["dataset"].empty() ||
      !in["dataset"][0].is_object()) {
    return absl::FailedPreconditionError("no dataset stage result among the stage's inputs");
  }
  run.dataset_result = in["dataset"][0];
  int fold = 1;
  try {
    const nlohmann::json& d = run.params.at("data");
    if (d.contains("fold") && !d["fold"].is_null()) fold = d["fold"].get<int>();
    if (d.contains("folds") && d["folds"].is_object()) run.fold_seed = d["folds"].value("seed", uint64_t{42});
    run.dataset_key = run.dataset_result.at("key").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("stage params: ", e.what()));
  }
  const std::string store_dir = run.dataset_result.value("store", std::string());
  const std::string splits = run.dataset_result.value("splits", std::string());
  if (store_dir.empty() || splits.empty()) {
    return absl::FailedPreconditionError("the dataset stage result names no store or splits");
  }
  ECGBENCH_ASSIGN_OR_RETURN(run.store, ecg::SegmentStore::Open(store_dir));
  ECGBENCH_ASSIGN_OR_RETURN(run.folds, ecg::ReadSplits(std::filesystem::path(splits).parent_path().string()));
  if (fold < 1 || fold > run.folds.k) {
    return absl::InvalidArgumentError(absl::StrCat("data.fold: ", fold, " is outside 1..", run.folds.k));
  }
  if (static_cast<int64_t>(run.folds.fold.size()) != run.store->size()) {
    return absl::FailedPreconditionError(absl::StrCat(splits, ": ", run.folds.fold.size(), " segments, the store has ",
                                                      run.store->size()));
  }
  run.test_fold = fold - 1;
  for (size_t i = 0; i < run.folds.fold.size(); ++i) {
    if (run.folds.fold[i] != run.test_fold) run.train_segments.push_back(static_cast<int64_t>(i));
  }
  return run;
}

std::vector<int64_t> SampleTrainSegments(const RunData& run, int64_t count, uint64_t seed) {
  const auto n = static_cast<int64_t>(run.train_segments.size());
  std::vector<int64_t> picks = common::SampleWithoutReplacement(n, count, seed);
  for (int64_t& p : picks) p = run.train_segments[static_cast<size_t>(p)];  // ascending stays ascending
  return picks;
}

}  // namespace ecgbench::worker
