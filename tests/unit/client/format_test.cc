// Tests of client/ui/format.h: durations, ETAs, states, times, numbers, display widths.
#include "client/ui/format.h"

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>

#include <gtest/gtest.h>

namespace ecgbench::client {
namespace {

TEST(FormatDurationTest, CompactUnits) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(59.4), "59s");
  EXPECT_EQ(FormatDuration(59.6), "1m00s");
  EXPECT_EQ(FormatDuration(75), "1m15s");
  EXPECT_EQ(FormatDuration(3599), "59m59s");
  EXPECT_EQ(FormatDuration(3600), "1h00m");
  EXPECT_EQ(FormatDuration(3725), "1h02m");
  EXPECT_EQ(FormatDuration(86399), "23h59m");
  EXPECT_EQ(FormatDuration(93784), "1d02h");
}

TEST(FormatDurationTest, UnknownIsQuestionMark) {
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatDuration(std::nan("")), "?");
  EXPECT_EQ(FormatDuration(std::numeric_limits<double>::infinity()), "?");
}

TEST(FormatEtaLabelTest, EmptyWhenUnknown) {
  EXPECT_EQ(FormatEtaLabel(3725), "ETA 1h02m");
  EXPECT_EQ(FormatEtaLabel(0), "ETA 0s");
  EXPECT_EQ(FormatEtaLabel(-1), "");
}

TEST(StateTest, NamesAndParsing) {
  EXPECT_EQ(StateName(v1::STATE_SUCCEEDED), "SUCCEEDED");
  EXPECT_EQ(StateName(v1::STATE_CANCELLING), "CANCELLING");
  EXPECT_EQ(StateName(v1::STATE_UNSPECIFIED), "UNSPECIFIED");
  v1::State s = v1::STATE_UNSPECIFIED;
  EXPECT_TRUE(ParseState("running", &s));
  EXPECT_EQ(s, v1::STATE_RUNNING);
  EXPECT_TRUE(ParseState("STATE_FAILED", &s));
  EXPECT_EQ(s, v1::STATE_FAILED);
  EXPECT_TRUE(ParseState("Cancelled", &s));
  EXPECT_EQ(s, v1::STATE_CANCELLED);
  EXPECT_FALSE(ParseState("done", &s));
  EXPECT_FALSE(ParseState("unspecified", &s));
}

TEST(LogLevelTest, NamesAndParsing) {
  v1::LogLevel level = v1::LOG_LEVEL_UNSPECIFIED;
  EXPECT_TRUE(ParseLogLevel("warn", &level));
  EXPECT_EQ(level, v1::LOG_LEVEL_WARNING);
  EXPECT_TRUE(ParseLogLevel("ERROR", &level));
  EXPECT_EQ(level, v1::LOG_LEVEL_ERROR);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
  EXPECT_EQ(LogLevelName(v1::LOG_LEVEL_INFO), "INFO");
  EXPECT_EQ(WorkerStateName(v1::WORKER_STATE_LOST), "LOST");
}

TEST(TimeTest, LocalTimeInUtc) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(FormatLocalTime(1714564984123), "2024-05-01 12:03:04");
  EXPECT_EQ(FormatLocalTime(1714564984123, /*with_millis=*/true), "2024-05-01 12:03:04.123");
  EXPECT_EQ(FormatLocalTime(0), "-");
  EXPECT_EQ(FormatClock(1714564984123), "12:03:04");
}

TEST(MetricTest, TableAndExactForms) {
  EXPECT_EQ(FormatMetric(0.421345678), "0.421346");
  EXPECT_EQ(FormatMetric(23.45), "23.45");
  EXPECT_EQ(FormatMetric(1.5e-05), "1.5e-05");
  EXPECT_EQ(FormatMetric(3), "3");
  EXPECT_EQ(FormatMetricExact(0.1), "0.1");
  EXPECT_EQ(FormatMetricExact(0.421345678), "0.421345678");
  EXPECT_EQ(FormatMetricExact(2), "2");
}

TEST(WidthTest, CountsCodePoints) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("f\xC3\xA9te"), 4);  // "fête"
  EXPECT_EQ(TruncateToWidth("f\xC3\xA9te", 2), "f\xC3\xA9");
  EXPECT_EQ(TruncateToWidth("abc", 5), "abc");
  EXPECT_EQ(TruncateToWidth("abc", 0), "");
  EXPECT_EQ(Pad("ab", 4), "ab  ");
  EXPECT_EQ(Pad("ab", 4, /*right=*/true), "  ab");
  EXPECT_EQ(Pad("abcdef", 4), "abcdef");
}

}  // namespace
}  // namespace ecgbench::client
