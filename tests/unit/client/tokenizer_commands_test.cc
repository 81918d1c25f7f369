// `ecgbench tokenizer train|encode|decode|stats` run in-process through RunCli on a small segment
// store of synthetic ECGs the test writes: outputs, files, round trips through the CLI, and the
// exact messages and exit codes of bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/synth/generator.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal/normalize.h"
#include "nlohmann/json.hpp"
#include "tests/unit/client/data_test_util.h"

namespace ecgbench::client {
namespace {

namespace ecg = common::ecg;
namespace repr = common::repr;
using testing::CliResult;
using testing::RunData;
using testing::TempDir;

constexpr int64_t kLength = 500;
constexpr int kSegments = 6;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class TokenizerCommandsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ecg::SegmentStoreOptions options;
    options.segment_length = kLength;
    auto writer = ecg::SegmentStoreWriter::Create(*dir_ / "store", options);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < kSegments; ++i) {
      ecg::SynthOptions o;
      o.fs = 250;
      o.duration_s = 2;
      o.seed = 50 + static_cast<uint64_t>(i);
      ecg::Record r = ecg::Generate(ecg::EcgClass::kSinusRhythm, o);
      ASSERT_EQ(r.num_samples, kLength);
      ecg::SegmentMeta meta;
      meta.record_id = "r" + std::to_string(i);
      meta.source = "synth";
      ASSERT_TRUE((*writer)->Append(meta, r.samples.data()).ok());
    }
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Store() { return *dir_ / "store"; }
  static TempDir* dir_;
};
TempDir* TokenizerCommandsTest::dir_ = nullptr;

TEST_F(TokenizerCommandsTest, TrainWritesTokenizerAndHfJson) {
  TempDir tmp;
  CliResult r = RunData({"tokenizer", "train", "--store", Store(), "--merges", "40", "--samples", "4", "--seed", "3",
                         "-o", tmp / "tok.json", "--hf-json", tmp / "hf.json", "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  const std::string prefix = "trained 40 merges (vocab 296) on 4 segments: 24000 symbols -> ";
  EXPECT_EQ(lines[0].substr(0, prefix.size()), prefix);
  EXPECT_EQ(lines[1], "wrote " + tmp / "tok.json");
  EXPECT_EQ(lines[2], "wrote " + tmp / "hf.json" + " (Hugging Face tokenizer.json, BPE)");
  auto file = repr::LoadTokenizer(tmp / "tok.json");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->tokenizer.num_merges(), 40);
  EXPECT_EQ(file->training["num_segments"], 4);
  EXPECT_EQ(file->training["seed"], 3);
  EXPECT_EQ(file->training["sequences"], "per_segment");
  EXPECT_EQ(file->training["num_symbols"], 4 * 12 * kLength);
  std::ifstream hf(tmp / "hf.json");
  const nlohmann::json doc = nlohmann::json::parse(hf);
  EXPECT_EQ(doc["model"]["merges"].size(), 40u);

  // The same seed picks the same segments: identical merges; --json prints the summary.
  CliResult again = RunData({"tokenizer", "train", "--store", Store(), "--merges", "40", "--samples", "4", "--seed",
                             "3", "-o", tmp / "tok2.json", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["num_merges"], 40);
  EXPECT_EQ(repr::LoadTokenizer(tmp / "tok2.json")->tokenizer.merges(), file->tokenizer.merges());
}

TEST_F(TokenizerCommandsTest, EncodeDecodeRoundTrip) {
  TempDir tmp;
  ASSERT_EQ(RunData({"tokenizer", "train", "--store", Store(), "--merges", "60", "-o", tmp / "tok.json"}).code, 0);
  WriteFile(tmp / "in.txt", "abcabcabc\nzzzzzz\n\nmmmnnnmmm\n");
  for (const std::string mode : {"longest", "rank"}) {
    CliResult enc = RunData({"tokenizer", "encode", "--tokenizer", tmp / "tok.json", "--mode", mode, "--input", tmp / "in.txt"});
    ASSERT_EQ(enc.code, 0) << enc.err;
    ASSERT_EQ(Lines(enc.out).size(), 4u);
    EXPECT_EQ(Lines(enc.out)[2], "[]");
    WriteFile(tmp / "ids.txt", enc.out);
    CliResult dec = RunData({"tokenizer", "decode", "--tokenizer", tmp / "tok.json", "--input", tmp / "ids.txt"});
    ASSERT_EQ(dec.code, 0) << dec.err;
    EXPECT_EQ(dec.out, "abcabcabc\nzzzzzz\n\nmmmnnnmmm\n");
  }
  // `symbols` writes the corpus train uses; encoding it with --timing reports on stderr.
  CliResult sym = RunData({"tokenizer", "symbols", "--store", Store(), "--samples", "2", "--seed", "4", "-o", tmp / "sym.txt"});
  ASSERT_EQ(sym.code, 0) << sym.err;
  CliResult timed = RunData({"tokenizer", "encode", "--tokenizer", tmp / "tok.json", "--input", tmp / "sym.txt", "--timing"});
  ASSERT_EQ(timed.code, 0) << timed.err;
  EXPECT_EQ(Lines(timed.out).size(), 2u);
  EXPECT_EQ(timed.err.substr(0, 27), "encoded 12000 symbols into ");
  // A store segment: normalized, symbolized and encoded like the library does it.
  CliResult seg = RunData({"tokenizer", "encode", "--tokenizer", tmp / "tok.json", "--store", Store(), "--segment", "2"});
  ASSERT_EQ(seg.code, 0) << seg.err;
  auto store = ecg::SegmentStore::Open(Store());
  ASSERT_TRUE(store.ok());
  std::vector<float> norm(12 * kLength);
  ASSERT_TRUE(repr::Normalizer::MinMax().Apply(absl::MakeConstSpan((*store)->Segment(2), norm.size()), absl::MakeSpan(norm)).ok());
  auto symbols = repr::Symbolize(norm.data(), 12 * kLength, kLength);
  auto tok = repr::LoadTokenizer(tmp / "tok.json");
  ASSERT_TRUE(symbols.ok() && tok.ok());
  EXPECT_EQ(nlohmann::json::parse(seg.out).get<std::vector<int32_t>>(), *tok->tokenizer.Encode(*symbols));
}

TEST_F(TokenizerCommandsTest, Stats) {
  TempDir tmp;
  ASSERT_EQ(RunData({"tokenizer", "train", "--store", Store(), "--merges", "30", "-o", tmp / "tok.json"}).code, 0);
  CliResult r = RunData({"tokenizer", "stats", "--tokenizer", tmp / "tok.json", "--store", Store(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["vocab_size"], 286);
  EXPECT_EQ(j["num_merges"], 30);
  EXPECT_EQ(j["segments"], kSegments);
  EXPECT_EQ(j["symbols"], kSegments * 12 * kLength);
  EXPECT_GT(j["symbols_per_token"].get<double>(), 1.5);
  CliResult text = RunData({"tokenizer", "stats", "--tokenizer", tmp / "tok.json"});
  ASSERT_EQ(text.code, 0);
  EXPECT_EQ(Lines(text.out)[1], "vocab size:    286 (256 bytes + 30 merges)");
}

TEST_F(TokenizerCommandsTest, BadInput) {
  TempDir tmp;
  WriteFile(tmp / "bad.json", "{\"format\": \"ecgbench.ecg_byte\", \"version\": 7}");
  CliResult r = RunData({"tokenizer", "encode", "--tokenizer", tmp / "bad.json", "--input", tmp / "bad.json"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + tmp / "bad.json" +
                       ": field \"version\": unsupported version 7 (this build reads version 1)\n");
  ASSERT_EQ(RunData({"tokenizer", "train", "--store", Store(), "--merges", "10", "-o", tmp / "tok.json"}).code, 0);
  WriteFile(tmp / "in.txt", "abc\nab1\n");
  r = RunData({"tokenizer", "encode", "--tokenizer", tmp / "tok.json", "--input", tmp / "in.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.out, "[97,98,99]\n");
  EXPECT_EQ(r.err, "ecgbench: " + tmp / "in.txt" + ":2: symbol '1' (byte 49) at position 2 is not in a..z\n");
  WriteFile(tmp / "ids.txt", "[97, 300000]\n");
  r = RunData({"tokenizer", "decode", "--tokenizer", tmp / "tok.json", "--input", tmp / "ids.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + tmp / "ids.txt" + ":1: id 300000 at position 1 is outside the vocabulary (0..265)\n");
  r = RunData({"tokenizer", "encode", "--tokenizer", tmp / "tok.json", "--store", Store()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: --store and --segment go together\n");
  r = RunData({"tokenizer", "encode", "--tokenizer", tmp / "tok.json", "--mode", "fast", "--input", tmp / "in.txt"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: --mode: unknown mode 'fast' (expected longest or rank)\n");
  r = RunData({"tokenizer", "train", "--store", tmp / "nostore", "-o", tmp / "x.json"});
  EXPECT_EQ(r.code, 6);
  r = RunData({"tokenizer", "train", "--store", Store(), "--merges", "0", "-o", tmp / "x.json"});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace ecgbench::client
