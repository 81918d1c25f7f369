// Tests of WordNet: errors naming file:line on malformed databases (small generated ones), and on
// Debian's WordNet 3.0 (/usr/share/wordnet, package wordnet-base) morphy and synsets(word) lemma
// names equal to what NLTK 3.8 returns (generated with meteor_nltk_reference.py).
#include "common/eval/wordnet.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/util/files.h"
#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

constexpr char kDebianWordNet[] = "/usr/share/wordnet";

const WordNet* DebianWordNet() {
  static const WordNet* const wordnet = [] {
    absl::StatusOr<WordNet> loaded = WordNet::Load(kDebianWordNet);
    return loaded.ok() ? new WordNet(*std::move(loaded)) : nullptr;
  }();
  return wordnet;
}

// A database with one noun synset "dog"/"domestic_dog"/"Canis(a)", nothing else; `data_noun` and
// `index_noun` replace the generated files when not empty.
// Lives in a per-process temporary folder, removed by ~SmallWordNet.
struct SmallWordNet {
  ~SmallWordNet() { std::filesystem::remove_all(dir); }
  std::string dir;
};

SmallWordNet MakeSmallWordNet(const std::string& name, const std::string& data_noun = "",
                              const std::string& index_noun = "") {
  const std::string dir = ::testing::TempDir() + "/" + name + "_" + std::to_string(getpid());
  EXPECT_TRUE(MakeDirs(dir).ok());
  const std::string header = "  1 A license line.\n";
  char offset[16];
  std::snprintf(offset, sizeof(offset), "%08zu", header.size());
  const std::string data = header + offset + " 05 n 03 dog 0 domestic_dog 0 Canis(a) 0 000 | a dog\n";
  const std::string index = std::string("dog n 1 0 1 0 ") + offset + "\n";
  for (const char* pos : {"noun", "verb", "adj", "adv"}) {
    const bool noun = std::string(pos) == "noun";
    std::ofstream(dir + "/data." + pos) << (noun ? (data_noun.empty() ? data : data_noun) : header);
    std::ofstream(dir + "/index." + pos) << (noun ? (index_noun.empty() ? index : index_noun) : "");
    std::ofstream(dir + "/" + pos + ".exc") << (noun ? "dogz dog\n" : "");
  }
  return SmallWordNet{dir};
}

TEST(WordNetTest, LoadsSmallDatabase) {
  const SmallWordNet small = MakeSmallWordNet("wordnet_small");
  absl::StatusOr<WordNet> wordnet = WordNet::Load(small.dir);
  ASSERT_TRUE(wordnet.ok()) << wordnet.status();
  EXPECT_EQ(wordnet->num_synsets(), 1u);
  EXPECT_EQ(wordnet->SynonymNames("dog"), (std::vector<std::string>{"Canis", "dog"}));
  EXPECT_EQ(wordnet->SynonymNames("dogs"), (std::vector<std::string>{"Canis", "dog"}));
  EXPECT_EQ(wordnet->SynonymNames("dogz"), (std::vector<std::string>{"Canis", "dog"}));  // exception list
  EXPECT_EQ(wordnet->NameId("domestic_dog"), -1);  // multi-word lemmas are not synonyms for METEOR
  EXPECT_GE(wordnet->NameId("Canis"), 0);
  EXPECT_EQ(wordnet->NameId("canis"), -1);  // names compare case-sensitively, as in NLTK
}

TEST(WordNetTest, MissingDirectoryIsNotFoundNamingTheFile) {
  absl::StatusOr<WordNet> wordnet = WordNet::Load("/nonexistent/wordnet");
  ASSERT_FALSE(wordnet.ok());
  EXPECT_EQ(wordnet.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(wordnet.status().message().find("/nonexistent/wordnet/data.noun"), std::string::npos)
      << wordnet.status();
}

TEST(WordNetTest, WrongSynsetOffsetNamesFileAndLine) {
  const SmallWordNet small = MakeSmallWordNet("wordnet_bad_offset", "  1 A license line.\n00000005 05 n 01 dog 0 000 | x\n");
  absl::StatusOr<WordNet> wordnet = WordNet::Load(small.dir);
  ASSERT_FALSE(wordnet.ok());
  EXPECT_EQ(wordnet.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(wordnet.status().message(), small.dir + "/data.noun:2: synset offset 5 is not the line's byte offset 20");
}

TEST(WordNetTest, ShortWordListNamesFileAndLine) {
  const SmallWordNet small = MakeSmallWordNet("wordnet_short_words", "00000000 05 n 03 dog 0\n");
  absl::StatusOr<WordNet> wordnet = WordNet::Load(small.dir);
  ASSERT_FALSE(wordnet.ok());
  EXPECT_EQ(wordnet.status().message(), small.dir + "/data.noun:1: fewer words than the word count");
}

TEST(WordNetTest, IndexOffsetWithoutSynsetNamesFileAndLine) {
  const SmallWordNet small = MakeSmallWordNet("wordnet_bad_index", "", "dog n 1 0 1 0 00000020\ncat n 1 0 1 0 00000999\n");
  absl::StatusOr<WordNet> wordnet = WordNet::Load(small.dir);
  ASSERT_FALSE(wordnet.ok());
  EXPECT_EQ(wordnet.status().message(), small.dir + "/index.noun:2: no synset at offset 999 in " + small.dir + "/data.noun");
}

TEST(WordNetTest, IndexCountMismatchNamesFileAndLine) {
  const SmallWordNet small = MakeSmallWordNet("wordnet_bad_count", "", "dog n 1 0 2 0 00000020\n");
  absl::StatusOr<WordNet> wordnet = WordNet::Load(small.dir);
  ASSERT_FALSE(wordnet.ok());
  EXPECT_EQ(wordnet.status().message(), small.dir + "/index.noun:1: sense count differs from the synset count");
}

TEST(WordNetTest, MorphyMatchesNltk) {
  const WordNet* wn = DebianWordNet();
  if (wn == nullptr) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs WordNet 3.0 under /usr/share/wordnet (package wordnet-base)";
  using V = std::vector<std::string>;
  EXPECT_EQ(wn->Morphy("dogs", WordNet::kNoun), V{"dog"});
  EXPECT_EQ(wn->Morphy("churches", WordNet::kVerb), V{"church"});
  EXPECT_EQ(wn->Morphy("aardwolves", WordNet::kNoun), V{"aardwolf"});
  EXPECT_EQ(wn->Morphy("abaci", WordNet::kNoun), V{"abacus"});
  EXPECT_EQ(wn->Morphy("hardrock", WordNet::kAdv), V{});
  EXPECT_EQ(wn->Morphy("book", WordNet::kAdj), V{});
  EXPECT_EQ(wn->Morphy("better", WordNet::kAdj), (V{"better", "good", "well"}));
  EXPECT_EQ(wn->Morphy("running", WordNet::kVerb), V{"run"});
  EXPECT_EQ(wn->Morphy("ran", WordNet::kVerb), V{"run"});
  EXPECT_EQ(wn->Morphy("flies", WordNet::kNoun), (V{"flies", "fly"}));
  EXPECT_EQ(wn->Morphy("men", WordNet::kNoun), (V{"men", "man"}));
  EXPECT_EQ(wn->Morphy("axes", WordNet::kNoun), (V{"ax", "axis"}));
  EXPECT_EQ(wn->Morphy("axes", WordNet::kVerb), (V{"axe", "ax"}));
  EXPECT_EQ(wn->Morphy("quickest", WordNet::kAdj), V{"quick"});
}

TEST(WordNetTest, SynsetLemmaNamesMatchNltk) {
  const WordNet* wn = DebianWordNet();
  if (wn == nullptr) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs WordNet 3.0 under /usr/share/wordnet (package wordnet-base)";
  using V = std::vector<std::string>;
  EXPECT_EQ(wn->num_synsets(), 117659u);
  EXPECT_EQ(wn->SynonymNames("ecg"), (V{"ECG", "EKG", "cardiogram", "electrocardiogram"}));
  EXPECT_EQ(wn->SynonymNames("rhythm"), (V{"beat", "cycle", "rhythm", "round"}));
  EXPECT_EQ(wn->SynonymNames("abaci"), V{"abacus"});
  EXPECT_EQ(wn->SynonymNames("larg"), V{});
  EXPECT_EQ(wn->SynonymNames("quick"),
            (V{"agile", "fast", "flying", "immediate", "nimble", "prompt", "promptly", "quick", "quickly", "ready",
               "speedy", "spry", "straightaway", "warm"}));
  const V best = wn->SynonymNames("best");
  EXPECT_EQ(best.size(), 44u);
  EXPECT_EQ(best.front(), "Best");  // capitalised names stay as in the data files
}

}  // namespace
}  // namespace ecgbench::common::eval
