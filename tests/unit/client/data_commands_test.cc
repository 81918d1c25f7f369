// `ecgbench data synth|inspect|convert` run in-process through RunCli on data the tests write:
// synth output and label hygiene, inspect text and JSON of WFDB / .mat / CODE-15 / .npy inputs,
// convert values equal to the library steps (harmonise, filters, resample), NaN policy, and the
// exact messages and exit codes of bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/ecg/core/leads.h"
#include "common/ecg/dsp/filter_chain.h"
#include "common/ecg/dsp/resample.h"
#include "common/ecg/formats/matv4_reader.h"
#include "common/ecg/formats/npy.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/ecg/synth/ecg_class.h"
#include "nlohmann/json.hpp"
#include "tests/unit/client/data_test_util.h"

namespace ecgbench::client {
namespace {

namespace ecg = common::ecg;
using testing::CliResult;
using testing::RunData;
using testing::TempDir;

int64_t CountFiles(const std::string& dir, const std::string& ext) {
  int64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) ++n;
  }
  return n;
}

// A synthetic PTB-XL data set (20 records, 500 Hz, 10 s) written once through `data synth`.
class DataCommandsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    CliResult r = RunData({"data", "synth", "--layout", "ptbxl", "--out", *dir_ / "ptbxl", "--records", "20", "--seed",
                           "7", "--no-ecgqa", "--no-low-rate"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Record1() { return *dir_ / "ptbxl/records500/00000/00001_hr"; }
  static TempDir* dir_;
};
TempDir* DataCommandsTest::dir_ = nullptr;

TEST_F(DataCommandsTest, SynthPrintsFilesAndNoLabelsByDefault) {
  TempDir tmp;
  const std::string out = tmp / "syn";
  CliResult r = RunData({"data", "synth", "--layout", "ptbxl", "--out", out, "--records", "3", "--seed", "7"});
  ASSERT_EQ(r.code, 0) << r.err;
  const int64_t json_files = CountFiles(out + "/ecgqa/ptbxl", ".json");
  EXPECT_GT(json_files, 0);
  EXPECT_EQ(r.out, "wrote 3 synthetic ptbxl records (seed 7) to " + out +
                       "\n"
                       "  catalog:    ptbxl_database.csv\n"
                       "  signals:    records500/, records100/ (WFDB format 16, 12 leads, 500 Hz, 5000 samples)\n"
                       "  ecg-qa:     ecgqa/ptbxl/ (" +
                       std::to_string(json_files) + " JSON files)\n");
  EXPECT_EQ(r.err, "");
  for (ecg::EcgClass c : ecg::kAllEcgClasses) {
    EXPECT_EQ(r.out.find(std::string(ecg::EcgClassName(c))), std::string::npos) << ecg::EcgClassName(c);
  }
  EXPECT_TRUE(std::filesystem::exists(out + "/records500/00000/00003_hr.dat"));

  // --summary adds the class histogram (3 records in all); --json carries it only with --summary.
  CliResult s = RunData({"data", "synth", "--layout", "code15", "--out", tmp / "c15", "--records", "3", "--summary"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NE(s.out.find("  signals:    exams_part0.hdf5 (HDF5 'tracings', 12 leads, 400 Hz, 4096 samples per exam "
                       "(zero-padded))\n"),
            std::string::npos)
      << s.out;
  ASSERT_NE(s.out.find("  classes:\n"), std::string::npos) << s.out;
  CliResult j = RunData({"data", "synth", "--layout", "mimic", "--out", tmp / "mim", "--records", "2", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  nlohmann::json doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["layout"], "mimic");
  EXPECT_EQ(doc["records"], 2);
  EXPECT_EQ(doc["catalog"], nlohmann::json({"record_list.csv", "machine_measurements.csv"}));
  EXPECT_EQ(doc["signal"]["sampling_rate_hz"], 500.0);
  EXPECT_FALSE(doc.contains("classes"));
  CliResult js =
      RunData({"data", "synth", "--layout", "mimic", "--out", tmp / "mim", "--records", "2", "--json", "--summary"});
  ASSERT_EQ(js.code, 0) << js.err;
  int total = 0;
  const nlohmann::json summary = nlohmann::json::parse(js.out);
  ASSERT_TRUE(summary.contains("classes")) << js.out;
  for (const auto& [name, count] : summary["classes"].items()) total += count.get<int>();
  EXPECT_EQ(total, 2);
}

TEST_F(DataCommandsTest, SynthBadOptionsAreUsageErrors) {
  TempDir tmp;
  EXPECT_EQ(RunData({"data", "synth", "--layout", "ptb", "--out", tmp.path()}).code, 2);
  EXPECT_EQ(RunData({"data", "synth", "--records", "0", "--out", tmp.path()}).code, 2);
  CliResult r = RunData({"data", "synth", "--out", tmp / "x", "--records", "2", "--classes", "sr,nope"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ecgbench: --classes: ", 0), 0u) << r.err;
  EXPECT_EQ(RunData({"data"}).code, 2);
}

TEST_F(DataCommandsTest, InspectWfdbRecord) {
  CliResult r = RunData({"data", "inspect", Record1() + ".hea"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find("\n\n") + 2),
            "file:       " + Record1() + ".hea\n" +
                "type:       WFDB record (format 16 in 00001_hr.dat)\n"
                "record:     00001_hr\n"
                "leads:      12 (I, II, III, AVR, AVL, AVF, V1, V2, V3, V4, V5, V6)\n"
                "rate:       500 Hz\n"
                "samples:    5000 per lead\n"
                "duration:   10 s\n"
                "units:      mV\n"
                "gain:       1000 adu/mV\n"
                "baseline:   0\n\n");
  const std::string table = r.out.substr(r.out.find("\n\n") + 2);
  EXPECT_EQ(table.rfind("lead      min     max     mean     std  nan  flat  saturated\n", 0), 0u) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 14);  // header, rule, 12 leads

  // JSON: the stats are those of the record as the WFDB reader gives it.
  CliResult j = RunData({"data", "inspect", Record1(), "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  nlohmann::json doc = nlohmann::json::parse(j.out);
  auto rec = ecg::ReadWfdbRecord(Record1());
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(doc["sampling_rate_hz"], 500.0);
  EXPECT_EQ(doc["duration_s"], 10.0);
  EXPECT_EQ(doc["signals"][3]["lead"], "AVR");
  EXPECT_EQ(doc["signals"][3]["gain"], 1000.0);
  ASSERT_EQ(doc["stats"].size(), 12u);
  for (int l = 0; l < 12; ++l) {
    const float* x = rec->lead(l);
    const double lo = *std::min_element(x, x + rec->num_samples);
    const double hi = *std::max_element(x, x + rec->num_samples);
    double sum = 0;
    for (int64_t t = 0; t < rec->num_samples; ++t) sum += x[t];
    EXPECT_EQ(doc["stats"][l]["min"].get<double>(), lo);
    EXPECT_EQ(doc["stats"][l]["max"].get<double>(), hi);
    EXPECT_NEAR(doc["stats"][l]["mean"].get<double>(), sum / 5000, 1e-12);
    EXPECT_EQ(doc["stats"][l]["nonfinite"], 0);
    EXPECT_EQ(doc["stats"][l]["flat"], false);
  }
}

TEST_F(DataCommandsTest, ConvertWfdbToNpyAndBack) {
  TempDir tmp;
  const std::string npy = tmp / "out/a.npy";
  CliResult r = RunData({"data", "convert", Record1() + ".hea", npy, "--rate", "250"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "converted " + Record1() + ".hea -> " + npy +
                       ": 12 leads, 500 Hz x 5000 -> 250 Hz x 2500 samples (cubic, leads I..V6)\n");
  auto array = ecg::ReadNpy(npy);
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->dtype, ecg::NpyDtype::kFloat32);
  EXPECT_EQ(array->shape, (std::vector<int64_t>{12, 2500}));
  auto expected = ecg::ReadWfdbRecord(Record1());
  ASSERT_TRUE(expected.ok());
  ASSERT_TRUE(ecg::HarmonizeLeads(*expected).ok());
  ASSERT_TRUE(ecg::ResampleRecord(*expected, 250).ok());
  ASSERT_EQ(expected->samples.size(), array->data.size());
  EXPECT_EQ(std::memcmp(expected->samples.data(), array->data.data(), array->data.size() * sizeof(float)), 0);

  // Back to WFDB at 500 Hz from the .npy: values within the format-16 quantum of the library's result.
  CliResult back = RunData({"data", "convert", npy, tmp / "back/rec", "--rate", "500", "--input-rate", "250"});
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(back.out, "converted " + npy + " -> " + tmp / "back/rec.hea" +
                          ": 12 leads, 250 Hz x 2500 -> 500 Hz x 5000 samples (cubic, leads I..V6)\n");
  auto wfdb = ecg::ReadWfdbRecord(tmp / "back/rec.hea");
  ASSERT_TRUE(wfdb.ok()) << wfdb.status();
  auto up = ecg::ReadNpyRecord(npy, 250);
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(ecg::ResampleRecord(*up, 500).ok());
  ASSERT_EQ(wfdb->num_samples, 5000);
  EXPECT_EQ(wfdb->sampling_rate_hz, 500);
  EXPECT_EQ(wfdb->leads[3], "aVR");
  double worst = 0;
  for (size_t i = 0; i < up->samples.size(); ++i) {
    worst = std::max(worst, std::fabs(double{up->samples[i]} - wfdb->samples[i]));
  }
  EXPECT_LE(worst, 0.5 / 1000 + 1e-6);

  // The .dat path, paper filters and polyphase: equal to the library steps by hand.
  CliResult f = RunData({"data", "convert", Record1() + ".dat", tmp / "f.npy", "--rate", "250", "--filter",
                         "--resample", "polyphase", "--json"});
  ASSERT_EQ(f.code, 0) << f.err;
  nlohmann::json doc = nlohmann::json::parse(f.out);
  EXPECT_EQ(doc["filters"], "paper");
  EXPECT_EQ(doc["resample"], "polyphase");
  EXPECT_EQ(doc["samples"], 2500);
  // By hand: leads interleaved in double, filtered, resampled, rounded to float32 once at the end.
  auto record = ecg::ReadWfdbRecord(Record1());
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(ecg::HarmonizeLeads(*record).ok());
  const size_t n = static_cast<size_t>(record->num_samples);
  std::vector<double> rows(n * 12);
  for (size_t l = 0; l < 12; ++l) {
    for (size_t t = 0; t < n; ++t) rows[t * 12 + l] = record->lead(static_cast<int>(l))[t];
  }
  ecg::PaperFilterChain chain;
  ASSERT_TRUE(chain.ApplyInterleaved(absl::MakeSpan(rows), 12, record->sampling_rate_hz).ok());
  ecg::RecordResampler resampler;
  std::vector<double> out;
  ASSERT_TRUE(resampler.ResampleRows(rows, 12, record->sampling_rate_hz, 250, ecg::ResampleMethod::kPolyphase, out).ok());
  const size_t m = out.size() / 12;
  std::vector<float> by_hand(12 * m);
  for (size_t l = 0; l < 12; ++l) {
    for (size_t t = 0; t < m; ++t) by_hand[l * m + t] = static_cast<float>(out[t * 12 + l]);
  }
  auto got = ecg::ReadNpy(tmp / "f.npy");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->data.size(), by_hand.size());
  EXPECT_EQ(std::memcmp(got->data.data(), by_hand.data(), got->data.size() * sizeof(float)), 0);
}

TEST_F(DataCommandsTest, NpyInputsOneLeadAndNanPolicy) {
  TempDir tmp;
  // One lead at 360 Hz (like MIT-BIH): kept as is, resampled to 250 Hz.
  std::vector<float> one(3600);
  for (size_t t = 0; t < one.size(); ++t) one[t] = static_cast<float>(std::sin(0.01 * static_cast<double>(t)));
  ASSERT_TRUE(ecg::WriteNpy(tmp / "one.npy", {3600}, one.data()).ok());
  CliResult r =
      RunData({"data", "convert", tmp / "one.npy", tmp / "one250.npy", "--rate", "250", "--input-rate", "360"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "converted " + tmp / "one.npy" + " -> " + tmp / "one250.npy" +
                       ": 1 leads, 360 Hz x 3600 -> 250 Hz x 2500 samples (cubic)\n");
  auto a = ecg::ReadNpy(tmp / "one250.npy");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shape, (std::vector<int64_t>{1, 2500}));

  // Inspect without a rate says so; with one it gives the duration.
  CliResult i = RunData({"data", "inspect", tmp / "one.npy"});
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_NE(i.out.find("type:       NumPy .npy (<f4, shape (3600,))\n"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("leads:      1 (lead1)\nrate:       unknown (give --input-rate)\nsamples:    3600 per lead\n"
                       "units:      mV\n"),
            std::string::npos)
      << i.out;
  CliResult i2 = RunData({"data", "inspect", tmp / "one.npy", "--input-rate", "360"});
  EXPECT_NE(i2.out.find("duration:   10 s\n"), std::string::npos) << i2.out;

  // NaN: skip (default) refuses the record; zero fills and counts; inspect counts them per lead.
  std::vector<float> twelve(12 * 1000, 0.25f);
  for (size_t t = 0; t < 1000; ++t) twelve[t] = static_cast<float>(std::sin(0.05 * static_cast<double>(t)));
  twelve[12 * 1000 - 1] = std::nanf("");
  twelve[500] = std::nanf("");
  ASSERT_TRUE(ecg::WriteNpy(tmp / "nan.npy", {12, 1000}, twelve.data()).ok());
  CliResult skip = RunData({"data", "convert", tmp / "nan.npy", tmp / "n.npy", "--rate", "250", "--input-rate", "500"});
  EXPECT_EQ(skip.code, 6);
  EXPECT_EQ(skip.err, "ecgbench: " + tmp / "nan.npy" +
                          ": 2 non-finite values (NaN/Inf); --nan skip leaves the record out (--nan zero zero-fills "
                          "them)\n");
  EXPECT_FALSE(std::filesystem::exists(tmp / "n.npy"));
  CliResult zero = RunData(
      {"data", "convert", tmp / "nan.npy", tmp / "n.npy", "--rate", "250", "--input-rate", "500", "--nan", "zero"});
  ASSERT_EQ(zero.code, 0) << zero.err;
  EXPECT_NE(zero.out.find("(cubic, leads I..V6, 2 NaN/Inf zero-filled)\n"), std::string::npos) << zero.out;
  CliResult stats = RunData({"data", "inspect", tmp / "nan.npy", "--input-rate", "500", "--json"});
  ASSERT_EQ(stats.code, 0) << stats.err;
  nlohmann::json doc = nlohmann::json::parse(stats.out);
  EXPECT_EQ(doc["stats"][0]["nonfinite"], 1);
  EXPECT_EQ(doc["stats"][11]["nonfinite"], 1);
  EXPECT_EQ(doc["stats"][1]["flat"], true);  // constant 0.25 mV
  EXPECT_EQ(doc["stats"][0]["flat"], false);
  EXPECT_EQ(doc["stats"][1]["min"], 0.25);
}

// A CPSC-style record: a v4 .mat 'val' [12 x 600] int16 with a .hea naming it, leads in MIMIC's
// order (aVF before aVL), so convert must reorder them.
TEST_F(DataCommandsTest, MatRecordIsHarmonised) {
  TempDir tmp;
  const std::vector<std::string> leads = {"I", "II", "III", "aVR", "aVF", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"};
  const int n = 600;
  std::string mat;
  auto put32 = [&mat](int32_t v) { mat.append(reinterpret_cast<const char*>(&v), 4); };
  put32(30);  // little-endian int16 full matrix
  put32(12);
  put32(n);
  put32(0);
  put32(4);
  mat.append("val", 4);
  std::vector<int> checksum(12, 0);
  for (int t = 0; t < n; ++t) {
    for (int l = 0; l < 12; ++l) {
      const int16_t v = static_cast<int16_t>((l + 1) * 100 + t % 50);
      checksum[static_cast<size_t>(l)] += v;
      mat.append(reinterpret_cast<const char*>(&v), 2);
    }
  }
  std::ofstream(tmp / "A0001.mat", std::ios::binary) << mat;
  std::string hea = "A0001 12 500 600\n";
  for (int l = 0; l < 12; ++l) {
    hea += "A0001.mat 16+24 1000/mV 16 0 0 " + std::to_string(static_cast<int16_t>(checksum[static_cast<size_t>(l)])) +
           " 0 " + leads[static_cast<size_t>(l)] + "\n";
  }
  hea += "#Age: 63\n#Sex: Male\n#Dx: 426783006\n";
  std::ofstream(tmp / "A0001.hea") << hea;

  CliResult i = RunData({"data", "inspect", tmp / "A0001.mat"});
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_NE(i.out.find("type:       WFDB header + MATLAB v4 signals (A0001.mat)\n"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("duration:   1.2 s\n"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("comments:   Age: 63\n            Sex: Male\n            Dx: 426783006\n"), std::string::npos)
      << i.out;

  CliResult c = RunData({"data", "convert", tmp / "A0001.mat", tmp / "a.npy", "--rate", "500"});
  ASSERT_EQ(c.code, 0) << c.err;
  auto a = ecg::ReadNpy(tmp / "a.npy");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->shape, (std::vector<int64_t>{12, n}));
  // Row i is the lead the file calls kStandardLeads[i], with the reader's values (no resampling).
  auto raw = ecg::ReadMatV4Record(tmp / "A0001.mat");
  ASSERT_TRUE(raw.ok()) << raw.status();
  for (int i = 0; i < 12; ++i) {
    const auto it = std::find(leads.begin(), leads.end(), std::string(ecg::kStandardLeads[static_cast<size_t>(i)]));
    const int src = static_cast<int>(it - leads.begin());
    EXPECT_EQ(std::memcmp(a->data.data() + i * n, raw->lead(src), n * sizeof(float)), 0) << i;
    EXPECT_FLOAT_EQ(a->data[static_cast<size_t>(i * n + 7)], ((src + 1) * 100 + 7) / 1000.f) << i;
  }
}

TEST_F(DataCommandsTest, Code15FileAndRow) {
  TempDir tmp;
  ASSERT_EQ(RunData({"data", "synth", "--layout", "code15", "--out", tmp / "c15", "--records", "3", "--no-ecgqa"}).code,
            0);
  const std::string file = tmp / "c15/exams_part0.hdf5";
  CliResult f = RunData({"data", "inspect", file});
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_NE(f.out.find("exams:      3\nsamples:    4096 per exam (400 Hz, 10.24 s with the zero padding)\n"),
            std::string::npos)
      << f.out;
  CliResult row = RunData({"data", "inspect", file + "#1"});
  ASSERT_EQ(row.code, 0) << row.err;
  EXPECT_NE(row.out.find("type:       CODE-15 HDF5 exam (row 1 of 3)\n"), std::string::npos) << row.out;
  EXPECT_NE(row.out.find("rate:       400 Hz\nsamples:    4096 per lead\nduration:   10.24 s\ncontent:    samples "),
            std::string::npos)
      << row.out;
  CliResult c = RunData({"data", "convert", file + "#1", tmp / "row.npy", "--rate", "250"});
  ASSERT_EQ(c.code, 0) << c.err;
  auto a = ecg::ReadNpy(tmp / "row.npy");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shape, (std::vector<int64_t>{12, 2560}));
  CliResult out_of_range = RunData({"data", "convert", file + "#3", tmp / "x.npy", "--rate", "250"});
  EXPECT_EQ(out_of_range.code, 6);
  EXPECT_EQ(out_of_range.err, "ecgbench: " + file + ": row 3 out of range (3 exams)\n");
  CliResult no_row = RunData({"data", "convert", file, tmp / "x.npy", "--rate", "250"});
  EXPECT_EQ(no_row.code, 2);
  EXPECT_EQ(no_row.err, "ecgbench: " + file + ": name one exam as " + file + "#ROW\n");
  CliResult bad_row = RunData({"data", "inspect", file + "#-1"});
  EXPECT_EQ(bad_row.code, 2);
  EXPECT_EQ(bad_row.err, "ecgbench: " + file + "#-1: ROW must be a non-negative integer (FILE.hdf5#ROW)\n");
}

TEST_F(DataCommandsTest, BadInputsHaveExactMessages) {
  TempDir tmp;
  CliResult missing = RunData({"data", "convert", tmp / "missing.hea", tmp / "x.npy", "--rate", "250"});
  EXPECT_EQ(missing.code, 6);
  EXPECT_EQ(missing.err, "ecgbench: " + tmp / "missing.hea" + ": cannot open: No such file or directory\n");
  CliResult missing_base = RunData({"data", "inspect", tmp / "nothing"});
  EXPECT_EQ(missing_base.code, 6);
  EXPECT_EQ(missing_base.err, "ecgbench: " + tmp / "nothing.hea" + ": cannot open: No such file or directory\n");

  CliResult ext = RunData({"data", "convert", tmp / "x.csv", tmp / "x.npy", "--rate", "250"});
  EXPECT_EQ(ext.code, 2);
  EXPECT_EQ(ext.err, "ecgbench: " + tmp / "x.csv" +
                         ": unknown input type '.csv' (expected a WFDB record: .hea, .dat or a base path; .mat; .npy; "
                         "or FILE.hdf5#ROW)\n");
  CliResult out_ext = RunData({"data", "convert", Record1(), tmp / "x.txt", "--rate", "250"});
  EXPECT_EQ(out_ext.code, 2);
  EXPECT_EQ(out_ext.err, "ecgbench: " + tmp / "x.txt" +
                             ": unknown output type '.txt' (expected a .npy file or a WFDB record: .hea or a base "
                             "path)\n");

  std::vector<float> v(12 * 100, 0.f);
  ASSERT_TRUE(ecg::WriteNpy(tmp / "a.npy", {12, 100}, v.data()).ok());
  CliResult no_rate = RunData({"data", "convert", tmp / "a.npy", tmp / "b.npy", "--rate", "250"});
  EXPECT_EQ(no_rate.code, 2);
  EXPECT_EQ(no_rate.err, "ecgbench: " + tmp / "a.npy" +
                             ": --input-rate is required for .npy input (a .npy file has no sampling rate)\n");
  CliResult extra_rate = RunData({"data", "convert", Record1(), tmp / "b.npy", "--rate", "250", "--input-rate", "9"});
  EXPECT_EQ(extra_rate.code, 2);
  EXPECT_EQ(extra_rate.err,
            "ecgbench: " + Record1() + ": --input-rate applies only to .npy input (this file gives its own rate)\n");

  // Malformed content: a truncated signal file and a file that is not .npy.
  std::filesystem::copy_file(Record1() + ".hea", tmp / "00001_hr.hea");
  std::ofstream(tmp / "00001_hr.dat", std::ios::binary) << std::string(1000, '\0');
  CliResult truncated = RunData({"data", "inspect", tmp / "00001_hr.hea"});
  EXPECT_EQ(truncated.code, 6);
  EXPECT_EQ(truncated.err, "ecgbench: " + tmp / "00001_hr.dat" +
                               ": truncated: expected 120000 bytes (5000 samples x 12 signals in format 16), found "
                               "1000\n");
  std::ofstream(tmp / "junk.npy") << "not numpy";
  CliResult junk = RunData({"data", "inspect", tmp / "junk.npy"});
  EXPECT_EQ(junk.code, 6);
  EXPECT_NE(junk.err.find(tmp / "junk.npy"), std::string::npos) << junk.err;

  CliResult not_store = RunData({"data", "inspect", tmp.path()});
  EXPECT_EQ(not_store.code, 6);
  EXPECT_EQ(not_store.err, "ecgbench: " + tmp.path() + ": a directory but not a segment store (no manifest.json)\n");

  // Parse errors: --rate is required; unknown --resample / --nan values.
  EXPECT_EQ(RunData({"data", "convert", Record1(), tmp / "b.npy"}).code, 2);
  EXPECT_EQ(RunData({"data", "convert", Record1(), tmp / "b.npy", "--rate", "250", "--resample", "linear"}).code, 2);
  EXPECT_EQ(RunData({"data", "convert", Record1(), tmp / "b.npy", "--rate", "250", "--nan", "keep"}).code, 2);
  EXPECT_EQ(RunData({"data", "convert", Record1(), tmp / "b.npy", "--rate", "-5"}).code, 2);
}

TEST_F(DataCommandsTest, HelpForEveryDataCommand) {
  CliResult top = RunData({"data", "--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* cmd : {"synth", "convert", "inspect", "preprocess"}) {
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
    CliResult sub = RunData({"data", cmd, "--help"});
    EXPECT_EQ(sub.code, 0) << cmd;
    EXPECT_NE(sub.out.find(std::string("Usage: ecgbench data ") + cmd), std::string::npos) << sub.out;
    EXPECT_NE(sub.out.find("6 invalid input"), std::string::npos) << sub.out;
  }
}

}  // namespace
}  // namespace ecgbench::client
