// Patient-grouped stratified K-fold: exact small case, zero overlap, balance, determinism,
// stratification, record grouping, manifest round trip, validation carve-out.
#include "common/ecg/dataset/splits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/unit/ecg/dataset/test_util.h"
#include "common/util/json.h"

namespace ecgbench::common::ecg {
namespace {

using testing::ReadText;
using testing::TempDir;

std::vector<SplitItem> Patients(const std::vector<std::pair<int, std::string>>& sizes_labels) {
  std::vector<SplitItem> items;
  for (size_t p = 0; p < sizes_labels.size(); ++p) {
    for (int s = 0; s < sizes_labels[p].first; ++s) {
      items.push_back(SplitItem{"ptbxl", "pat" + std::to_string(p), "rec" + std::to_string(p) + "_" + std::to_string(s),
                                sizes_labels[p].second});
    }
  }
  return items;
}

// 3000 patients with 1..5 segments each and one of 4 skewed labels (60/25/10/5 %).
std::vector<SplitItem> Synthetic() {
  std::vector<std::pair<int, std::string>> p;
  uint64_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const int size = 1 + static_cast<int>((x >> 33) % 5);
    const int r = static_cast<int>((x >> 40) % 100);
    p.emplace_back(size, r < 60 ? "NORM" : r < 85 ? "MI" : r < 95 ? "STTC" : "HYP");
  }
  return Patients(p);
}

TEST(SplitsTest, ExactSmallCase) {
  // Sizes/labels: A 4x, B 3y, C 2x, D 2y, E 1x, F 1y, k = 2. Walk-through (docs/data.md):
  // A->0; B->1 (y tie, smaller fold); C->1 (x 4 vs 0); D->0 (y 0 vs 3); E->1 (x 4 vs 2); F->0 (y 2 vs 3).
  const auto items = Patients({{4, "x"}, {3, "y"}, {2, "x"}, {2, "y"}, {1, "x"}, {1, "y"}});
  for (uint64_t seed : {0ULL, 1ULL, 42ULL, 999ULL}) {
    SplitOptions o;
    o.k = 2;
    o.seed = seed;
    auto a = AssignFolds(items, o);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->fold, (std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0})) << seed;
    EXPECT_EQ(a->fold_segments, (std::vector<int64_t>{7, 6}));
    EXPECT_EQ(a->fold_groups, (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(a->fold_label_counts[0], (std::map<std::string, int64_t>{{"x", 4}, {"y", 3}}));
    EXPECT_EQ(a->fold_label_counts[1], (std::map<std::string, int64_t>{{"x", 3}, {"y", 3}}));
    EXPECT_EQ(a->grouping, Grouping::kPatient);
    EXPECT_EQ(a->num_groups, 6);
  }
}

TEST(SplitsTest, ZeroOverlapBalanceAndStratification) {
  const auto items = Synthetic();
  SplitOptions o;  // k = 5, seed 42
  o.label_key = "superclass";
  auto a = AssignFolds(items, o);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->fold.size(), items.size());
  std::map<std::string, std::set<int>> folds_of_patient;
  for (size_t i = 0; i < items.size(); ++i) folds_of_patient[items[i].patient_id].insert(a->fold[i]);
  EXPECT_EQ(folds_of_patient.size(), 3000u);
  for (const auto& [patient, folds] : folds_of_patient) EXPECT_EQ(folds.size(), 1u) << patient;
  // Per label the greedy keeps fold counts within the largest group (5); totals within 4 x 5.
  for (const char* label : {"NORM", "MI", "STTC", "HYP"}) {
    int64_t lo = INT64_MAX, hi = 0;
    for (int f = 0; f < 5; ++f) {
      const int64_t n = a->fold_label_counts[static_cast<size_t>(f)].at(label);
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    EXPECT_LE(hi - lo, 5) << label;
  }
  const auto [mn, mx] = std::minmax_element(a->fold_segments.begin(), a->fold_segments.end());
  EXPECT_LE(*mx - *mn, 20);
  int64_t total = 0;
  for (int64_t n : a->fold_segments) total += n;
  EXPECT_EQ(total, static_cast<int64_t>(items.size()));
}

TEST(SplitsTest, DeterministicBySeed) {
  const auto items = Synthetic();
  SplitOptions o;
  o.seed = 7;
  auto a = AssignFolds(items, o), b = AssignFolds(items, o);
  EXPECT_EQ(a->fold, b->fold);
  o.seed = 8;
  auto c = AssignFolds(items, o);
  EXPECT_NE(a->fold, c->fold);
}

TEST(SplitsTest, GroupsByRecordWithoutPatientIds) {
  std::vector<SplitItem> items;
  for (int r = 0; r < 20; ++r) {
    for (int s = 0; s < 3; ++s) items.push_back(SplitItem{"code15", "", "exam" + std::to_string(r), ""});
  }
  SplitOptions o;
  auto a = AssignFolds(items, o);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->grouping, Grouping::kRecord);
  EXPECT_EQ(a->record_grouped_segments, 60);
  EXPECT_EQ(a->fold_segments, (std::vector<int64_t>{12, 12, 12, 12, 12}));
  EXPECT_EQ(a->fold_unlabeled, (std::vector<int64_t>{12, 12, 12, 12, 12}));
  for (int r = 0; r < 20; ++r) {
    EXPECT_EQ(a->fold[static_cast<size_t>(3 * r)], a->fold[static_cast<size_t>(3 * r + 2)]);
  }
  EXPECT_EQ(SplitsToJson(*a)["grouping"], "record");
  items.push_back(SplitItem{"ptbxl", "p1", "r1", ""});
  EXPECT_EQ(SplitsToJson(*AssignFolds(items, o))["grouping"], "mixed");
}

TEST(SplitsTest, PatientIdsAreScopedBySource) {
  std::vector<SplitItem> items;
  for (int p = 0; p < 5; ++p) {
    items.push_back(SplitItem{"ptbxl", std::to_string(p), "a", ""});
    items.push_back(SplitItem{"mimic", std::to_string(p), "b", ""});
  }
  auto a = AssignFolds(items, SplitOptions{});
  EXPECT_EQ(a->num_groups, 10);
}

TEST(SplitsTest, RejectsBadParameters) {
  const auto items = Patients({{1, ""}, {1, ""}, {1, ""}});
  SplitOptions o;
  EXPECT_EQ(AssignFolds(items, o).status().message(), "splits: k=5 folds need at least 5 groups, have 3");
  o.k = 1;
  EXPECT_EQ(AssignFolds(items, o).status().message(), "splits: k must be >= 2, got 1");
}

TEST(SplitsTest, ItemsFromMeta) {
  SegmentMeta m;
  m.source = "ptbxl";
  m.patient_id = "15709";
  m.record_id = "00001_hr";
  m.labels = {{"superclass", "NORM"}};
  auto items = SplitItemsFromMeta({m, m}, "superclass");
  EXPECT_EQ(items[1].label, "NORM");
  EXPECT_EQ(items[1].patient_id, "15709");
  EXPECT_EQ(SplitItemsFromMeta({m}, "other")[0].label, "");
}

TEST(SplitsTest, ManifestRoundTrip) {
  const auto items = Patients({{4, "x"}, {3, "y"}, {2, "x"}, {2, "y"}, {1, "x"}, {1, "y"}});
  SplitOptions o;
  o.k = 2;
  o.label_key = "cls";
  auto a = AssignFolds(items, o);
  TempDir tmp;
  ASSERT_TRUE(WriteSplits(*a, tmp.path()).ok());
  const std::string text = ReadText(tmp / "splits.json");
  auto j = ParseJson(text, "splits.json");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["k"], 2);
  EXPECT_EQ((*j)["seed"], 42);
  EXPECT_EQ((*j)["grouping"], "patient");
  EXPECT_EQ((*j)["algorithm"], "greedy-stratified-group-kfold/v1");
  EXPECT_EQ((*j)["folds"][0].dump(), R"({"fold":0,"groups":3,"label_counts":{"x":4,"y":3},"segments":7,"unlabeled":0})");
  EXPECT_NE(text.find("\n  \"fold_of_segment\": [0,0,0,0,1,1,1,1,1,0,0,1,0],\n"), std::string::npos);
  auto b = ReadSplits(tmp.path());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->fold, a->fold);
  EXPECT_EQ(b->group, a->group);
  EXPECT_EQ(b->fold_label_counts, a->fold_label_counts);
  EXPECT_EQ(SplitsToJson(*b), SplitsToJson(*a));
  (*j)["fold_of_segment"][3] = 7;
  EXPECT_EQ(SplitsFromJson(*j, "s.json").status().message(), "s.json: field \"fold_of_segment[3]\" missing or not in [0, k)");
  EXPECT_EQ(ReadSplits(tmp / "none").status().code(), absl::StatusCode::kNotFound);
}

TEST(SplitsTest, RolesWithValidationCarveOut) {
  const auto items = Synthetic();
  auto a = AssignFolds(items, SplitOptions{});
  for (int f = 0; f < 5; ++f) {
    auto roles = RolesForFold(*a, f, 0.1);
    ASSERT_TRUE(roles.ok());
    int64_t test = 0, val = 0, train = 0;
    std::map<int64_t, std::set<SplitRole>> roles_of_group;
    for (size_t i = 0; i < items.size(); ++i) {
      const SplitRole r = (*roles)[i];
      EXPECT_EQ(r == SplitRole::kTest, a->fold[i] == f);
      test += r == SplitRole::kTest;
      val += r == SplitRole::kValidation;
      train += r == SplitRole::kTrain;
      roles_of_group[a->group[i]].insert(r);
    }
    for (const auto& [g, rs] : roles_of_group) EXPECT_EQ(rs.size(), 1u) << g;
    EXPECT_EQ(test, a->fold_segments[static_cast<size_t>(f)]);
    const int64_t target = std::llround(0.1 * static_cast<double>(val + train));
    EXPECT_GE(val, target);
    EXPECT_LT(val, target + 5);
    EXPECT_EQ(*RolesForFold(*a, f, 0.1), *roles);  // deterministic
  }
  auto none = RolesForFold(*a, 0, 0.0);
  EXPECT_EQ(std::count(none->begin(), none->end(), SplitRole::kValidation), 0);
  EXPECT_EQ(RolesForFold(*a, 5, 0.1).status().message(), "splits: fold 5 out of range [0, 5)");
  EXPECT_EQ(RolesForFold(*a, 0, 1.0).status().message(), "splits: validation fraction must be in [0, 1), got 1");
}

}  // namespace
}  // namespace ecgbench::common::ecg
