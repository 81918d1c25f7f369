// `ecgbench text encode|decode` run in-process through RunCli on a small byte-level tokenizer.json
// the test writes: ids per line, the round trip, --skip-special, and the exact messages and exit
// codes of bad input.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ecgbench::client
