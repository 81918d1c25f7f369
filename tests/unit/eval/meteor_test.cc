// Tests of Meteor on Debian's WordNet 3.0: scores equal (bit for bit) to NLTK 3.8's meteor_score on
// its documentation example and small cases for each alignment stage (values printed by
// meteor_nltk_reference.py), the zero cases, and Python-compatible lowercasing.
#include "common/eval/meteor.h"

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ecgbench::common::eval {
namespace {

using Tokens = std::vector<std::string_view>;

const Meteor* DebianMeteor() {
  static const Meteor* const meteor = [] {
    absl::StatusOr<Meteor> loaded = Meteor::Load("/usr/share/wordnet");
    return loaded.ok() ? new Meteor(*std::move(loaded)) : nullptr;
  }();
  return meteor;
}

#define REQUIRE_WORDNET()                                                                   \
  const Meteor* meteor = DebianMeteor();                                                    \
  if (meteor == nullptr) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs WordNet 3.0 under /usr/share/wordnet (wordnet-base)"

TEST(MeteorTest, NltkDocumentationExample) {
  REQUIRE_WORDNET();
  const Tokens reference = {"It", "is", "a", "guide", "to", "action", "that", "ensures", "that", "the", "military",
                            "will", "forever", "heed", "Party", "commands"};
  const Tokens hypothesis = {"It", "is", "a", "guide", "to", "action", "which", "ensures", "that", "the",
                             "military", "always", "obeys", "the", "commands", "of", "the", "party"};
  EXPECT_EQ(meteor->Score(reference, hypothesis), 0.6944444444444445);
}

TEST(MeteorTest, StemAndSynonymStages) {
  REQUIRE_WORDNET();
  // "rhythms" matches by stem.
  EXPECT_EQ(meteor->Score({"sinus", "rhythm", "normal", "ecg"}, {"Sinus", "rhythms", "within", "normal", "limits"}),
            0.6233062330623306);
  // "large" matches "big" through WordNet.
  EXPECT_EQ(meteor->Score({"the", "heart", "is", "big"}, {"a", "large", "heart"}), 0.12820512820512822);
  // Same words, two chunks.
  EXPECT_EQ(meteor->Score({"the", "cat", "sat", "on", "the", "mat"}, {"on", "the", "mat", "the", "cat", "sat"}),
            0.7106481481481481);
}

TEST(MeteorTest, ZeroWhenEmptyOrNoMatch) {
  REQUIRE_WORDNET();
  EXPECT_EQ(meteor->Score({}, {"a"}), 0.0);
  EXPECT_EQ(meteor->Score({"a"}, {}), 0.0);
  EXPECT_EQ(meteor->Score({}, {}), 0.0);
  EXPECT_EQ(meteor->Score({"x"}, {"y"}), 0.0);
}

TEST(MeteorTest, IdenticalSingleWordScoresFmeanLessPenalty) {
  REQUIRE_WORDNET();
  // P = R = 1, Fmean = 1, one chunk over one match: penalty 0.5.
  EXPECT_EQ(meteor->Score({"Normal"}, {"normal"}), 0.5);
}

TEST(MeteorTest, PathologicalTokensFinishQuickly) {
  REQUIRE_WORDNET();
  std::string eses = "dog";
  for (int k = 0; k < 2000; ++k) eses += "es";
  const std::string invalid_utf8 = "\xFF\xC3(\xE2\x82";
  EXPECT_EQ(meteor->Score({"dog", "barks"}, {eses, invalid_utf8}), 0.0);
  EXPECT_EQ(meteor->Score({invalid_utf8}, {invalid_utf8}), 0.5);
}

TEST(MeteorTest, ScoreMultiTakesTheBestReference) {
  REQUIRE_WORDNET();
  const Tokens hypothesis = {"a", "large", "heart"};
  EXPECT_EQ(meteor->ScoreMulti({{"the", "heart", "is", "big"}, {"x"}}, hypothesis), 0.12820512820512822);
  EXPECT_EQ(meteor->ScoreMulti({}, hypothesis), 0.0);
}

TEST(MeteorTest, ConcurrentScoresAreIdentical) {
  REQUIRE_WORDNET();
  std::vector<double> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        results[t] = meteor->Score({"the", "heart", "is", "big"}, {"a", "large", "heart"});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (double r : results) EXPECT_EQ(r, 0.12820512820512822);
}

TEST(LowercaseUtf8Test, MatchesPythonLower) {
  auto lower = [](std::string_view text) {
    std::string out;
    AppendLowercaseUtf8(text, &out);
    return out;
  };
  EXPECT_EQ(lower("Sinus RHYTHM"), "sinus rhythm");
  EXPECT_EQ(lower("\xC3\x84RZTE \xC3\x9C" "BER"), "\xC3\xA4rzte \xC3\xBC" "ber");  // ÄRZTE ÜBER
  EXPECT_EQ(lower("\xC3\x97"), "\xC3\x97");                                 // × has no lowercase
  EXPECT_EQ(lower("\xC5\x81\xC3\x93" "D" "\xC5\xB9"), "\xC5\x82\xC3\xB3" "d" "\xC5\xBA");  // ŁÓDŹ -> łódź
  EXPECT_EQ(lower("\xC4\xB0"), "i\xCC\x87");                                // İ -> i + U+0307
  EXPECT_EQ(lower("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"), "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");  // ΟΔΟΣ -> οδος
  EXPECT_EQ(lower("\xD0\x9F\xD0\x81"), "\xD0\xBF\xD1\x91");                 // ПЁ -> пё
  EXPECT_EQ(lower("\xE2\x82\xAC 5"), "\xE2\x82\xAC 5");                     // € unchanged
}

}  // namespace
}  // namespace ecgbench::common::eval
