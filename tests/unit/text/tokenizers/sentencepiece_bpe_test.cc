// SentencePiece-style BPE (Gemma 2's tokenizer.json layout): a small hand-written file whose ids are
// derived by hand (merge order, byte fallback, unk fusing, added tokens, Prepend + Strip), and a
// cross-check against libsentencepiece: a tiny BPE .model trained here with byte fallback, converted
// to tokenizer.json by ConvertSpmModel (HF's converter rule: merges are the splits of each piece
// into two pieces, ordered by the piece's score), must encode like SentencePieceProcessor.
#include "common/text/tokenizers/sentencepiece_bpe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/text/tokenizers/tokenizer_spec.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"
#include "tests/unit/text/tokenizers/spm_reference.h"
#include "tests/unit/text/tokenizers/test_corpus.h"

namespace ecgbench::common::text {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

json Added(int id, const std::string& content) {
  return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
          {"normalized", false}, {"special", true}};
}

// ids: 0 <pad>, 1 <eos>, 2 <bos>, 3 <unk>, 4..259 <0x00>..<0xFF>, 260 "▁", 261 "a", 262 "b", 263 "c",
// 264 "▁a", 265 "ab", 266 "▁ab", 267 "é"; added 268 "<start_of_turn>". Merges: "▁ a", "a b", "▁a b".
json GemmaLike(bool prepend, bool byte_fallback, bool fuse_unk) {
  json vocab = {{"<pad>", 0}, {"<eos>", 1}, {"<bos>", 2}, {"<unk>", 3}};
  for (int b = 0; b < 256; ++b) vocab[absl::StrFormat("<0x%02X>", b)] = 4 + b;
  const char* pieces[] = {"\u2581", "a", "b", "c", "\u2581a", "ab", "\u2581ab", "\u00e9"};
  for (int i = 0; i < 8; ++i) vocab[pieces[i]] = 260 + i;
  json normalizer = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}};
  json decoders = {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                   {{"type", "ByteFallback"}},
                   {{"type", "Fuse"}}};
  if (prepend) {
    normalizer = {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\u2581"}}, normalizer}}};
    decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  }
  return {{"version", "1.0"},
          {"added_tokens", {Added(0, "<pad>"), Added(1, "<eos>"), Added(2, "<bos>"), Added(3, "<unk>"), Added(268, "<start_of_turn>")}},
          {"normalizer", normalizer},
          {"pre_tokenizer", nullptr},
          {"decoder", {{"type", "Sequence"}, {"decoders", decoders}}},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"continuing_subword_prefix", nullptr},
                     {"end_of_word_suffix", nullptr}, {"fuse_unk", fuse_unk}, {"byte_fallback", byte_fallback},
                     {"ignore_merges", false}, {"vocab", vocab}, {"merges", {"\u2581 a", "a b", "\u2581a b"}}}}};
}

std::unique_ptr<SentencePieceBpeTokenizer> Make(const json& j) {
  auto spec = ParseTokenizerJson(j.dump(), "tokenizer.json");
  EXPECT_TRUE(spec.ok()) << spec.status();
  auto t = SentencePieceBpeTokenizer::Create(std::move(*spec));
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

TEST(SentencePieceBpeTest, EncodesByRankWithByteFallback) {
  auto t = Make(GemmaLike(false, true, true));
  // "ab▁ab": "▁ a" (rank 0) first, then "a b" at the left, then "▁a b".
  EXPECT_EQ(*t->Encode("ab ab"), (Ids{265, 266}));
  EXPECT_EQ(*t->Encode("c\u20ac"), (Ids{263, 4 + 0xE2, 4 + 0x82, 4 + 0xAC}));  // "€" is not a piece: its bytes
  EXPECT_EQ(*t->Encode("\u00e9"), (Ids{267}));
  EXPECT_EQ(*t->Encode("<bos>a b<start_of_turn>"), (Ids{2, 261, 260, 262, 268}));
  EXPECT_EQ(*t->Encode("  "), (Ids{260, 260}));
  EXPECT_EQ(t->vocab_size(), 269);
}

TEST(SentencePieceBpeTest, UnknownCharactersWithoutByteFallback) {
  EXPECT_EQ(*Make(GemmaLike(false, false, true))->Encode("c\u20ac\u20acc"), (Ids{263, 3, 263}));
  EXPECT_EQ(*Make(GemmaLike(false, false, false))->Encode("c\u20ac\u20acc"), (Ids{263, 3, 3, 263}));
}

TEST(SentencePieceBpeTest, PrependNormalizerAndStripDecoder) {
  auto t = Make(GemmaLike(true, true, true));
  EXPECT_EQ(*t->Encode("ab"), (Ids{266}));
  EXPECT_EQ(*t->Encode("ab<eos>ab"), (Ids{266, 1, 266}));  // each text segment gets the prefix (HF)
  EXPECT_EQ(*t->Decode({266, 264}), "ab a");
}

TEST(SentencePieceBpeTest, Decode) {
  auto t = Make(GemmaLike(false, true, true));
  EXPECT_EQ(*t->Decode({265, 266}), "ab ab");
  EXPECT_EQ(*t->Decode({263, 4 + 0xE2, 4 + 0x82, 4 + 0xAC}), "c\u20ac");
  EXPECT_EQ(*t->Decode({4 + 0xE2, 263}), "\uFFFDc");
  EXPECT_EQ(*t->Decode({4 + 0xE2, 4 + 0x82, 263}), "\uFFFD\uFFFDc");  // one U+FFFD per byte of an invalid run
  EXPECT_EQ(*t->Decode({2, 261, 268, 1}), "<bos>a<start_of_turn><eos>");
  EXPECT_EQ(*t->Decode({2, 261, 268, 1}, /*skip_special=*/true), "a");
  EXPECT_EQ(t->Decode({269}).status().message(), "id 269 at position 0 is not in the vocabulary (size 269)");
}

TEST(SentencePieceBpeTest, AddTokensAndRoundTrip) {
  auto t = Make(GemmaLike(false, true, true));
  EXPECT_EQ(t->AddTokens({"<signal>", "signal_7"}, false), (Ids{269, 270}));
  EXPECT_EQ(*t->Encode("a <signal>signal_7"), (Ids{261, 260, 269, 270}));
  for (const std::string s : {"ab ab", "caf\u00e9 \u4e2d\u6587 \U0001F600", " leading", "trailing  "}) {
    EXPECT_EQ(*t->Decode(*t->Encode(s)), s);
  }
}

TEST(SentencePieceBpeTest, RejectsWhatIsNotSentencePieceStyle) {
  json j = GemmaLike(false, true, true);
  j["model"]["vocab"].erase("<0x41>");
  auto spec = ParseTokenizerJson(j.dump(), "tokenizer.json");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(SentencePieceBpeTokenizer::Create(std::move(*spec)).status().message(),
            "tokenizer.json: field \"model.vocab\": byte_fallback needs the token \"<0x41>\"");
  j = GemmaLike(false, true, true);
  j["decoder"] = {{"type", "ByteLevel"}};
  spec = ParseTokenizerJson(j.dump(), "tokenizer.json");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(SentencePieceBpeTokenizer::Create(std::move(*spec)).status().message(),
            "tokenizer.json: field \"decoder\": ByteLevel does not go with a SentencePiece-style BPE model");
  j = GemmaLike(false, true, true);
  j["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", " +"}}}, {"content", "\u2581"}};
  EXPECT_EQ(ParseTokenizerJson(j.dump(), "tokenizer.json").status().message(),
            "tokenizer.json: field \"normalizer.pattern\": only {\"String\": ...} patterns are supported here");
}

// HF's SentencePiece BPE conversion: vocabulary = pieces by id; merges = every split of a normal piece
// into two normal pieces, ordered by the piece's score (highest first); control and unknown pieces
// are special added tokens.
json ConvertSpmModel(const std::vector<testing::SpmPiece>& pieces, bool dummy_prefix) {
  using Type = testing::SpmPiece::Type;
  json vocab = json::object(), added = json::array();
  std::map<std::string, int> normal;
  for (size_t id = 0; id < pieces.size(); ++id) {
    vocab[pieces[id].piece] = id;
    if (pieces[id].type == Type::kNormal) normal[pieces[id].piece] = static_cast<int>(id);
    if (pieces[id].type == Type::kControl || pieces[id].type == Type::kUnknown) added.push_back(Added(static_cast<int>(id), pieces[id].piece));
  }
  struct Merge {
    float score;
    int l, r;
    std::string a, b;
  };
  std::vector<Merge> merges;
  for (const auto& [piece, id] : normal) {
    for (size_t i = 1; i < piece.size(); ++i) {
      if ((static_cast<unsigned char>(piece[i]) & 0xC0) == 0x80) continue;  // split at character boundaries only
      auto l = normal.find(piece.substr(0, i)), r = normal.find(piece.substr(i));
      if (l != normal.end() && r != normal.end()) merges.push_back({pieces[static_cast<size_t>(id)].score, l->second, r->second, l->first, r->first});
    }
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& x, const Merge& y) {
    return x.score != y.score ? x.score > y.score : std::make_pair(x.l, x.r) < std::make_pair(y.l, y.r);
  });
  json merge_list = json::array();
  for (const Merge& m : merges) merge_list.push_back(json::array({m.a, m.b}));
  json normalizer = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}};
  json decoders = {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}}, {{"type", "ByteFallback"}}, {{"type", "Fuse"}}};
  if (dummy_prefix) {
    normalizer = {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\u2581"}}, normalizer}}};
    decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  }
  return {{"version", "1.0"}, {"added_tokens", added}, {"normalizer", normalizer}, {"pre_tokenizer", nullptr},
          {"decoder", {{"type", "Sequence"}, {"decoders", decoders}}},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", "<unk>"}, {"fuse_unk", true}, {"byte_fallback", true},
                     {"vocab", vocab}, {"merges", merge_list}}}};
}

void CrossCheck(bool dummy_prefix) {
  test_support::TempDir dir;
  // Training text: one line per corpus line without newlines/tabs (the trainer reads lines).
  std::vector<std::string> corpus = testing::ParityCorpus(6000, 7);
  {
    std::ofstream f(dir / "corpus.txt");
    for (std::string line : corpus) {
      // Only lines of two-byte characters at most, so that the vocabulary can cover their characters.
      if (std::any_of(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xE0; })) continue;
      std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
      f << line << "\n";
    }
  }
  const std::string prefix = dir / "spm";
  const std::string err = testing::TrainSpm(
      "--input=" + dir / "corpus.txt" + " --model_prefix=" + prefix +
      " --model_type=bpe --vocab_size=1500 --byte_fallback=true --character_coverage=0.995"
      " --normalization_rule_name=identity --remove_extra_whitespaces=false --minloglevel=2"
      " --add_dummy_prefix=" + (dummy_prefix ? "true" : "false"));
  ASSERT_EQ(err, "");
  std::vector<testing::SpmPiece> pieces;
  ASSERT_EQ(testing::SpmPieces(prefix + ".model", &pieces), "");
  ASSERT_EQ(pieces.size(), 1500u);
  std::ofstream(dir / "tokenizer.json") << ConvertSpmModel(pieces, dummy_prefix).dump();
  auto tokenizer = LoadTokenizer(dir / "tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();

  std::vector<std::string> lines = testing::ParityCorpus(1500, 99);  // unseen lines: rare characters fall back to bytes
  std::vector<std::vector<int>> want;
  ASSERT_EQ(testing::SpmEncode(prefix + ".model", lines, &want), "");
  int mismatches = 0, byte_tokens = 0;
  int merged_tokens = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto ids = (*tokenizer)->Encode(lines[i]);
    ASSERT_TRUE(ids.ok()) << ids.status();
    const Ids expected(want[i].begin(), want[i].end());
    for (int id : expected) {
      const std::string& p = pieces[static_cast<size_t>(id)].piece;
      merged_tokens += std::count_if(p.begin(), p.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }) >= 2;
    }
    for (int id : expected) byte_tokens += pieces[static_cast<size_t>(id)].type == testing::SpmPiece::Type::kByte;
    if (*ids != expected && ++mismatches <= 5) {
      ADD_FAILURE() << "line " << i << " " << json(lines[i]).dump() << "\n  ours " << json(*ids).dump() << "\n  spm  "
                    << json(expected).dump();
    }
    EXPECT_EQ(*(*tokenizer)->Decode(*ids), lines[i]);
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(byte_tokens, 100);            // the byte fallback path was exercised
  EXPECT_GT(merged_tokens, 10000);        // and merges (pieces of two or more characters)
}

TEST(SentencePieceBpeTest, MatchesLibSentencePieceWithoutDummyPrefix) { CrossCheck(false); }
TEST(SentencePieceBpeTest, MatchesLibSentencePieceWithDummyPrefix) { CrossCheck(true); }

}  // namespace
}  // namespace ecgbench::common::text
