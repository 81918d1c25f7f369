// Cross-check of BLEU and ROUGE against Debian's python3-nltk 3.8 and the `rouge` 1.0.1 reference
// (nltk_reference.py, rouge_reference.py, run by /usr/bin/python3) on 1,000 generated pairs:
// corpus_bleu, sentence_bleu (BLEU-4) and upstream's effective-order sentence BLEU within 1e-9 of
// NLTK, ROUGE-1/2/L F, P, R per pair and the averaged F-scores within 1e-12. Fails (naming the
// package) when NLTK is missing: scripts/install-deps.sh installs it.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/eval/bleu.h"
#include "common/eval/rouge.h"
#include "common/eval/scorer.h"
#include "common/eval/text_normalize.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/eval/generated_pairs.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::common::eval {
namespace {

constexpr int kPairs = 1000;

bool HaveNltk() { return std::system("/usr/bin/python3 -c 'import nltk.translate.bleu_score' >/dev/null 2>&1") == 0; }

TEST(NltkCrossCheckTest, BleuAndRougeMatchTheReferences) {
  if (!HaveNltk()) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs /usr/bin/python3 with NLTK (python3-nltk)";
  const auto pairs = testing::GeneratePairs(kPairs, 7);
  test_support::TempDir dir;
  {
    std::ofstream f(dir / "pairs.jsonl");
    for (const auto& [ref, hyp] : pairs) f << nlohmann::json{{"reference", ref}, {"prediction", hyp}}.dump() << "\n";
  }
  const std::string cmd = std::string("/usr/bin/python3 ") + ECGBENCH_NLTK_REFERENCE + " " + (dir / "pairs.jsonl") +
                          " " + (dir / "expected.json");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir / "expected.json");
  const nlohmann::json expected = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(expected.is_object());
  ASSERT_EQ(expected["sentence_bleu"].size(), pairs.size());

  NgramCounter counter;
  RougeScorer rouge;
  std::vector<std::string_view> ref_tokens, hyp_tokens;
  BleuStats corpus;
  double max_bleu_diff = 0.0, max_rouge_diff = 0.0;
  int nonzero_bleu = 0, short_pairs = 0;
  std::vector<Prediction> predictions;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string_view ref = StripPython(pairs[i].first);
    const std::string_view hyp = StripPython(pairs[i].second);
    ref_tokens.clear();
    hyp_tokens.clear();
    SplitPython(ref, &ref_tokens);
    SplitPython(hyp, &hyp_tokens);
    counter.Count(ref_tokens, hyp_tokens, kMaxBleuOrder);
    const BleuStats stats = StatsFromCounter(counter, kMaxBleuOrder);
    corpus.Add(stats);
    const double sentence = BleuFromStats(stats, kMaxBleuOrder);
    const double effective = EffectiveOrderSentenceBleu(stats);
    EXPECT_NEAR(sentence, expected["sentence_bleu"][i].get<double>(), 1e-9) << "pair " << i;
    EXPECT_NEAR(effective, expected["effective_bleu"][i].get<double>(), 1e-9) << "pair " << i;
    max_bleu_diff = std::max({max_bleu_diff, std::fabs(sentence - expected["sentence_bleu"][i].get<double>()),
                              std::fabs(effective - expected["effective_bleu"][i].get<double>())});
    nonzero_bleu += sentence > 0.0;
    short_pairs += std::min(ref_tokens.size(), hyp_tokens.size()) < 4;

    const RougeScores r = hyp.empty() ? RougeScores{} : rouge.Score(ref, hyp);
    const RougeScore* mine[] = {&r.rouge1, &r.rouge2, &r.rougeL};
    for (int k = 0; k < 3; ++k) {
      const auto& e = expected["rouge"][i][k];
      const double values[] = {mine[k]->f, mine[k]->p, mine[k]->r};
      for (int s = 0; s < 3; ++s) {
        EXPECT_NEAR(values[s], e[s].get<double>(), 1e-12) << "pair " << i << " rouge " << k << " stat " << s;
        max_rouge_diff = std::max(max_rouge_diff, std::fabs(values[s] - e[s].get<double>()));
      }
    }
    Prediction p;
    p.id = std::to_string(i);
    p.reference = pairs[i].first;
    p.prediction = pairs[i].second;
    predictions.push_back(std::move(p));
  }
  const double corpus_bleu = BleuFromStats(corpus, kMaxBleuOrder);
  EXPECT_NEAR(corpus_bleu, expected["corpus_bleu"].get<double>(), 1e-9);
  // The pairs exercise both zero and non-zero scores and the effective order below 4.
  EXPECT_GT(nonzero_bleu, 100);
  EXPECT_GT(short_pairs, 100);

  // The scorer (two threads, chunks of 500) gives the same corpus values.
  ScoreOptions options;
  options.metrics = {"bleu", "rouge"};
  options.threads = 2;
  auto scores = ScorePredictions(predictions, options);
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_NEAR(scores->at("bleu"), expected["corpus_bleu"].get<double>(), 1e-9);
  double effective_sum = 0.0;
  for (const auto& v : expected["effective_bleu"]) effective_sum += v.get<double>();
  EXPECT_NEAR(scores->at("bleu_sent"), effective_sum / kPairs, 1e-12);
  EXPECT_NEAR(scores->at("rouge1"), expected["rouge_avg"][0].get<double>(), 1e-12);
  EXPECT_NEAR(scores->at("rouge2"), expected["rouge_avg"][1].get<double>(), 1e-12);
  EXPECT_NEAR(scores->at("rougeL"), expected["rouge_avg"][2].get<double>(), 1e-12);
  RecordProperty("max_bleu_abs_diff", std::to_string(max_bleu_diff));
  RecordProperty("max_rouge_abs_diff", std::to_string(max_rouge_diff));
  std::printf("pairs %d, corpus BLEU %.17g (NLTK %.17g), max |diff| BLEU %.3g ROUGE %.3g\n", kPairs, corpus_bleu,
              expected["corpus_bleu"].get<double>(), max_bleu_diff, max_rouge_diff);
}

}  // namespace
}  // namespace ecgbench::common::eval
