// Tests of client/ui/plain_view.h: state-change and progress lines, per-task throttling, the final
// summary and log lines.
#include "client/ui/plain_view.h"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "tests/unit/client/testing_experiments.h"

namespace ecgbench::client {
namespace {

using testing::MetricEvent;
using testing::ProgressEvent;
using testing::SampleExperiment;
using testing::StateEvent;

class PlainViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    model_.Reset(SampleExperiment());
  }
  // Applies the event and returns what the printer prints for it at now_ms.
  std::string Feed(const v1::Event& event, int64_t now_ms) {
    model_.Apply(event);
    return printer_.OnEvent(event, model_, now_ms);
  }
  WatchModel model_;
  PlainPrinter printer_{5000};
};

// 2024-05-01 12:03:04 UTC
constexpr int64_t kT0 = 1714564984000;

TEST_F(PlainViewTest, OneLinePerStateChange) {
  EXPECT_EQ(Feed(StateEvent(1, kT0, "stage", "st-1p", v1::STATE_RUNNING), 0),
            "12:03:04 run 1 (fold=2) / preprocess: RUNNING\n");
  EXPECT_EQ(Feed(StateEvent(2, kT0 + 1000, "task", "t-1p0", v1::STATE_FAILED, "worker lost"), 0),
            "12:03:05 run 1 (fold=2) / preprocess / shard 1/2: FAILED: worker lost\n");
  EXPECT_EQ(Feed(StateEvent(3, kT0 + 2000, "experiment", "exp-1", v1::STATE_CANCELLED), 0),
            "12:03:06 experiment exp-1: CANCELLED\n");
}

TEST_F(PlainViewTest, ProgressAtMostOncePerTaskPerInterval) {
  std::vector<int64_t> printed_at;
  const int64_t times[] = {0, 1000, 4999, 5000, 7000, 9999, 10000, 30000};
  int64_t seq = 0;
  for (int64_t t : times) {
    if (!Feed(ProgressEvent(++seq, kT0 + t, "run-0", "t-0t0", 300 + t / 100, 1000), t).empty()) printed_at.push_back(t);
  }
  EXPECT_EQ(printed_at, (std::vector<int64_t>{0, 5000, 10000, 30000}));
}

TEST_F(PlainViewTest, ThrottlesEachTaskSeparatelyAndNeverStateChanges) {
  EXPECT_FALSE(Feed(ProgressEvent(1, kT0, "run-0", "t-0t0", 1, 10), 0).empty());
  EXPECT_FALSE(Feed(ProgressEvent(2, kT0, "run-1", "t-1p0", 1, 10), 100).empty());
  EXPECT_TRUE(Feed(ProgressEvent(3, kT0, "run-0", "t-0t0", 2, 10), 200).empty());
  EXPECT_FALSE(Feed(StateEvent(4, kT0, "task", "t-0t0", v1::STATE_SUCCEEDED), 300).empty());
  EXPECT_TRUE(Feed(MetricEvent(5, "loss", 0.5, "run-0", "t-0t0"), 400).empty());
}

TEST_F(PlainViewTest, ProgressLineShowsCountsEtaAndLoss) {
  Feed(MetricEvent(1, "loss", 0.4213, "run-0", "t-0t0"), 0);
  EXPECT_EQ(Feed(ProgressEvent(2, kT0, "run-0", "t-0t0", 520, 1000, 3725), 0),
            "12:03:04 run 0 (fold=1) / train / task: 520/1000 steps (52%)  ETA 1h02m  loss 0.4213\n");
  v1::Event unknown_total = ProgressEvent(3, kT0, "run-1", "t-1p0", 42, 0);
  EXPECT_EQ(Feed(unknown_total, 0), "12:03:04 run 1 (fold=2) / preprocess / shard 1/2: 42 steps\n");
}

TEST_F(PlainViewTest, FinalSummary) {
  Feed(StateEvent(1, 1065000, "experiment", "exp-1", v1::STATE_FAILED, "train failed 3 times"), 0);
  EXPECT_EQ(FinalSummary(model_),
            "experiment exp-1 \"quickstart\" FAILED after 1m05s, tasks 2/6\n"
            "  error: train failed 3 times\n");
}

TEST_F(PlainViewTest, LogLine) {
  v1::LogLine line;
  line.set_time_unix_ms(kT0 + 7);
  line.set_level(v1::LOG_LEVEL_WARNING);
  line.set_run_id("run-0");
  line.set_stage_kind("train");
  line.set_task_id("t-0t0");
  line.set_rank(1);
  line.set_message("slow step");
  EXPECT_EQ(FormatLogLine(line), "2024-05-01 12:03:04.007 WARNING run-0 train r1  slow step\n");
  v1::LogLine bare;
  bare.set_time_unix_ms(kT0);
  bare.set_level(v1::LOG_LEVEL_INFO);
  bare.set_message("experiment submitted\n");
  EXPECT_EQ(FormatLogLine(bare), "2024-05-01 12:03:04.000 INFO     experiment submitted\n");
}

}  // namespace
}  // namespace ecgbench::client
