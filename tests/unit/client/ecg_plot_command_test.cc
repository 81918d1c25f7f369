// `ecgbench ecg plot` in-process through RunCli: a synthetic WFDB record (500 Hz, shuffled lead
// order) rendered in both layouts (PNG sizes, harmonisation to I..V6 and resampling to 250 Hz), a
// segment store input, and the exit codes and messages of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/ecg/core/leads.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/formats/wfdb_writer.h"
#include "common/ecg/synth/generator.h"
#include "common/repr/image/png.h"
#include "tests/unit/client/data_test_util.h"

namespace ecgbench::client {
namespace {

namespace ecg = common::ecg;
namespace repr = common::repr;
using testing::CliResult;
using testing::RunData;
using testing::TempDir;

ecg::Record Synth(double fs, double seconds) {
  ecg::SynthOptions o;
  o.fs = fs;
  o.duration_s = seconds;
  o.seed = 5;
  return ecg::Generate(ecg::EcgClass::kSinusRhythm, o);
}

// The record with its leads in upstream's MIMIC order (aVL before aVR) and V6 first.
ecg::Record Shuffled(const ecg::Record& r) {
  const std::vector<int> order = {11, 0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10};
  ecg::Record s = r;
  for (size_t i = 0; i < order.size(); ++i) {
    s.leads[i] = r.leads[static_cast<size_t>(order[i])];
    std::copy_n(r.lead(order[i]), r.num_samples, s.lead(static_cast<int>(i)));
  }
  return s;
}

TEST(EcgPlotCommandTest, PlotsAWfdbRecordInBothLayouts) {
  TempDir dir;
  const ecg::Record record = Synth(500, 10);
  ASSERT_TRUE(ecg::WriteWfdbRecord(record, dir.path(), "rec").ok());
  ASSERT_TRUE(ecg::WriteWfdbRecord(Shuffled(record), dir.path(), "shuffled").ok());

  CliResult r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "out/a.png"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + dir / "out/a.png" +
                       ": 2000 x 720 px, layout 2x6, 10 s at 250 Hz, resampled from 500 Hz\n");
  auto a = repr::ReadPng(dir / "out/a.png");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->width, 2000);
  EXPECT_EQ(a->height, 720);

  // Harmonised to I..V6 before plotting: the shuffled record gives the same image.
  r = RunData({"ecg", "plot", dir / "shuffled", "-o", dir / "b.png"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto b = repr::ReadPng(dir / "b.png");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(*a == *b);

  r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "c.png", "--layout", "4x3+rhythm", "--seconds", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto c = repr::ReadPng(dir / "c.png");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->width, 540);  // 0.4 s calibration margin + 5 s at 100 px/s
  EXPECT_EQ(c->height, 480);

  r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "d.png", "--seconds", "2", "--calibration", "off",
               "--layout", "4x3+rhythm"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(repr::ReadPng(dir / "d.png")->width, 200);
}

TEST(EcgPlotCommandTest, PlotsASegmentStoreSegment) {
  TempDir dir;
  ecg::SegmentStoreOptions options;
  auto writer = ecg::SegmentStoreWriter::Create(dir / "store", options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  const ecg::Record record = Synth(250, 10);
  for (int k = 0; k < 2; ++k) {
    ecg::SegmentMeta meta;
    meta.record_id = "r1";
    meta.segment_index = k;
    std::vector<float> seg(12 * 1250);
    for (int l = 0; l < 12; ++l) std::copy_n(record.lead(l) + k * 1250, 1250, seg.begin() + l * 1250);
    ASSERT_TRUE((*writer)->Append(meta, seg.data()).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());

  CliResult r = RunData({"ecg", "plot", dir / "store", "--segment", "1", "-o", dir / "s.png"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + dir / "s.png" + ": 1000 x 720 px, layout 2x6, 5 s at 250 Hz\n");
  EXPECT_EQ(repr::ReadPng(dir / "s.png")->width, 1000);

  r = RunData({"ecg", "plot", dir / "store", "--segment", "2", "-o", dir / "s.png"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "store" + ": --segment 2 is out of range (the store has 2 segments)\n");
  r = RunData({"ecg", "plot", dir / "store", "-o", dir / "s.png"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "store" + ": a segment store directory needs --segment I\n");
}

TEST(EcgPlotCommandTest, BadInput) {
  TempDir dir;
  CliResult r = RunData({"ecg", "plot", dir / "missing.hea", "-o", dir / "x.png"});
  EXPECT_EQ(r.code, 6);
  EXPECT_NE(r.err.find("missing.hea"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));

  // Two leads only (MIT-BIH-like): not a 12-lead ECG.
  ecg::Record two = Synth(250, 4);
  two.leads.resize(2);
  two.leads = {"MLII", "V5"};
  two.samples.resize(static_cast<size_t>(2 * two.num_samples));
  ASSERT_TRUE(ecg::WriteWfdbRecord(two, dir.path(), "two").ok());
  r = RunData({"ecg", "plot", dir / "two.hea", "-o", dir / "x.png"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "two.hea" +
                       ": the ECG image needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1..V6); the record "
                       "has 2 (MLII, V5)\n");

  ASSERT_TRUE(ecg::WriteWfdbRecord(Synth(250, 4), dir.path(), "rec").ok());
  r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "x.jpg"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "x.jpg" + ": the output must be a .png file\n");
  r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "x.png", "--segment", "0"});
  EXPECT_EQ(r.code, 2);
  r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "x.png", "--rate", "500"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "rec.hea" + ": --rate applies only to .npy input (this input gives its own rate)\n");
  r = RunData({"ecg", "plot", dir / "x.npy", "-o", dir / "x.png"});
  EXPECT_EQ(r.code, 2);
  r = RunData({"ecg", "plot", dir / "rec.hea", "-o", dir / "x.png", "--layout", "3x4"});
  EXPECT_EQ(r.code, 2);
  r = RunData({"ecg", "plot", dir / "rec.hea"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
}

}  // namespace
}  // namespace ecgbench::client
