// CODE-15 HDF5: files written here with the HDF5 C API in the real layout are read row by row
// (raw and trimmed views, content range), the writer's files read back, and the error messages.
#include "common/ecg/formats/code15_hdf5.h"

#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "common/ecg/core/leads.h"
#include "gtest/gtest.h"
#include "tests/unit/ecg/formats/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::TempDir;

constexpr int64_t kL = kCode15Samples;

float Value(int64_t exam, int lead, int64_t t) { return static_cast<float>(exam + 1) + lead * 0.5f + t * 1e-3f; }

// tracings [n x L x leads] float32 (contiguous, like the published files) and exam_id [ids.size()].
void WriteRaw(const std::string& path, const std::vector<float>& tracings, hsize_t n, hsize_t leads,
              const std::vector<int64_t>& ids, bool with_exam_id = true) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hsize_t tdims[3] = {n, static_cast<hsize_t>(kL), leads};
  hid_t ts = H5Screate_simple(3, tdims, nullptr);
  hid_t td = H5Dcreate2(f, "tracings", H5T_IEEE_F32LE, ts, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(td, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, tracings.data()), 0);
  H5Dclose(td);
  H5Sclose(ts);
  if (with_exam_id) {
    const hsize_t edims[1] = {ids.size()};
    hid_t es = H5Screate_simple(1, edims, nullptr);
    hid_t ed = H5Dcreate2(f, "exam_id", H5T_STD_I64LE, es, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(H5Dwrite(ed, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data()), 0);
    H5Dclose(ed);
    H5Sclose(es);
  }
  H5Fclose(f);
}

// Three exams: 10 s (4000 samples, 48 zeros each side), 7 s (2800, 648 each side), all zeros.
std::vector<float> ThreeExams() {
  std::vector<float> x(3 * kL * 12, 0.0f);
  const int64_t lengths[2] = {4000, 2800};
  for (int64_t e = 0; e < 2; ++e) {
    const int64_t pad = (kL - lengths[e]) / 2;
    for (int64_t t = 0; t < lengths[e]; ++t) {
      for (int l = 0; l < 12; ++l) x[(e * kL + pad + t) * 12 + l] = Value(e, l, t);
    }
  }
  return x;
}

TEST(Code15Hdf5Test, ReadsRowsRawAndTrimmed) {
  TempDir dir;
  const std::string path = dir / "exams_part0.hdf5";
  WriteRaw(path, ThreeExams(), 3, 12, {1169160, 2873686, 0});
  absl::StatusOr<std::unique_ptr<Code15File>> f = Code15File::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->num_exams(), 3);
  EXPECT_EQ((*f)->samples_per_exam(), kL);
  EXPECT_EQ(*(*f)->ReadExamIds(), (std::vector<int64_t>{1169160, 2873686, 0}));

  absl::StatusOr<Record> raw = (*f)->ReadExam(1);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->id, "2873686");
  EXPECT_EQ(raw->source, "code15");
  EXPECT_EQ(raw->sampling_rate_hz, 400);
  EXPECT_EQ(raw->leads, std::vector<std::string>(kStandardLeads.begin(), kStandardLeads.end()));
  ASSERT_EQ(raw->num_samples, kL);
  EXPECT_EQ(raw->extra.at("row"), "1");
  EXPECT_EQ(raw->extra.at("content_begin"), "648");
  EXPECT_EQ(raw->extra.at("content_end"), "3448");
  EXPECT_EQ(raw->lead(0)[647], 0.0f);
  EXPECT_EQ(raw->lead(4)[648], Value(1, 4, 0));

  absl::StatusOr<Record> trimmed = (*f)->ReadExam(0, Code15View::kTrimmed);
  ASSERT_TRUE(trimmed.ok()) << trimmed.status();
  ASSERT_EQ(trimmed->num_samples, 4000);
  for (int l = 0; l < 12; ++l) {
    EXPECT_EQ(trimmed->lead(l)[0], Value(0, l, 0));
    EXPECT_EQ(trimmed->lead(l)[3999], Value(0, l, 3999));
  }
  absl::StatusOr<Record> zeros = (*f)->ReadExam(2);
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(zeros->extra.at("content_end"), "0");
  EXPECT_EQ((*f)->ReadExam(2, Code15View::kTrimmed).status().message(), path + ": row 2 (exam 0) is all zeros");
  EXPECT_EQ((*f)->ReadExam(3).status().message(), path + ": row 3 out of range (3 exams)");
  EXPECT_EQ((*f)->ReadExam(-1).status().message(), path + ": row -1 out of range (3 exams)");
}

TEST(Code15Hdf5Test, ContentRangeKeepsZeroRowsInsideTheSignal) {
  std::vector<float> x(100 * 2, 0.0f);
  for (int t = 10 + 5; t < 90; ++t) x[t * 2] = 1.0f;  // content [10, 90) starts with 5 zero rows
  const Code15ContentRange c = FindCode15Content(x.data(), 100, 2);
  EXPECT_EQ(c.begin, 10);
  EXPECT_EQ(c.end, 90);
  std::vector<float> z(8 * 12, 0.0f);
  EXPECT_EQ(FindCode15Content(z.data(), 8, 12).end, 0);
}

TEST(Code15Hdf5Test, WriterRoundTrip) {
  TempDir dir;
  const std::string path = dir / "exams_part1.hdf5";
  // Leads given out of order and in another spelling; the writer puts them in CODE-15 order.
  Record r;
  r.sampling_rate_hz = 400;
  r.num_samples = 4000;
  const std::vector<std::string> names = {"V6", "V5", "V4", "V3", "V2", "V1", "AVF", "AVL", "AVR", "III", "II", "I"};
  r.leads = names;
  r.samples.resize(12 * 4000);
  for (int l = 0; l < 12; ++l) {
    const int standard = 11 - l;
    for (int64_t t = 0; t < 4000; ++t) r.lead(l)[t] = Value(5, standard, t);
  }
  {
    absl::StatusOr<std::unique_ptr<Code15Writer>> w = Code15Writer::Create(path, 2);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->WriteExam(1, 42, r).ok());
    EXPECT_FALSE(std::filesystem::exists(path));  // only after Finish
    ASSERT_TRUE((*w)->Finish().ok());
    EXPECT_EQ((*w)->Finish().message(), path + ": writer already finished");
  }
  absl::StatusOr<std::unique_ptr<Code15File>> f = Code15File::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*(*f)->ReadExamIds(), (std::vector<int64_t>{0, 42}));
  absl::StatusOr<Record> back = (*f)->ReadExam(1, Code15View::kTrimmed);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, "42");
  EXPECT_EQ(back->extra.at("content_begin"), "48");
  ASSERT_EQ(back->num_samples, 4000);
  for (int k = 0; k < 12; ++k) {
    for (int64_t t : {0, 1234, 3999}) EXPECT_EQ(back->lead(k)[t], Value(5, k, t));
  }
}

TEST(Code15Hdf5Test, WriterRejectsBadRecordsAndCleansUp) {
  TempDir dir;
  const std::string path = dir / "x.hdf5";
  {
    absl::StatusOr<std::unique_ptr<Code15Writer>> w = Code15Writer::Create(path, 1);
    ASSERT_TRUE(w.ok());
    Record r;
    r.id = "r";
    r.sampling_rate_hz = 500;
    r.leads = {"I"};
    r.num_samples = 10;
    r.samples.assign(10, 1.0f);
    EXPECT_EQ((*w)->WriteExam(0, 1, r).message(), "r: CODE-15 files hold 400 Hz exams, record is 500 Hz");
    r.sampling_rate_hz = 400;
    EXPECT_EQ((*w)->WriteExam(0, 1, r).message(), "r: lead II missing");
    EXPECT_EQ((*w)->WriteExam(1, 1, r).message(), path + ": row 1 out of range (1 exams)");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // staging file removed, nothing at path
}

TEST(Code15Hdf5Test, OpenErrors) {
  TempDir dir;
  EXPECT_EQ(Code15File::Open(dir / "missing.hdf5").status().code(), absl::StatusCode::kNotFound);
  testing::WriteBytes(dir / "text.hdf5", "not hdf5");
  EXPECT_EQ(Code15File::Open(dir / "text.hdf5").status().message(), dir / "text.hdf5: not an HDF5 file");
  WriteRaw(dir / "noid.hdf5", std::vector<float>(kL * 12, 0.0f), 1, 12, {}, /*with_exam_id=*/false);
  EXPECT_EQ(Code15File::Open(dir / "noid.hdf5").status().message(), dir / "noid.hdf5: no dataset 'exam_id'");
  WriteRaw(dir / "eight.hdf5", std::vector<float>(2 * kL * 8, 0.0f), 2, 8, {1, 2});
  EXPECT_EQ(Code15File::Open(dir / "eight.hdf5").status().message(),
            dir / "eight.hdf5: dataset 'tracings' has shape [2 x 4096 x 8], expected [N x L x 12]");
  WriteRaw(dir / "ids.hdf5", std::vector<float>(2 * kL * 12, 0.0f), 2, 12, {1, 2, 3});
  EXPECT_EQ(Code15File::Open(dir / "ids.hdf5").status().message(),
            dir / "ids.hdf5: dataset 'exam_id' has shape [3], expected [2] like 'tracings'");
}

}  // namespace
}  // namespace ecgbench::common::ecg
