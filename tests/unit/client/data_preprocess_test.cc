// `ecgbench data preprocess` and `data inspect STORE` in-process on a synthetic PTB-XL data set:
// counts, a corrupted .dat skipped with its reason, shards, the progress line on a terminal, JSON,
// and bad arguments.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/ecg/dataset/segment_store.h"
#include "nlohmann/json.hpp"
#include "tests/unit/client/data_test_util.h"

namespace ecgbench::client {
namespace {

using testing::CliResult;
using testing::RunData;
using testing::TempDir;

constexpr char kQuality40[] =
    "  quality:    40 windows: 40 kept, 0 skipped (0 non-finite, 0 flat, 0 saturated), 0 zero-filled\n"
    "              0 flat leads in 0 segments, 0 saturated leads in 0 segments, 0 records too short\n";

class DataPreprocessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    CliResult r = RunData({"data", "synth", "--layout", "ptbxl", "--out", *dir_ / "ptbxl", "--records", "20", "--seed",
                           "11", "--no-ecgqa", "--no-low-rate"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Root() { return *dir_ / "ptbxl"; }
  static TempDir* dir_;
};
TempDir* DataPreprocessTest::dir_ = nullptr;

TEST_F(DataPreprocessTest, ExportWritesNpyAndJsonl) {
  TempDir tmp;
  const std::string out = tmp / "store";
  ASSERT_EQ(RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", out}).code, 0);
  const std::string exported = tmp / "export";
  CliResult r = RunData({"data", "export", out, exported});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "exported 40 segments [40 x 12 x 1250] to " + exported + "/ecgs.npy and " + exported +
                       "/segments.jsonl\n");
  EXPECT_EQ(std::filesystem::file_size(exported + "/ecgs.npy"), 128u + 40u * 12u * 1250u * 4u);
  std::ifstream lines(exported + "/segments.jsonl");
  int n = 0;
  for (std::string line; std::getline(lines, line);) ++n;
  EXPECT_EQ(n, 40);
  CliResult missing = RunData({"data", "export", tmp / "nope", tmp / "x"});
  EXPECT_EQ(missing.code, 6);
}

TEST_F(DataPreprocessTest, WholeDatasetThenInspectStore) {
  TempDir tmp;
  const std::string out = tmp / "store";
  CliResult r = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", out, "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "preprocessed ptbxl records 0..20 of 20 (shard 0/1) into " + out +
                       "\n"
                       "  records:    20 done, 0 skipped (of 20)\n"
                       "  segments:   40 (1250 samples at 250 Hz)\n"
                       "  catalog:    20 rows, 0 skipped\n" +
                       std::string(kQuality40));
  EXPECT_EQ(r.err, "");

  CliResult i = RunData({"data", "inspect", out, "--verify"});
  ASSERT_EQ(i.code, 0) << i.err;
  auto store = common::ecg::SegmentStore::Open(out);
  ASSERT_TRUE(store.ok()) << store.status();
  const std::string hash = (*store)->manifest()["content_hash"];
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(i.out, "store:      " + out +
                       "\n"
                       "type:       segment store (float32 [segments x 12 x L] shards, index.jsonl, manifest.json)\n"
                       "segments:   40\n"
                       "length:     1250 samples (5 s at 250 Hz)\n"
                       "leads:      12 (I, II, III, aVR, aVL, aVF, V1, V2, V3, V4, V5, V6)\n"
                       "shards:     1 (shard-00000.f32)\n"
                       "hash:       " +
                       hash +
                       "\n"
                       "counts:     records: 20\n"
                       "            records_done: 20\n"
                       "            records_skipped: 0\n"
                       "            records_total: 20\n"
                       "            segments: 40\n"
                       "            shards: 1\n" +
                       "quality:    40 windows: 40 kept, 0 skipped (0 non-finite, 0 flat, 0 saturated), 0 zero-filled\n"
                       "            0 flat leads in 0 segments, 0 saturated leads in 0 segments, 0 records too short\n"
                       "parameters: dataset: ptbxl\n"
                       "            filters: none\n"
                       "            nan: skip\n"
                       "            rate_hz: 250.0\n"
                       "            resample: cubic\n"
                       "            segment_len: 1250\n"
                       "verified:   ok (every shard and the index match their SHA-256)\n");
  CliResult j = RunData({"data", "inspect", out, "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  nlohmann::json doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["segments"], 40);
  EXPECT_EQ(doc["segment_length"], 1250);
  EXPECT_EQ(doc["sampling_rate_hz"], 250.0);
  EXPECT_EQ(doc["counts"]["records"], 20);

  // The same parameters into a second store give the same content hash; another rate does not.
  CliResult again = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "again",
                             "--threads", "1", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["content_hash"], hash);
  CliResult other = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "other",
                             "--rate", "100", "--segment-len", "500", "--json"});
  ASSERT_EQ(other.code, 0) << other.err;
  nlohmann::json o = nlohmann::json::parse(other.out);
  EXPECT_NE(o["content_hash"], hash);
  EXPECT_EQ(o["counts"]["segments"], 40);  // 10 s at 100 Hz = 1000 samples = 2 windows of 500
}

TEST_F(DataPreprocessTest, CorruptedRecordIsSkippedAndCounted) {
  TempDir tmp;
  const std::string root = tmp / "ptbxl";
  std::filesystem::copy(Root(), root, std::filesystem::copy_options::recursive);
  const std::string dat = root + "/records500/00000/00005_hr.dat";
  std::filesystem::resize_file(dat, 1000);
  const std::string out = tmp / "store";
  CliResult r = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", root, "--out", out, "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "preprocessed ptbxl records 0..20 of 20 (shard 0/1) into " + out +
                "\n"
                "  records:    19 done, 1 skipped (of 20)\n"
                "  segments:   38 (1250 samples at 250 Hz)\n"
                "  catalog:    20 rows, 0 skipped\n"
                "  quality:    38 windows: 38 kept, 0 skipped (0 non-finite, 0 flat, 0 saturated), 0 zero-filled\n"
                "              0 flat leads in 0 segments, 0 saturated leads in 0 segments, 0 records too short\n"
                "skipped records (1 of 1):\n"
                "  " +
                dat + ": truncated: expected 120000 bytes (5000 samples x 12 signals in format 16), found 1000\n");
  CliResult i = RunData({"data", "inspect", out});
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_NE(i.out.find("segments:   38\n"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("errors:     1 kept in the manifest; the first: " + dat + ": truncated: "), std::string::npos)
      << i.out;

  // A file listed in the catalog but missing is left out by the catalog and reported.
  std::filesystem::remove(root + "/records500/00000/00007_hr.hea");
  CliResult missing =
      RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", root, "--out", tmp / "s2", "--json"});
  ASSERT_EQ(missing.code, 0) << missing.err;
  nlohmann::json doc = nlohmann::json::parse(missing.out);
  EXPECT_EQ(doc["catalog"]["rows"], 20);
  EXPECT_EQ(doc["catalog"]["skipped"], 1);
  ASSERT_EQ(doc["catalog"]["problems"].size(), 1u);
  EXPECT_NE(doc["catalog"]["problems"][0].get<std::string>().find("00007_hr"), std::string::npos) << doc;
  EXPECT_EQ(doc["counts"]["records_total"], 19);
  EXPECT_EQ(doc["counts"]["records_skipped"], 1);
  EXPECT_EQ(doc["counts"]["segments"], 36);
}

TEST_F(DataPreprocessTest, ShardsSplitTheRecords) {
  TempDir tmp;
  CliResult a = RunData(
      {"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "s0", "--shard", "0/3", "--json"});
  CliResult b = RunData(
      {"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "s2", "--shard", "2/3", "--json"});
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  nlohmann::json ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(ja["shard"], nlohmann::json({{"index", 0}, {"count", 3}, {"begin", 0}, {"end", 7}}));
  EXPECT_EQ(jb["shard"], nlohmann::json({{"index", 2}, {"count", 3}, {"begin", 14}, {"end", 20}}));
  EXPECT_EQ(ja["counts"]["segments"], 14);
  EXPECT_EQ(jb["counts"]["segments"], 12);
  EXPECT_NE(ja["content_hash"], jb["content_hash"]);
}

TEST_F(DataPreprocessTest, ProgressLineOnATerminal) {
  TempDir tmp;
  CliResult r =
      RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "s", "--threads", "1"},
              /*tty=*/true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\rrecords 20/20  skipped 0  segments 40\npreprocessed ptbxl records 0..20"), std::string::npos)
      << r.out;
  CliResult plain = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "p"});
  EXPECT_EQ(plain.out.find('\r'), std::string::npos);
}

TEST_F(DataPreprocessTest, BadArguments) {
  TempDir tmp;
  CliResult shard =
      RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "s", "--shard", "3/3"});
  EXPECT_EQ(shard.code, 2);
  EXPECT_EQ(shard.err, "ecgbench: --shard: expected K/N with 0 <= K < N (e.g. 0/4), got \"3/3\"\n");
  CliResult root = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", tmp / "none", "--out", tmp / "s"});
  EXPECT_EQ(root.code, 6);
  EXPECT_EQ(root.err, "ecgbench: " + tmp / "none" + "/ptbxl_database.csv: cannot open: No such file or directory\n");
  std::filesystem::create_directories(tmp / "exists");
  CliResult exists = RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "exists"});
  EXPECT_EQ(exists.code, 1);
  EXPECT_EQ(exists.err, "ecgbench: " + tmp / "exists" + ": already exists (--out must name a new directory)\n");
  EXPECT_EQ(RunData({"data", "preprocess", "--dataset", "ptb", "--root", Root(), "--out", tmp / "s"}).code, 2);
  EXPECT_EQ(
      RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "s", "--segment-len", "0"})
          .code,
      2);
  EXPECT_EQ(
      RunData({"data", "preprocess", "--dataset", "ptbxl", "--root", Root(), "--out", tmp / "s", "--filters", "fancy"})
          .code,
      2);
  EXPECT_FALSE(std::filesystem::exists(tmp / "s"));
}

}  // namespace
}  // namespace ecgbench::client
