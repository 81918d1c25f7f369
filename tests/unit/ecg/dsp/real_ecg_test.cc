// The one real ECG available offline: MIT-BIH Arrhythmia record 208 (360 Hz, lead MLII, 5 min),
// shipped inside Debian's python3-scipy as scipy/misc/ecg.dat (a zip holding ecg.npy, <u2 ADC
// counts). Read from the installed package, or fetched at test time with apt-get download +
// dpkg-deb when the package is absent; never committed. Converted to mV as scipy does
// ((raw - 1024) / 200), resampled 360 -> 250 Hz with the upstream cubic method, and compared with
// scipy's interp1d(kind='cubic') on the same grid: the issue asks for <= 1e-5 mV.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/ecg/core/record.h"
#include "common/ecg/dsp/cubic_spline.h"
#include "common/ecg/dsp/resample.h"
#include "tests/unit/ecg/dsp/reference_data.h"

namespace ecgbench::common::ecg {
namespace {

using testing::MaxAbsDiff;
using testing::ReferenceData;
using testing::RunShell;
using testing::TestTempDir;

constexpr char kInstalledEcg[] = "/usr/lib/python3/dist-packages/scipy/misc/ecg.dat";

// Path of ecg.dat: the installed one, else one fetched from the Debian archive into `dir`.
absl::StatusOr<std::string> FindEcgDat(const std::string& dir) {
  if (std::filesystem::exists(kInstalledEcg)) return std::string(kInstalledEcg);
  auto fetched = RunShell(absl::StrCat(
      "cd '", dir, "' && apt-get download python3-scipy && dpkg-deb --fsys-tarfile python3-scipy_*.deb | tar -xO "
      "./usr/lib/python3/dist-packages/scipy/misc/ecg.dat > ecg.dat"));
  if (!fetched.ok()) return fetched.status();
  return absl::StrCat(dir, "/ecg.dat");
}

// A 1-D little-endian uint16 .npy (format 1.0 to 3.0), parsed here so the test depends on no
// reader under test.
absl::StatusOr<std::vector<uint16_t>> ReadU16Npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a .npy file"));
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    offset = 10;
  } else {
    uint32_t len = 0;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    offset = 12;
  }
  if (offset + header_len > bytes.size()) return absl::DataLossError(absl::StrCat(path, ": truncated header"));
  const std::string header = bytes.substr(offset, header_len);
  if (header.find("'descr': '<u2'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos) {
    return absl::DataLossError(absl::StrCat(path, ": expected a C-order <u2 array, header ", header));
  }
  const size_t shape = header.find("'shape': (");
  if (shape == std::string::npos) return absl::DataLossError(absl::StrCat(path, ": no shape in ", header));
  const size_t count = std::stoul(header.substr(shape + 10));
  const size_t data = offset + header_len;
  if (bytes.size() - data != count * 2) {
    return absl::DataLossError(absl::StrCat(path, ": ", bytes.size() - data, " data bytes for ", count, " values"));
  }
  std::vector<uint16_t> values(count);
  for (size_t i = 0; i < count; ++i) {
    values[i] = static_cast<uint16_t>(static_cast<unsigned char>(bytes[data + 2 * i]) |
                                      static_cast<unsigned char>(bytes[data + 2 * i + 1]) << 8);
  }
  return values;
}

TEST(RealEcgTest, MitBih208CubicTo250HzMatchesScipy) {
  const std::string dir = absl::StrCat(TestTempDir(), "/ecg208");
  std::filesystem::create_directories(dir);
  auto dat = FindEcgDat(dir);
  ASSERT_TRUE(dat.ok()) << dat.status();
  const std::string npy = absl::StrCat(dir, "/ecg.npy");
  auto unzip = RunShell(absl::StrCat(
      "if command -v unzip >/dev/null; then unzip -p '", *dat, "' ecg.npy > '", npy,
      "'; else /usr/bin/python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(\"ecg.npy\"))' '",
      *dat, "' > '", npy, "'; fi"));
  ASSERT_TRUE(unzip.ok()) << unzip.status();
  auto raw = ReadU16Npy(npy);
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ(raw->size(), 108000u);  // 5 minutes at 360 Hz

  auto ref = ReferenceData::Get("ecg208", {npy});
  ASSERT_TRUE(ref.ok()) << ref.status();
  auto want = (*ref)->Read("ecg208_250");
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(want->size(), 75000u);

  std::vector<double> mv(raw->size());
  for (size_t i = 0; i < raw->size(); ++i) mv[i] = (static_cast<double>((*raw)[i]) - 1024) / 200.0;
  CubicResampler resampler;
  std::vector<double> y(75000);
  ASSERT_TRUE(resampler.Resample(mv, 360, 250, absl::MakeSpan(y)).ok());
  EXPECT_LE(MaxAbsDiff(y, *want), 1e-9);  // double precision end to end

  // Through a float32 Record, as the pipeline does.
  Record record;
  record.id = "mitdb/208";
  record.sampling_rate_hz = 360;
  record.num_samples = static_cast<int64_t>(mv.size());
  record.leads = {"MLII"};
  record.samples.assign(mv.begin(), mv.end());
  ASSERT_TRUE(ResampleRecord(record, 250, ResampleMethod::kCubic).ok());
  ASSERT_EQ(record.num_samples, 75000);
  std::vector<double> from_record(record.samples.begin(), record.samples.end());
  EXPECT_LE(MaxAbsDiff(from_record, *want), 1e-5);
}

}  // namespace
}  // namespace ecgbench::common::ecg
