// Exact-match accuracy and answer F1 (docs/evaluation-metrics.md):
//  - ExactMatch: upstream's ACC, `ref == hyp` after Python strip();
//  - NormalizedMatch: equality after NormalizeAnswer (case, punctuation, whitespace);
//  - AnswerF1: set F1 between the prediction's answer items and the gold items (the `answers`
//    field when given, else the reference's items), for multi-answer questions (ECG-QA query).
// An empty prediction (nothing but whitespace) is always wrong and scores F1 0.
// The free functions are pure and thread-safe; AnswerScorer is per-thread scratch (not thread-safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecgbench::common::eval {

bool ExactMatch(std::string_view reference, std::string_view prediction);

// NormalizeAnswer(reference) == NormalizeAnswer(prediction); when both normalize to nothing
// (e.g. a reference of only punctuation) the stripped texts are compared instead.
bool NormalizedMatch(std::string_view reference, std::string_view prediction);

class AnswerScorer {
 public:
  AnswerScorer() = default;

  // Items of a text: the pieces between ',' and ';', each normalized with NormalizeAnswer, empty
  // ones dropped, duplicates removed. Gold items are `answers` (each normalized whole, empty ones
  // dropped, duplicates removed) when non-empty, else the reference's items.
  // F1 = 2 |P n G| / (|P| + |G|), 0 when either set is empty.
  double F1(std::string_view reference, const std::vector<std::string>& answers, std::string_view prediction);

 private:
  // Normalized items into *items[0, *count) (strings reused), sorted and unique.
  void Items(std::string_view text, bool split, std::vector<std::string>* items, size_t* count);

  std::vector<std::string> gold_, pred_;
  std::string scratch_;
};

}  // namespace ecgbench::common::eval
