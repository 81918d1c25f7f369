// .npy: headers byte-identical to numpy's, round trips for every dtype, v2 headers, streaming
// writer, cross-checks with numpy itself, MIT-BIH record 208 as scipy ships it, and the errors.
#include "common/ecg/formats/npy.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/unit/ecg/formats/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::TempDir;

constexpr char kPython[] = "/usr/bin/python3";

bool HaveNumpy() {
  return std::filesystem::exists(kPython) &&
         std::system(absl::StrCat(kPython, " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
}

int RunPython(const std::string& script_path, const std::string& code) {
  std::ofstream(script_path) << code;
  return std::system(absl::StrCat(kPython, " ", script_path).c_str());
}

TEST(NpyTest, HeaderIsByteIdenticalToNumpy) {
  // As written by numpy 1.24: np.save(p, np.zeros((12, 5000), '<f4')) and (108000,) '<u2'.
  const std::string a = FormatNpyHeader(NpyDtype::kFloat32, {12, 5000});
  EXPECT_EQ(a.size(), 128u);
  EXPECT_EQ(a, std::string("\x93NUMPY\x01\x00v\x00", 10) + "{'descr': '<f4', 'fortran_order': False, 'shape': (12, 5000), }" +
                   std::string(54, ' ') + "\n");
  const std::string b = FormatNpyHeader(NpyDtype::kUint16, {108000});
  EXPECT_EQ(b, std::string("\x93NUMPY\x01\x00v\x00", 10) + "{'descr': '<u2', 'fortran_order': False, 'shape': (108000,), }" +
                   std::string(55, ' ') + "\n");
  EXPECT_EQ(FormatNpyHeader(NpyDtype::kFloat64, {}).size() % 64, 0u);
}

TEST(NpyTest, RoundTripsEveryDtype) {
  TempDir dir;
  const std::vector<float> f = {0.5f, -1.25f, 3e-3f, 7.0f, -0.0f, 1e6f};
  ASSERT_TRUE(WriteNpy(dir / "f.npy", {2, 3}, f.data()).ok());
  const std::vector<double> d = {0.1, -2.5, 1e-9};
  ASSERT_TRUE(WriteNpy(dir / "d.npy", {3}, d.data()).ok());
  const std::vector<int16_t> i = {-32768, -1, 0, 32767};
  ASSERT_TRUE(WriteNpy(dir / "i.npy", {1, 4}, i.data()).ok());
  const std::vector<uint16_t> u = {0, 1024, 65535};
  ASSERT_TRUE(WriteNpy(dir / "u.npy", {3, 1}, u.data()).ok());

  absl::StatusOr<NpyArray> a = ReadNpy(dir / "f.npy");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dtype, NpyDtype::kFloat32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->data, f);
  a = ReadNpy(dir / "d.npy");
  EXPECT_EQ(a->dtype, NpyDtype::kFloat64);
  EXPECT_EQ(a->data, (std::vector<float>{0.1f, -2.5f, 1e-9f}));
  a = ReadNpy(dir / "i.npy");
  EXPECT_EQ(a->dtype, NpyDtype::kInt16);
  EXPECT_EQ(a->data, (std::vector<float>{-32768, -1, 0, 32767}));
  a = ReadNpy(dir / "u.npy");
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(a->data, (std::vector<float>{0, 1024, 65535}));
}

TEST(NpyTest, ParsesVersion2AndLooseHeaders) {
  const std::string dict = "{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<i2\"}";
  std::string v2("\x93NUMPY\x02\x00", 8);
  const uint32_t len = static_cast<uint32_t>(dict.size() + 1);
  for (int k = 0; k < 4; ++k) v2.push_back(static_cast<char>((len >> (8 * k)) & 0xFF));
  v2 += dict + "\n";
  v2 += std::string("\x05\x00\xFB\xFF", 4);
  absl::StatusOr<NpyArray> a = ParseNpy(v2, "v2.npy");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(a->data, (std::vector<float>{5, -5}));
}

TEST(NpyTest, StreamingWriter) {
  TempDir dir;
  absl::StatusOr<NpyWriter> w = NpyWriter::Create(dir / "s.npy", {2, 2, 3});
  ASSERT_TRUE(w.ok()) << w.status();
  const float chunk[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_TRUE(w->Append(chunk, 6).ok());
  EXPECT_EQ(w->Finish().message(), dir / "s.npy: 6 of 12 values written");
  ASSERT_TRUE(w->Append(chunk, 6).ok());
  EXPECT_EQ(w->Append(chunk, 1).message(), dir / "s.npy: appending 1 values to 12 exceeds the shape's 12");
  EXPECT_FALSE(std::filesystem::exists(dir / "s.npy"));
  ASSERT_TRUE(w->Finish().ok());
  absl::StatusOr<NpyArray> a = ReadNpy(dir / "s.npy");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(a->data[11], 6.0f);
  {
    absl::StatusOr<NpyWriter> abandoned = NpyWriter::Create(dir / "gone.npy", {4});
    ASSERT_TRUE(abandoned.ok());
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(NpyTest, RecordsFromArrays) {
  TempDir dir;
  std::vector<float> x(12 * 5, 0.25f);
  ASSERT_TRUE(WriteNpy(dir / "ecg.npy", {12, 5}, x.data()).ok());
  absl::StatusOr<Record> r = ReadNpyRecord(dir / "ecg.npy", 500);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "ecg");
  EXPECT_EQ(r->leads[3], "aVR");
  EXPECT_EQ(r->num_samples, 5);
  ASSERT_TRUE(WriteNpy(dir / "one.npy", {5}, x.data()).ok());
  r = ReadNpyRecord(dir / "one.npy", 360, {"MLII"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->leads, std::vector<std::string>{"MLII"});
  ASSERT_TRUE(WriteNpy(dir / "t.npy", {5, 12}, x.data()).ok());
  EXPECT_EQ(ReadNpyRecord(dir / "t.npy", 500).status().message(),
            dir / "t.npy: shape (5, 12) looks like [samples x leads]; expected [leads x samples]");
  EXPECT_EQ(ReadNpyRecord(dir / "one.npy", 0).status().message(),
            dir / "one.npy: a sampling rate is needed for a .npy record (got 0)");
  EXPECT_EQ(ReadNpyRecord(dir / "one.npy", 360, {"a", "b"}).status().message(),
            dir / "one.npy: 1 rows but 2 lead names");
}

TEST(NpyTest, Errors) {
  EXPECT_EQ(ParseNpy("", "x.npy").status().message(), "x.npy: empty file");
  EXPECT_EQ(ParseNpy("PK\x03\x04 zip file", "x.npy").status().message(), "x.npy: not a .npy file (bad magic)");
  auto with_dict = [](const std::string& dict) {
    std::string s("\x93NUMPY\x01\x00", 8);
    s.push_back(static_cast<char>(dict.size()));
    s.push_back(0);
    return s + dict;
  };
  EXPECT_EQ(ParseNpy(with_dict("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), "x.npy").status().message(),
            "x.npy: dtype '>f4' not supported (supported: <f4, <f8, <i2, <u2)");
  EXPECT_EQ(ParseNpy(with_dict("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"), "x.npy").status().message(),
            "x.npy: fortran_order True not supported (C order only)");
  EXPECT_EQ(ParseNpy(with_dict("{'descr': '<f4', 'shape': (2,), }"), "x.npy").status().message(),
            "x.npy: bad .npy header: the header lacks descr, fortran_order or shape");
  EXPECT_EQ(ParseNpy(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }"), "x.npy").status().message(),
            "x.npy: bad .npy header: shape has a non-integer dimension");
  EXPECT_EQ(ParseNpy(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (12, 5000), }") + "abcd", "x.npy")
                .status()
                .message(),
            "x.npy: truncated: shape (12, 5000) of <f4 needs 240000 data bytes, found 4");
  std::string short_header("\x93NUMPY\x01\x00\xFF\x00{", 11);
  EXPECT_EQ(ParseNpy(short_header, "x.npy").status().message(), "x.npy: truncated .npy header");
}

TEST(NpyTest, CrossCheckWithNumpy) {
  ASSERT_TRUE(HaveNumpy()) << "needs numpy at " << kPython << " (python3-numpy: scripts/install-deps.sh)";
  TempDir dir;
  const std::string d = dir.path();
  // numpy writes, we read.
  ASSERT_EQ(RunPython(dir / "w.py", "import numpy as np\n"
                                    "np.save('" + d + "/f4.npy', (np.arange(24, dtype='<f4').reshape(2, 12) - 5) / 8)\n"
                                    "np.save('" + d + "/f8.npy', np.linspace(-1, 1, 7))\n"
                                    "np.save('" + d + "/i2.npy', np.array([[-32768, 5], [7, 32767]], dtype='<i2'))\n"
                                    "np.save('" + d + "/u2.npy', np.array([0, 65535, 1024], dtype='<u2'))\n"),
            0);
  absl::StatusOr<NpyArray> a = ReadNpy(dir / "f4.npy");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 12}));
  for (int k = 0; k < 24; ++k) EXPECT_EQ(a->data[k], (k - 5) / 8.0f);
  a = ReadNpy(dir / "f8.npy");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->data[0], -1.0f);
  EXPECT_FLOAT_EQ(a->data[1], static_cast<float>(-1.0 + 2.0 / 6));
  a = ReadNpy(dir / "i2.npy");
  EXPECT_EQ(a->data, (std::vector<float>{-32768, 5, 7, 32767}));
  a = ReadNpy(dir / "u2.npy");
  EXPECT_EQ(a->data, (std::vector<float>{0, 65535, 1024}));
  // We write, numpy reads (and our bytes equal numpy's own).
  std::vector<float> x(12 * 7);
  for (size_t k = 0; k < x.size(); ++k) x[k] = static_cast<float>(k) * 0.25f - 3;
  ASSERT_TRUE(WriteNpy(dir / "ours.npy", {12, 7}, x.data()).ok());
  EXPECT_EQ(RunPython(dir / "r.py", "import numpy as np, sys\n"
                                    "a = np.load('" + d + "/ours.npy')\n"
                                    "want = (np.arange(84, dtype='<f4') * 0.25 - 3).reshape(12, 7)\n"
                                    "np.save('" + d + "/theirs.npy', want)\n"
                                    "sys.exit(0 if a.dtype == np.float32 and a.shape == (12, 7) and (a == want).all() else 1)\n"),
            0);
  EXPECT_EQ(testing::ReadBytes(dir / "ours.npy"), testing::ReadBytes(dir / "theirs.npy"));
}

// MIT-BIH record 208 as shipped by Debian's python3-scipy: scipy/misc/ecg.dat is an .npz archive
// whose ecg.npy is '<u2', shape (108000,).
TEST(NpyTest, ReadsScipyEcgRecord208) {
  const std::string npz = "/usr/lib/python3/dist-packages/scipy/misc/ecg.dat";
  ASSERT_TRUE(HaveNumpy()) << "needs numpy at " << kPython << " (python3-numpy: scripts/install-deps.sh)";
  ASSERT_TRUE(std::filesystem::exists(npz)) << "needs " << npz << " (python3-scipy: scripts/install-deps.sh)";
  TempDir dir;
  ASSERT_EQ(RunPython(dir / "x.py", "import zipfile, numpy as np\n"
                                    "zipfile.ZipFile('" + npz + "').extract('ecg.npy', '" + dir.path() + "')\n"
                                    "a = np.load('" + dir.path() + "/ecg.npy')\n"
                                    "open('" + dir.path() + "/stats.txt', 'w').write('%s %d %d %d %d' % "
                                    "(a.dtype.str, a.shape[0], int(a.sum()), int(a[0]), int(a[-1])))\n"),
            0);
  absl::StatusOr<NpyArray> a = ReadNpy(dir / "ecg.npy");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dtype, NpyDtype::kUint16);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{108000}));
  double sum = 0;
  for (float v : a->data) sum += v;
  const std::string want = absl::StrCat("<u2 108000 ", static_cast<int64_t>(sum), " ",
                                        static_cast<int64_t>(a->data.front()), " ", static_cast<int64_t>(a->data.back()));
  EXPECT_EQ(testing::ReadBytes(dir / "stats.txt"), want);
  absl::StatusOr<Record> r = ReadNpyRecord(dir / "ecg.npy", 360, {"MLII"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_samples, 108000);
  EXPECT_DOUBLE_EQ(r->duration_s(), 300.0);
}

}  // namespace
}  // namespace ecgbench::common::ecg
