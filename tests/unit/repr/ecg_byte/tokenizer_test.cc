// The tokenizer value: validation messages, longest-match (upstream) and merge-rank encoding
// against brute-force references, duplicate expansions, exact round trips on random strings and on
// synthetic 12-lead ECG segments, and decode errors.
#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/ecg/synth/generator.h"
#include "common/repr/ecg_byte/symbols.h"
#include "common/repr/signal/normalize.h"
#include "tests/unit/repr/ecg_byte/reference_bpe.h"

namespace ecgbench::common::repr {
namespace {

EcgByteTokenizer Make(std::vector<BpeMerge> merges) {
  auto t = EcgByteTokenizer::Create(std::move(merges));
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

std::string RandomSymbols(std::mt19937_64& rng, size_t n, int alphabet) {
  std::string s;
  while (s.size() < n) s.append(1 + rng() % 5, static_cast<char>('a' + rng() % static_cast<uint64_t>(alphabet)));
  s.resize(n);
  return s;
}

// Symbol strings of synthetic 10 s 250 Hz 12-lead ECGs (min-max normalized like upstream).
std::vector<std::string> EcgSegments(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    ecg::SynthOptions o;
    o.fs = 250;
    o.duration_s = 10;
    o.seed = 1000 + static_cast<uint64_t>(i);
    const ecg::EcgClass c = ecg::kAllEcgClasses[static_cast<size_t>(i) % std::size(ecg::kAllEcgClasses)];
    ecg::Record r = ecg::Generate(c, o);
    std::vector<float> norm(r.samples.size());
    EXPECT_TRUE(Normalizer::MinMax().Apply(r.samples, absl::MakeSpan(norm)).ok());
    auto s = Symbolize(norm.data(), static_cast<int64_t>(norm.size()), r.num_samples);
    EXPECT_TRUE(s.ok());
    out.push_back(*s);
  }
  return out;
}

TEST(EcgByteTokenizerTest, CreateValidatesMerges) {
  auto bad = [](std::vector<BpeMerge> m) { return std::string(EcgByteTokenizer::Create(std::move(m)).status().message()); };
  EXPECT_EQ(bad({{'a', 257}, {'a', 'b'}}),
            "merges[0][1]: id 257 is not defined before merge 0 (allowed: ids 97..122 ('a'..'z'))");
  EXPECT_EQ(bad({{'a', 'b'}, {256, 257}}),
            "merges[1][1]: id 257 is not defined before merge 1 (allowed: ids 97..122 ('a'..'z') and 256..256 (earlier merges))");
  EXPECT_EQ(bad({{'a', 'b'}, {'A', 256}}),
            "merges[1][0]: id 65 is a byte that is not a symbol a..z (allowed: ids 97..122 ('a'..'z') and 256..256 (earlier merges))");
  EXPECT_EQ(bad({{-1, 'a'}}), "merges[0][0]: id -1 is out of range (allowed: ids 97..122 ('a'..'z'))");
  EXPECT_EQ(bad({{'a', 'b'}, {'a', 'b'}}), "merges[1]: pair [97, 98] repeats merges[0]");
  std::vector<BpeMerge> doubling = {{'a', 'a'}};
  for (int i = 0; i < 16; ++i) doubling.push_back({256 + i, 256 + i});
  EXPECT_EQ(bad(doubling), "merges[16]: the token would have 131072 symbols, more than the limit 65536");
  EXPECT_EQ(bad(std::vector<BpeMerge>(kMaxMerges + 1, BpeMerge{'a', 'a'})), "merges: 65279 merges, more than the 65278 possible");
  EXPECT_TRUE(EcgByteTokenizer::Create({}).ok());
}

TEST(EcgByteTokenizerTest, VocabularyAndSymbols) {
  EcgByteTokenizer t = Make({{'a', 'b'}, {256, 'c'}, {'z', 'z'}});
  EXPECT_EQ(t.vocab_size(), 259);
  EXPECT_EQ(t.num_merges(), 3);
  EXPECT_EQ(t.Symbols('q'), "q");
  EXPECT_EQ(t.Symbols(257), "abc");
  EXPECT_EQ(t.Symbols(258), "zz");
  EXPECT_EQ(t.max_token_symbols(), 3);
  EXPECT_TRUE(t.IsSymbolToken('a'));
  EXPECT_FALSE(t.IsSymbolToken('A'));
  EXPECT_TRUE(t.IsSymbolToken(258));
  EXPECT_FALSE(t.IsSymbolToken(259));
}

TEST(EcgByteTokenizerTest, LongestMatchDiffersFromMergeRank) {
  // Merges: bc=256, ab=257, abc=(257,c)=258. "abcd": standard BPE merges (b,c) first -> [a 256 d];
  // longest match takes "abc" -> [258 d].
  EcgByteTokenizer t = Make({{'b', 'c'}, {'a', 'b'}, {257, 'c'}});
  EXPECT_EQ(*t.Encode("abcd", EncodeMode::kMergeRank), (std::vector<int32_t>{'a', 256, 'd'}));
  EXPECT_EQ(*t.Encode("abcd", EncodeMode::kLongestMatch), (std::vector<int32_t>{258, 'd'}));
  EXPECT_EQ(*t.Encode("", EncodeMode::kLongestMatch), std::vector<int32_t>{});
  EXPECT_EQ(*t.Encode("", EncodeMode::kMergeRank), std::vector<int32_t>{});
}

TEST(EcgByteTokenizerTest, DuplicateExpansionsLaterIdWinsInTrie) {
  // 257 = (ab)c and 259 = a(bc) both spell "abc": upstream's trie keeps the later id.
  EcgByteTokenizer t = Make({{'a', 'b'}, {256, 'c'}, {'b', 'c'}, {'a', 258}});
  EXPECT_EQ(*t.Encode("abcabc"), (std::vector<int32_t>{259, 259}));
  EXPECT_EQ(t.CanonicalId(259), 257);
  EXPECT_EQ(t.CanonicalId(258), 258);
  EXPECT_EQ(*t.Decode({259, 257}), "abcabc");
}

TEST(EcgByteTokenizerTest, EncodersMatchReferencesAndRoundTrip) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 30; ++trial) {
    const int alphabet = 2 + trial % 6;
    // Train on random text so that merges look like real ones.
    std::vector<std::string> corpus;
    for (int s = 0; s < 8; ++s) corpus.push_back(RandomSymbols(rng, 300, alphabet));
    BpeTrainerOptions o;
    o.num_merges = 80;
    auto trained = TrainBpe(corpus, o);
    ASSERT_TRUE(trained.ok());
    EcgByteTokenizer t = Make(trained->merges);
    for (int k = 0; k < 5; ++k) {
      const std::string s = RandomSymbols(rng, rng() % 400, alphabet + (k == 4 ? 3 : 0));
      auto longest = t.Encode(s, EncodeMode::kLongestMatch);
      auto rank = t.Encode(s, EncodeMode::kMergeRank);
      ASSERT_TRUE(longest.ok() && rank.ok());
      EXPECT_EQ(*longest, testing::NaiveLongest(s, t.merges())) << s;
      EXPECT_EQ(*rank, testing::NaiveRank(s, t.merges())) << s;
      EXPECT_EQ(*t.Decode(*longest), s);
      EXPECT_EQ(*t.Decode(*rank), s);
    }
  }
}

TEST(EcgByteTokenizerTest, SyntheticEcgSegments) {
  const std::vector<std::string> segments = EcgSegments(6);
  ASSERT_EQ(segments[0].size(), 12u * 2500u);
  BpeTrainerOptions o;
  o.num_merges = 400;
  auto trained = TrainBpe(segments, o);
  ASSERT_TRUE(trained.ok());
  EcgByteTokenizer t = Make(trained->merges);
  int64_t rank_tokens = 0, longest_tokens = 0;
  for (const std::string& s : segments) {
    auto rank = t.Encode(s, EncodeMode::kMergeRank);
    auto longest = t.Encode(s);
    ASSERT_TRUE(rank.ok() && longest.ok());
    EXPECT_EQ(*t.Decode(*rank), s);
    EXPECT_EQ(*t.Decode(*longest), s);
    EXPECT_EQ(*rank, testing::NaiveRank(s, t.merges()));
    rank_tokens += static_cast<int64_t>(rank->size());
    longest_tokens += static_cast<int64_t>(longest->size());
  }
  // Merge-rank encoding of the training segments reproduces the trainer's final tokenization.
  EXPECT_EQ(rank_tokens, trained->num_tokens);
  EXPECT_LT(longest_tokens, trained->num_symbols / 3);
}

TEST(EcgByteTokenizerTest, Errors) {
  EcgByteTokenizer t = Make({{'a', 'b'}});
  EXPECT_EQ(t.Encode("abc-", EncodeMode::kLongestMatch).status().message(),
            "symbol '-' (byte 45) at position 3 is not in a..z");
  EXPECT_EQ(t.Encode("Q", EncodeMode::kMergeRank).status().message(), "symbol 'Q' (byte 81) at position 0 is not in a..z");
  EXPECT_EQ(t.Decode({97, 257}).status().message(), "id 257 at position 1 is outside the vocabulary (0..256)");
  EXPECT_EQ(t.Decode({-3}).status().message(), "id -3 at position 0 is outside the vocabulary (0..256)");
  EXPECT_EQ(t.Decode({97, 10}).status().message(),
            "id 10 at position 1 is a byte token that no encoding produces (symbols are 97..122)");
  std::vector<int32_t> ids = {1};
  EXPECT_FALSE(t.EncodeAppend("a!", EncodeMode::kLongestMatch, &ids).ok());
  EXPECT_EQ(ids, std::vector<int32_t>{1});
}

}  // namespace
}  // namespace ecgbench::common::repr
