// BLEU against values printed by NLTK 3.8 (repr, 17 digits): corpus_bleu and sentence_bleu with
// SmoothingFunction().method1, custom uniform weights, an empty hypothesis in a corpus, upstream's
// effective-order sentence BLEU, and math.fsum's correctly rounded sum.
#include "common/eval/bleu.h"

#include <string>
#include <string_view>
#include <vector>

#include "common/eval/text_normalize.h"
#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

std::vector<std::string_view> Tokens(std::string_view text) {
  std::vector<std::string_view> t;
  SplitPython(text, &t);
  return t;
}

BleuStats Stats(NgramCounter& counter, std::string_view ref, std::string_view hyp) {
  counter.Count(Tokens(ref), Tokens(hyp), kMaxBleuOrder);
  return StatsFromCounter(counter, kMaxBleuOrder);
}

constexpr char kHyp1[] = "It is a guide to action which ensures that the military always obeys the commands of the party";
constexpr char kRef1[] = "It is a guide to action that ensures that the military will forever heed Party commands";
constexpr char kHyp2[] = "he read the book because he was interested in world history";
constexpr char kRef2[] = "he was interested in world history because he read the book";

TEST(BleuTest, SentenceBleuMatchesNltk) {
  NgramCounter counter;
  EXPECT_DOUBLE_EQ(BleuFromStats(Stats(counter, kRef1, kHyp1), 4), 0.41180376356915777);
  EXPECT_DOUBLE_EQ(BleuFromStats(Stats(counter, kRef2, kHyp2), 4), 0.7400828044922853);
  // method1 on zero trigram / 4-gram counts and the brevity penalty of a short hypothesis.
  EXPECT_DOUBLE_EQ(BleuFromStats(Stats(counter, "sinus rhythm normal", "sinus rhythm"), 4), 0.19180183554164504);
  EXPECT_DOUBLE_EQ(BleuFromStats(Stats(counter, "a b c d e", "a x c y e"), 4), 0.07071067811865477);
  // weights (0.5, 0.5) and (1/3, 1/3, 1/3).
  EXPECT_DOUBLE_EQ(BleuFromStats(Stats(counter, "sinus rhythm normal", "sinus rhythm"), 2), 0.6065306597126334);
  EXPECT_DOUBLE_EQ(BleuFromStats(Stats(counter, "a b c", "a b c d"), 3), 0.6299605249474366);
  // No unigram match: 0.
  EXPECT_EQ(BleuFromStats(Stats(counter, "a b c", "x y z"), 4), 0.0);
}

TEST(BleuTest, CorpusBleuSumsCountsAcrossPairs) {
  NgramCounter counter;
  BleuStats corpus = Stats(counter, kRef1, kHyp1);
  corpus.Add(Stats(counter, kRef2, kHyp2));
  EXPECT_DOUBLE_EQ(BleuFromStats(corpus, 4), 0.5314082679468591);

  // An empty hypothesis adds its reference length and a total of 1 per order, as NLTK.
  BleuStats with_empty = Stats(counter, "a b c d", "a b c d");
  const BleuStats empty = Stats(counter, "x y", "");
  EXPECT_EQ(empty.hyp_len, 0);
  EXPECT_EQ(empty.ref_len, 2);
  EXPECT_EQ(empty.totals[0], 1);
  EXPECT_EQ(empty.matches[0], 0);
  with_empty.Add(empty);
  EXPECT_DOUBLE_EQ(BleuFromStats(with_empty, 4), 0.4056114983537769);
}

TEST(BleuTest, CountsClipRepeatedNgrams) {
  NgramCounter counter;
  counter.Count(Tokens("the the cat"), Tokens("the the the the cat cat"), 2);
  EXPECT_EQ(counter.order(1).hyp_total, 6);
  EXPECT_EQ(counter.order(1).clipped, 3);  // min(4, 2) "the" + min(2, 1) "cat"
  EXPECT_EQ(counter.order(1).hyp_distinct, 2);
  EXPECT_EQ(counter.order(1).shared_distinct, 2);
  EXPECT_EQ(counter.order(2).hyp_total, 5);
  EXPECT_EQ(counter.order(2).ref_total, 2);
  EXPECT_EQ(counter.order(2).clipped, 2);  // "the the" x1, "the cat" x1
  EXPECT_EQ(counter.order(2).hyp_distinct, 3);
  EXPECT_EQ(counter.vocabulary_size(), 2u);
  // Reuse with a different pair starts from scratch.
  counter.Count(Tokens("x"), Tokens("y"), 1);
  EXPECT_EQ(counter.order(1).clipped, 0);
  EXPECT_EQ(counter.vocabulary_size(), 2u);
}

TEST(BleuTest, EffectiveOrderUsesTheShorterSide) {
  NgramCounter counter;
  // n = min(4, 3, 2) = 2: weights (0.5, 0.5).
  EXPECT_DOUBLE_EQ(EffectiveOrderSentenceBleu(Stats(counter, "sinus rhythm normal", "sinus rhythm")), 0.6065306597126334);
  EXPECT_EQ(EffectiveOrderSentenceBleu(Stats(counter, "sinus rhythm", "")), 0.0);
  EXPECT_DOUBLE_EQ(EffectiveOrderSentenceBleu(Stats(counter, "yes", "yes")), 1.0);
}

TEST(BleuTest, ExactSumIsCorrectlyRounded) {
  const double a[] = {1e16, 1.0, -1e16};
  EXPECT_EQ(ExactSum(a, 3), 1.0);  // naive left-to-right gives 0
  const double b[] = {0.1, 0.2, 0.3};
  EXPECT_EQ(ExactSum(b, 3), 0.6);  // math.fsum([0.1, 0.2, 0.3]) == 0.6; naive gives 0.6000000000000001
  const double c[] = {1.0, 1e-16, 1e-16};
  EXPECT_EQ(ExactSum(c, 3), 1.0000000000000002);
  EXPECT_EQ(ExactSum(nullptr, 0), 0.0);
}

}  // namespace
}  // namespace ecgbench::common::eval
