// `ecgbench results` statistics and `ecgbench report` end to end over real gRPC against the
// in-process FakeCoordinator of the CLI tests (tests/unit/client/fake_coordinator.h).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "gtest/gtest.h"
#include "tests/unit/client/fake_coordinator.h"
#include "tests/unit/report/png_check.h"

namespace ecgbench::client {
namespace {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string out;
  std::string err;
};

// representation {signal, image} x fold {1, 2, 3}; score.signal.bleu signal 0.30/0.32/0.31, image 0.02
// lower; score.signal.n a count (not scaled, not compared).
v1::GetResultsResponse MatrixResults() {
  v1::GetResultsResponse r;
  r.set_experiment_id("exp-1");
  r.set_state(v1::STATE_SUCCEEDED);
  const double bleu[2][3] = {{0.30, 0.32, 0.31}, {0.28, 0.30, 0.29}};
  const char* reps[2] = {"signal", "image"};
  for (int v = 0; v < 2; ++v) {
    for (int f = 0; f < 3; ++f) {
      auto* run = r.add_runs();
      run->set_run_id(absl::StrCat("run-", v * 3 + f));
      run->set_run_name(absl::StrCat("representation=", reps[v], ",fold=", f + 1));
      run->set_state(v1::STATE_SUCCEEDED);
      (*run->mutable_variant())["representation"] = reps[v];
      (*run->mutable_variant())["fold"] = absl::StrCat(f + 1);
      (*run->mutable_metrics())["score.signal.bleu"] = bleu[v][f];
      (*run->mutable_metrics())["score.signal.n"] = 40;
    }
  }
  return r;
}

class ReportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().experiment.set_id("exp-1");
    server_.fake().experiment.set_name("reps");
    server_.fake().experiment.set_state(v1::STATE_SUCCEEDED);
    server_.fake().results = MatrixResults();
    int64_t seq = 0;
    for (int run = 0; run < 6; ++run) {
      for (int step = 0; step < 5; ++step) {
        for (int rank = 0; rank < 2; ++rank) {
          v1::Event e;
          e.set_seq(++seq);
          e.set_experiment_id("exp-1");
          v1::MetricPoint* p = e.mutable_metric();
          p->set_name("train/loss");
          p->set_run_id(absl::StrCat("run-", run));
          p->set_step(step);
          p->set_rank(rank);
          p->set_value(rank == 0 ? 2.0 / (1 + step) + 0.1 * run : 100);
          server_.fake().events.push_back(e);
        }
      }
    }
  }

  Result Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--coordinator", server_.address()});
    std::ostringstream out, err;
    Io io;
    io.out = &out;
    io.err = &err;
    const int code = RunCli(args, io);
    return {code, out.str(), err.str()};
  }

  testing::FakeServer server_;
};

TEST_F(ReportCommandTest, ResultsTableShowsStatisticsAndComparisons) {
  Result r = Cli({"results", "exp-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string stats =
      "Statistics across folds/seeds (score.* metrics x100; sample std, 95% t-interval):\n"
      "variant                metric             n   mean   std  95% CI\n"
      "---------------------  -----------------  -  -----  ----  --------------\n"
      "representation=signal  score.signal.bleu  3  31.00  1.00  [28.52, 33.48]\n"
      "representation=image   score.signal.bleu  3  29.00  1.00  [26.52, 31.48]\n"
      "\n"
      "Paired comparisons (Wilcoxon signed-rank, two-sided, over the folds/seeds both ran):\n"
      "metric             A                      B                     pairs  mean A-B       p\n"
      "-----------------  ---------------------  --------------------  -----  --------  ------\n"
      "score.signal.bleu  representation=signal  representation=image      3      2.00  0.2500\n";
  ASSERT_NE(r.out.find(stats), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - stats.size()), stats);
  Result none = Cli({"results", "exp-1", "--compare", "none"});
  EXPECT_EQ(none.out.find("Paired comparisons"), std::string::npos);
  EXPECT_NE(none.out.find("Statistics across folds/seeds"), std::string::npos);
  EXPECT_EQ(Cli({"results", "exp-1", "--compare", "ttest"}).code, 2);
}

TEST_F(ReportCommandTest, ReportWritesFilesAndRank0LossCurves) {
  const fs::path dir = fs::path(::testing::TempDir()) / "ecgbench_report_cmd";
  fs::remove_all(dir);
  Result r = Cli({"report", "exp-1", "-o", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string d = dir.string();
  EXPECT_EQ(r.out, absl::StrCat(d, "/results.md\n", d, "/results.csv\n", d, "/results.json\n", d,
                                "/metric_score.signal.bleu.png\n", d, "/curves_train_loss.png\n"));
  const auto curves = ecgbench::common::report::testing::InspectPng(d + "/curves_train_loss.png");
  ASSERT_TRUE(curves.ok);
  EXPECT_EQ(curves.width, 960);
  EXPECT_GT(curves.non_white, 960 * 560 / 50);
  std::ifstream md(d + "/results.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_NE(text.str().find("# Results: reps\n"), std::string::npos);
  EXPECT_NE(text.str().find("| score.signal.bleu | representation=signal | representation=image | 3 | 2.00 | 0.2500 |"),
            std::string::npos)
      << text.str();
}

TEST_F(ReportCommandTest, ReportErrors) {
  EXPECT_EQ(Cli({"report", "exp-2", "-o", "/tmp/x"}).code, 4);  // no such experiment
  EXPECT_EQ(Cli({"report", "exp-1"}).code, 2);                   // -o is required
  Result unwritable = Cli({"report", "exp-1", "-o", "/proc/ecgbench-report", "--no-curves"});
  EXPECT_EQ(unwritable.code, 1);
  EXPECT_NE(unwritable.err.find("/proc/ecgbench-report"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace ecgbench::client
