// Exact-match accuracy and answer F1 (accuracy.h).
#include "common/eval/accuracy.h"

#include <algorithm>

#include "common/eval/text_normalize.h"

namespace ecgbench::common::eval {

namespace {

// Sorts items[0, count) and drops duplicates; returns the new count.
size_t SortUnique(std::vector<std::string>* items, size_t count) {
  std::sort(items->begin(), items->begin() + count);
  return static_cast<size_t>(std::unique(items->begin(), items->begin() + count) - items->begin());
}

// Compares NormalizeAnswer(a) and NormalizeAnswer(b) without building them.
class NormalizedCursor {
 public:
  explicit NormalizedCursor(std::string_view text) : text_(text) {}
  // The next byte of the normalized text, or -1 at its end.
  int Next() {
    while (pos_ < text_.size()) {
      const size_t space = PythonSpaceAt(text_, pos_);
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (space > 0 || IsAsciiPunct(c)) {
        pending_space_ = started_;
        pos_ += space > 0 ? space : 1;
        continue;
      }
      if (pending_space_) {
        pending_space_ = false;
        return ' ';
      }
      started_ = true;
      ++pos_;
      return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
    }
    return -1;
  }
  bool started() const { return started_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  bool pending_space_ = false;
  bool started_ = false;
};

}  // namespace

bool ExactMatch(std::string_view reference, std::string_view prediction) {
  const std::string_view p = StripPython(prediction);
  return !p.empty() && StripPython(reference) == p;
}

bool NormalizedMatch(std::string_view reference, std::string_view prediction) {
  if (StripPython(prediction).empty()) return false;
  NormalizedCursor a(reference);
  NormalizedCursor b(prediction);
  while (true) {
    const int x = a.Next();
    const int y = b.Next();
    if (x != y) return false;
    if (x < 0) break;
  }
  if (!a.started() && !b.started()) return StripPython(reference) == StripPython(prediction);
  return true;
}

void AnswerScorer::Items(std::string_view text, bool split, std::vector<std::string>* items, size_t* count) {
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && (!split || (text[i] != ',' && text[i] != ';'))) continue;
    NormalizeAnswerTo(text.substr(start, i - start), &scratch_);
    if (!scratch_.empty()) {
      if (items->size() <= *count) items->emplace_back();
      (*items)[*count].swap(scratch_);
      ++*count;
    }
    start = i + 1;
  }
}

double AnswerScorer::F1(std::string_view reference, const std::vector<std::string>& answers,
                        std::string_view prediction) {
  size_t gold = 0;
  if (!answers.empty()) {
    for (const std::string& a : answers) Items(a, /*split=*/false, &gold_, &gold);
  } else {
    Items(reference, /*split=*/true, &gold_, &gold);
  }
  size_t pred = 0;
  Items(prediction, /*split=*/true, &pred_, &pred);
  if (gold == 0 || pred == 0) return 0.0;
  gold = SortUnique(&gold_, gold);
  pred = SortUnique(&pred_, pred);
  size_t i = 0;
  size_t j = 0;
  size_t shared = 0;
  while (i < gold && j < pred) {
    if (gold_[i] < pred_[j]) {
      ++i;
    } else if (pred_[j] < gold_[i]) {
      ++j;
    } else {
      ++shared;
      ++i;
      ++j;
    }
  }
  return 2.0 * static_cast<double>(shared) / static_cast<double>(gold + pred);
}

}  // namespace ecgbench::common::eval
