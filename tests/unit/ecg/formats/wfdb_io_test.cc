// WFDB signal reading on hand-made bytes (formats 16, 212, 24, multi-file, byte offsets, units,
// invalid samples, checksums), the writer's exact bytes, and reader(writer(r)) round trips.
#include <cmath>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/ecg/formats/wfdb_writer.h"
#include "gtest/gtest.h"
#include "tests/unit/ecg/formats/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::PutLe16;
using testing::PutLe24;
using testing::TempDir;
using testing::WriteBytes;

TEST(WfdbReaderTest, Format16TwoSignalsWithUnitsBaselineAndInvalidSample) {
  TempDir dir;
  // I: 100, -200, 32767 (gain 200 adu/mV); II: -5, 995, -32768 (= invalid) at 1000 adu/uV, baseline -5.
  std::string dat;
  for (int v : {100, -5, -200, 995, 32767, -32768}) PutLe16(dat, v);
  WriteBytes(dir / "rec16.dat", dat);
  WriteBytes(dir / "rec16.hea",
             "rec16 2 500 3\n"
             "rec16.dat 16 200(0)/mV 16 0 100 32667 0 I\n"
             "rec16.dat 16 1000(-5)/uV 16 0 -5 -31778 0 II\n"
             "#Age: 63\n#Sex: Female\n#Dx: 426783006, 164889003\n#Hx: none\n");
  absl::StatusOr<Record> r = ReadWfdbRecord(dir / "rec16");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "rec16");
  EXPECT_EQ(r->path, dir / "rec16.hea");
  EXPECT_EQ(r->sampling_rate_hz, 500);
  EXPECT_EQ(r->leads, (std::vector<std::string>{"I", "II"}));
  ASSERT_EQ(r->num_samples, 3);
  EXPECT_FLOAT_EQ(r->lead(0)[0], 0.5f);
  EXPECT_FLOAT_EQ(r->lead(0)[1], -1.0f);
  EXPECT_FLOAT_EQ(r->lead(0)[2], 163.835f);
  EXPECT_FLOAT_EQ(r->lead(1)[0], 0.0f);
  EXPECT_FLOAT_EQ(r->lead(1)[1], 0.001f);  // 1000 adu = 1 uV
  EXPECT_TRUE(std::isnan(r->lead(1)[2]));
  EXPECT_EQ(r->age, 63);
  EXPECT_EQ(r->sex, "F");
  EXPECT_EQ(r->dx_codes, (std::vector<std::string>{"426783006", "164889003"}));
  EXPECT_EQ(r->extra.at("Hx"), "none");
  // The path may also be given with its extension.
  EXPECT_TRUE(ReadWfdbRecord(dir / "rec16.hea").ok());
}

// Hand-packed format 212: samples 1, -1 | 2047, -2047 | -300 (odd count: a final 2-byte group).
const char k212Bytes[] = "\x01\xF0\xFF\xFF\x87\x01\xD4\x0E";

TEST(WfdbReaderTest, Format212HandPackedBytes) {
  TempDir dir;
  WriteBytes(dir / "r.dat", std::string(k212Bytes, 8));
  WriteBytes(dir / "r.hea", "r 1 360 5\nr.dat 212 1000 12 0 1 -300 0 MLII\n");
  absl::StatusOr<Record> r = ReadWfdbRecord(dir / "r");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->num_samples, 5);
  const float want[] = {0.001f, -0.001f, 2.047f, -2.047f, -0.3f};
  for (int t = 0; t < 5; ++t) EXPECT_FLOAT_EQ(r->lead(0)[t], want[t]) << t;
}

TEST(WfdbReaderTest, Format24AndNumSamplesFromFileSize) {
  TempDir dir;
  std::string dat;
  for (int v : {1, -1, 8388607, -8388607, -8388608, 0}) PutLe24(dat, v);
  WriteBytes(dir / "r.dat", dat);
  WriteBytes(dir / "r.hea", "r 2 1000\nr.dat 24 1000000 24 0\nr.dat 24 1000000 24 0\n");  // no sample count
  absl::StatusOr<Record> r = ReadWfdbRecord(dir / "r");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->num_samples, 3);
  EXPECT_EQ(r->leads, (std::vector<std::string>{"signal 1", "signal 2"}));
  EXPECT_FLOAT_EQ(r->lead(0)[0], 1e-6f);
  EXPECT_FLOAT_EQ(r->lead(1)[0], -1e-6f);
  EXPECT_FLOAT_EQ(r->lead(0)[1], 8.388607f);
  EXPECT_FLOAT_EQ(r->lead(1)[1], -8.388607f);
  EXPECT_TRUE(std::isnan(r->lead(0)[2]));
  EXPECT_FLOAT_EQ(r->lead(1)[2], 0.0f);
}

TEST(WfdbReaderTest, MultiFileRecordWithByteOffset) {
  TempDir dir;
  std::string a;  // signals 1 and 2, format 16
  for (int v : {10, 20, 11, 21, 12, 22, 13, 23}) PutLe16(a, v);
  WriteBytes(dir / "m_1.dat", a);
  // Signal 3, format 212 after 4 junk bytes: samples 100, -100, 7, 8 -> pairs (100,-100), (7,8).
  std::string b = "JUNK";
  b += std::string("\x64\xF0\x9C\x07\x00\x08", 6);
  WriteBytes(dir / "m_2.dat", b);
  WriteBytes(dir / "m.hea",
             "m 3 250 4\n"
             "m_1.dat 16 10 16 0 10 46 0 V1\n"
             "m_1.dat 16 10 16 0 20 86 0 V2\n"
             "m_2.dat 212+4 100 12 0 100 15 0 V3\n");
  absl::StatusOr<Record> r = ReadWfdbRecord(dir / "m");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->num_samples, 4);
  EXPECT_EQ(r->leads, (std::vector<std::string>{"V1", "V2", "V3"}));
  for (int t = 0; t < 4; ++t) {
    EXPECT_FLOAT_EQ(r->lead(0)[t], (10 + t) / 10.0f);
    EXPECT_FLOAT_EQ(r->lead(1)[t], (20 + t) / 10.0f);
  }
  EXPECT_FLOAT_EQ(r->lead(2)[0], 1.0f);
  EXPECT_FLOAT_EQ(r->lead(2)[1], -1.0f);
  EXPECT_FLOAT_EQ(r->lead(2)[2], 0.07f);
  EXPECT_FLOAT_EQ(r->lead(2)[3], 0.08f);
}

TEST(WfdbWriterTest, Format212BytesMatchHandPacking) {
  TempDir dir;
  Record r;
  r.sampling_rate_hz = 360;
  r.leads = {"MLII"};
  r.num_samples = 5;
  r.samples = {0.001f, -0.001f, 2.047f, -2.047f, -0.3f};
  WfdbWriteOptions o;
  o.format = 212;
  ASSERT_TRUE(WriteWfdbRecord(r, dir.path(), "r", o).ok());
  EXPECT_EQ(testing::ReadBytes(dir / "r.dat"), std::string(k212Bytes, 8));
  EXPECT_EQ(testing::ReadBytes(dir / "r.hea"), "r 1 360 5\nr.dat 212 1000(0)/mV 12 0 1 -300 0 MLII\n");
}

TEST(WfdbWriterTest, HeaderTextAndComments) {
  TempDir dir;
  Record r;
  r.sampling_rate_hz = 500;
  r.leads = {"I", "AVR"};
  r.num_samples = 2;
  r.samples = {0.1f, -0.2f, 1.5f, 40.0f};  // 40 mV saturates at 32767
  r.age = 63;
  r.sex = "M";
  r.dx_codes = {"164889003", "59118001"};
  ASSERT_TRUE(WriteWfdbRecord(r, dir.path(), "00001_hr").ok());
  EXPECT_EQ(testing::ReadBytes(dir / "00001_hr.hea"),
            "00001_hr 2 500 2\n"
            "00001_hr.dat 16 1000(0)/mV 16 0 100 -100 0 I\n"
            "00001_hr.dat 16 1000(0)/mV 16 0 1500 -31269 0 AVR\n"
            "#Age: 63\n#Sex: Male\n#Dx: 164889003,59118001\n");
  std::string dat;
  for (int v : {100, 1500, -200, 32767}) PutLe16(dat, v);
  EXPECT_EQ(testing::ReadBytes(dir / "00001_hr.dat"), dat);
}

class WfdbRoundTripTest : public ::testing::TestWithParam<int> {};

TEST_P(WfdbRoundTripTest, ReaderOfWriterWithinHalfAnAdcStep) {
  const int format = GetParam();
  TempDir dir;
  Record r;
  r.id = "rt";
  r.sampling_rate_hz = 500;
  r.leads = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
  r.num_samples = 1001;  // odd: exercises the last 212 group
  r.samples.resize(12 * 1001);
  std::mt19937 rng(7);
  const double limit = format == 212 ? 2.0 : 5.0;
  std::uniform_real_distribution<float> u(static_cast<float>(-limit), static_cast<float>(limit));
  for (float& x : r.samples) x = u(rng);
  r.samples[5] = std::nanf("");
  r.age = 41;
  r.sex = "F";
  WfdbWriteOptions o;
  o.format = format;
  o.gain = format == 24 ? 100000 : 1000;
  ASSERT_TRUE(WriteWfdbRecord(r, dir.path(), "rt", o).ok());
  absl::StatusOr<Record> back = ReadWfdbRecord(dir / "rt");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->leads, r.leads);
  EXPECT_EQ(back->num_samples, r.num_samples);
  EXPECT_EQ(back->sampling_rate_hz, 500);
  EXPECT_EQ(back->age, 41);
  EXPECT_EQ(back->sex, "F");
  EXPECT_TRUE(std::isnan(back->samples[5]));
  double worst = 0;
  for (size_t i = 0; i < r.samples.size(); ++i) {
    if (i != 5) worst = std::max(worst, std::fabs(static_cast<double>(back->samples[i]) - r.samples[i]));
  }
  EXPECT_LE(worst, 0.5 / o.gain + 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Formats, WfdbRoundTripTest, ::testing::Values(16, 212, 24));

TEST(WfdbWriterTest, RejectsBadInput) {
  TempDir dir;
  Record r;
  r.sampling_rate_hz = 500;
  r.leads = {"I"};
  r.num_samples = 1;
  r.samples = {0};
  WfdbWriteOptions o;
  o.format = 80;
  EXPECT_EQ(WriteWfdbRecord(r, dir.path(), "x", o).message(), "x: cannot write format 80 (supported: 16, 212, 24)");
  EXPECT_EQ(WriteWfdbRecord(r, dir.path(), "a b").message(), "'a b': a WFDB record name has no spaces or slashes");
  r.samples.clear();
  EXPECT_FALSE(WriteWfdbRecord(r, dir.path(), "x").ok());
}

}  // namespace
}  // namespace ecgbench::common::ecg
