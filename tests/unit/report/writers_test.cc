// results.csv / results.json / results.md text (common/report/writers.h).
#include "common/report/writers.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/report/testing_results.h"

namespace ecgbench::common::report {
namespace {

TEST(WritersTest, NumberFormats) {
  EXPECT_EQ(ExactNumber(0.1), "0.1");
  EXPECT_EQ(ExactNumber(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(ExactNumber(NAN), "nan");
  EXPECT_EQ(DisplayNumber(31.004, 100), "31.00");
  EXPECT_EQ(DisplayNumber(0.012345, 1), "0.01235");
  EXPECT_EQ(DisplayNumber(NAN, 1), "-");
  EXPECT_EQ(DisplayPValue(0.25), "0.2500");
  EXPECT_EQ(DisplayPValue(1e-7), "<0.0001");
  EXPECT_EQ(DisplayPValue(1), "1");
}

TEST(WritersTest, CsvHasOneRowPerRunWithVariantAndExactMetrics) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  r.runs[0].name = "a,\"b\"";
  r.runs[1].metrics.erase("train.steps");
  const std::string csv = ResultsCsv(r);
  const std::string first_lines =
      "run,run_id,state,representation,fold,score.signal.bleu,score.signal.n,score.zeros.bleu,train.final_loss,"
      "train.steps\n"
      "\"a,\"\"b\"\"\",run-0,succeeded,signal,1,0.3,500,0.19999999999999998,1.5,100\n"
      "\"representation=signal,fold=2\",run-1,succeeded,signal,2,0.32,500,0.22,1.51,\n";
  EXPECT_EQ(csv.substr(0, first_lines.size()), first_lines);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
}

TEST(WritersTest, JsonHoldsRunsStatisticsComparisonsAndAblation) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  auto s = Summarize(r);
  ASSERT_TRUE(s.ok());
  const auto j = nlohmann::json::parse(ResultsJson(r, *s, BuildAblationMatrices(r)));
  EXPECT_EQ(j["experiment"]["id"], "exp-1");
  EXPECT_EQ(j["runs"].size(), 6u);
  EXPECT_EQ(j["runs"][0]["variant"]["fold"], "1");
  EXPECT_EQ(j["runs"][0]["metrics"]["score.signal.bleu"], 0.3);
  EXPECT_EQ(j["statistics"].size(), 10u);  // 5 metrics x 2 variants
  EXPECT_EQ(j["statistics"][0]["metric"], "score.signal.bleu");
  EXPECT_EQ(j["statistics"][0]["variant"], "representation=signal");
  EXPECT_NEAR(j["statistics"][0]["mean"].get<double>(), 31, 1e-9);
  EXPECT_EQ(j["comparisons"][0]["p_value"], 0.25);
  EXPECT_EQ(j["comparisons"][0]["pairs"], 3);
  EXPECT_EQ(j["ablation"][0]["infer_conditions"], nlohmann::json({"signal", "zeros"}));
  EXPECT_EQ(j["ablation"][0]["variant"], "representation=image");
  EXPECT_EQ(j["ablation"][0]["cells"][0][1]["n"], 3);
}

TEST(WritersTest, JsonSingleRunStatisticsAreNull) {
  ExperimentResults r;
  RunRow run;
  run.id = "r";
  run.metrics["score.signal.bleu"] = 0.5;
  r.runs.push_back(run);
  auto s = Summarize(r);
  ASSERT_TRUE(s.ok());
  const auto j = nlohmann::json::parse(ResultsJson(r, *s, {}));
  EXPECT_TRUE(j["statistics"][0]["std"].is_null());
  EXPECT_EQ(j["statistics"][0]["mean"], 50);
}

TEST(WritersTest, MarkdownSections) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  r.runs[0].name = "a|b";
  auto s = Summarize(r);
  ASSERT_TRUE(s.ok());
  const std::string md = ResultsMarkdown(r, *s, BuildAblationMatrices(r), {{"metric_score.signal.bleu.png", "bleu"}});
  EXPECT_EQ(md.rfind("# Results: compare reps\n\nExperiment `exp-1`, state succeeded, 6 runs.\n\n## Runs\n\n", 0), 0u);
  EXPECT_NE(md.find("| run | state | score.signal.bleu | score.signal.n | score.zeros.bleu | train.final_loss | "
                    "train.steps |\n"
                    "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n"
                    "| a\\|b | succeeded | 30.00 | 500.00 | 20.00 | 1.50 | 100.00 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| score.signal.bleu | representation=signal | 3 | 31.00 | 1.00 | [28.52, 33.48] |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| score.signal.bleu | representation=signal | representation=image | 3 | 2.00 | 0.2500 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Signal ablation: score.bleu, representation=signal (x100)"), std::string::npos);
  EXPECT_NE(md.find("| signal | 31.00 ± 2.48 (3) | 21.00 ± 2.48 (3) |"), std::string::npos) << md;
  EXPECT_NE(md.find("![bleu](metric_score.signal.bleu.png)"), std::string::npos);
}

}  // namespace
}  // namespace ecgbench::common::report
