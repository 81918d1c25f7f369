// Tokenizer files: save/load round trip, the exact errors for corrupt, truncated and inconsistent
// files, and the HF tokenizer.json export read back by an independent Python reader
// (hf_bpe_reference.py) that must encode like our merge-rank encoder (up to CanonicalId).
#include "common/repr/ecg_byte/tokenizer_file.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::repr {
namespace {

using test_support::TempDir;

EcgByteTokenizer Trained(uint64_t seed, int merges) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> corpus;
  for (int s = 0; s < 20; ++s) {
    std::string text;
    // A random walk over the symbols, like a normalized signal.
    int level = 12;
    for (int i = 0; i < 400; ++i) {
      level += static_cast<int>(rng() % 3) - 1;
      level = level < 0 ? 0 : (level > 25 ? 25 : level);
      text.push_back(static_cast<char>('a' + level));
    }
    corpus.push_back(text);
  }
  BpeTrainerOptions o;
  o.num_merges = merges;
  auto r = TrainBpe(corpus, o);
  EXPECT_TRUE(r.ok());
  auto t = EcgByteTokenizer::Create(r->merges);
  EXPECT_TRUE(t.ok());
  return *t;
}

std::string Parse(const std::string& text) {
  return std::string(ParseTokenizer(text, "tok.json").status().message());
}

constexpr char kHead[] = R"("format": "ecgbench.ecg_byte", "version": 1, "alphabet": "abcdefghijklmnopqrstuvwxyz")";

TEST(TokenizerFileTest, SaveLoadRoundTrip) {
  TempDir dir;
  const EcgByteTokenizer t = Trained(3, 120);
  const nlohmann::json training = {{"num_samples", 20}, {"seed", 3}};
  const std::string path = dir / "tok.json";
  ASSERT_TRUE(SaveTokenizer(path, t, training).ok());
  auto loaded = LoadTokenizer(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->tokenizer.merges(), t.merges());
  EXPECT_EQ(loaded->training, training);
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->substr(0, 123),
            "{\n  \"format\": \"ecgbench.ecg_byte\",\n  \"version\": 1,\n  \"alphabet\": \"abcdefghijklmnopqrstuvwxyz\",\n"
            "  \"vocab_size\": 376,\n  \"num_");
  // No merges at all is a valid (symbol-only) tokenizer.
  auto empty = ParseTokenizer(TokenizerToJson(*EcgByteTokenizer::Create({}), {}), "e.json");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->tokenizer.vocab_size(), 256);
}

TEST(TokenizerFileTest, BadFiles) {
  const std::string head = kHead;
  EXPECT_EQ(Parse(""), "tok.json: invalid JSON at byte 1: [json.exception.parse_error.101] parse error at line 1, column 1: "
                       "syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(Parse("{" + head + ", \"merges\": [[97, 98]").substr(0, 38), "tok.json: invalid JSON at byte 108: [j");
  // nlohmann throws out_of_range (not parse_error) for a number beyond a double: still an error.
  EXPECT_EQ(Parse("1e999").substr(0, 52), "tok.json: invalid JSON: [json.exception.out_of_range");
  EXPECT_EQ(Parse("[]"), "tok.json: expected a JSON object, got array");
  EXPECT_EQ(Parse("{}"), "tok.json: field \"format\": missing (expected \"ecgbench.ecg_byte\")");
  EXPECT_EQ(Parse(R"({"format": "sentencepiece"})"),
            "tok.json: field \"format\": expected \"ecgbench.ecg_byte\", got \"sentencepiece\"");
  EXPECT_EQ(Parse(R"({"format": "ecgbench.ecg_byte", "version": 2})"),
            "tok.json: field \"version\": unsupported version 2 (this build reads version 1)");
  EXPECT_EQ(Parse(R"({"format": "ecgbench.ecg_byte", "version": "1"})"),
            "tok.json: field \"version\": unsupported version \"1\" (this build reads version 1)");
  EXPECT_EQ(Parse(R"({"format": "ecgbench.ecg_byte", "version": 1, "alphabet": "abc"})"),
            "tok.json: field \"alphabet\": expected \"abcdefghijklmnopqrstuvwxyz\", got \"abc\"");
  EXPECT_EQ(Parse("{" + head + "}"), "tok.json: field \"merges\": missing");
  EXPECT_EQ(Parse("{" + head + R"(, "merges": {}})"), "tok.json: field \"merges\": expected an array, got object");
  EXPECT_EQ(Parse("{" + head + R"(, "merges": [[97, 98], [97]]})"),
            "tok.json: field \"merges\"[1]: expected [left, right], got [97]");
  EXPECT_EQ(Parse("{" + head + R"(, "merges": [[97, 98.5]]})"),
            "tok.json: field \"merges\"[0][1]: expected a token id (a non-negative integer), got 98.5");
  EXPECT_EQ(Parse("{" + head + R"(, "merges": [[97, -4]]})"),
            "tok.json: field \"merges\"[0][1]: expected a token id (a non-negative integer), got -4");
  EXPECT_EQ(Parse("{" + head + R"(, "merges": [[97, 98], [256, 300]]})"),
            "tok.json: field \"merges\"[1][1]: id 300 is out of range (allowed: ids 97..122 ('a'..'z') and 256..256 "
            "(earlier merges))");
  EXPECT_EQ(Parse("{" + head + R"(, "merges": [[257, 98], [97, 98]]})"),
            "tok.json: field \"merges\"[0][0]: id 257 is not defined before merge 0 (allowed: ids 97..122 ('a'..'z'))");
  EXPECT_EQ(Parse("{" + head + R"(, "num_merges": 3, "merges": [[97, 98]]})"),
            "tok.json: field \"num_merges\": 3 does not match the 1 merges");
  EXPECT_EQ(Parse("{" + head + R"(, "vocab_size": 256, "merges": [[97, 98]]})"),
            "tok.json: field \"vocab_size\": 256 does not match 256 + 1 merges = 257");
  EXPECT_EQ(Parse("{" + head + R"(, "training": [], "merges": []})"),
            "tok.json: field \"training\": expected an object, got array");
  std::string many = "{" + head + R"(, "merges": [[97, 97])";
  for (int i = 0; i < 16; ++i) many += ", [" + std::to_string(256 + i) + ", " + std::to_string(256 + i) + "]";
  EXPECT_EQ(Parse(many + "]}"),
            "tok.json: field \"merges\"[16]: the token would have 131072 symbols, more than the limit 65536");
  std::string too_many = "{" + head + R"(, "merges": [)";
  for (int i = 0; i <= kMaxMerges; ++i) too_many += i ? ",[97,97]" : "[97,97]";
  EXPECT_EQ(Parse(too_many + "]}"), "tok.json: field \"merges\": 65279 merges, more than the 65278 possible");
  EXPECT_EQ(LoadTokenizer("/nonexistent/tok.json").status().code(), absl::StatusCode::kNotFound);
}

TEST(TokenizerFileTest, TruncatedFilesFailCleanly) {
  const std::string text = TokenizerToJson(Trained(5, 40), {{"seed", 5}});
  for (size_t n = 0; n < text.size(); n += 7) {
    auto r = ParseTokenizer(text.substr(0, n), "cut.json");
    EXPECT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().message().substr(0, 10), "cut.json: ") << n;
  }
}

TEST(TokenizerFileTest, HfExportStructure) {
  // Duplicate spelling: 257 = (ab)c and 259 = a(bc) share the vocab entry "abc" -> 257.
  auto t = EcgByteTokenizer::Create({{'a', 'b'}, {256, 'c'}, {'b', 'c'}, {'a', 258}});
  ASSERT_TRUE(t.ok());
  const nlohmann::json doc = nlohmann::json::parse(ToHfTokenizerJson(*t));
  EXPECT_EQ(doc["model"]["type"], "BPE");
  EXPECT_EQ(doc["model"]["merges"], nlohmann::json({"a b", "ab c", "b c", "a bc"}));
  const nlohmann::json& vocab = doc["model"]["vocab"];
  EXPECT_EQ(vocab.size(), 259u);
  EXPECT_EQ(vocab["a"], 97);
  EXPECT_EQ(vocab["<0x00>"], 0);
  EXPECT_EQ(vocab["<0x41>"], 65);
  EXPECT_EQ(vocab["abc"], 257);
  EXPECT_EQ(vocab["bc"], 258);
  EXPECT_EQ(HfTokenString(*t, 200), "<0xC8>");
}

// Runs the Python reader on the export and compares with our merge-rank encoder.
TEST(TokenizerFileTest, HfExportEncodesLikeMergeRank) {
  TempDir dir;
  const EcgByteTokenizer t = Trained(11, 300);
  const std::string hf = dir / "tokenizer.json";
  ASSERT_TRUE(ExportHfTokenizer(hf, t).ok());
  std::mt19937_64 rng(8);
  std::vector<std::string> inputs = {"a", "zz", "mmmmmmmm"};
  for (int i = 0; i < 20; ++i) {
    std::string s;
    int level = static_cast<int>(rng() % 26);
    for (int k = 0; k < 300; ++k) {
      level += static_cast<int>(rng() % 3) - 1;
      level = level < 0 ? 0 : (level > 25 ? 25 : level);
      s.push_back(static_cast<char>('a' + level));
    }
    inputs.push_back(s);
  }
  const std::string in = dir / "in.txt";
  {
    std::ofstream f(in);
    for (const std::string& s : inputs) f << s << "\n";
  }
  const std::string cmd = std::string("/usr/bin/python3 ") + ECGBENCH_ECG_BYTE_TEST_DIR + "/hf_bpe_reference.py " + hf +
                          " < " + in;
  const test_support::CommandResult r = test_support::RunCommand(cmd);
  ASSERT_TRUE(r.ok()) << r.output;
  std::istringstream lines(r.output);
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    ASSERT_LT(i, inputs.size());
    auto ours = t.Encode(inputs[i], EncodeMode::kMergeRank);
    ASSERT_TRUE(ours.ok());
    std::vector<int32_t> canonical;
    for (int32_t id : *ours) canonical.push_back(t.CanonicalId(id));
    EXPECT_EQ(nlohmann::json::parse(line).get<std::vector<int32_t>>(), canonical) << inputs[i];
  }
  EXPECT_EQ(i, inputs.size());
}

}  // namespace
}  // namespace ecgbench::common::repr
