// Edit distance and "did you mean" suggestions.
#include "common/spec/did_you_mean.h"

#include "gtest/gtest.h"
#include "tests/unit/spec/spec_test_util.h"

namespace ecgbench::common {
namespace {

TEST(EditDistanceTest, CountsEdits) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("lr", "lr"), 0);
  EXPECT_EQ(EditDistance("lrr", "lr"), 1);        // insertion
  EXPECT_EQ(EditDistance("epoch", "epochs"), 1);  // deletion
  EXPECT_EQ(EditDistance("bath_size", "batch_size"), 1);
  EXPECT_EQ(EditDistance("trian", "train"), 1);  // transposition
  EXPECT_EQ(EditDistance("Train", "train"), 0);  // case-insensitive
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("", "abc"), 3);
}

TEST(DidYouMeanTest, PicksTheClosestCandidate) {
  const std::vector<std::string> keys = {"optimizer", "schedule", "batch_size", "epochs", "lr"};
  EXPECT_EQ(DidYouMean("optimiser", keys), "optimizer");
  EXPECT_EQ(DidYouMean("epoch", keys), "epochs");
  EXPECT_EQ(DidYouMean("lrr", keys), "lr");
  EXPECT_EQ(DidYouMean("LR", keys), "lr");
  EXPECT_EQ(DidYouMean("sched", keys), "schedule");                   // prefix
  EXPECT_EQ(DidYouMean("batch_sizes_per_rank", keys), "batch_size");  // candidate is a prefix
  EXPECT_EQ(DidYouMean("warmup", keys), "");
  EXPECT_EQ(DidYouMean("x", {"k"}), "");  // a one-letter key is not "close" to another
}

TEST(DidYouMeanTest, TiesGoToTheEarlierCandidate) {
  EXPECT_EQ(DidYouMean("ab", {"ac", "ad"}), "ac");
}

TEST(DidYouMeanTest, NestedKeysSuggestWithinTheirSection) {
  EXPECT_EQ(testing::PlanError("name: t\nprobe: {rank: 2}\n"),
            "probe.rank: unknown key; did you mean \"ranks\"? (spec.yaml:2)");
  EXPECT_EQ(testing::PlanError("name: t\nprobe: {duraton: 2}\n"),
            "probe.duraton: unknown key; did you mean \"duration\"? (spec.yaml:2)");
  EXPECT_EQ(testing::PlanError("name: t\nprobe: {}\nresources: {gpus: 1}\n"),
            "resources.gpus: unknown key; did you mean \"gpus_per_rank\"? (spec.yaml:3)");
  EXPECT_EQ(testing::PlanError("name: t\nprobe: {}\nmatrx: {}\n"),
            "matrx: unknown key; did you mean \"matrix\"? (spec.yaml:3)");
}

}  // namespace
}  // namespace ecgbench::common
