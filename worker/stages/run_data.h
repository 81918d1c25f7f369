// RunData: what the stages after `dataset` (tokenizer, signal2vec, later train and evaluate) need
// from their assignment: the run's data section (held-out fold, fold seed) and the dataset stage's
// result (merged segment store, patient-grouped folds). Torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/splits.h"
#include "ecgbench/v1/worker.pb.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker {

struct RunData {
  nlohmann::json params;          // the assignment's params (data, representation, ...)
  nlohmann::json dataset_result;  // the dataset stage's result document
  std::string dataset_key;        // its content key (an input of later artifacts' keys)
  std::unique_ptr<common::ecg::SegmentStore> store;
  common::ecg::FoldAssignment folds;
  int test_fold = 0;      // 0-based: data.fold - 1
  uint64_t fold_seed = 42;  // data.folds.seed
  // Segments of the training folds (every fold but the held-out one), ascending; the validation
  // carve-out is part of them (it is a train-stage concern).
  std::vector<int64_t> train_segments;
};

// Parses params and inputs, opens the store and the splits. FailedPrecondition when the inputs
// have no dataset result; InvalidArgument for malformed params (naming the field); errors of
// SegmentStore::Open / ReadSplits name the file.
absl::StatusOr<RunData> LoadRunData(const v1::Assignment& assignment);

// `count` of the training segments drawn without replacement (common::SampleWithoutReplacement
// over their positions, seeded: the same on every platform), ascending. All of them when count
// >= their number.
std::vector<int64_t> SampleTrainSegments(const RunData& run, int64_t count, uint64_t seed);

}  // namespace ecgbench::worker
