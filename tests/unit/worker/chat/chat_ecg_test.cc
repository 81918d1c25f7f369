// The chat's ECG (worker/chat/chat_ecg.h): a synthetic WFDB record at 500 Hz becomes the first
// 1250-sample segment of the preprocess pipeline's conditioned record; a .npy [L, 12] equals its
// [12, L] transpose; the PNG; errors naming the path and the reason.
#include "worker/chat/chat_ecg.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ecg/core/leads.h"
#include "common/ecg/formats/npy.h"
#include "common/ecg/formats/wfdb_reader.h"
#include "common/ecg/formats/wfdb_writer.h"
#include "common/ecg/pipeline/condition.h"
#include "common/ecg/synth/generator.h"
#include "common/util/files.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::worker::chat {
namespace {

namespace ecg = common::ecg;
using test_support::TempDir;

ecg::Record SynthRecord(double fs, double seconds) {
  ecg::SynthOptions options;
  options.fs = fs;
  options.duration_s = seconds;
  options.seed = 11;
  return ecg::Generate(ecg::EcgClass::kSinusRhythm, options);
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(ChatEcgTest, WfdbRecordGivesThePipelinesFirstSegment) {
  TempDir tmp;
  ASSERT_TRUE(ecg::WriteWfdbRecord(SynthRecord(500, 10), tmp.path(), "rec").ok());
  ChatEcgOptions options;
  options.segment_len = 1250;
  absl::StatusOr<ChatEcg> got = LoadChatEcg(tmp / "rec.hea", options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->length, 1250);
  EXPECT_EQ(got->rate_hz, 250);
  EXPECT_EQ(got->input_rate_hz, 500);
  EXPECT_EQ(got->input_samples, 5000);
  EXPECT_EQ(got->id, "rec");
  ASSERT_EQ(got->segment.size(), 12u * 1250u);

  // The same steps by hand: read, harmonise, condition to 250 Hz, first window.
  absl::StatusOr<ecg::Record> record = ecg::ReadWfdbRecord(tmp / "rec");
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_TRUE(ecg::HarmonizeLeads(*record).ok());
  ecg::RecordConditioner conditioner;
  ASSERT_TRUE(conditioner.Condition(*record, {}).ok());
  ASSERT_EQ(record->num_samples, 2500);
  for (int l = 0; l < 12; ++l) {
    for (int64_t t = 0; t < 1250; ++t) {
      ASSERT_EQ(got->segment[static_cast<size_t>(l * 1250 + t)], record->lead(l)[t]) << "lead " << l << " t " << t;
    }
  }
  // The .dat path and the base path name the same record.
  absl::StatusOr<ChatEcg> by_dat = LoadChatEcg(tmp / "rec.dat", options);
  ASSERT_TRUE(by_dat.ok()) << by_dat.status();
  EXPECT_EQ(by_dat->segment, got->segment);

  ASSERT_TRUE(WriteChatEcgPng(*got, tmp / "png/ecg.png").ok());
  absl::StatusOr<std::string> png = common::ReadFile(tmp / "png/ecg.png");
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(png->substr(0, 8), "\x89PNG\r\n\x1a\n");
}

TEST(ChatEcgTest, NpyEitherOrientation) {
  TempDir tmp;
  const ecg::Record record = SynthRecord(250, 4);
  const int64_t n = record.num_samples;
  std::vector<float> transposed(record.samples.size());
  for (int l = 0; l < 12; ++l) {
    for (int64_t t = 0; t < n; ++t) transposed[static_cast<size_t>(t * 12 + l)] = record.lead(l)[t];
  }
  ASSERT_TRUE(ecg::WriteNpy(tmp / "leads.npy", {12, n}, record.samples.data()).ok());
  ASSERT_TRUE(ecg::WriteNpy(tmp / "samples.npy", {n, 12}, transposed.data()).ok());
  ChatEcgOptions options;
  options.segment_len = 500;
  absl::StatusOr<ChatEcg> a = LoadChatEcg(tmp / "leads.npy", options);
  absl::StatusOr<ChatEcg> b = LoadChatEcg(tmp / "samples.npy", options);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->segment, b->segment);
  // Already at 250 Hz: the segment is the first 500 samples of each lead.
  for (int l = 0; l < 12; ++l) EXPECT_EQ(a->segment[static_cast<size_t>(l * 500 + 7)], record.lead(l)[7]);
}

TEST(ChatEcgTest, ErrorsNameThePathAndTheReason) {
  TempDir tmp;
  ChatEcgOptions options;
  options.segment_len = 1250;
  std::vector<float> three(3 * 1000, 0.1f);
  ASSERT_TRUE(ecg::WriteNpy(tmp / "three.npy", {3, 1000}, three.data()).ok());
  absl::StatusOr<ChatEcg> got = LoadChatEcg(tmp / "three.npy", options);
  ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << got.status();
  EXPECT_EQ(Message(got.status()),
            tmp / "three.npy" + ": the ECG array must be [12, L] or [L, 12] (12 leads I..V6), got shape (3, 1000)");

  ecg::Record leads3 = SynthRecord(500, 10);
  leads3.leads.resize(3);
  leads3.samples.resize(static_cast<size_t>(3 * leads3.num_samples));
  ASSERT_TRUE(ecg::WriteWfdbRecord(leads3, tmp.path(), "three").ok());
  got = LoadChatEcg(tmp / "three.hea", options);
  ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << got.status();
  EXPECT_EQ(Message(got.status()), tmp / "three.hea" +
                                       ": the ELM needs the 12 standard leads (I, II, III, aVR, aVL, aVF, V1..V6); "
                                       "the record has 3 (I, II, III)");

  ASSERT_TRUE(ecg::WriteWfdbRecord(SynthRecord(500, 2), tmp.path(), "short").ok());
  got = LoadChatEcg(tmp / "short", options);
  ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << got.status();
  EXPECT_EQ(Message(got.status()), tmp / "short" +
                                       ": the record has 500 samples per lead at 250 Hz, fewer than the ELM's "
                                       "segment of 1250 samples (5 s)");

  ASSERT_TRUE(common::WriteFileAtomic(tmp / "junk.npy", "not numpy at all").ok());
  got = LoadChatEcg(tmp / "junk.npy", options);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(Message(got.status()).find(tmp / "junk.npy"), std::string::npos) << got.status();
  EXPECT_NE(Message(got.status()).find("not a .npy file"), std::string::npos) << got.status();

  got = LoadChatEcg(tmp / "missing.hea", options);
  ASSERT_TRUE(absl::IsNotFound(got.status())) << got.status();
  EXPECT_NE(Message(got.status()).find(tmp / "missing.hea"), std::string::npos) << got.status();

  got = LoadChatEcg(tmp / "x.csv", options);
  ASSERT_TRUE(absl::IsInvalidArgument(got.status())) << got.status();
  EXPECT_EQ(Message(got.status()).rfind(tmp / "x.csv: unknown ECG file type '.csv' (expected a WFDB record", 0), 0u)
      << got.status();

  got = LoadChatEcg(tmp / "x.hdf5", options);
  EXPECT_EQ(Message(got.status()), tmp / "x.hdf5: a CODE-15 file needs the exam's row: " + tmp / "x.hdf5#ROW");
}

}  // namespace
}  // namespace ecgbench::worker::chat
