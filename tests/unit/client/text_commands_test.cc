// `ecgbench text encode|decode` run in-process through RunCli on a small byte-level tokenizer.json
// the test writes: ids per line, the round trip, --skip-special, and the exact messages and exit
// codes of bad input; `ecgbench text train` on text lines and ECG-QA JSON, and its errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nlohmann/json.hpp"
#include "tests/unit/client/data_test_util.h"

namespace ecgbench::client {
namespace {

using nlohmann::json;
using testing::RunData;
using testing::TempDir;

// GPT-2's byte-to-unicode character of byte b.
std::string ByteChar(int b) {
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  int cp = b;
  if (!printable) {
    int n = 0;
    for (int x = 0; x < b; ++x) n += !((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE);
    cp = 0x100 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return s;
}

// Byte tokens (id = byte), 256 "he", 257 "Ġhe"; special 258 "<|eot|>".
void WriteTokenizer(const std::string& path) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[ByteChar(b)] = b;
  vocab["he"] = 256;
  vocab["\u0120he"] = 257;
  const json j = {
      {"added_tokens", {{{"id", 258}, {"content", "<|eot|>"}, {"special", true}, {"normalized", false}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"h e", "\u0120 he"}}}}};
  std::ofstream(path) << j.dump();
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(TextCommandsTest, EncodeAndDecodeLines) {
  TempDir dir;
  WriteTokenizer(dir / "tokenizer.json");
  WriteFile(dir / "text.txt", "he he<|eot|>\n\nhi\r\n");
  auto r = RunData({"text", "encode", "--tokenizer", dir.path(), "--input", dir / "text.txt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "[256,257,258]\n[]\n[104,105]\n");
  WriteFile(dir / "ids.txt", r.out);
  r = RunData({"text", "decode", "--tokenizer", dir / "tokenizer.json", "--input", dir / "ids.txt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "he he<|eot|>\n\nhi\n");
  r = RunData({"text", "decode", "--tokenizer", dir / "tokenizer.json", "--input", dir / "ids.txt", "--skip-special"});
  EXPECT_EQ(r.out, "he he\n\nhi\n");
}

TEST(TextCommandsTest, BadInputExitsSixNamingTheLine) {
  TempDir dir;
  WriteTokenizer(dir / "tokenizer.json");
  auto r = RunData({"text", "encode", "--tokenizer", dir / "nope.json", "--input", dir / "x"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "nope.json" + ": no such file or directory\n");

  WriteFile(dir / "text.txt", "ok\nb\xFFz\n");
  r = RunData({"text", "encode", "--tokenizer", dir.path(), "--input", dir / "text.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.out, "[111,107]\n");
  EXPECT_EQ(r.err, "ecgbench: " + dir / "text.txt" + ":2: invalid UTF-8 at byte 1\n");

  WriteFile(dir / "ids.txt", "[104]\n[1, \"x\"]\n");
  r = RunData({"text", "decode", "--tokenizer", dir.path(), "--input", dir / "ids.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "ids.txt" + ":2: \"x\" is not an integer token id\n");
  WriteFile(dir / "ids.txt", "104\n");
  r = RunData({"text", "decode", "--tokenizer", dir.path(), "--input", dir / "ids.txt"});
  EXPECT_EQ(r.err, "ecgbench: " + dir / "ids.txt" + ":1: expected a JSON array of token ids\n");
  WriteFile(dir / "ids.txt", "[104, 9999]\n");
  r = RunData({"text", "decode", "--tokenizer", dir.path(), "--input", dir / "ids.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "ids.txt" + ":1: id 9999 at position 1 is not in the vocabulary (size 259)\n");

  WriteFile(dir / "bad.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
  r = RunData({"text", "encode", "--tokenizer", dir / "bad.json"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "bad.json" + ": field \"model.type\": Unigram is not supported (BPE only)\n");
  WriteFile(dir / "bad.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
  r = RunData({"text", "encode", "--tokenizer", dir / "bad.json"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "bad.json" + ": field \"model.unk_token\": \"[UNK]\" is not in the vocabulary\n");

  EXPECT_EQ(RunData({"text", "encode"}).code, 2);  // --tokenizer is required
  EXPECT_EQ(RunData({"text"}).code, 2);
}

TEST(TextCommandsTest, TrainWritesATokenizerThatEncodes) {
  TempDir dir;
  WriteFile(dir / "corpus.txt", "ab ab ab abc\n\n");
  auto r = RunData({"text", "train", "--vocab-size", "300", "--min-frequency", "1", "--out", dir / "tok/tokenizer.json",
                    dir / "corpus.txt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "trained a byte-level BPE tokenizer: 264 tokens = 256 bytes + 3 merged + 5 special (llama3); 3 merges\n"
            "corpus: 1 files, 2 documents, 4 words (3 distinct)\n"
            "the vocabulary is smaller than --vocab-size 300: no pair left occurs at least 1 times\n"
            "wrote " + dir / "tok/tokenizer.json" + "\n");
  WriteFile(dir / "text.txt", "ab abc<|eot_id|>\n");
  r = RunData({"text", "encode", "--tokenizer", dir / "tok", "--input", dir / "text.txt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "[256,258,263]\n");
  r = RunData({"text", "train", "--vocab-size", "258", "--specials", "gpt2", "--out", dir / "gpt2.json", dir / "corpus.txt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(std::ifstream(dir / "gpt2.json"))["added_tokens"][0]["content"], "<|endoftext|>");
}

TEST(TextCommandsTest, TrainReadsEcgQaQuestionsAndAnswers) {
  TempDir dir;
  std::filesystem::create_directories(dir / "ecgqa/ptbxl/train");
  WriteFile(dir / "ecgqa/ptbxl/train/00000.json",
            R"([{"question": "Does this ECG show sinus rhythm?", "answer": ["yes"], "ecg_id": [1]},
                {"question": "Which leads show ST elevation?", "answer": ["V1", "V2"]}])");
  WriteFile(dir / "ecgqa/ptbxl/00001.json", R"([{"question": "Is the rhythm regular?", "answer": ["no"]}])");
  WriteFile(dir / "ecgqa/notes.txt", "not read");
  auto r = RunData({"text", "train", "--ecgqa", "--vocab-size", "400", "--specials", "chatml", "--out", dir / "tok.json",
                    dir / "ecgqa"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("corpus: 2 files, 7 documents, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" special (chatml)"), std::string::npos) << r.out;

  WriteFile(dir / "bad.json", R"([{"question": "ok", "answer": ["a"]}, {"answer": ["b"]}])");
  r = RunData({"text", "train", "--ecgqa", "--vocab-size", "400", "--out", dir / "t.json", dir / "bad.json"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "bad.json" + ": [1].question: missing or not a string\n");
  WriteFile(dir / "bad.json", R"([{"question": "ok", "answer": "a"}])");
  r = RunData({"text", "train", "--ecgqa", "--vocab-size", "400", "--out", dir / "t.json", dir / "bad.json"});
  EXPECT_EQ(r.err, "ecgbench: " + dir / "bad.json" + ": [0].answer: expected a list of strings\n");
  WriteFile(dir / "bad.json", R"({"question": "ok"})");
  r = RunData({"text", "train", "--ecgqa", "--vocab-size", "400", "--out", dir / "t.json", dir / "bad.json"});
  EXPECT_EQ(r.err, "ecgbench: " + dir / "bad.json" + ": expected a JSON array of ECG-QA questions\n");
  std::filesystem::create_directories(dir / "empty");
  r = RunData({"text", "train", "--ecgqa", "--vocab-size", "400", "--out", dir / "t.json", dir / "empty"});
  EXPECT_EQ(r.err, "ecgbench: " + dir / "empty" + ": no .json files in this directory\n");
  r = RunData({"text", "train", "--ecgqa", "--vocab-size", "400", "--out", dir / "t.json", dir / "missing"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "missing" + ": no such file or directory\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "t.json"));
}

TEST(TextCommandsTest, TrainBadInputsExitSixNamingTheFile) {
  TempDir dir;
  WriteFile(dir / "empty.txt", "\n\n");
  auto r = RunData({"text", "train", "--vocab-size", "300", "--out", dir / "t.json", dir / "empty.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: the corpus is empty (2 documents, none with text)\n");
  r = RunData({"text", "train", "--vocab-size", "300", "--out", dir / "t.json", dir / "nope.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "nope.txt" + ": cannot open the input file\n");
  WriteFile(dir / "bad.txt", "fine\nb\xFFz\n");
  r = RunData({"text", "train", "--vocab-size", "300", "--out", dir / "t.json", dir / "bad.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir / "bad.txt" + ":2: invalid UTF-8 at byte 1\n");
  r = RunData({"text", "train", "--vocab-size", "260", "--out", dir / "t.json", dir / "bad.txt"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err,
            "ecgbench: --vocab-size: vocabulary size 260 is too small: it must be at least 261 (256 byte symbols + 5 llama3 "
            "special tokens)\n");
  r = RunData({"text", "train", "--vocab-size", "300", "--out", dir / "t.json", dir.path()});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + dir.path() +
                       ": is a directory (text inputs are files; --ecgqa reads directories of ECG-QA JSON)\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "t.json"));
  EXPECT_EQ(
      RunData({"text", "train", "--vocab-size", "300", "--specials", "mistral", "--out", dir / "t.json", dir / "bad.txt"}).code,
      2);
  EXPECT_EQ(RunData({"text", "train", "--vocab-size", "300", dir / "bad.txt"}).code, 2);  // --out is required
  EXPECT_EQ(RunData({"text", "train", "--vocab-size", "300", "--out", dir / "t.json"}).code, 2);  // an input is required
}

}  // namespace
}  // namespace ecgbench::client
