// WordPiece (BERT) tokenizer: a small hand-written vocabulary whose expected ids are derived by hand
// from the rules of HF tokenizers' BertTokenizerFast (BertNormalizer, BertPreTokenizer, WordPiece,
// TemplateProcessing, WordPiece decoder); each expectation says why. No Python tokenizers library is
// available here, so there is no live comparison.
#include "common/text/tokenizers/wordpiece.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/text/tokenizer.h"
#include "common/text/tokenizers/unicode.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::text {
namespace {

using nlohmann::json;
using Ids = std::vector<int32_t>;

// The vocabulary, id = index.
const std::vector<std::string>& Vocab() {
  static const std::vector<std::string> v = {
      "[PAD]",  "[UNK]", "[CLS]",    "[SEP]",  "[MASK]",  // 0-4
      "the",    "cat",   "sat",      "un",     "##aff",   // 5-9
      "##able", "##s",   ".",        ",",      "!",       // 10-14
      "'",      "cafe",  "\u4e2d",   "\u56fd", "a",       // 15-19: 中 国
      "##a",    "i",     "##\u0307", "rhythm", "sinus",   // 20-24: ##(combining dot above)
      "-",      "caf",   "$",        "ecg",    "hello"};  // 25-29
  return v;
}

json Special(int id, const std::string& content) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

// tokenizer.json as transformers writes it for a BertTokenizerFast.
json BertJson(json normalizer) {
  json vocab = json::object();
  for (size_t i = 0; i < Vocab().size(); ++i) vocab[Vocab()[i]] = i;
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens",
           {Special(0, "[PAD]"), Special(1, "[UNK]"), Special(2, "[CLS]"), Special(3, "[SEP]"), Special(4, "[MASK]")}},
          {"normalizer", normalizer},
          {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
          {"post_processor",
           {{"type", "TemplateProcessing"},
            {"single",
             {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
              {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
            {"pair", json::array()},
            {"special_tokens",
             {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
              {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}}}}},
          {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
          {"model",
           {{"type", "WordPiece"},
            {"unk_token", "[UNK]"},
            {"continuing_subword_prefix", "##"},
            {"max_input_chars_per_word", 100},
            {"vocab", vocab}}}};
}

json Normalizer(json strip_accents = nullptr, bool lowercase = true, bool chinese = true) {
  return {{"type", "BertNormalizer"},
          {"clean_text", true},
          {"handle_chinese_chars", chinese},
          {"strip_accents", strip_accents},
          {"lowercase", lowercase}};
}

std::unique_ptr<WordPieceTokenizer> Make(const json& j) {
  auto spec = ParseWordPieceTokenizerJson(j.dump(), "tokenizer.json");
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return nullptr;
  auto t = WordPieceTokenizer::Create(*std::move(spec));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : nullptr;
}

Ids Enc(const Tokenizer& t, const std::string& text) {
  auto ids = t.Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.ok() ? *ids : Ids{};
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(WordPieceTest, NfdAndCharacterClasses) {
  std::string out;
  AppendNfd("caf\u00e9", &out);  // é -> e + U+0301
  EXPECT_EQ(out, "cafe\u0301");
  out.clear();
  AppendNfd("a\u0301\u0323", &out);  // canonical order: U+0323 (ccc 220) before U+0301 (ccc 230)
  EXPECT_EQ(out, "a\u0323\u0301");
  out.clear();
  AppendNfd("\ud55c", &out);  // Hangul syllable 한 -> three jamo
  EXPECT_EQ(out, "\u1112\u1161\u11ab");
  EXPECT_TRUE(IsBertPunctuation('~'));
  EXPECT_TRUE(IsBertPunctuation(0x00BF));   // ¿ (Po)
  EXPECT_FALSE(IsBertPunctuation(0x00B0));  // ° (So)
  EXPECT_TRUE(IsBertControl(0x200B));       // Cf
  EXPECT_TRUE(IsBertControl(0x0378));       // Cn (unassigned)
  EXPECT_FALSE(IsBertControl('\n'));
  EXPECT_TRUE(IsChineseChar(0x4E00));
  EXPECT_FALSE(IsChineseChar(0x3042));  // Hiragana
  out.clear();
  AppendLowercase(0x0130, &out);
  EXPECT_EQ(out, "i\u0307");
  out.clear();
  BertNormalize({}, "\u00c9t\u00c9 \u4e2d", &out);
  EXPECT_EQ(out, "ete  \u4e2d ");
}

TEST(WordPieceTest, LowercaseAndSubwords) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // "the cats sat ." -> "cats" has no token: longest prefix "cat" (6), then "##s" (11).
  EXPECT_EQ(Enc(*t, "The CATS sat."), (Ids{5, 6, 11, 7, 12}));
  // Greedy longest-prefix: "un" (8), "##aff" (9), "##able" (10).
  EXPECT_EQ(Enc(*t, "UnAffable"), (Ids{8, 9, 10}));
  EXPECT_EQ(Enc(*t, ""), Ids{});
}

TEST(WordPieceTest, Accents) {
  // strip_accents null follows lowercase (true): NFD "Cafe\u0301", the Mn mark dropped, "cafe" (16);
  // precomposed and decomposed input give the same.
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Enc(*t, "Caf\u00e9"), Ids{16});
  EXPECT_EQ(Enc(*t, "Cafe\u0301"), Ids{16});
  // lowercase false, strip_accents null -> no stripping: "café" is no token; "caf" (26) matches but
  // "##é" does not, so the whole word is [UNK].
  auto cased = Make(BertJson(Normalizer(nullptr, false)));
  ASSERT_NE(cased, nullptr);
  EXPECT_EQ(Enc(*cased, "caf\u00e9"), Ids{1});
  // strip_accents true without lowercasing: "café" -> "cafe".
  auto strip = Make(BertJson(Normalizer(true, false)));
  ASSERT_NE(strip, nullptr);
  EXPECT_EQ(Enc(*strip, "caf\u00e9"), Ids{16});
  // Order: accents are stripped before lowercasing. U+0130 (İ): NFD "I\u0307", mark dropped, "i" (21).
  EXPECT_EQ(Enc(*t, "\u0130"), Ids{21});
  // Without stripping, the full lowercase mapping of U+0130 is "i\u0307": "i" (21) "##\u0307" (22).
  auto keep = Make(BertJson(Normalizer(false, true)));
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ(Enc(*keep, "\u0130"), (Ids{21, 22}));
}

TEST(WordPieceTest, ChineseCharacters) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // Each CJK ideograph is padded with spaces: " 中  国 cat" -> 17, 18, 6.
  EXPECT_EQ(Enc(*t, "\u4e2d\u56fdcat"), (Ids{17, 18, 6}));
  // Hiragana is not in the CJK blocks: "あcat" stays one word with no matching prefix -> [UNK].
  EXPECT_EQ(Enc(*t, "\u3042cat"), Ids{1});
  // handle_chinese_chars false: "中国cat" is one word; "中" matches but "##国cat" has no prefix -> [UNK].
  auto off = Make(BertJson(Normalizer(nullptr, true, false)));
  ASSERT_NE(off, nullptr);
  EXPECT_EQ(Enc(*off, "\u4e2d\u56fdcat"), Ids{1});
}

TEST(WordPieceTest, Punctuation) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // Every punctuation character is its own word: cat , sat !
  EXPECT_EQ(Enc(*t, "cat,sat!"), (Ids{6, 13, 7, 14}));
  // "$" is ASCII punctuation for Rust (not a P* category): a $ a.
  EXPECT_EQ(Enc(*t, "a$a"), (Ids{19, 27, 19}));
  // U+2014 (em dash, Pd) is isolated too; it has no token -> [UNK] between cat and sat.
  EXPECT_EQ(Enc(*t, "cat\u2014sat"), (Ids{6, 1, 7}));
  // U+00B0 (degree, So) is not punctuation: "a°" is one word, "##°" unknown -> [UNK].
  EXPECT_EQ(Enc(*t, "a\u00b0"), Ids{1});
  // "sinus-rhythm": 24 25 23.
  EXPECT_EQ(Enc(*t, "Sinus-Rhythm"), (Ids{24, 25, 23}));
}

TEST(WordPieceTest, WhitespaceAndControlCharacters) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // Runs of spaces, tabs, newlines and U+3000 (ideographic space) only separate words.
  EXPECT_EQ(Enc(*t, "  the\t\n cat \u3000 sat  "), (Ids{5, 6, 7}));
  // clean_text drops NUL, U+FFFD and C* characters (U+200B zero width space and U+00AD soft hyphen
  // are Cf): "cat" (6).
  EXPECT_EQ(Enc(*t, std::string("c\0a\u200bt\u00ad\ufffd", 12)), Ids{6});
  // U+000B is Cc (dropped, not a separator) although it is White_Space: "cat".
  EXPECT_EQ(Enc(*t, "ca\vt"), Ids{6});
}

TEST(WordPieceTest, UnknownAndLongWords) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Enc(*t, "dog"), Ids{1});
  // "cathedral": "cat" matches but "##hedral" has no prefix, so the whole word is one [UNK].
  EXPECT_EQ(Enc(*t, "the cathedral"), (Ids{5, 1}));
  // 100 characters: "a" then 99 x "##a"; 101 characters exceed max_input_chars_per_word -> [UNK].
  Ids hundred(100, 20);
  hundred[0] = 19;
  EXPECT_EQ(Enc(*t, std::string(100, 'a')), hundred);
  EXPECT_EQ(Enc(*t, std::string(101, 'a')), Ids{1});
  // The limit counts code points of the normalized word: 100 x "á" -> 100 x "a" after stripping.
  std::string accented;
  for (int i = 0; i < 100; ++i) accented += "\u00e1";
  EXPECT_EQ(Enc(*t, accented), hundred);
}

TEST(WordPieceTest, SpecialTokensAndTruncation) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // Special tokens are matched whole in the raw text; "[cls]" is not one: [ cls ] -> 3 x [UNK].
  EXPECT_EQ(Enc(*t, "[CLS] the[SEP]"), (Ids{2, 5, 3}));
  EXPECT_EQ(Enc(*t, "[cls]"), (Ids{1, 1, 1}));
  auto ids = t->EncodeForModel("the cat sat", 64);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (Ids{2, 5, 6, 7, 3}));
  // max_length counts the two special tokens: 4 keeps two text tokens.
  EXPECT_EQ(*t->EncodeForModel("the cat sat", 4), (Ids{2, 5, 6, 3}));
  EXPECT_EQ(*t->EncodeForModel("the cat sat", 2), (Ids{2, 3}));
  EXPECT_EQ(t->EncodeForModel("the", 1).status().message(),
            "max_length 1 is below the 2 special tokens the post-processor adds");
  EXPECT_EQ(t->Encode("a\xff").status().message(), "invalid UTF-8 at byte 1");
  EXPECT_EQ(t->pad_id(), 0);
  EXPECT_EQ(t->vocab_size(), 30);
}

TEST(WordPieceTest, BertProcessing) {
  json j = BertJson(Normalizer());
  j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}};
  auto t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(*t->EncodeForModel("cat", 8), (Ids{2, 6, 3}));
}

TEST(WordPieceTest, Decode) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // "##" pieces glue to the previous token; cleanup removes the space before "." and ",".
  EXPECT_EQ(*t->Decode({2, 5, 6, 11, 13, 8, 9, 10, 12, 3}), "[CLS] the cats, unaffable. [SEP]");
  // Skipped special tokens do not count as the first token.
  EXPECT_EQ(*t->Decode({2, 5, 6, 11, 12, 3}, /*skip_special=*/true), "the cats.");
  EXPECT_EQ(t->Decode({5, 99}).status().message(), "id 99 at position 1 is not in the vocabulary (size 30)");
}

TEST(WordPieceTest, AddTokens) {
  auto t = Make(BertJson(Normalizer()));
  ASSERT_NE(t, nullptr);
  // A non-special added token is matched after normalization ("<Sig>" -> "<sig>"), a special one raw.
  EXPECT_EQ(t->AddTokens({"<Sig>"}, false), Ids{30});
  EXPECT_EQ(t->AddTokens({"<ECG>", "cat"}, true), (Ids{31, 6}));
  EXPECT_EQ(Enc(*t, "the <SIG>cat<ECG>"), (Ids{5, 30, 6, 31}));
  EXPECT_EQ(Enc(*t, "<ecg>"), (Ids{1, 28, 1}));  // < ecg > (the special token is case-sensitive)
  EXPECT_EQ(t->vocab_size(), 32);
}

TEST(WordPieceTest, ModelTypeProbe) {
  EXPECT_EQ(TokenizerJsonModelType(BertJson(Normalizer()).dump()), "WordPiece");
  // "type" keys of other sections do not count; stops at the model's.
  EXPECT_EQ(
      TokenizerJsonModelType(R"({"normalizer": {"type": "NFC"}, "model": {"vocab": {"type": 1}, "type": "BPE"}})"),
      "BPE");
  EXPECT_EQ(TokenizerJsonModelType(R"({"model": {"vocab": {}}})"), std::nullopt);
  EXPECT_EQ(TokenizerJsonModelType("[1, 2]"), std::nullopt);
  EXPECT_EQ(TokenizerJsonModelType("{\"model\": {\"type\": \"WordPiece\""), "WordPiece");  // truncated after the field
}

TEST(WordPieceTest, Errors) {
  json j = BertJson(Normalizer());
  j["normalizer"] = {{"type", "NFC"}};
  EXPECT_EQ(ParseWordPieceTokenizerJson(j.dump(), "tok.json").status().message(),
            "tok.json: field \"normalizer.type\": NFC is not supported (BertNormalizer or null)");
  j = BertJson(Normalizer());
  j["model"]["unk_token"] = "<unk>";
  auto spec = ParseWordPieceTokenizerJson(j.dump(), "tok.json");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(WordPieceTokenizer::Create(*spec).status().message(),
            "tok.json: field \"model.unk_token\": \"<unk>\" is not in the vocabulary");
  j = BertJson(Normalizer());
  j["post_processor"]["single"][0]["SpecialToken"]["id"] = "<s>";
  EXPECT_EQ(ParseWordPieceTokenizerJson(j.dump(), "tok.json").status().message(),
            "tok.json: field \"post_processor.single[0].SpecialToken.id\": special token \"<s>\" is not in "
            "post_processor.special_tokens");
  j = BertJson(Normalizer());
  j["model"]["vocab"]["dog"] = 1000;
  spec = ParseWordPieceTokenizerJson(j.dump(), "tok.json");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(WordPieceTokenizer::Create(*spec).status().message(),
            "tok.json: field \"model.vocab\": token \"dog\" has id 1000, outside [0, 31) (ids must be dense)");
  EXPECT_EQ(ParseBertVocabTxt("[UNK]\n[CLS]\n[SEP]\n[CLS]\n", "v.txt", "", "c.json").status().message(),
            "v.txt:4: token \"[CLS]\" already on line 2");
  EXPECT_EQ(ParseBertVocabTxt("[UNK]\n[CLS]\n", "v.txt", "", "c.json").status().message(),
            "v.txt: sep_token \"[SEP]\" is not in the vocabulary");
  EXPECT_EQ(
      ParseBertVocabTxt("[UNK]\n[CLS]\n[SEP]\n", "v.txt", R"({"do_lower_case": "yes"})", "c.json").status().message(),
      "c.json: field \"do_lower_case\": expected true or false");
}

TEST(WordPieceTest, LoadTokenizerDispatchAndVocabTxt) {
  test_support::TempDir dir;
  { std::ofstream(dir / "tokenizer.json") << BertJson(Normalizer()).dump(); }
  auto from_json = LoadTokenizer(dir.path());
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_EQ(Enc(**from_json, "The CATS sat."), (Ids{5, 6, 11, 7, 12}));
  // vocab.txt + tokenizer_config.json written by the tokenizer, read back through LoadTokenizer.
  auto t = Make(BertJson(Normalizer(nullptr, false)));
  ASSERT_NE(t, nullptr);
  test_support::TempDir txt;
  {
    std::ofstream(txt / "vocab.txt") << *t->VocabTxt();
    std::ofstream(txt / "tokenizer_config.json") << *t->TokenizerConfigJson();
  }
  EXPECT_EQ(Read(txt / "vocab.txt").substr(0, 32), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nt");
  auto loaded = LoadWordPieceTokenizer(txt.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // do_lower_case false survives: "The" is [UNK], "cat" is 6.
  EXPECT_EQ(*(*loaded)->EncodeForModel("The cat", 16), (Ids{2, 1, 6, 3}));
  auto generic = LoadTokenizer(txt / "vocab.txt");
  ASSERT_TRUE(generic.ok()) << generic.status();
  EXPECT_EQ(Enc(**generic, "[MASK] cat"), (Ids{4, 6}));
  // Without tokenizer_config.json: BertTokenizer's defaults (lowercase, strip accents).
  std::filesystem::remove(txt / "tokenizer_config.json");
  auto defaults = LoadTokenizer(txt.path());
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(Enc(**defaults, "The Caf\u00e9"), (Ids{5, 16}));
  test_support::TempDir empty;
  EXPECT_EQ(LoadWordPieceTokenizer(empty.path()).status().message(),
            empty.path() + ": no tokenizer.json, nor vocab.txt, in this directory");
}

}  // namespace
}  // namespace ecgbench::common::text
