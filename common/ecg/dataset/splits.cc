// Patient-grouped, label-stratified, seeded K-fold assignment and its manifest.
#include "common/ecg/dataset/splits.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {

namespace {

constexpr const char* kAlgorithm = "greedy-stratified-group-kfold/v1";

// SplitMix64: a tiny generator whose output is fixed by its definition (std::shuffle and the
// standard distributions differ between standard libraries).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), by rejection. REQUIRES n > 0.
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
      r = Next();
    } while (r >= limit);
    return r % n;
  }

 private:
  uint64_t state_;
};

template <typename T>
void SeededShuffle(std::vector<T>& v, uint64_t seed) {
  SplitMix64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(rng.Below(i))]);
}

}  // namespace

const char* GroupingName(Grouping g) {
  switch (g) {
    case Grouping::kPatient:
      return "patient";
    case Grouping::kRecord:
      return "record";
    case Grouping::kMixed:
      return "mixed";
  }
  return "patient";
}

absl::StatusOr<FoldAssignment> AssignFolds(const std::vector<SplitItem>& items, const SplitOptions& options) {
  if (options.k < 2) return absl::InvalidArgumentError(absl::StrCat("splits: k must be >= 2, got ", options.k));
  FoldAssignment a;
  a.k = options.k;
  a.seed = options.seed;
  a.label_key = options.label_key;
  a.group.resize(items.size());
  // Groups and their per-label sizes. Label index 0 is "no label".
  std::unordered_map<std::string, int64_t> group_of_key;
  std::unordered_map<std::string, int> label_index{{"", 0}};
  std::vector<std::string> label_names{""};
  std::vector<std::map<int, int64_t>> group_labels;
  std::string key;
  for (size_t i = 0; i < items.size(); ++i) {
    const SplitItem& it = items[i];
    const bool by_patient = !it.patient_id.empty();
    if (!by_patient) ++a.record_grouped_segments;
    key.assign(it.source).append(by_patient ? "\x1fp:" : "\x1fr:").append(by_patient ? it.patient_id : it.record_id);
    auto [g, inserted] = group_of_key.emplace(key, static_cast<int64_t>(group_labels.size()));
    if (inserted) group_labels.emplace_back();
    a.group[i] = g->second;
    auto [l, new_label] = label_index.emplace(it.label, static_cast<int>(label_names.size()));
    if (new_label) label_names.push_back(it.label);
    ++group_labels[static_cast<size_t>(g->second)][l->second];
  }
  a.num_groups = static_cast<int64_t>(group_labels.size());
  a.grouping = a.record_grouped_segments == 0                                         ? Grouping::kPatient
               : a.record_grouped_segments == static_cast<int64_t>(items.size()) ? Grouping::kRecord
                                                                                    : Grouping::kMixed;
  if (a.num_groups < a.k) {
    return absl::InvalidArgumentError(
        absl::StrCat("splits: k=", a.k, " folds need at least ", a.k, " groups, have ", a.num_groups));
  }
  std::vector<int64_t> group_size(group_labels.size(), 0);
  for (size_t g = 0; g < group_labels.size(); ++g) {
    for (const auto& [label, n] : group_labels[g]) group_size[g] += n;
  }
  std::vector<int64_t> order(group_labels.size());
  std::iota(order.begin(), order.end(), 0);
  SeededShuffle(order, options.seed);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return group_size[static_cast<size_t>(x)] > group_size[static_cast<size_t>(y)]; });
  const size_t k = static_cast<size_t>(a.k);
  std::vector<std::vector<int64_t>> fold_label(k, std::vector<int64_t>(label_names.size(), 0));
  std::vector<int64_t> fold_total(k, 0), fold_groups(k, 0);
  std::vector<int> group_fold(group_labels.size(), 0);
  for (int64_t g : order) {
    const auto& labels = group_labels[static_cast<size_t>(g)];
    size_t best = 0;
    std::tuple<int64_t, int64_t, size_t> best_key{INT64_MAX, INT64_MAX, 0};
    for (size_t f = 0; f < k; ++f) {
      int64_t score = 0;
      for (const auto& [label, n] : labels) score += fold_label[f][static_cast<size_t>(label)];
      std::tuple<int64_t, int64_t, size_t> key_f{score, fold_total[f], f};
      if (key_f < best_key) {
        best_key = key_f;
        best = f;
      }
    }
    group_fold[static_cast<size_t>(g)] = static_cast<int>(best);
    for (const auto& [label, n] : labels) fold_label[best][static_cast<size_t>(label)] += n;
    fold_total[best] += group_size[static_cast<size_t>(g)];
    ++fold_groups[best];
  }
  a.fold.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) a.fold[i] = group_fold[static_cast<size_t>(a.group[i])];
  a.fold_segments = fold_total;
  a.fold_groups = fold_groups;
  a.fold_label_counts.resize(k);
  a.fold_unlabeled.resize(k);
  for (size_t f = 0; f < k; ++f) {
    a.fold_unlabeled[f] = fold_label[f][0];
    for (size_t l = 1; l < label_names.size(); ++l) {
      if (fold_label[f][l] > 0) a.fold_label_counts[f][label_names[l]] = fold_label[f][l];
    }
  }
  return a;
}

std::vector<SplitItem> SplitItemsFromMeta(const std::vector<SegmentMeta>& metas, const std::string& label_key) {
  std::vector<SplitItem> items;
  items.reserve(metas.size());
  for (const SegmentMeta& m : metas) {
    SplitItem it{m.source, m.patient_id, m.record_id, ""};
    if (!label_key.empty()) {
      auto l = m.labels.find(label_key);
      if (l != m.labels.end()) it.label = l->second;
    }
    items.push_back(std::move(it));
  }
  return items;
}

nlohmann::json SplitsToJson(const FoldAssignment& a) {
  nlohmann::json j = nlohmann::json::object();
  j["algorithm"] = kAlgorithm;
  j["k"] = a.k;
  j["seed"] = a.seed;
  j["grouping"] = GroupingName(a.grouping);
  j["label_key"] = a.label_key;
  j["num_segments"] = a.fold.size();
  j["num_groups"] = a.num_groups;
  j["record_grouped_segments"] = a.record_grouped_segments;
  nlohmann::json folds = nlohmann::json::array();
  for (int f = 0; f < a.k; ++f) {
    const size_t fs = static_cast<size_t>(f);
    folds.push_back(nlohmann::json{{"fold", f},
                                   {"segments", a.fold_segments[fs]},
                                   {"groups", a.fold_groups[fs]},
                                   {"unlabeled", a.fold_unlabeled[fs]},
                                   {"label_counts", a.fold_label_counts[fs]}});
  }
  j["folds"] = std::move(folds);
  j["fold_of_segment"] = a.fold;
  j["group_of_segment"] = a.group;
  return j;
}

absl::StatusOr<FoldAssignment> SplitsFromJson(const nlohmann::json& j, const std::string& where) {
  auto bad = [&where](const std::string& field, const char* expected) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field \"", field, "\" missing or not ", expected));
  };
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a JSON object"));
  if (j.value("algorithm", "") != kAlgorithm) return bad("algorithm", kAlgorithm);
  FoldAssignment a;
  if (!j.contains("k") || !j["k"].is_number_integer() || j["k"].get<int>() < 2) return bad("k", "an integer >= 2");
  a.k = j["k"].get<int>();
  if (!j.contains("seed") || !j["seed"].is_number_unsigned()) return bad("seed", "an unsigned integer");
  a.seed = j["seed"].get<uint64_t>();
  const std::string grouping = j.value("grouping", "");
  if (grouping == "patient") {
    a.grouping = Grouping::kPatient;
  } else if (grouping == "record") {
    a.grouping = Grouping::kRecord;
  } else if (grouping == "mixed") {
    a.grouping = Grouping::kMixed;
  } else {
    return bad("grouping", "one of patient, record, mixed");
  }
  a.label_key = j.value("label_key", "");
  a.num_groups = j.value("num_groups", int64_t{0});
  a.record_grouped_segments = j.value("record_grouped_segments", int64_t{0});
  try {
    a.fold = j.at("fold_of_segment").get<std::vector<int>>();
    a.group = j.at("group_of_segment").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception&) {
    return bad("fold_of_segment/group_of_segment", "arrays of integers");
  }
  if (a.fold.size() != a.group.size()) return bad("group_of_segment", "as long as fold_of_segment");
  for (size_t i = 0; i < a.fold.size(); ++i) {
    if (a.fold[i] < 0 || a.fold[i] >= a.k) return bad(absl::StrCat("fold_of_segment[", i, "]"), "in [0, k)");
    if (a.group[i] < 0 || a.group[i] >= a.num_groups) return bad(absl::StrCat("group_of_segment[", i, "]"), "in [0, num_groups)");
  }
  const nlohmann::json folds = j.value("folds", nlohmann::json());
  if (!folds.is_array() || folds.size() != static_cast<size_t>(a.k)) return bad("folds", "an array of k objects");
  for (const nlohmann::json& f : folds) {
    try {
      a.fold_segments.push_back(f.at("segments").get<int64_t>());
      a.fold_groups.push_back(f.at("groups").get<int64_t>());
      a.fold_unlabeled.push_back(f.at("unlabeled").get<int64_t>());
      a.fold_label_counts.push_back(f.at("label_counts").get<std::map<std::string, int64_t>>());
    } catch (const nlohmann::json::exception&) {
      return bad("folds[]", "objects with segments, groups, unlabeled, label_counts");
    }
  }
  return a;
}

absl::Status WriteSplits(const FoldAssignment& a, const std::string& dir) {
  // Readable summary, then the two per-segment arrays on one line each.
  nlohmann::json j = SplitsToJson(a);
  const std::string folds = j["fold_of_segment"].dump();
  const std::string groups = j["group_of_segment"].dump();
  j.erase("fold_of_segment");
  j.erase("group_of_segment");
  std::string text = j.dump(2);
  text.pop_back();  // the closing '}'
  while (!text.empty() && text.back() == '\n') text.pop_back();
  absl::StrAppend(&text, ",\n  \"fold_of_segment\": ", folds, ",\n  \"group_of_segment\": ", groups, "\n}\n");
  return WriteFileAtomic(dir + "/splits.json", text);
}

absl::StatusOr<FoldAssignment> ReadSplits(const std::string& dir) {
  const std::string path = dir + "/splits.json";
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<nlohmann::json> j = ParseJson(*text, path);
  if (!j.ok()) return j.status();
  return SplitsFromJson(*j, path);
}

absl::StatusOr<std::vector<SplitRole>> RolesForFold(const FoldAssignment& a, int test_fold, double validation_fraction) {
  if (test_fold < 0 || test_fold >= a.k) {
    return absl::InvalidArgumentError(absl::StrCat("splits: fold ", test_fold, " out of range [0, ", a.k, ")"));
  }
  if (!(validation_fraction >= 0 && validation_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("splits: validation fraction must be in [0, 1), got ", validation_fraction));
  }
  std::vector<SplitRole> roles(a.fold.size(), SplitRole::kTrain);
  std::vector<int64_t> group_size(static_cast<size_t>(a.num_groups), 0);
  std::vector<char> group_is_train(static_cast<size_t>(a.num_groups), 0);
  int64_t train = 0;
  for (size_t i = 0; i < a.fold.size(); ++i) {
    if (a.fold[i] == test_fold) {
      roles[i] = SplitRole::kTest;
      continue;
    }
    ++train;
    ++group_size[static_cast<size_t>(a.group[i])];
    group_is_train[static_cast<size_t>(a.group[i])] = 1;
  }
  const int64_t target = std::llround(validation_fraction * static_cast<double>(train));
  if (target == 0) return roles;
  std::vector<int64_t> train_groups;
  for (int64_t g = 0; g < a.num_groups; ++g) {
    if (group_is_train[static_cast<size_t>(g)]) train_groups.push_back(g);
  }
  SeededShuffle(train_groups, a.seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(test_fold + 1)));
  std::vector<char> is_val(static_cast<size_t>(a.num_groups), 0);
  int64_t taken = 0;
  for (int64_t g : train_groups) {
    if (taken >= target) break;
    is_val[static_cast<size_t>(g)] = 1;
    taken += group_size[static_cast<size_t>(g)];
  }
  for (size_t i = 0; i < a.fold.size(); ++i) {
    if (roles[i] == SplitRole::kTrain && is_val[static_cast<size_t>(a.group[i])]) roles[i] = SplitRole::kValidation;
  }
  return roles;
}

}  // namespace ecgbench::common::ecg
