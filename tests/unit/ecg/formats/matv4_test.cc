// MATLAB v4 .mat reading on files written byte by byte here: int16 and double matrices, little- and
// big-endian, skipping other matrices, CPSC/CSN records (.mat + .hea) and the error messages.
#include "common/ecg/formats/matv4_reader.h"

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/ecg/formats/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::PutLe16;
using testing::PutLe32;
using testing::TempDir;
using testing::WriteBytes;

void PutBe32(std::string& s, int32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
}

// Matrix header + name, little-endian.
std::string MatHeader(int type, int rows, int cols, const std::string& name, int imagf = 0) {
  std::string s;
  PutLe32(s, type);
  PutLe32(s, rows);
  PutLe32(s, cols);
  PutLe32(s, imagf);
  PutLe32(s, static_cast<int32_t>(name.size() + 1));
  s += name;
  s.push_back('\0');
  return s;
}

void PutLeDouble(std::string& s, double v) {
  char b[8];
  std::memcpy(b, &v, 8);
  s.append(b, 8);
}

// 'val' [3 x 4] int16, column-major: column t holds the three leads' samples at time t.
std::string Int16Val(const int v[3][4]) {
  std::string s = MatHeader(30, 3, 4, "val");
  for (int t = 0; t < 4; ++t) {
    for (int l = 0; l < 3; ++l) PutLe16(s, v[l][t]);
  }
  return s;
}

const int kVal[3][4] = {{28, 39, 45, 51}, {7, 11, -13, 0}, {-1000, 1000, 2000, -2000}};

TEST(MatV4Test, ReadsInt16MatrixAfterSkippingOthers) {
  std::string bytes = MatHeader(0, 1, 1, "fs");
  PutLeDouble(bytes, 500.0);
  bytes += MatHeader(51, 1, 3, "tag");  // uint8 text-like numeric, skipped
  bytes += "abc";
  bytes += Int16Val(kVal);
  absl::StatusOr<MatV4Matrix> m = ParseMatV4(bytes, "A0001.mat");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name, "val");
  ASSERT_EQ(m->rows, 3);
  ASSERT_EQ(m->cols, 4);
  for (int l = 0; l < 3; ++l) {
    for (int t = 0; t < 4; ++t) EXPECT_EQ(m->at(l, t), kVal[l][t]);
  }
  absl::StatusOr<MatV4Matrix> fs = ParseMatV4(bytes, "A0001.mat", "fs");
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->data, std::vector<double>{500.0});
}

TEST(MatV4Test, ReadsBigEndianDoubles) {
  std::string s;
  PutBe32(s, 1000);  // M=1 big-endian, P=0 double
  PutBe32(s, 2);
  PutBe32(s, 2);
  PutBe32(s, 0);
  PutBe32(s, 4);
  s += std::string("val\0", 4);
  for (double v : {1.5, -2.0, 3.25, 4e3}) {
    char b[8];
    std::memcpy(b, &v, 8);
    for (int i = 7; i >= 0; --i) s.push_back(b[i]);
  }
  absl::StatusOr<MatV4Matrix> m = ParseMatV4(s, "be.mat");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->at(0, 0), 1.5);
  EXPECT_EQ(m->at(1, 0), -2.0);
  EXPECT_EQ(m->at(0, 1), 3.25);
  EXPECT_EQ(m->at(1, 1), 4e3);
}

TEST(MatV4Test, CpscRecordFromMatAndHeader) {
  TempDir dir;
  WriteBytes(dir / "cpsc_2018/g1/A0001.mat", Int16Val(kVal));
  // Checksums: sums of each row; gains 1000 adu/mV except lead II (200, baseline 7).
  WriteBytes(dir / "cpsc_2018/g1/A0001.hea",
             "A0001 3 500 4 05-Feb-2020 11:05:00\n"
             "A0001.mat 16+24 1000/mV 16 0 28 163 0 I\n"
             "A0001.mat 16+24 200(7)/mV 16 0 7 5 0 II\n"
             "A0001.mat 16+24 1000/mV 16 0 -1000 0 0 V1\n"
             "#Age: 74\n#Sex: Male\n#Dx: 59118001,164884008\n#Rx: Unknown\n");
  absl::StatusOr<Record> r = ReadMatV4Record(dir / "cpsc_2018/g1/A0001.mat");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "A0001");
  EXPECT_EQ(r->sampling_rate_hz, 500);
  EXPECT_EQ(r->leads, (std::vector<std::string>{"I", "II", "V1"}));
  ASSERT_EQ(r->num_samples, 4);
  EXPECT_FLOAT_EQ(r->lead(0)[1], 0.039f);
  EXPECT_FLOAT_EQ(r->lead(1)[2], -0.1f);  // (-13 - 7) / 200
  EXPECT_FLOAT_EQ(r->lead(2)[3], -2.0f);
  EXPECT_EQ(r->age, 74);
  EXPECT_EQ(r->sex, "M");
  EXPECT_EQ(r->dx_codes, (std::vector<std::string>{"59118001", "164884008"}));
}

TEST(MatV4Test, Errors) {
  EXPECT_EQ(ParseMatV4("", "x.mat").status().message(), "x.mat: empty file");
  EXPECT_EQ(ParseMatV4("\x01\x02", "x.mat").status().message(), "x.mat: truncated matrix header at byte 0");
  std::string bad = MatHeader(30, 3, 4, "val");
  bad[0] = '\x7F';
  bad[3] = '\x7F';
  EXPECT_EQ(ParseMatV4(bad, "x.mat").status().message(), "x.mat: not a MATLAB v4 file (bad type field at byte 0)");
  std::string truncated = Int16Val(kVal);
  truncated.resize(truncated.size() - 5);
  EXPECT_EQ(ParseMatV4(truncated, "x.mat").status().message(),
            "x.mat: truncated: matrix 'val' needs 24 bytes of data, found 19");
  std::string complex = MatHeader(30, 1, 1, "val", 1);
  PutLe16(complex, 1);
  PutLe16(complex, 2);
  EXPECT_EQ(ParseMatV4(complex, "x.mat").status().message(), "x.mat: matrix 'val' is complex");
  std::string other = MatHeader(30, 1, 1, "ecg");
  PutLe16(other, 1);
  EXPECT_EQ(ParseMatV4(other, "x.mat").status().message(), "x.mat: no matrix named 'val'");
  EXPECT_EQ(ReadMatV4("/nonexistent/x.mat").status().code(), absl::StatusCode::kNotFound);
}

TEST(MatV4Test, MatrixShapeMustMatchTheHeader) {
  TempDir dir;
  WriteBytes(dir / "A0002.mat", Int16Val(kVal));
  WriteBytes(dir / "A0002.hea",
             "A0002 2 500 4\nA0002.mat 16+24 1000/mV 16 0 0 0 0 I\nA0002.mat 16+24 1000/mV 16 0 0 0 0 II\n");
  EXPECT_EQ(ReadMatV4Record(dir / "A0002").status().message(),
            dir / "A0002.mat: matrix 'val' is 3 x 4 but " + dir / "A0002.hea" +
                " declares 2 signals x 4 samples in this file");
}

}  // namespace
}  // namespace ecgbench::common::ecg
