// ROUGE-1, ROUGE-2 and ROUGE-L with the semantics of the Python package `rouge` 1.0.1
// (Rouge().get_scores, the defaults upstream used; docs/evaluation-metrics.md spells them out):
//  - each text is cut at every '.', pieces of length 0 dropped, each piece's whitespace-separated
//    tokens (Python str.split()) are its words; a piece with no token contributes one empty word;
//  - ROUGE-N counts distinct n-grams of the concatenated words (n-grams cross sentence ends):
//    p = shared / hypothesis, r = shared / reference (0 when the side has none);
//  - ROUGE-L is summary-level: the union of the words on one longest common subsequence of every
//    (reference sentence, hypothesis sentence) pair, traced back from the end of both (a match is
//    taken, else the step towards the larger cell, ties going back along the hypothesis);
//    r = |union| / distinct reference words, p = |union| / distinct hypothesis words;
//  - f = 2 * ((p * r) / (p + r + 1e-8)).
// A text without any sentence (empty, or only dots) scores 0 for everything (the package raises).
//
// RougeScorer is per-thread scratch: not thread-safe; after warm-up it does not allocate.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/eval/bleu.h"

namespace ecgbench::common::eval {

struct RougeScore {
  double f = 0.0;
  double p = 0.0;
  double r = 0.0;
};

struct RougeScores {
  RougeScore rouge1;
  RougeScore rouge2;
  RougeScore rougeL;
};

class RougeScorer {
 public:
  RougeScorer() = default;

  // Scores `hypothesis` against `reference` (texts as given; upstream passes stripped texts).
  RougeScores Score(std::string_view reference, std::string_view hypothesis);

 private:
  // Appends the words of `text` to *words and the index where each sentence starts to *starts.
  static void SplitSentences(std::string_view text, std::vector<std::string_view>* words,
                             std::vector<uint32_t>* starts);
  // Marks in in_union_ the reference words on the traced-back LCS of the two id ranges.
  void MarkLcs(const uint32_t* x, size_t nx, const uint32_t* y, size_t ny);

  NgramCounter counter_;
  std::vector<std::string_view> ref_words_, hyp_words_;
  std::vector<uint32_t> ref_starts_, hyp_starts_;
  std::vector<uint32_t> table_;
  std::vector<uint8_t> in_union_;
};

}  // namespace ecgbench::common::eval
