// Bounds on hostile specs not covered by limits_test.cc: mapping size, the value count of a
// document without aliases, and the matrix run count at and past its limit (also for products too
// large to count).
#include <string>

#include "absl/strings/str_cat.h"
#include "common/spec/plan.h"
#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common::testing {
namespace {

// "[first, first+1, ..., first+n-1]"
std::string Range(int first, int n) {
  std::string list = "[";
  for (int i = 0; i < n; ++i) absl::StrAppend(&list, i == 0 ? "" : ",", first + i);
  return list + "]";
}

TEST(SpecBoundsTest, MappingLongerThan10000Entries) {
  std::string yaml = "name: t\nprobe: {}\nlabels:\n";
  for (int i = 0; i < 10001; ++i) absl::StrAppend(&yaml, "  l", i, ": v\n");
  EXPECT_EQ(PlanError(yaml), "labels: mapping of 10001 items is longer than the limit of 10000 (spec.yaml:4)");
}

TEST(SpecBoundsTest, ValueCountIsBoundedWithoutAliases) {
  // 21 lists of 10000 numbers: 210000 values in 430 KB of plain text. Value 200001 is item 9976
  // of the 20th list: 4 values before the lists (document, name, probe, labels), 19 x 10001.
  std::string yaml = "name: t\nprobe: {}\nlabels:\n";
  for (int i = 0; i < 21; ++i) absl::StrAppend(&yaml, "  l", i, ": ", Range(0, 10000), "\n");
  EXPECT_EQ(PlanError(yaml),
            "labels.l19[9976]: the document expands to more than 200000 values (aliases?) (spec.yaml:23)");
}

TEST(SpecBoundsTest, MatrixOfExactly1000RunsIsAccepted) {
  absl::StatusOr<ExperimentPlan> plan =
      PlanExperiment("name: t\nprobe: {}\nmatrix:\n  probe.duration: " + Range(0, 1000) + "\n", "spec.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->runs.size(), 1000u);
}

TEST(SpecBoundsTest, MatrixOf1001RunsIsRefused) {
  EXPECT_EQ(PlanError("name: t\nprobe: {}\nmatrix:\n  probe.duration: " + Range(0, 1001) + "\n"),
            "matrix: expands to 1001 runs; the limit is 1000 (spec.yaml:3)");
}

TEST(SpecBoundsTest, MatrixProductTooLargeToCount) {
  // 10000 x 10000 x 10000 runs.
  const std::string yaml = "name: t\nprobe: {}\nresources: {}\nmatrix:\n  probe.shards: " + Range(1, 10000) +
                           "\n  probe.duration: " + Range(0, 10000) +
                           "\n  resources.preprocess_shards: " + Range(1, 10000) + "\n";
  EXPECT_EQ(PlanError(yaml), "matrix: expands to more than 1000000000 runs; the limit is 1000 (spec.yaml:4)");
}

}  // namespace
}  // namespace ecgbench::common::testing
