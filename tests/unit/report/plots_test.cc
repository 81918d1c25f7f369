// The Cairo charts and the report folder (common/report/plots.h, report.h): every PNG decodes, has
// the requested size and is drawn on (non-white pixels, several colours); errors name the problem.
#include "common/report/plots.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "common/report/report.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/report/png_check.h"
#include "tests/unit/report/testing_results.h"

namespace ecgbench::common::report {
namespace {

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

void ExpectDrawn(const std::string& path, int width, int height) {
  const testing::PngInfo png = testing::InspectPng(path);
  ASSERT_TRUE(png.ok) << path;
  EXPECT_EQ(png.width, width);
  EXPECT_EQ(png.height, height);
  EXPECT_GT(png.non_white, static_cast<int64_t>(width) * height / 50) << path;  // > 2 % drawn
  EXPECT_GT(png.colors, 8u) << path;                                            // bars, text, grid
}

TEST(PlotsTest, MetricByVariant) {
  auto s = Summarize(testing::TwoVariantsThreeFolds());
  ASSERT_TRUE(s.ok());
  const std::string path = TempPath("bars.png");
  ASSERT_TRUE(PlotMetricByVariant(*s, "score.signal.bleu", path).ok());
  ExpectDrawn(path, 960, 560);
  EXPECT_EQ(PlotMetricByVariant(*s, "score.signal.rouge1", path).message(),
            "no variant reports the metric score.signal.rouge1");
}

TEST(PlotsTest, AblationHeatmapAndCurves) {
  const ExperimentResults r = testing::TwoVariantsThreeFolds();
  const auto matrices = BuildAblationMatrices(r);
  ASSERT_EQ(matrices.size(), 2u);  // one per representation
  PlotOptions small;
  small.width = 640;
  small.height = 400;
  const std::string heat = TempPath("heat.png");
  ASSERT_TRUE(PlotAblationHeatmap(matrices[0], heat, small).ok());
  ExpectDrawn(heat, 640, 400);
  const std::string curves = TempPath("curves.png");
  ASSERT_TRUE(PlotCurves(r.curves, {{"run-0", "representation=signal,fold=1"}}, curves).ok());
  ExpectDrawn(curves, 960, 560);
  EXPECT_EQ(PlotCurves({}, {}, curves).message(), "no curve has a finite point");
}

TEST(PlotsTest, HeatmapWithAMissingCell) {
  ExperimentResults r = testing::TwoVariantsThreeFolds();
  for (size_t i = 0; i < 3; ++i) r.runs[i].variant[0] = {"train.ablation", "signal"};
  for (size_t i = 3; i < 6; ++i) {
    r.runs[i].variant[0] = {"train.ablation", "none"};
    r.runs[i].metrics["score.none.bleu"] = 0.05;
    r.runs[i].metrics.erase("score.zeros.bleu");
  }
  const auto matrices = BuildAblationMatrices(r);
  ASSERT_EQ(matrices.size(), 1u);
  EXPECT_EQ(matrices[0].infer_conditions, (std::vector<std::string>{"signal", "zeros", "none"}));
  const std::string heat = TempPath("heat_missing.png");
  ASSERT_TRUE(PlotAblationHeatmap(matrices[0], heat).ok());
  ExpectDrawn(heat, 960, 560);
  AblationMatrix empty;
  empty.metric = "score.bleu";
  EXPECT_EQ(PlotAblationHeatmap(empty, heat).message(), "ablation matrix of score.bleu is empty");
}

TEST(PlotsTest, UnwritablePathIsAnError) {
  auto s = Summarize(testing::TwoVariantsThreeFolds());
  ASSERT_TRUE(s.ok());
  const absl::Status st = PlotMetricByVariant(*s, "score.signal.bleu", "/nonexistent-dir/x.png");
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(st.message(), "/nonexistent-dir/x.png: cannot write the PNG (error while writing to output stream)");
}

TEST(ReportTest, WritesTextFilesAndPlots) {
  const std::string dir = TempPath("report_out/nested");
  auto files = WriteReport(testing::TwoVariantsThreeFolds(), dir);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::vector<std::string> expected = {
      dir + "/results.md",
      dir + "/results.csv",
      dir + "/results.json",
      dir + "/metric_score.signal.bleu.png",
      dir + "/metric_score.zeros.bleu.png",
      dir + "/metric_train.final_loss.png",
      dir + "/ablation_score.bleu_representation_image.png",
      dir + "/ablation_score.bleu_representation_signal.png",
      dir + "/curves_train_loss.png"};
  EXPECT_EQ(*files, expected);
  for (size_t i = 3; i < expected.size(); ++i) ExpectDrawn(expected[i], 960, 560);
  std::ifstream md(dir + "/results.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("![train/loss per run](curves_train_loss.png)"), std::string::npos);
  std::ifstream js(dir + "/results.json");
  EXPECT_EQ(nlohmann::json::parse(js)["runs"].size(), 6u);
}

TEST(ReportTest, FileSlugAndErrors) {
  EXPECT_EQ(FileSlug("score.zeros.accuracy/verify x"), "score.zeros.accuracy_verify_x");
  ReportOptions bad;
  bad.summary.compare = "x";
  EXPECT_FALSE(WriteReport(testing::TwoVariantsThreeFolds(), TempPath("r2"), bad).ok());
  const std::string file = TempPath("a_file");
  std::ofstream(file) << "x";
  auto st = WriteReport(testing::TwoVariantsThreeFolds(), file + "/sub");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find(file), std::string::npos) << st.status();
}

}  // namespace
}  // namespace ecgbench::common::report
