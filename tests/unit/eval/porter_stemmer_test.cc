// Tests of PorterStem: the examples of Porter's paper and the NLTK_EXTENSIONS rules, each with the
// stem NLTK 3.8's PorterStemmer().stem returns (generated with meteor_nltk_reference.py), and
// non-ASCII words, whose code points count as single consonants as in Python.
#include "common/eval/porter_stemmer.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

TEST(PorterStemmerTest, PaperExamplesMatchNltk) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"caresses", "caress"}, {"ponies", "poni"},       {"caress", "caress"},     {"cats", "cat"},
      {"feed", "feed"},       {"agreed", "agre"},       {"plastered", "plaster"}, {"bled", "bled"},
      {"motoring", "motor"},  {"sing", "sing"},         {"conflated", "conflat"}, {"troubled", "troubl"},
      {"sized", "size"},      {"hopping", "hop"},       {"tanned", "tan"},        {"falling", "fall"},
      {"hissing", "hiss"},    {"fizzed", "fizz"},       {"failing", "fail"},      {"filing", "file"},
      {"happy", "happi"},     {"relational", "relat"},  {"conditional", "condit"}, {"rational", "ration"},
      {"valenci", "valenc"},  {"hesitanci", "hesit"},   {"digitizer", "digit"},   {"conformabli", "conform"},
      {"radicalli", "radic"}, {"differentli", "differ"}, {"vileli", "vile"},      {"analogousli", "analog"},
      {"vietnamization", "vietnam"}, {"predication", "predic"}, {"operator", "oper"}, {"feudalism", "feudal"},
      {"decisiveness", "decis"}, {"hopefulness", "hope"}, {"callousness", "callous"}, {"formaliti", "formal"},
      {"sensitiviti", "sensit"}, {"sensibiliti", "sensibl"}, {"triplicate", "triplic"}, {"formative", "form"},
      {"formalize", "formal"}, {"electriciti", "electr"}, {"electrical", "electr"}, {"hopeful", "hope"},
      {"goodness", "good"},   {"revival", "reviv"},     {"allowance", "allow"},   {"inference", "infer"},
      {"airliner", "airlin"}, {"gyroscopic", "gyroscop"}, {"adjustable", "adjust"}, {"defensible", "defens"},
      {"irritant", "irrit"},  {"replacement", "replac"}, {"adjustment", "adjust"}, {"dependent", "depend"},
      {"adoption", "adopt"},  {"homologou", "homolog"}, {"communism", "commun"},  {"activate", "activ"},
      {"angulariti", "angular"}, {"homologous", "homolog"}, {"effective", "effect"}, {"bowdlerize", "bowdler"},
      {"probate", "probat"},  {"rate", "rate"},         {"cease", "ceas"},        {"controll", "control"},
      {"roll", "roll"},       {"hyperventilation", "hyperventil"}, {"erreged", "erreg"}};
  for (const auto& [word, stem] : cases) EXPECT_EQ(PorterStem(word), stem) << word;
}

TEST(PorterStemmerTest, NltkExtensions) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ties", "tie"},   {"dying", "die"},   {"died", "die"},     {"cried", "cri"},     {"skies", "sky"},
      {"sky", "sky"},    {"news", "news"},   {"innings", "inning"}, {"proceed", "proceed"}, {"enjoy", "enjoy"},
      {"spy", "spi"},    {"fly", "fli"},     {"try", "tri"},      {"generously", "gener"}, {"analogi", "analog"},
      {"archaeology", "archaeolog"}, {"a", "a"}, {"is", "is"},   {"ab", "ab"},         {"", ""}};
  for (const auto& [word, stem] : cases) EXPECT_EQ(PorterStem(word), stem) << word;
}

TEST(PorterStemmerTest, NonAsciiCodePointsAreSingleConsonants) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"caf\xC3\xA9", "caf\xC3\xA9"},                 // café
      {"na\xC3\xAFve", "na\xC3\xAFv"},                // naïve
      {"r\xC3\xA9sum\xC3\xA9s", "r\xC3\xA9sum\xC3\xA9"},  // résumés
      {"\xC3\xA4rzte", "\xC3\xA4rzte"},               // ärzte
      {"\xC3\xBC" "berh\xC3\xB6hung", "\xC3\xBC" "berh\xC3\xB6hung"},  // überhöhung
      {"b\xC3\xA4sse", "b\xC3\xA4sse"}};              // bässe
  for (const auto& [word, stem] : cases) EXPECT_EQ(PorterStem(word), stem) << word;
}

TEST(PorterStemmerTest, RunsOfYAlternateLikeNltk) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"yyyy", "yyyi"}, {"sayyy", "sayyy"}, {"yyyyying", "yyyi"}, {"toyyyed", "toyi"},
      {"yayayay", "yayayay"}, {"syzygy", "syzygi"}, {std::string(105, 'y') + "ness", std::string(105, 'y')}};
  for (const auto& [word, stem] : cases) EXPECT_EQ(PorterStem(word), stem) << word;
}

TEST(PorterStemmerTest, VeryLongWordsDoNotExhaustTheStack) {
  const std::string word = std::string(1 << 20, 'y') + "ing";
  const std::string stem = PorterStem(word);
  EXPECT_EQ(stem.size(), size_t{1} << 20);
  EXPECT_EQ(stem.back(), 'i');
}

TEST(PorterStemmerTest, ReusesTheOutputBuffer) {
  std::string out = "previous contents";
  PorterStem("running", &out);
  EXPECT_EQ(out, "run");
  PorterStem("ab", &out);
  EXPECT_EQ(out, "ab");
}

}  // namespace
}  // namespace ecgbench::common::eval
