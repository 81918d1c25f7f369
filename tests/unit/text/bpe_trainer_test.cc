// BpeTrainer (common/text/bpe_trainer.h): hand-checked merges on tiny corpora (counts, the tie
// rule, overlapping runs), min_frequency, the vocabulary size, determinism, the tokenizer.json
// loading through LoadTokenizer with an exact round trip on 1,000 varied lines, special tokens as
// single ids, bad inputs, and a 2 MB corpus (kept fast, no timing assert).
#include "common/text/bpe_trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/text/tokenizer.h"
#include "common/text/tokenizers/byte_level_bpe.h"
#include "common/text/tokenizers/pre_tokenizer.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/files.h"

namespace ecgbench::common::text {
namespace {

// Ids of the byte characters in the trained vocabulary (code point order, as GPT-2's vocab.json).
constexpr int32_t kA = 'a' - '!', kB = 'b' - '!', kC = 'c' - '!', kSpace = 220;  // 'Ġ' (U+0120)

TrainedBpe TrainOn(const std::vector<std::string>& docs, BpeTrainerOptions options) {
  auto trainer = BpeTrainer::Create(options);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  for (const std::string& d : docs) EXPECT_TRUE(trainer->AddDocument(d).ok());
  auto trained = trainer->Train();
  EXPECT_TRUE(trained.ok()) << trained.status();
  return *std::move(trained);
}

BpeTrainerOptions Options(int32_t vocab, int64_t min_frequency, SpecialTokenSet specials = SpecialTokenSet::kLlama3) {
  BpeTrainerOptions o;
  o.vocab_size = vocab;
  o.min_frequency = min_frequency;
  o.specials = specials;
  return o;
}

std::vector<std::string> MergeStrings(const TrainedBpe& t) {
  std::vector<std::string> out;
  for (const auto& [a, b] : t.merges) out.push_back(t.vocab[static_cast<size_t>(a)] + " " + t.vocab[static_cast<size_t>(b)]);
  return out;
}

std::unique_ptr<Tokenizer> Load(const TrainedBpe& t, const std::string& name) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  EXPECT_TRUE(WriteFileAtomic(path, t.ToTokenizerJson()).ok());
  auto tok = LoadTokenizer(path);
  EXPECT_TRUE(tok.ok()) << tok.status();
  std::remove(path.c_str());
  return tok.ok() ? *std::move(tok) : nullptr;
}

TEST(BpeTrainerTest, AlphabetIsGpt2ByteOrder) {
  const TrainedBpe t = TrainOn({"ab"}, Options(1000, 5));
  ASSERT_EQ(t.vocab.size(), 256u);
  EXPECT_EQ(t.vocab[0], "!");
  EXPECT_EQ(t.vocab[static_cast<size_t>(kA)], "a");
  EXPECT_EQ(t.vocab[static_cast<size_t>(kSpace)], "\u0120");
  EXPECT_EQ(t.vocab[255], "\u0143");  // byte 0xAD, the last shifted byte
  EXPECT_TRUE(t.merges.empty());
}

TEST(BpeTrainerTest, HandCheckedMerges) {
  // Pieces "ab", " ab" x2, " abc": pairs (a,b) 4, (Ġ,a) 3, (b,c) 1. After "a b": (Ġ,ab) 3, (ab,c) 1.
  const TrainedBpe t = TrainOn({"ab ab ab abc"}, Options(1000, 1));
  EXPECT_EQ(MergeStrings(t), (std::vector<std::string>{"a b", "\u0120 ab", "\u0120ab c"}));
  EXPECT_EQ(t.merges[0], std::make_pair(kA, kB));
  EXPECT_EQ(t.merges[1], std::make_pair(kSpace, 256));
  EXPECT_EQ(t.merges[2], std::make_pair(257, kC));
  EXPECT_EQ(t.vocab.size(), 259u);
  EXPECT_EQ(t.words, 3);
  EXPECT_EQ(t.pieces, 4);
  auto tok = Load(t, "hand.json");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(*tok->Encode("ab abc ab"), (std::vector<int32_t>{256, 258, 257}));
}

TEST(BpeTrainerTest, TiesGoToTheSmallerLeftThenRightId) {
  // Every pair occurs once: x=87 < z=89 < Ġ=220.
  const TrainedBpe t = TrainOn({"xy zw"}, Options(1000, 0));
  EXPECT_EQ(MergeStrings(t), (std::vector<std::string>{"x y", "z w", "\u0120 zw"}));
  const TrainedBpe u = TrainOn({"ba bc"}, Options(1000, 0));
  EXPECT_EQ(MergeStrings(u), (std::vector<std::string>{"b a", "b c", "\u0120 bc"}));
}

TEST(BpeTrainerTest, OverlappingRunsMergeLeftToRight) {
  // "aaaa": (a,a) x3 -> [aa, aa]: (aa,aa) 1, no (aa,a) left.
  const TrainedBpe t = TrainOn({"aaaa", "aaaa"}, Options(1000, 2));
  EXPECT_EQ(MergeStrings(t), (std::vector<std::string>{"a a", "aa aa"}));
  // "aaa": [aa, a] then (aa,a).
  const TrainedBpe u = TrainOn({"aaa"}, Options(1000, 1));
  EXPECT_EQ(MergeStrings(u), (std::vector<std::string>{"a a", "aa a"}));
}

TEST(BpeTrainerTest, MinFrequencyStopsTheMerges) {
  EXPECT_EQ(TrainOn({"ab ab ab abc"}, Options(1000, 2)).merges.size(), 2u);  // (ab,c) occurs once
  EXPECT_EQ(TrainOn({"ab ab ab abc"}, Options(1000, 3)).merges.size(), 2u);
  EXPECT_EQ(TrainOn({"ab ab ab abc"}, Options(1000, 4)).merges.size(), 1u);
  EXPECT_EQ(TrainOn({"ab ab ab abc"}, Options(1000, 5)).merges.size(), 0u);
}

std::vector<std::string> VariedLines(int n, uint32_t seed) {
  static const char* const kWords[] = {
      "the",  "ECG",     "shows", "sinus",   "rhythm", "with",  "a",     "left",    "bundle", "branch", "block",
      "does", "this",    "show",  "atrial",  "fibrillation",   "yes", "no",    "which",   "of",     "lead",
      "V1",   "aVR",     "II",    "ST-elevation",    "don't", "it's", "we've", "QRS",     "120ms",  "3.5mV",
      "café", "naïve",   "Über",  "心电图",  "正常",   "😀",    "αβγ",   "Ωμέγα",   "(x)",    "[0-9]+", "#1",
      "\"q\"", "it’s",   "x\\y",  "e\u0301", "\u00a0", "tab\there"};
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    std::string line;
    const int words = 1 + static_cast<int>(rng() % 14);
    for (int w = 0; w < words; ++w) {
      if (w > 0) line += (rng() % 9 == 0) ? "   " : (rng() % 7 == 0 ? "," : " ");
      line += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
      if (rng() % 11 == 0) line += std::to_string(rng() % 100000);
    }
    if (rng() % 5 == 0) line += "?";
    if (rng() % 13 == 0) line += "  ";
    lines.push_back(std::move(line));
  }
  return lines;
}

// The plain algorithm as a reference: recount every pair over all words before each merge.
std::vector<std::pair<int32_t, int32_t>> BruteForceMerges(const std::vector<std::string>& lines, size_t target, int64_t min_count) {
  std::vector<std::string> tokens = TrainOn({"x"}, Options(1000, 2)).vocab;  // the alphabet
  std::map<std::string, int32_t> ids;
  for (size_t i = 0; i < tokens.size(); ++i) ids[tokens[i]] = static_cast<int32_t>(i);
  std::map<std::string, int64_t> pieces;
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  for (const std::string& line : lines) {
    EXPECT_TRUE(DecodeUtf8(line, &cps, &offsets).ok());
    spans.clear();
    PreTokenize(SplitPattern::kGpt2, cps.data(), cps.size(), &spans);
    for (const auto& [b, e] : spans) ++pieces[line.substr(offsets[b], offsets[e] - offsets[b])];
  }
  std::vector<std::pair<std::vector<int32_t>, int64_t>> words;
  for (const auto& [piece, count] : pieces) {
    std::vector<int32_t> symbols;
    for (unsigned char c : piece) {
      std::string ch;
      AppendUtf8(ByteToUnicode(c), &ch);
      symbols.push_back(ids.at(ch));
    }
    words.emplace_back(std::move(symbols), count);
  }
  std::vector<std::pair<int32_t, int32_t>> merges;
  while (tokens.size() < target) {
    std::map<std::pair<int32_t, int32_t>, int64_t> counts;
    for (const auto& [w, c] : words) {
      for (size_t i = 0; i + 1 < w.size(); ++i) counts[{w[i], w[i + 1]}] += c;
    }
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 0;
    for (const auto& [pair, c] : counts) {  // ascending pairs: the first of the largest count wins
      if (c > best_count) best = pair, best_count = c;
    }
    if (best_count < std::max<int64_t>(1, min_count)) break;
    const std::string merged = tokens[static_cast<size_t>(best.first)] + tokens[static_cast<size_t>(best.second)];
    if (!ids.count(merged)) {
      ids[merged] = static_cast<int32_t>(tokens.size());
      tokens.push_back(merged);
    }
    merges.push_back(best);
    for (auto& [w, c] : words) {
      std::vector<int32_t> out;
      for (size_t i = 0; i < w.size();) {
        if (i + 1 < w.size() && w[i] == best.first && w[i + 1] == best.second) {
          out.push_back(ids[merged]);
          i += 2;
        } else {
          out.push_back(w[i++]);
        }
      }
      w = std::move(out);
    }
  }
  return merges;
}

TEST(BpeTrainerTest, IncrementalCountsMatchABruteForceRecount) {
  std::vector<std::string> lines = VariedLines(300, 21);
  lines.push_back("aaaa aaa aaaaaaa abababab xaaa aaxa");  // overlapping runs and repeated tokens
  const TrainedBpe t = TrainOn(lines, Options(900, 2));
  EXPECT_GT(t.merges.size(), 150u);
  EXPECT_EQ(t.merges, BruteForceMerges(lines, 895, 2));
  EXPECT_EQ(TrainOn(lines, Options(600, 0, SpecialTokenSet::kGpt2)).merges, BruteForceMerges(lines, 599, 0));
}

TEST(BpeTrainerTest, RoundTripThroughTheLoaderOnAThousandLines) {
  const std::vector<std::string> lines = VariedLines(1000, 7);
  const TrainedBpe t = TrainOn(lines, Options(700, 2));
  ASSERT_EQ(t.total_size(), 700);
  auto tok = Load(t, "roundtrip.json");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->vocab_size(), 700);
  int64_t tokens = 0, bytes = 0;
  for (const std::string& line : lines) {
    auto ids = tok->Encode(line);
    ASSERT_TRUE(ids.ok()) << ids.status();
    for (int32_t id : *ids) ASSERT_LT(id, 695);  // no special token in the text
    auto back = tok->Decode(*ids);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(*back, line);
    tokens += static_cast<int64_t>(ids->size());
    bytes += static_cast<int64_t>(line.size());
  }
  EXPECT_LT(tokens * 3, bytes);  // the merges compress the training text well below a byte a token
  // Text the corpus never had still round-trips (byte fallback of byte-level BPE).
  const std::string unseen = "Zebra \x01\x7F ж 🫀 \r\n end";
  EXPECT_EQ(*tok->Decode(*tok->Encode(unseen)), unseen);
}

TEST(BpeTrainerTest, SpecialTokensFollowTheVocabularyAsSingleIds) {
  const std::vector<std::string> lines = VariedLines(200, 3);
  for (SpecialTokenSet set : {SpecialTokenSet::kLlama3, SpecialTokenSet::kChatml, SpecialTokenSet::kGpt2}) {
    const TrainedBpe t = TrainOn(lines, Options(400, 2, set));
    auto tok = Load(t, "specials.json");
    ASSERT_NE(tok, nullptr);
    const std::vector<std::string>& specials = SpecialTokens(set);
    ASSERT_EQ(t.special_tokens, specials);
    const int32_t first = static_cast<int32_t>(t.vocab.size());
    EXPECT_EQ(first + static_cast<int32_t>(specials.size()), 400);
    for (size_t i = 0; i < specials.size(); ++i) {
      EXPECT_EQ(tok->TokenToId(specials[i]), first + static_cast<int32_t>(i));
      auto ids = tok->Encode("ab" + specials[i] + "ab");
      ASSERT_TRUE(ids.ok());
      EXPECT_EQ(std::count(ids->begin(), ids->end(), first + static_cast<int32_t>(i)), 1) << specials[i];
      EXPECT_EQ(*tok->Decode(*ids, /*skip_special=*/true), "abab");
    }
  }
  EXPECT_EQ(SpecialTokens(SpecialTokenSet::kLlama3).back(), "<|eot_id|>");
  EXPECT_EQ(*ParseSpecialTokenSet("chatml"), SpecialTokenSet::kChatml);
  EXPECT_EQ(ParseSpecialTokenSet("mistral").status().message(),
            "unknown special-token set \"mistral\" (expected llama3, chatml or gpt2)");
}

TEST(BpeTrainerTest, VocabularySizeIsHonouredAndTheResultIsDeterministic) {
  std::vector<std::string> lines = VariedLines(500, 11);
  const TrainedBpe t = TrainOn(lines, Options(333, 2, SpecialTokenSet::kChatml));
  EXPECT_EQ(t.total_size(), 333);
  EXPECT_EQ(t.vocab.size(), 330u);
  std::reverse(lines.begin(), lines.end());
  const TrainedBpe u = TrainOn(lines, Options(333, 2, SpecialTokenSet::kChatml));
  EXPECT_EQ(t.ToTokenizerJson(), u.ToTokenizerJson());
  // The smallest size trains no merge; a corpus too small for the size stops early.
  EXPECT_EQ(TrainOn(lines, Options(259, 2, SpecialTokenSet::kChatml)).merges.size(), 0u);
  EXPECT_EQ(TrainOn({"ab ab"}, Options(5000, 2)).total_size(), 257 + 5);
}

TEST(BpeTrainerTest, BadInputs) {
  auto small = BpeTrainer::Create(Options(260, 2));
  EXPECT_EQ(small.status().message(),
            "vocabulary size 260 is too small: it must be at least 261 (256 byte symbols + 5 llama3 special tokens)");
  auto negative = BpeTrainer::Create(Options(1000, -1));
  EXPECT_EQ(negative.status().message(), "min_frequency -1 must be >= 0");

  auto trainer = BpeTrainer::Create(Options(1000, 2));
  ASSERT_TRUE(trainer.ok());
  EXPECT_EQ(trainer->Train().status().message(), "the corpus is empty (0 documents, none with text)");
  EXPECT_TRUE(trainer->AddDocument("").ok());
  EXPECT_EQ(trainer->AddDocument("ok\xFF").message(), "invalid UTF-8 at byte 2");
  EXPECT_EQ(trainer->Train().status().message(), "the corpus is empty (2 documents, none with text)");
}

TEST(BpeTrainerTest, TwoMegabytesTrainQuickly) {
  // The varied lines plus random lowercase words (many distinct words, as in real text).
  std::vector<std::string> lines = VariedLines(20000, 5);
  std::mt19937 rng(9);
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    for (int w = 0; w < 12; ++w) {
      line += ' ';
      for (uint32_t n = 1 + rng() % 8; n > 0; --n) line += static_cast<char>('a' + rng() % 26);
    }
    lines.push_back(std::move(line));
  }
  auto trainer = BpeTrainer::Create(Options(4096, 2));
  ASSERT_TRUE(trainer.ok());
  int64_t bytes = 0;
  for (const std::string& line : lines) {
    ASSERT_TRUE(trainer->AddDocument(line).ok());
    bytes += static_cast<int64_t>(line.size()) + 1;
  }
  EXPECT_GT(bytes, 2'000'000);
  auto t = trainer->Train();
  ASSERT_TRUE(t.ok());
  EXPECT_GT(t->merges.size(), 500u);
}

}  // namespace
}  // namespace ecgbench::common::text
