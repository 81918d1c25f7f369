// ROUGE against values printed by the `rouge` 1.0.1 package: distinct n-grams across sentences,
// summary-level ROUGE-L over sentence pairs, blank sentences as an empty word, and 0 for texts
// without any sentence (where the package raises).
#include "common/eval/rouge.h"

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

void ExpectScore(const RougeScore& s, double f, double p, double r) {
  EXPECT_DOUBLE_EQ(s.f, f);
  EXPECT_DOUBLE_EQ(s.p, p);
  EXPECT_DOUBLE_EQ(s.r, r);
}

TEST(RougeTest, MatchesThePackage) {
  RougeScorer rouge;
  RougeScores s = rouge.Score("the cat was on the mat", "the cat sat on the mat");
  ExpectScore(s.rouge1, 0.7999999950000002, 0.8, 0.8);
  ExpectScore(s.rouge2, 0.5999999950000001, 0.6, 0.6);
  ExpectScore(s.rougeL, 0.7999999950000002, 0.8, 0.8);

  // Sentences swapped: unigrams all shared, the bigram "b c" across the sentence end is not.
  s = rouge.Score("c d. a b", "a b. c d");
  ExpectScore(s.rouge1, 0.999999995, 1.0, 1.0);
  ExpectScore(s.rouge2, 0.6666666616666668, 0.6666666666666666, 0.6666666666666666);
  ExpectScore(s.rougeL, 0.999999995, 1.0, 1.0);

  s = rouge.Score("normal sinus rhythm", "sinus rhythm. normal ecg");
  ExpectScore(s.rouge1, 0.8571428522448981, 0.75, 1.0);
  ExpectScore(s.rouge2, 0.39999999520000007, 0.3333333333333333, 0.5);
  ExpectScore(s.rougeL, 0.8571428522448981, 0.75, 1.0);
}

TEST(RougeTest, BlankSentenceIsAnEmptyWord) {
  RougeScorer rouge;
  // "a . . b" -> sentences "a", "", "b": three distinct hypothesis words, one of them "".
  const RougeScores s = rouge.Score("a b", "a . . b");
  ExpectScore(s.rouge1, 0.7999999952000001, 0.6666666666666666, 1.0);
  ExpectScore(s.rouge2, 0.0, 0.0, 0.0);
  ExpectScore(s.rougeL, 0.7999999952000001, 0.6666666666666666, 1.0);
}

TEST(RougeTest, NoSentenceScoresZero) {
  RougeScorer rouge;
  for (const char* hyp : {"", "...", "."}) {
    const RougeScores s = rouge.Score("sinus rhythm", hyp);
    ExpectScore(s.rouge1, 0.0, 0.0, 0.0);
    ExpectScore(s.rougeL, 0.0, 0.0, 0.0);
  }
  const RougeScores s = rouge.Score("x y z", "p q");
  ExpectScore(s.rouge1, 0.0, 0.0, 0.0);
  ExpectScore(s.rouge2, 0.0, 0.0, 0.0);
  ExpectScore(s.rougeL, 0.0, 0.0, 0.0);
}

TEST(RougeTest, LcsTraceBackTakesTheHypothesisStepOnTies) {
  RougeScorer rouge;
  // Reference "a b", hypothesis sentence "b a": both LCSs have length 1; tracing back from the end
  // steps along the hypothesis on the tie and then matches "b". With a second hypothesis sentence
  // "a" the union is {a, b}; with "b" it stays {b}.
  ExpectScore(rouge.Score("a b", "b a. a").rougeL, 0.999999995, 1.0, 1.0);
  ExpectScore(rouge.Score("a b", "b a. b").rougeL, 0.4999999950000001, 0.5, 0.5);
}

}  // namespace
}  // namespace ecgbench::common::eval
