// WFDB .hea parsing and formatting: every field of the record and signal lines, defaults,
// comments, round trips and the exact error messages.
#include "common/ecg/formats/wfdb_header.h"

#include <string>

#include "gtest/gtest.h"

namespace ecgbench::common::ecg {
namespace {

TEST(WfdbHeaderTest, ParsesEveryField) {
  const std::string text =
      "# leading comment\n"
      "A0001 3 500/1000(0) 5000 13:25:00 14/01/2180\r\n"
      "A0001.mat 16+24 1000(-12)/uV 16 5 28 -1716 0 lead with spaces  \r\n"
      "\n"
      "A0001.mat 16+24 0/mV 12 0 -10 21 0 II\n"
      "A0001.mat 16+24\n"
      "#Age: 74\n"
      "#Sex: Male\n"
      "# Dx : 426783006,164889003\n"
      "#Rx: Unknown\n"
      "#no key value here\n";
  absl::StatusOr<WfdbHeader> h = ParseWfdbHeader(text, "A0001.hea");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->record_name, "A0001");
  EXPECT_EQ(h->sampling_frequency, 500);
  EXPECT_EQ(h->counter_frequency, 1000);
  EXPECT_EQ(h->num_samples, 5000);
  EXPECT_EQ(h->base_time, "13:25:00");
  EXPECT_EQ(h->base_date, "14/01/2180");
  ASSERT_EQ(h->signals.size(), 3u);
  const WfdbSignalSpec& s0 = h->signals[0];
  EXPECT_EQ(s0.file_name, "A0001.mat");
  EXPECT_EQ(s0.format, 16);
  EXPECT_EQ(s0.byte_offset, 24);
  EXPECT_EQ(s0.adc_gain, 1000);
  EXPECT_EQ(s0.baseline, -12);
  EXPECT_EQ(s0.units, "uV");
  EXPECT_EQ(s0.adc_resolution, 16);
  EXPECT_EQ(s0.adc_zero, 5);
  EXPECT_EQ(s0.initial_value, 28);
  EXPECT_EQ(s0.checksum, -1716);
  EXPECT_EQ(s0.block_size, 0);
  EXPECT_EQ(s0.description, "lead with spaces");
  EXPECT_EQ(s0.line, 3);
  // Gain 0 means 200; no "(baseline)" means baseline = ADC zero.
  EXPECT_EQ(h->signals[1].adc_gain, kWfdbDefaultGain);
  EXPECT_EQ(h->signals[1].baseline, 0);
  EXPECT_EQ(h->signals[1].checksum, 21);
  EXPECT_EQ(h->signals[1].line, 5);
  // Only file and format: everything else defaults.
  const WfdbSignalSpec& s2 = h->signals[2];
  EXPECT_EQ(s2.adc_gain, kWfdbDefaultGain);
  EXPECT_EQ(s2.units, "mV");
  EXPECT_FALSE(s2.checksum.has_value());
  EXPECT_EQ(s2.description, "");
  EXPECT_EQ(h->comments.size(), 6u);
  ASSERT_EQ(h->comment_fields.size(), 4u);
  EXPECT_EQ(*h->CommentField("age"), "74");
  EXPECT_EQ(*h->CommentField("Dx"), "426783006,164889003");
  EXPECT_EQ(*h->CommentField("SEX"), "Male");
  EXPECT_EQ(h->CommentField("Hx"), nullptr);
}

TEST(WfdbHeaderTest, MinimalRecordLineUsesDefaults) {
  absl::StatusOr<WfdbHeader> h = ParseWfdbHeader("r 1\nr.dat 212\n", "r.hea");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->sampling_frequency, kWfdbDefaultFs);
  EXPECT_EQ(h->num_samples, 0);
  EXPECT_EQ(h->signals[0].format, 212);
  // Checksum given as unsigned 16-bit is normalised to the signed value.
  h = ParseWfdbHeader("r 1 360 10\nr.dat 24 200 24 0 0 65535 0 V5\n", "r.hea");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->signals[0].checksum, -1);
  EXPECT_EQ(h->signals[0].format, 24);
}

TEST(WfdbHeaderTest, FormatThenParseIsIdentity) {
  const std::string text =
      "00001_hr 2 500 5000\n"
      "00001_hr.dat 16 1000(0)/mV 16 0 -119 1508 0 I\n"
      "00001_hr.dat 16 1000(0)/mV 16 0 -55 723 0 II\n";
  absl::StatusOr<WfdbHeader> h = ParseWfdbHeader(text, "x.hea");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(FormatWfdbHeader(*h), text);

  WfdbHeader w;
  w.record_name = "rec";
  w.sampling_frequency = 257.5;
  w.counter_frequency = 1000;
  w.num_samples = 12;
  w.base_time = "10:00:00";
  WfdbSignalSpec s;
  s.file_name = "rec.dat";
  s.format = 212;
  s.byte_offset = 4;
  s.adc_gain = 123.456;
  s.baseline = -7;
  s.units = "uV";
  s.checksum = -300;
  s.description = "V1 lead";
  w.signals = {s};
  w.comments = {"Age: 63", "free text"};
  const std::string out = FormatWfdbHeader(w);
  EXPECT_EQ(out,
            "rec 1 257.5/1000 12 10:00:00\n"
            "rec.dat 212+4 123.456(-7)/uV 0 0 0 -300 0 V1 lead\n"
            "#Age: 63\n"
            "#free text\n");
  absl::StatusOr<WfdbHeader> back = ParseWfdbHeader(out, "rec.hea");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sampling_frequency, 257.5);
  EXPECT_EQ(back->signals[0].adc_gain, 123.456);
  EXPECT_EQ(back->signals[0].byte_offset, 4);
  EXPECT_EQ(back->comments, w.comments);
  EXPECT_EQ(FormatWfdbHeader(*back), out);
}

struct BadHeader {
  const char* text;
  const char* message;
};

class WfdbHeaderErrorTest : public ::testing::TestWithParam<BadHeader> {};

TEST_P(WfdbHeaderErrorTest, ExactMessage) {
  absl::StatusOr<WfdbHeader> h = ParseWfdbHeader(GetParam().text, "x.hea");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, WfdbHeaderErrorTest,
    ::testing::Values(
        BadHeader{"", "x.hea: empty header (no record line)"},
        BadHeader{"# only comments\n\n", "x.hea: empty header (no record line)"},
        BadHeader{"x 1 500 10\nx.dat 80 200 8 0 0 0 0 I\n", "x.hea:2: format 80 not supported (supported: 16, 212, 24)"},
        BadHeader{"x 1 500 10\nx.dat 99 200\n", "x.hea:2: unknown format code 99"},
        BadHeader{"x 1 500 10\nx.dat abc\n", "x.hea:2: bad format 'abc'"},
        BadHeader{"x 1 500 10\nx.dat 16x2\n", "x.hea:2: 2 samples per frame not supported"},
        BadHeader{"x 1 500 10\nx.dat 16:3\n", "x.hea:2: signal skew not supported"},
        BadHeader{"x/2 1 500 10\n", "x.hea:1: multi-segment records are not supported (record 'x/2')"},
        BadHeader{"x 3 500 10\nx.dat 16\nx.dat 16\n", "x.hea:3: record line declares 3 signals, found 2 signal lines"},
        BadHeader{"x 1 500 10\nx.dat 16\nx.dat 16\n", "x.hea:3: record line declares 1 signal, found more signal lines"},
        BadHeader{"x 0 500\n", "x.hea:1: record has no signals"},
        BadHeader{"x\n", "x.hea:1: record line has no number of signals"},
        BadHeader{"x twelve\n", "x.hea:1: bad number of signals 'twelve'"},
        BadHeader{"x 1 -500\n", "x.hea:1: bad sampling frequency '-500'"},
        BadHeader{"x 1 nan\n", "x.hea:1: bad sampling frequency 'nan'"},
        BadHeader{"x 1 500 -3\n", "x.hea:1: bad number of samples '-3'"},
        BadHeader{"x 1 500 10 12:00:00 01/01/2000 extra\n", "x.hea:1: unexpected 'extra' on the record line"},
        BadHeader{"x 1 500 10\nx.dat 16 2oo(0)/mV\n", "x.hea:2: bad gain '2oo(0)/mV'"},
        BadHeader{"x 1 500 10\nx.dat 16 200(a)/mV\n", "x.hea:2: bad baseline in '200(a)/mV'"},
        BadHeader{"x 1 500 10\nx.dat 16 200/\n", "x.hea:2: empty units in '200/'"},
        BadHeader{"x 1 500 10\nx.dat 16 200 16 0 0 70000\n", "x.hea:2: bad checksum '70000'"},
        BadHeader{"x 1 500 10\nx.dat 16 200 sixteen\n", "x.hea:2: bad ADC resolution 'sixteen'"},
        BadHeader{"x 1 500 10\nx.dat\n", "x.hea:2: signal line has no format"},
        BadHeader{"x 1 500 10\n# Dx: caf\xC3\n", "x.hea:2: invalid UTF-8"}));

}  // namespace
}  // namespace ecgbench::common::ecg
