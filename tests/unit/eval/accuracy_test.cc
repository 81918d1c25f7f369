// Exact match (upstream's ACC), normalized match and answer F1, including empty predictions.
#include "common/eval/accuracy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

TEST(AccuracyTest, ExactMatchComparesStrippedText) {
  EXPECT_TRUE(ExactMatch("yes", " yes\n"));
  EXPECT_FALSE(ExactMatch("yes", "Yes"));
  EXPECT_FALSE(ExactMatch("yes", "yes."));
  EXPECT_FALSE(ExactMatch("", ""));  // an empty prediction is always wrong
}

TEST(AccuracyTest, NormalizedMatchIgnoresCasePunctuationAndSpacing) {
  EXPECT_TRUE(NormalizedMatch("Yes", "yes."));
  EXPECT_TRUE(NormalizedMatch("left bundle branch block", "Left  bundle-branch block!"));
  EXPECT_FALSE(NormalizedMatch("left bundle branch block", "leftbundle branch block"));
  EXPECT_FALSE(NormalizedMatch("yes", "no"));
  EXPECT_FALSE(NormalizedMatch("yes", "   "));
  EXPECT_FALSE(NormalizedMatch("yes", "yes no"));
  // Only punctuation on both sides: the stripped texts decide.
  EXPECT_TRUE(NormalizedMatch("?", " ?"));
  EXPECT_FALSE(NormalizedMatch("?", "!"));
}

TEST(AccuracyTest, AnswerF1OverItemSets) {
  AnswerScorer scorer;
  // Gold from the answers field; prediction items split at ',' and ';'.
  EXPECT_DOUBLE_EQ(scorer.F1("", {"lead I", "lead II", "V1"}, "Lead I; lead II"), 0.8);  // 2*2/(3+2)
  EXPECT_DOUBLE_EQ(scorer.F1("", {"lead I", "lead II"}, "lead ii, lead i"), 1.0);
  EXPECT_DOUBLE_EQ(scorer.F1("", {"a"}, "b"), 0.0);
  // Without answers the reference's items are the gold; duplicates count once.
  EXPECT_DOUBLE_EQ(scorer.F1("a, b, c, d", {}, "a, a, b, x"), 2.0 * 2 / 7);
  EXPECT_DOUBLE_EQ(scorer.F1("yes", {}, "Yes."), 1.0);
  // Empty prediction or no gold item: 0.
  EXPECT_DOUBLE_EQ(scorer.F1("yes", {}, ""), 0.0);
  EXPECT_DOUBLE_EQ(scorer.F1("?", {}, "yes"), 0.0);
  // The answers field keeps commas inside an answer.
  EXPECT_DOUBLE_EQ(scorer.F1("", {"a, b"}, "a b"), 1.0);
}

}  // namespace
}  // namespace ecgbench::common::eval
