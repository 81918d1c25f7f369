// Byte-level BPE on a small hand-written vocabulary (the 256 byte tokens with id = byte, plus a few
// merges) whose expected ids are derived by hand: merge order by rank, leftmost first on ties,
// ignore_merges, added/special tokens (longest match, raw vs normalized), NFC, decode (lossy UTF-8,
// skip_special), AddTokens, GPT-2's vocab.json + merges.txt, and the exact error messages.
#include "common/text/tokenizers/byte_level_bpe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/text/tokenizer.h"
#include "common/text/tokenizers/tokenizer_spec.h"
#include "common/text/tokenizers/unicode.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::text {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

std::string ByteToken(uint8_t b) {
  std::string s;
  AppendUtf8(ByteToUnicode(b), &s);
  return s;
}

// Byte tokens 0..255, then: 256 "Ġt", 257 "he", 258 "Ġthe", 259 "lo", 260 "low", 261 "er", 262 "aa",
// 263 "Ġlow" (no merge makes it); added: 300 "<|end|>" (special), 301 "<extra>" (normalized),
// 302 "ab" and 303 "abc" (special).
json SmallTokenizer(bool ignore_merges, json normalizer = nullptr) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[ByteToken(static_cast<uint8_t>(b))] = b;
  const char* extra[] = {"\u0120t", "he", "\u0120the", "lo", "low", "er", "aa", "\u0120low"};
  for (int i = 0; i < 8; ++i) vocab[extra[i]] = 256 + i;
  const json merges = {"\u0120 t", "h e", json::array({"\u0120t", "he"}), "l o", "lo w", "e r", "a a"};
  const auto added = [](int id, const char* content, bool special, bool normalized) {
    return json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                {"normalized", normalized}, {"special", special}};
  };
  return json{{"version", "1.0"},
              {"added_tokens", {added(300, "<|end|>", true, false), added(301, "<extra>", false, true),
                                added(302, "ab", true, false), added(303, "abc", true, false)}},
              {"normalizer", normalizer},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"ignore_merges", ignore_merges},
                         {"vocab", vocab}, {"merges", merges}}}};
}

std::unique_ptr<ByteLevelBpeTokenizer> Make(const json& j) {
  auto spec = ParseTokenizerJson(j.dump(), "tokenizer.json");
  EXPECT_TRUE(spec.ok()) << spec.status();
  auto t = ByteLevelBpeTokenizer::Create(std::move(*spec));
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

std::string CreateError(const json& j) {
  auto spec = ParseTokenizerJson(j.dump(), "tokenizer.json");
  if (!spec.ok()) return std::string(spec.status().message());
  auto t = ByteLevelBpeTokenizer::Create(std::move(*spec));
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(ByteLevelBpeTest, MergesByRank) {
  auto t = Make(SmallTokenizer(false));
  EXPECT_EQ(*t->Encode(" the"), (Ids{258}));
  EXPECT_EQ(*t->Encode("the lower"), (Ids{'t', 257, ' ', 260, 261}));  // "the" | " lower": lo, low, er
  EXPECT_EQ(*t->Encode("aaa"), (Ids{262, 'a'}));                        // leftmost pair first
  EXPECT_EQ(*t->Encode("aaaa"), (Ids{262, 262}));
  EXPECT_EQ(*t->Encode(" low"), (Ids{' ', 260}));                       // "Ġlow" has no merge
  EXPECT_EQ(*t->Encode(""), Ids{});
  EXPECT_EQ(*t->Encode("\u00e9"), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(t->vocab_size(), 304);
}

TEST(ByteLevelBpeTest, IgnoreMergesEmitsWholeWords) {
  auto t = Make(SmallTokenizer(true));
  EXPECT_EQ(*t->Encode(" low lower"), (Ids{263, ' ', 260, 261}));
}

TEST(ByteLevelBpeTest, AddedTokensAreSplitFirstLongestMatch) {
  auto t = Make(SmallTokenizer(false));
  EXPECT_EQ(*t->Encode("hi<|end|>there<extra>"), (Ids{'h', 'i', 300, 't', 257, 'r', 'e', 301}));
  EXPECT_EQ(*t->Encode("xabcab"), (Ids{'x', 303, 302}));
  EXPECT_EQ(t->TokenToId("<|end|>"), 300);
  EXPECT_EQ(t->TokenToId("he"), 257);
  EXPECT_EQ(t->TokenToId("nope"), std::nullopt);
  EXPECT_EQ(t->IdToToken(258), "\u0120the");
  EXPECT_EQ(t->IdToToken(301), "<extra>");
  EXPECT_EQ(t->IdToToken(290), std::nullopt);
}

TEST(ByteLevelBpeTest, NfcNormalizerComposes) {
  auto plain = Make(SmallTokenizer(false));
  auto nfc = Make(SmallTokenizer(false, {{"type", "NFC"}}));
  EXPECT_EQ(*plain->Encode("e\u0301"), (Ids{'e', 0xCC, 0x81}));
  EXPECT_EQ(*nfc->Encode("e\u0301"), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(*nfc->Encode("e\u0301<extra>"), (Ids{0xC3, 0xA9, 301}));
}

TEST(ByteLevelBpeTest, Decode) {
  auto t = Make(SmallTokenizer(false));
  EXPECT_EQ(*t->Decode({'t', 257, ' ', 260, 261}), "the lower");
  EXPECT_EQ(*t->Decode({'h', 'i', 300, 't', 257, 301}), "hi<|end|>the<extra>");
  EXPECT_EQ(*t->Decode({'h', 'i', 300, 't', 257, 301}, /*skip_special=*/true), "hithe<extra>");
  EXPECT_EQ(*t->Decode({0xE4, 0xB8, 'x'}), "\uFFFDx");  // an incomplete character decodes to U+FFFD
  EXPECT_EQ(t->Decode({'a', 290}).status().message(), "id 290 at position 1 is not in the vocabulary (size 304)");
  EXPECT_EQ(t->Decode({-1}).status().message(), "id -1 at position 0 is not in the vocabulary (size 304)");
}

TEST(ByteLevelBpeTest, InvalidUtf8IsRejected) {
  auto t = Make(SmallTokenizer(false));
  auto r = t->Encode("ok\xFF");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "invalid UTF-8 at byte 2");
}

TEST(ByteLevelBpeTest, AddTokens) {
  auto t = Make(SmallTokenizer(false));
  EXPECT_EQ(t->AddTokens({"signal_1", "signal_12", "<signal>", "he"}, false), (Ids{304, 305, 306, 257}));
  EXPECT_EQ(t->AddTokens({"signal_1", "<sep>"}, true), (Ids{304, 307}));
  EXPECT_EQ(t->vocab_size(), 308);
  EXPECT_EQ(*t->Encode("signal_12 <signal>signal_1he"), (Ids{305, ' ', 306, 304, 257}));
  EXPECT_EQ(*t->Decode({305, ' ', 306, 307}), "signal_12 <signal><sep>");
  EXPECT_EQ(*t->Decode({305, 307}, true), "signal_12");
}

TEST(ByteLevelBpeTest, LoadsGpt2VocabAndMerges) {
  test_support::TempDir dir;
  json vocab = SmallTokenizer(false)["model"]["vocab"];
  vocab["<|endoftext|>"] = 264;
  std::ofstream(dir / "vocab.json") << vocab.dump();
  std::ofstream(dir / "merges.txt") << "#version: 0.2\n\u0120 t\nh e\n\u0120t he\nl o\nlo w\ne r\na a\n";
  auto t = LoadTokenizer(dir.path());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*(*t)->Encode("the lower<|endoftext|>"), (Ids{'t', 257, ' ', 260, 261, 264}));
  EXPECT_EQ(*(*t)->Decode({258, 264}, /*skip_special=*/true), " the");
  auto direct = LoadTokenizer(dir / "vocab.json");
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ((*direct)->vocab_size(), 265);
}

TEST(ByteLevelBpeTest, LoadTokenizerErrors) {
  test_support::TempDir dir;
  EXPECT_EQ(LoadTokenizer(dir / "missing.json").status().message(), dir / "missing.json" + ": no such file or directory");
  EXPECT_EQ(LoadTokenizer(dir.path()).status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir / "bad.json") << "{\"model\": ";
  EXPECT_EQ(LoadTokenizer(dir / "bad.json").status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(dir / "tokenizer.json") << SmallTokenizer(false).dump();
  auto t = LoadTokenizer(dir.path());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*(*t)->Encode(" the"), (Ids{258}));
}

TEST(ByteLevelBpeTest, UnsupportedSettingsNameTheField) {
  json j = SmallTokenizer(false);
  j["model"]["type"] = "Unigram";
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"model.type\": Unigram is not supported (BPE only)");
  j = SmallTokenizer(false);
  j["model"]["merges"][0] = "\u0120 zz";
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"model.merges[0]\": token \"zz\" of merge \"\u0120 zz\" is not in the vocabulary");
  j = SmallTokenizer(false);
  j["model"]["merges"][1] = "h e x";
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"model.merges[1]\": \"h e x\" is not of the form \"a b\"");
  j = SmallTokenizer(false);
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}},
                                                                 {"behavior", "Isolated"}, {"invert", false}},
                                                                {{"type", "ByteLevel"}, {"use_regex", false}}}}};
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"pre_tokenizer.pretokenizers[0].pattern.Regex\": unsupported regex \"\\w+\" "
                            "(the GPT-2, Llama 3 and Qwen 2 patterns are supported)");
  j = SmallTokenizer(false);
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"pre_tokenizer.type\": Whitespace is not supported (ByteLevel, or Sequence of Split and ByteLevel)");
  j = SmallTokenizer(false);
  j["normalizer"] = {{"type", "NFKC"}};
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"normalizer.type\": NFKC is not supported (NFC, Replace, Prepend, Sequence)");
  j = SmallTokenizer(false);
  j["added_tokens"][1]["lstrip"] = true;
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"added_tokens[1].lstrip\": only false is supported");
  j = SmallTokenizer(false);
  j["model"]["vocab"].erase(ByteToken(' '));
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"model.merges[0]\": token \"\u0120\" of merge \"\u0120 t\" is not in the vocabulary");
  j["model"]["merges"] = json::array();
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"model.vocab\": the byte-level token \"\u0120\" (byte 0x20) is missing");
  j = SmallTokenizer(false);
  j["model"]["dropout"] = 0.1;
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"model.dropout\": BPE dropout is not supported (null only)");
  j = SmallTokenizer(false);
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"decoder.type\": WordPiece is not supported (ByteLevel, Replace, ByteFallback, Fuse, Strip, Sequence)");
  j = SmallTokenizer(false);
  j["added_tokens"][0]["id"] = 257;
  EXPECT_EQ(CreateError(j), "tokenizer.json: field \"added_tokens\": token \"<|end|>\" has id 257, which the vocabulary gives to \"he\"");
}

}  // namespace
}  // namespace ecgbench::common::text
