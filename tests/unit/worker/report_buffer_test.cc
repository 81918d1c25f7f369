// ReportBuffer: batching, put-back after a failed send, coalesced progress, bounded size.
#include "worker/agent/report_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace ecgbench::worker {
namespace {

v1::LogLine Line(const std::string& message) {
  v1::LogLine line;
  line.set_message(message);
  line.set_level(v1::LOG_LEVEL_INFO);
  return line;
}

v1::Progress Progress(int64_t done) {
  v1::Progress p;
  p.set_done(done);
  p.set_total(10);
  return p;
}

TEST(ReportBufferTest, TakesOldestFirstUpToTheLimit) {
  ReportBuffer buffer(100, 100);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(buffer.AddLog(Line("l" + std::to_string(i))), size_t(i + 1));
  ReportBuffer::Batch batch = buffer.Take(3, 10, 1);
  ASSERT_EQ(batch.logs.size(), 3u);
  EXPECT_EQ(batch.logs[0].message(), "l0");
  EXPECT_EQ(batch.logs[2].message(), "l2");
  batch = buffer.Take(3, 10, 1);
  ASSERT_EQ(batch.logs.size(), 2u);
  EXPECT_EQ(batch.logs[0].message(), "l3");
  EXPECT_TRUE(buffer.empty());
  EXPECT_TRUE(buffer.Take(3, 10, 1).empty());
}

TEST(ReportBufferTest, ProgressIsCoalescedToTheLatest) {
  ReportBuffer buffer(10, 10);
  buffer.SetProgress(Progress(1));
  buffer.SetProgress(Progress(2));
  ReportBuffer::Batch batch = buffer.Take(10, 10, 1);
  ASSERT_TRUE(batch.progress.has_value());
  EXPECT_EQ(batch.progress->done(), 2);
  EXPECT_FALSE(buffer.Take(10, 10, 1).progress.has_value());
}

TEST(ReportBufferTest, RestorePutsEntriesBackInFrontAndKeepsNewerProgress) {
  ReportBuffer buffer(10, 10);
  buffer.AddLog(Line("a"));
  buffer.AddLog(Line("b"));
  v1::MetricPoint point;
  point.set_name("loss");
  buffer.AddMetric(point);
  buffer.SetProgress(Progress(1));
  ReportBuffer::Batch failed = buffer.Take(10, 10, 1);
  buffer.AddLog(Line("c"));
  buffer.SetProgress(Progress(5));
  buffer.Restore(std::move(failed));
  ReportBuffer::Batch batch = buffer.Take(10, 10, 1);
  ASSERT_EQ(batch.logs.size(), 3u);
  EXPECT_EQ(batch.logs[0].message(), "a");
  EXPECT_EQ(batch.logs[1].message(), "b");
  EXPECT_EQ(batch.logs[2].message(), "c");
  ASSERT_EQ(batch.metrics.size(), 1u);
  EXPECT_EQ(batch.metrics[0].name(), "loss");
  EXPECT_EQ(batch.progress->done(), 5);
}

TEST(ReportBufferTest, DropsOldestBeyondTheCapAndSaysSo) {
  ReportBuffer buffer(3, 2);
  for (int i = 0; i < 5; ++i) buffer.AddLog(Line("l" + std::to_string(i)));
  for (int i = 0; i < 3; ++i) buffer.AddMetric(v1::MetricPoint());
  ReportBuffer::Batch batch = buffer.Take(10, 10, 1234);
  ASSERT_EQ(batch.logs.size(), 4u);
  EXPECT_EQ(batch.logs[0].level(), v1::LOG_LEVEL_WARNING);
  EXPECT_EQ(batch.logs[0].time_unix_ms(), 1234);
  EXPECT_EQ(batch.logs[0].message(),
            "worker: dropped 2 log lines and 1 metric points that could not be delivered in time");
  EXPECT_EQ(batch.logs[1].message(), "l2");
  EXPECT_EQ(batch.logs[3].message(), "l4");
  EXPECT_EQ(batch.metrics.size(), 2u);
  EXPECT_TRUE(buffer.empty());
}

TEST(ReportBufferTest, ClearDiscardsEverything) {
  ReportBuffer buffer(10, 10);
  buffer.AddLog(Line("a"));
  buffer.SetProgress(Progress(1));
  buffer.Clear();
  EXPECT_TRUE(buffer.empty());
}

}  // namespace
}  // namespace ecgbench::worker
