// The scorer: result names per metric group, empty predictions scored as zero / wrong (not
// dropped), per-question-type accuracy and F1, results independent of the thread count, METEOR
// through WordNet when /usr/share/wordnet is installed, and the errors.
#include "common/eval/scorer.h"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/eval/generated_pairs.h"

namespace ecgbench::common::eval {
namespace {

Prediction P(std::string id, std::string type, std::string ref, std::string hyp) {
  Prediction p;
  p.id = std::move(id);
  p.question_type = std::move(type);
  p.reference = std::move(ref);
  p.prediction = std::move(hyp);
  return p;
}

std::vector<std::string> Keys(const std::map<std::string, double>& m) {
  std::vector<std::string> k;
  for (const auto& [name, value] : m) k.push_back(name);
  return k;
}

TEST(ScorerTest, EmptyPredictionsAreWrongNotDropped) {
  const std::vector<Prediction> preds = {P("1", "verify", "yes", "Yes."), P("2", "verify", "no", ""),
                                         P("3", "query", "lead I, lead II", "lead I"), P("4", "", "sinus rhythm", "sinus rhythm")};
  ScoreOptions options;
  options.metrics = {"bleu", "rouge", "accuracy", "f1"};
  auto s = ScorePredictions(preds, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Keys(*s), (std::vector<std::string>{"accuracy", "accuracy/query", "accuracy/verify", "bleu", "bleu_sent",
                                                "exact_match", "f1", "f1/query", "f1/verify", "n", "n_empty", "rouge1",
                                                "rouge2", "rougeL"}));
  EXPECT_EQ(s->at("n"), 4);
  EXPECT_EQ(s->at("n_empty"), 1);
  EXPECT_DOUBLE_EQ(s->at("accuracy"), 0.5);        // "Yes." and "sinus rhythm"
  EXPECT_DOUBLE_EQ(s->at("exact_match"), 0.25);    // only "sinus rhythm"
  EXPECT_DOUBLE_EQ(s->at("accuracy/verify"), 0.5);
  EXPECT_DOUBLE_EQ(s->at("accuracy/query"), 0.0);
  EXPECT_DOUBLE_EQ(s->at("f1/query"), 2.0 / 3.0);  // {lead i} vs {lead i, lead ii}
  EXPECT_DOUBLE_EQ(s->at("f1"), (1.0 + 0.0 + 2.0 / 3.0 + 1.0) / 4);
  // Sentence BLEU per pair: 0 ("Yes." vs "yes": no match), 0 (empty), order 2 for "lead I" against
  // "lead I, lead II" (p1 = 1/2, p2 = 0.1/1 by method1, brevity penalty exp(1 - 4/2)), 1 (identical).
  EXPECT_DOUBLE_EQ(s->at("bleu_sent"), (0.0 + 0.0 + std::exp(1.0 - 4.0 / 2.0) * std::sqrt(0.5 * 0.1) + 1.0) / 4);
  // ROUGE-1 F per pair: 0, 0 (empty), p = 1/2 and r = 1/3 ("I," is not "I"), identical; averaged over four.
  const double f3 = 2.0 * ((0.5 * (1.0 / 3)) / (0.5 + 1.0 / 3 + 1e-8));
  EXPECT_DOUBLE_EQ(s->at("rouge1"), (0.0 + 0.0 + f3 + 2.0 * (1.0 / (2.0 + 1e-8))) / 4);
}

TEST(ScorerTest, ResultsDoNotDependOnTheThreadCount) {
  const auto pairs = testing::GeneratePairs(3000, 11);
  std::vector<Prediction> preds;
  for (size_t i = 0; i < pairs.size(); ++i) {
    preds.push_back(P(std::to_string(i), i % 3 == 0 ? "a" : "b", pairs[i].first, pairs[i].second));
  }
  ScoreOptions one;
  one.metrics = {"bleu", "rouge", "accuracy", "f1"};
  one.threads = 1;
  ScoreOptions three = one;
  three.threads = 3;
  auto a = ScorePredictions(preds, one);
  auto b = ScorePredictions(preds, three);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_GT(a->at("bleu"), 0.0);
  EXPECT_LT(a->at("bleu"), 1.0);
}

TEST(ScorerTest, MeteorThroughWordNet) {
  if (!std::filesystem::exists("/usr/share/wordnet/data.noun")) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs wordnet-base";
  ScoreOptions options;
  options.metrics = {"meteor"};
  auto s = ScorePredictions({P("1", "", "the cat", "the cat"), P("2", "", "the cat", " ")}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  // Identical two words: Fmean 1, one chunk of two matches: penalty 0.5 * (1/2)^3; the empty
  // prediction scores 0.
  EXPECT_DOUBLE_EQ(s->at("meteor"), (1.0 - 0.0625) / 2);
  EXPECT_EQ(Keys(*s), (std::vector<std::string>{"meteor", "n", "n_empty"}));
}

TEST(ScorerTest, ScoresEachConditionSeparately) {
  std::vector<Prediction> preds = {P("1", "", "yes", "yes"), P("1", "", "yes", "no"), P("2", "", "no", "no")};
  preds[1].condition = "zeros";
  ScoreOptions options;
  options.metrics = {"accuracy"};
  auto scorer = Scorer::Create(options);
  ASSERT_TRUE(scorer.ok());
  auto by = scorer->ScoreByCondition(preds);
  ASSERT_TRUE(by.ok());
  ASSERT_EQ(by->size(), 2u);
  EXPECT_EQ(by->at("").at("accuracy"), 1.0);
  EXPECT_EQ(by->at("").at("n"), 2);
  EXPECT_EQ(by->at("zeros").at("accuracy"), 0.0);
}

TEST(ScorerTest, Errors) {
  ScoreOptions options;
  options.metrics = {"bleu", "cider"};
  EXPECT_EQ(Scorer::Create(options).status().message(),
            "unknown metric \"cider\" (known: bleu, rouge, meteor, accuracy, f1, all)");
  options.metrics = {"bleu"};
  EXPECT_EQ(ScorePredictions({}, options).status().message(), "no predictions to score");
  Prediction p = P("x", "", " ", "y");
  p.line = 3;
  EXPECT_EQ(ScorePredictions({p}, options).status().message(), "prediction \"x\" (turn 0, line 3): empty reference");
  options.metrics = {"meteor"};
  options.wordnet_dir = "/nonexistent";
  EXPECT_FALSE(Scorer::Create(options).ok());
}

TEST(ScorerTest, ParsesMetricLists) {
  EXPECT_EQ(ParseMetricList(" bleu, rouge ,,meteor"), (std::vector<std::string>{"bleu", "rouge", "meteor"}));
  EXPECT_EQ(ParseMetricList("all"), (std::vector<std::string>{"bleu", "rouge", "meteor", "accuracy", "f1"}));
  EXPECT_TRUE(ParseMetricList("").empty());
}

}  // namespace
}  // namespace ecgbench::common::eval
