// Variant grouping, statistics and paired comparisons (common/report/summary.h) and the ablation
// matrices (ablation.h).
#include "common/report/summary.h"

#include "common/report/ablation.h"
#include "gtest/gtest.h"
#include "tests/unit/report/testing_results.h"

namespace ecgbench::common::report {
namespace {

const MetricStats* Find(const Summary& s, const std::string& metric, const std::string& group) {
  for (const MetricStats& m : s.stats) {
    if (m.metric == metric && s.groups[m.group].name == group) return &m;
  }
  return nullptr;
}

TEST(SummaryTest, ReplicateKeys) {
  EXPECT_TRUE(IsReplicateKey("fold"));
  EXPECT_TRUE(IsReplicateKey("data.fold"));
  EXPECT_TRUE(IsReplicateKey("train.seed"));
  EXPECT_FALSE(IsReplicateKey("data.folds"));
  EXPECT_FALSE(IsReplicateKey("representation"));
  EXPECT_EQ(MetricScale("score.signal.bleu"), 100);
  EXPECT_EQ(MetricScale("score.signal.n"), 1);
  EXPECT_EQ(MetricScale("score.zeros.n_empty"), 1);
  EXPECT_EQ(MetricScale("evaluate.predictions"), 1);
  EXPECT_EQ(MetricScale("train.final_loss"), 1);
  EXPECT_TRUE(IsKeyMetric("train.final_loss"));
  EXPECT_TRUE(IsKeyMetric("score.zeros.accuracy/verify"));
  EXPECT_FALSE(IsKeyMetric("score.signal.n"));
  EXPECT_FALSE(IsKeyMetric("train.steps"));
}

TEST(SummaryTest, GroupsByNonReplicateKeysAndComputesStats) {
  auto s = Summarize(testing::TwoVariantsThreeFolds());
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->groups.size(), 2u);
  EXPECT_EQ(s->groups[0].name, "representation=signal");
  EXPECT_EQ(s->groups[1].name, "representation=image");
  EXPECT_EQ(s->groups[0].replicates, (std::vector<std::string>{"fold=1", "fold=2", "fold=3"}));
  EXPECT_EQ(s->max_replicates, 3);
  EXPECT_EQ(s->metrics, (std::vector<std::string>{"score.signal.bleu", "score.signal.n", "score.zeros.bleu",
                                                  "train.final_loss", "train.steps"}));
  const MetricStats* bleu = Find(*s, "score.signal.bleu", "representation=signal");
  ASSERT_NE(bleu, nullptr);
  EXPECT_EQ(bleu->scale, 100);
  EXPECT_EQ(bleu->stats.n, 3);
  EXPECT_NEAR(bleu->stats.mean, 31, 1e-12);
  EXPECT_NEAR(bleu->stats.std, 1, 1e-12);
  // t_{0.975, 2} = 4.302652729749464 (exact); half-width = t * 1 / sqrt(3).
  EXPECT_NEAR(bleu->stats.ci_high - 31, 4.302652729749464 / std::sqrt(3.0), 1e-12);
  const MetricStats* loss = Find(*s, "train.final_loss", "representation=image");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->scale, 1);
  EXPECT_NEAR(loss->stats.mean, 1.61, 1e-12);
}

TEST(SummaryTest, WilcoxonComparesKeyMetricsOverMatchedFolds) {
  auto s = Summarize(testing::TwoVariantsThreeFolds());
  ASSERT_TRUE(s.ok());
  // score.signal.bleu, score.zeros.bleu and train.final_loss; not the counts.
  ASSERT_EQ(s->comparisons.size(), 3u);
  const Comparison& c = s->comparisons[0];
  EXPECT_EQ(c.metric, "score.signal.bleu");
  EXPECT_EQ(c.a, 0u);
  EXPECT_EQ(c.b, 1u);
  EXPECT_EQ(c.n, 3);
  EXPECT_NEAR(c.mean_diff, 2, 1e-9);
  EXPECT_EQ(c.method, "wilcoxon");
  // Three positive differences: R+ = 6, the maximum, exact p = 2 * 1/8 = 0.25 (as scipy).
  EXPECT_DOUBLE_EQ(c.p_value, 0.25);
  EXPECT_TRUE(c.note.empty());
}

TEST(SummaryTest, UnmatchedOrSingleReplicatesAreNotCompared) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  for (auto& run : r.runs) {
    if (run.variant[0].second == "image") run.variant[1].second = "9";  // folds no longer match
  }
  auto s = Summarize(r);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->comparisons.empty());
}

TEST(SummaryTest, IdenticalVariantsGetANote) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  for (size_t i = 3; i < 6; ++i) r.runs[i].metrics = r.runs[i - 3].metrics;
  auto s = Summarize(r);
  ASSERT_TRUE(s.ok());
  ASSERT_FALSE(s->comparisons.empty());
  EXPECT_EQ(s->comparisons[0].note, "all differences zero");
}

TEST(SummaryTest, BootstrapAndBadMethod) {
  SummaryOptions options;
  options.compare = "paired_bootstrap";
  options.bootstrap.resamples = 2000;
  auto s = Summarize(testing::TwoVariantsThreeFolds(), options);
  ASSERT_TRUE(s.ok());
  ASSERT_FALSE(s->comparisons.empty());
  EXPECT_EQ(s->comparisons[0].method, "paired_bootstrap");
  EXPECT_EQ(s->comparisons[0].p_value, 0);  // every resampled difference is +2
  options.compare = "ttest";
  EXPECT_EQ(Summarize(testing::TwoVariantsThreeFolds(), options).status().message(),
            "compare: expected one of wilcoxon, paired_bootstrap, none, got \"ttest\"");
}

TEST(SummaryTest, NoMatrixIsOneGroup) {
  ExperimentResults r;
  RunRow run;
  run.id = "r";
  run.metrics["score.signal.bleu"] = 0.5;
  r.runs.push_back(run);
  auto s = Summarize(r);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->groups.size(), 1u);
  EXPECT_EQ(s->groups[0].name, "all runs");
  ASSERT_EQ(s->stats.size(), 1u);
  EXPECT_FALSE(s->stats[0].stats.has_interval());
  EXPECT_EQ(s->max_replicates, 1);
}

TEST(AblationTest, ParsesConditionsFromNames) {
  auto signal = ParseAblationName("score.signal.bleu");
  ASSERT_TRUE(signal);
  EXPECT_EQ(signal->metric, "score.bleu");
  EXPECT_EQ(signal->infer, "signal");
  EXPECT_EQ(signal->train, "");
  auto plain = ParseAblationName("score.bleu");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->metric, "score.bleu");
  EXPECT_EQ(plain->infer, "signal");
  auto zeros = ParseAblationName("score.zeros.accuracy/verify");
  ASSERT_TRUE(zeros);
  EXPECT_EQ(zeros->metric, "score.accuracy/verify");
  EXPECT_EQ(zeros->infer, "zeros");
  auto both = ParseAblationName("score.none.zeros.meteor");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->train, "none");
  EXPECT_EQ(both->infer, "zeros");
  EXPECT_EQ(both->metric, "score.meteor");
  EXPECT_FALSE(ParseAblationName("score.signal.n"));
  EXPECT_FALSE(ParseAblationName("score.zeros.n_empty"));
  EXPECT_FALSE(ParseAblationName("train.final_loss"));
  EXPECT_FALSE(ParseAblationName("evaluate.predictions"));
}

TEST(AblationTest, MatrixFromMetricNamesAndTrainVariant) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  auto m = BuildAblationMatrices(r);
  // One matrix per variant (the folds are its replicates), never pooling two representations.
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].variant, "representation=image");
  EXPECT_EQ(m[1].variant, "representation=signal");
  EXPECT_EQ(m[1].metric, "score.bleu");
  EXPECT_EQ(m[1].train_conditions, (std::vector<std::string>{"signal"}));
  EXPECT_EQ(m[1].infer_conditions, (std::vector<std::string>{"signal", "zeros"}));
  ASSERT_TRUE(m[1].cell(0, 1));
  EXPECT_EQ(m[1].cell(0, 1)->n, 3);
  EXPECT_NEAR(m[1].cell(0, 1)->mean, 21, 1e-9);  // bleu 0.30, 0.32, 0.31 - 0.1, x100
  EXPECT_NEAR(m[0].cell(0, 1)->mean, 19, 1e-9);
  // A training condition from the matrix (train.ablation: signal | none, the only axis): one
  // matrix with rows signal and none; (none, zeros) never measured.
  for (size_t i = 0; i < 6; ++i) r.runs[i].variant[0] = {"train.ablation", i < 3 ? "[signal]" : "[none]"};
  for (size_t i = 3; i < 6; ++i) r.runs[i].metrics.erase("score.zeros.bleu");
  m = BuildAblationMatrices(r);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].variant, "");
  EXPECT_EQ(m[0].train_conditions, (std::vector<std::string>{"signal", "none"}));
  EXPECT_FALSE(m[0].cell(1, 1));
  ASSERT_TRUE(m[0].cell(1, 0));
  EXPECT_NEAR(m[0].cell(1, 0)->mean, 29, 1e-9);
}

}  // namespace
}  // namespace ecgbench::common::report
