// Cross-check of Meteor, PorterStem and WordNet against Debian's python3-nltk 3.8
// (meteor_nltk_reference.py run by /usr/bin/python3). The test builds an NLTK wordnet corpus folder
// in a temporary directory: links to Debian's WordNet 3.0 files plus the `lexnames` file NLTK's
// reader requires and Debian does not ship. On 700 generated ECG-report-like pairs (synonyms,
// inflections, case changes, drops, insertions, swaps) METEOR must agree within 1e-3 and in fact
// agrees exactly; Porter stems, synsets(word) lemma names and morphy must be equal on ~12,000
// WordNet lemmas, their inflections and their stems. Fails (naming the package) when NLTK or WordNet is missing.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/eval/meteor.h"
#include "common/eval/porter_stemmer.h"
#include "gtest/gtest.h"
#include "meteor_test_vocabulary.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::eval {
namespace {

constexpr char kWordNetDir[] = "/usr/share/wordnet";

// WordNet 3.0's lexicographer files, in file-number order (lexnames(5WN)).
constexpr const char* kLexnames[] = {
    "adj.all 3",          "adj.pert 3",         "adv.all 4",          "noun.Tops 1",      "noun.act 1",
    "noun.animal 1",      "noun.artifact 1",    "noun.attribute 1",   "noun.body 1",      "noun.cognition 1",
    "noun.communication 1", "noun.event 1",     "noun.feeling 1",     "noun.food 1",      "noun.group 1",
    "noun.location 1",    "noun.motive 1",      "noun.object 1",      "noun.person 1",    "noun.phenomenon 1",
    "noun.plant 1",       "noun.possession 1",  "noun.process 1",     "noun.quantity 1",  "noun.relation 1",
    "noun.shape 1",       "noun.state 1",       "noun.substance 1",   "noun.time 1",      "verb.body 2",
    "verb.change 2",      "verb.cognition 2",   "verb.communication 2", "verb.competition 2", "verb.consumption 2",
    "verb.contact 2",     "verb.creation 2",    "verb.emotion 2",     "verb.motion 2",    "verb.perception 2",
    "verb.possession 2",  "verb.social 2",      "verb.stative 2",     "verb.weather 2",   "adj.ppl 3"};

bool HaveNltk() {
  return std::system("/usr/bin/python3 -c 'import nltk.translate.meteor_score' >/dev/null 2>&1") == 0 &&
         std::filesystem::exists(std::string(kWordNetDir) + "/index.noun");
}

// An NLTK wordnet corpus folder: links to Debian's files plus a generated lexnames.
std::string MakeNltkCorpus() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / ("meteor_nltk_wordnet_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(kWordNetDir)) {
    fs::create_symlink(entry.path(), dir / entry.path().filename());
  }
  std::ofstream lexnames(dir / "lexnames");
  for (size_t i = 0; i < std::size(kLexnames); ++i) {
    std::istringstream fields(kLexnames[i]);
    std::string name, pos;
    fields >> name >> pos;
    lexnames << (i < 10 ? "0" : "") << i << "\t" << name << "\t" << pos << "\n";
  }
  return dir.string();
}

nlohmann::json RunReference(const std::string& corpus, const nlohmann::json& cases) {
  const std::string dir = ::testing::TempDir();
  const std::string tag = std::to_string(getpid());
  const std::string in = dir + "/meteor_cases_" + tag + ".json", out = dir + "/meteor_answers_" + tag + ".json";
  std::ofstream(in) << cases.dump();
  const std::string cmd =
      std::string("/usr/bin/python3 ") + ECGBENCH_METEOR_NLTK_REFERENCE + " " + corpus + " " + in + " > " + out;
  const bool ran = std::system(cmd.c_str()) == 0;
  nlohmann::json answers;
  if (ran) answers = nlohmann::json::parse(std::ifstream(out), nullptr, /*allow_exceptions=*/false);
  std::remove(in.c_str());
  std::remove(out.c_str());
  return ran ? answers : nullptr;
}

// Every `step`-th '_'-free lemma of Debian's index files.
std::vector<std::string> SampleLemmas(size_t step) {
  std::vector<std::string> lemmas;
  size_t k = 0;
  for (const char* pos : {"noun", "verb", "adj", "adv"}) {
    std::ifstream index(std::string(kWordNetDir) + "/index." + pos);
    std::string line;
    while (std::getline(index, line)) {
      if (line.empty() || line[0] == ' ') continue;
      const std::string lemma = line.substr(0, line.find(' '));
      if (lemma.find('_') == std::string::npos && k++ % step == 0) lemmas.push_back(lemma);
    }
  }
  return lemmas;
}

TEST(MeteorNltkTest, AgreesWithNltk) {
  if (!HaveNltk()) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs /usr/bin/python3 with NLTK (python3-nltk) and wordnet-base";
  absl::StatusOr<Meteor> meteor = Meteor::Load(kWordNetDir);
  ASSERT_TRUE(meteor.ok()) << meteor.status();

  // Words for the stemmer and WordNet checks: sampled lemmas, inflected forms, stems.
  std::vector<std::string> stem_words = SampleLemmas(24);
  const size_t n_lemmas = stem_words.size();
  for (size_t i = 0; i < n_lemmas; i += 4) {
    for (const char* suffix : {"s", "es", "ed", "ing", "er", "est", "ly", "ness", "ation", "ies"}) {
      stem_words.push_back(stem_words[i] + suffix);
    }
  }
  for (const auto& group : MeteorTestVocabulary()) {
    for (const std::string& word : group) {
      std::string lower;
      AppendLowercaseUtf8(word, &lower);
      stem_words.push_back(lower);
    }
  }
  std::set<std::string> synonym_set;
  for (size_t i = 0; i < stem_words.size(); ++i) {
    if (i % 2 == 0) synonym_set.insert(PorterStem(stem_words[i]));
    if (i % 3 == 0) synonym_set.insert(stem_words[i]);
  }
  const std::vector<std::string> synonym_words(synonym_set.begin(), synonym_set.end());
  std::vector<std::string> morphy_words;
  for (size_t i = 0; i < stem_words.size(); i += 7) morphy_words.push_back(stem_words[i]);

  // Pairs: a reference drawn from the vocabulary groups, a hypothesis edited from it.
  const std::vector<std::vector<std::string>> pairs_tokens = GenerateMeteorTestPairs(700, /*seed=*/20241125);
  nlohmann::json cases;
  cases["pairs"] = nlohmann::json::array();
  for (size_t p = 0; p + 1 < pairs_tokens.size(); p += 2) cases["pairs"].push_back({pairs_tokens[p], pairs_tokens[p + 1]});
  cases["stem_words"] = stem_words;
  cases["synonym_words"] = synonym_words;
  cases["morphy_words"] = morphy_words;

  const std::string corpus = MakeNltkCorpus();
  const nlohmann::json answers = RunReference(corpus, cases);
  std::filesystem::remove_all(corpus);
  ASSERT_TRUE(answers.is_object()) << "meteor_nltk_reference.py failed";

  // Porter stems.
  ASSERT_EQ(answers["stems"].size(), stem_words.size());
  int stem_mismatches = 0;
  for (size_t i = 0; i < stem_words.size(); ++i) {
    const std::string expected = answers["stems"][i].get<std::string>();
    if (PorterStem(stem_words[i]) != expected && ++stem_mismatches <= 10) {
      ADD_FAILURE() << "stem of '" << stem_words[i] << "': " << PorterStem(stem_words[i]) << " vs NLTK " << expected;
    }
  }
  EXPECT_EQ(stem_mismatches, 0) << "of " << stem_words.size() << " words";

  // synsets(word) lemma names.
  const WordNet& wordnet = meteor->wordnet();
  ASSERT_EQ(answers["synonyms"].size(), synonym_words.size());
  int synonym_mismatches = 0;
  for (size_t i = 0; i < synonym_words.size(); ++i) {
    const auto expected = answers["synonyms"][i].get<std::vector<std::string>>();
    if (wordnet.SynonymNames(synonym_words[i]) != expected && ++synonym_mismatches <= 10) {
      ADD_FAILURE() << "synonyms of '" << synonym_words[i] << "' differ from NLTK";
    }
  }
  EXPECT_EQ(synonym_mismatches, 0) << "of " << synonym_words.size() << " words";

  // morphy per part of speech.
  ASSERT_EQ(answers["morphy"].size(), morphy_words.size());
  int morphy_mismatches = 0;
  for (size_t i = 0; i < morphy_words.size(); ++i) {
    for (int pos = 0; pos < WordNet::kNumPos; ++pos) {
      const auto expected = answers["morphy"][i][pos].get<std::vector<std::string>>();
      if (wordnet.Morphy(morphy_words[i], static_cast<WordNet::Pos>(pos)) != expected && ++morphy_mismatches <= 10) {
        ADD_FAILURE() << "morphy of '" << morphy_words[i] << "' pos " << pos << " differs from NLTK";
      }
    }
  }
  EXPECT_EQ(morphy_mismatches, 0) << "of " << morphy_words.size() << " words";

  // METEOR.
  const size_t n_pairs = cases["pairs"].size();
  ASSERT_GE(n_pairs, 500u);
  ASSERT_EQ(answers["meteor"].size(), n_pairs);
  double max_diff = 0;
  size_t exact = 0, nonzero = 0;
  for (size_t p = 0; p < n_pairs; ++p) {
    const std::vector<std::string>& ref = pairs_tokens[2 * p];
    const std::vector<std::string>& hyp = pairs_tokens[2 * p + 1];
    const std::vector<std::string_view> ref_views(ref.begin(), ref.end()), hyp_views(hyp.begin(), hyp.end());
    const double ours = meteor->Score(ref_views, hyp_views);
    const double nltk = answers["meteor"][p].get<double>();
    max_diff = std::max(max_diff, std::abs(ours - nltk));
    exact += ours == nltk;
    nonzero += nltk > 0;
    EXPECT_NEAR(ours, nltk, 1e-3) << "pair " << p;
  }
  EXPECT_EQ(exact, n_pairs) << "max |difference| " << max_diff;
  EXPECT_GT(nonzero, n_pairs * 3 / 4);  // the pairs exercise the alignment, not just the zero cases
  size_t changed_by_synonyms = 0;  // pairs whose NLTK score the WordNet stage changes
  for (size_t p = 0; p < n_pairs; ++p) {
    changed_by_synonyms += answers["meteor"][p].get<double>() != answers["meteor_no_synonyms"][p].get<double>();
  }
  EXPECT_GE(changed_by_synonyms, 100u);
  std::printf("METEOR vs NLTK: %zu pairs, %zu exact, max |difference| %.3g, %zu changed by synonyms; %zu stems, "
              "%zu synonym sets, %zu morphy words\n",
              n_pairs, exact, max_diff, changed_by_synonyms, stem_words.size(), synonym_words.size(), morphy_words.size());
}

}  // namespace
}  // namespace ecgbench::common::eval
