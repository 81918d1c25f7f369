// ROUGE with the `rouge` 1.0.1 semantics (rouge.h).
#include "common/eval/rouge.h"

#include <algorithm>

#include "common/eval/text_normalize.h"

namespace ecgbench::common::eval {

namespace {

RougeScore FromCounts(int64_t overlap, int64_t hyp_count, int64_t ref_count) {
  RougeScore s;
  s.p = hyp_count == 0 ? 0.0 : static_cast<double>(overlap) / static_cast<double>(hyp_count);
  s.r = ref_count == 0 ? 0.0 : static_cast<double>(overlap) / static_cast<double>(ref_count);
  s.f = 2.0 * ((s.p * s.r) / (s.p + s.r + 1e-8));
  return s;
}

}  // namespace

void RougeScorer::SplitSentences(std::string_view text, std::vector<std::string_view>* words,
                                 std::vector<uint32_t>* starts) {
  words->clear();
  starts->clear();
  size_t begin = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.') continue;
    if (i > begin) {
      starts->push_back(static_cast<uint32_t>(words->size()));
      const size_t before = words->size();
      SplitPython(text.substr(begin, i - begin), words);
      // " ".join(piece.split()).split(" ") of a blank piece is [""].
      if (words->size() == before) words->push_back(std::string_view());
    }
    begin = i + 1;
  }
}

void RougeScorer::MarkLcs(const uint32_t* x, size_t nx, const uint32_t* y, size_t ny) {
  const size_t w = ny + 1;
  // Every cell but row 0 and column 0 is written below: zero only those.
  table_.resize((nx + 1) * w);
  std::fill_n(table_.begin(), w, 0u);
  for (size_t i = 1; i <= nx; ++i) table_[i * w] = 0;
  for (size_t i = 1; i <= nx; ++i) {
    uint32_t* row = &table_[i * w];
    const uint32_t* up = &table_[(i - 1) * w];
    for (size_t j = 1; j <= ny; ++j) {
      row[j] = x[i - 1] == y[j - 1] ? up[j - 1] + 1 : std::max(up[j], row[j - 1]);
    }
  }
  size_t i = nx;
  size_t j = ny;
  while (i > 0 && j > 0) {
    if (x[i - 1] == y[j - 1]) {
      in_union_[x[i - 1]] = 1;
      --i;
      --j;
    } else if (table_[(i - 1) * w + j] > table_[i * w + j - 1]) {
      --i;
    } else {
      --j;
    }
  }
}

RougeScores RougeScorer::Score(std::string_view reference, std::string_view hypothesis) {
  SplitSentences(reference, &ref_words_, &ref_starts_);
  SplitSentences(hypothesis, &hyp_words_, &hyp_starts_);
  RougeScores out;
  if (ref_starts_.empty() || hyp_starts_.empty()) return out;

  counter_.Count(ref_words_, hyp_words_, 2);
  const NgramCounter::Order& uni = counter_.order(1);
  const NgramCounter::Order& bi = counter_.order(2);
  out.rouge1 = FromCounts(uni.shared_distinct, uni.hyp_distinct, uni.ref_distinct);
  out.rouge2 = FromCounts(bi.shared_distinct, bi.hyp_distinct, bi.ref_distinct);

  in_union_.assign(counter_.vocabulary_size(), 0);
  const std::vector<uint32_t>& rid = counter_.reference_ids();
  const std::vector<uint32_t>& hid = counter_.hypothesis_ids();
  for (size_t a = 0; a < ref_starts_.size(); ++a) {
    const size_t ra = ref_starts_[a];
    const size_t rb = a + 1 < ref_starts_.size() ? ref_starts_[a + 1] : rid.size();
    for (size_t b = 0; b < hyp_starts_.size(); ++b) {
      const size_t ha = hyp_starts_[b];
      const size_t hb = b + 1 < hyp_starts_.size() ? hyp_starts_[b + 1] : hid.size();
      MarkLcs(rid.data() + ra, rb - ra, hid.data() + ha, hb - ha);
    }
  }
  int64_t union_size = 0;
  for (const uint8_t in : in_union_) union_size += in;
  out.rougeL = FromCounts(union_size, uni.hyp_distinct, uni.ref_distinct);
  return out;
}

}  // namespace ecgbench::common::eval
