// True K-fold splits of segments, grouped by patient (zero patient overlap between folds),
// stratified by label, deterministic by seed. Algorithm "greedy-stratified-group-kfold/v1"
// (docs/data.md, "Splits"):
//  1. Group key per segment: (source, patient_id); segments without a patient id are grouped by
//     (source, record_id). The manifest says "grouping": "patient" (all had patient ids), "record"
//     (none had) or "mixed" (with the number of record-grouped segments).
//  2. Groups are numbered by first appearance, shuffled with the seed (SplitMix64 + Fisher-Yates,
//     identical on every platform) and stably sorted by size, largest first.
//  3. Each group goes to the fold with the fewest segments carrying the group's label(s) (sum over
//     the group's distinct labels; unlabeled segments count under one "no label" class), ties broken
//     by the fold's total size, then by fold index.
// Fold f held out: test = fold f, train = the other folds; a validation carve-out takes whole train
// groups in a seeded random order until it holds >= round(fraction * train segments).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ecg/dataset/segment_meta.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::ecg {

struct SplitItem {
  std::string source;
  std::string patient_id;  // empty: group by record_id
  std::string record_id;
  std::string label;  // empty: no label
};

struct SplitOptions {
  int k = 5;
  uint64_t seed = 42;
  std::string label_key;  // recorded in the manifest (which SegmentMeta label was used)
};

enum class Grouping { kPatient, kRecord, kMixed };
const char* GroupingName(Grouping g);

struct FoldAssignment {
  int k = 0;
  uint64_t seed = 0;
  Grouping grouping = Grouping::kPatient;
  std::string label_key;
  std::vector<int> fold;        // per segment, 0..k-1
  std::vector<int64_t> group;   // per segment, dense group id (first appearance order)
  int64_t num_groups = 0;
  int64_t record_grouped_segments = 0;  // segments grouped by record (no patient id)
  std::vector<int64_t> fold_segments;   // per fold
  std::vector<int64_t> fold_groups;     // per fold
  std::vector<std::map<std::string, int64_t>> fold_label_counts;  // per fold; labeled segments only
  std::vector<int64_t> fold_unlabeled;  // per fold
};

// InvalidArgument when k < 2 or there are fewer groups than k.
absl::StatusOr<FoldAssignment> AssignFolds(const std::vector<SplitItem>& items, const SplitOptions& options);

// Items from store metadata; label = meta.labels[label_key] (empty when absent or key empty).
std::vector<SplitItem> SplitItemsFromMeta(const std::vector<SegmentMeta>& metas, const std::string& label_key);

// The splits.json object: algorithm, k, seed, grouping, label_key, num_segments, num_groups,
// record_grouped_segments, folds: [{fold, segments, groups, unlabeled, label_counts}], and the
// per-segment arrays "fold_of_segment" and "group_of_segment".
nlohmann::json SplitsToJson(const FoldAssignment& a);
// Inverse; InvalidArgument naming `where` and the field.
absl::StatusOr<FoldAssignment> SplitsFromJson(const nlohmann::json& j, const std::string& where);

// <dir>/splits.json, written atomically / read back.
absl::Status WriteSplits(const FoldAssignment& a, const std::string& dir);
absl::StatusOr<FoldAssignment> ReadSplits(const std::string& dir);

enum class SplitRole : uint8_t { kTrain = 0, kValidation = 1, kTest = 2 };

// Roles of every segment when fold `test_fold` is held out, with a validation carve-out of
// `validation_fraction` (0 <= f < 1) of the train segments, by whole groups, seeded by
// (a.seed, test_fold). InvalidArgument for a bad fold or fraction.
absl::StatusOr<std::vector<SplitRole>> RolesForFold(const FoldAssignment& a, int test_fold,
                                                    double validation_fraction = 0.1);

}  // namespace ecgbench::common::ecg
