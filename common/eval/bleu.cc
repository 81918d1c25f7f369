// NLTK-exact BLEU (bleu.h). N-gram ids come from a generation-stamped open-addressing table, so a
// pair costs O(tokens x orders) and, after warm-up, no allocation.
#include "common/eval/bleu.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ecgbench::common::eval {

namespace {

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t HashBytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, finished with Mix for the high bits
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix(h ^ s.size());
}

// brevity_penalty(closest_ref_len, hyp_len) of NLTK.
double BrevityPenalty(int64_t ref_len, int64_t hyp_len) {
  if (hyp_len > ref_len) return 1.0;
  if (hyp_len == 0) return 0.0;
  return std::exp(1.0 - static_cast<double>(ref_len) / static_cast<double>(hyp_len));
}

}  // namespace

void NgramCounter::ResetTable(size_t keys) {
  size_t want = 16;
  while (want < 2 * keys) want <<= 1;
  if (slots_.size() < want) {
    slots_.assign(want, Slot{});
    generation_ = 0;
  }
  if (++generation_ == 0) {  // wrapped: stale stamps could alias the new generation
    std::fill(slots_.begin(), slots_.end(), Slot{});
    generation_ = 1;
  }
  next_id_ = 0;
}

uint32_t NgramCounter::InternToken(std::string_view token) {
  const uint64_t hash = HashBytes(token);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.generation != generation_) {
      slot = Slot{hash, generation_, next_id_};
      if (id_tokens_.size() <= next_id_) id_tokens_.resize(next_id_ + 1);
      id_tokens_[next_id_] = token;
      return next_id_++;
    }
    if (slot.key == hash && id_tokens_[slot.id] == token) return slot.id;
  }
}

uint32_t NgramCounter::InternKey(uint64_t key) {
  const size_t mask = slots_.size() - 1;
  for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.generation != generation_) {
      slot = Slot{key, generation_, next_id_};
      return next_id_++;
    }
    if (slot.key == key) return slot.id;
  }
}

void NgramCounter::Count(const std::vector<std::string_view>& reference,
                         const std::vector<std::string_view>& hypothesis, int max_order) {
  const size_t total = reference.size() + hypothesis.size();
  ResetTable(total);
  ref_ids_.resize(reference.size());
  hyp_ids_.resize(hypothesis.size());
  for (size_t i = 0; i < reference.size(); ++i) ref_ids_[i] = InternToken(reference[i]);
  for (size_t i = 0; i < hypothesis.size(); ++i) hyp_ids_[i] = InternToken(hypothesis[i]);
  vocabulary_size_ = next_id_;

  ref_gram_ = ref_ids_;
  hyp_gram_ = hyp_ids_;
  uint32_t grams = vocabulary_size_;
  for (int n = 1; n <= max_order; ++n) {
    if (n > 1) {
      // The id of an n-gram is the id of the pair (id of its (n-1)-gram prefix, its last token).
      ResetTable(total);
      const size_t ref_count = reference.size() >= static_cast<size_t>(n) ? reference.size() - n + 1 : 0;
      const size_t hyp_count = hypothesis.size() >= static_cast<size_t>(n) ? hypothesis.size() - n + 1 : 0;
      for (size_t i = 0; i < ref_count; ++i) {
        ref_gram_[i] = InternKey((static_cast<uint64_t>(ref_gram_[i]) << 32) | ref_ids_[i + n - 1]);
      }
      for (size_t i = 0; i < hyp_count; ++i) {
        hyp_gram_[i] = InternKey((static_cast<uint64_t>(hyp_gram_[i]) << 32) | hyp_ids_[i + n - 1]);
      }
      ref_gram_.resize(ref_count);
      hyp_gram_.resize(hyp_count);
      grams = next_id_;
    }
    if (ref_count_.size() < grams) {
      ref_count_.resize(grams);
      hyp_count_.resize(grams);
    }
    std::fill(ref_count_.begin(), ref_count_.begin() + grams, 0);
    std::fill(hyp_count_.begin(), hyp_count_.begin() + grams, 0);
    for (const uint32_t g : ref_gram_) ++ref_count_[g];
    for (const uint32_t g : hyp_gram_) ++hyp_count_[g];
    Order& o = orders_[n - 1];
    o = Order{};
    o.ref_total = static_cast<int64_t>(ref_gram_.size());
    o.hyp_total = static_cast<int64_t>(hyp_gram_.size());
    for (uint32_t g = 0; g < grams; ++g) {
      const int32_t r = ref_count_[g];
      const int32_t h = hyp_count_[g];
      o.clipped += std::min(r, h);
      o.ref_distinct += r > 0;
      o.hyp_distinct += h > 0;
      o.shared_distinct += (r > 0 && h > 0);
    }
  }
}

void BleuStats::Add(const BleuStats& other) {
  for (int i = 0; i < kMaxBleuOrder; ++i) {
    matches[i] += other.matches[i];
    totals[i] += other.totals[i];
  }
  hyp_len += other.hyp_len;
  ref_len += other.ref_len;
}

BleuStats StatsFromCounter(const NgramCounter& counter, int counted_orders) {
  BleuStats s;
  for (int n = 1; n <= kMaxBleuOrder; ++n) {
    if (n <= counted_orders) {
      s.matches[n - 1] = counter.order(n).clipped;
      s.totals[n - 1] = std::max<int64_t>(1, counter.order(n).hyp_total);
    } else {
      s.matches[n - 1] = 0;
      s.totals[n - 1] = 1;
    }
  }
  s.hyp_len = static_cast<int64_t>(counter.hypothesis_ids().size());
  s.ref_len = static_cast<int64_t>(counter.reference_ids().size());
  return s;
}

double BleuFromStats(const BleuStats& stats, int order) {
  if (stats.matches[0] == 0) return 0.0;
  const double weight = 1.0 / order;
  double terms[kMaxBleuOrder];
  for (int i = 0; i < order; ++i) {
    // method1: p_i = (0 + 0.1) / total for a zero count, else the exact fraction as a double.
    const double p = stats.matches[i] == 0 ? (0.0 + 0.1) / static_cast<double>(stats.totals[i])
                                           : static_cast<double>(stats.matches[i]) / static_cast<double>(stats.totals[i]);
    terms[i] = weight * std::log(p);
  }
  return BrevityPenalty(stats.ref_len, stats.hyp_len) * std::exp(ExactSum(terms, order));
}

double EffectiveOrderSentenceBleu(const BleuStats& stats) {
  const int64_t n = std::min<int64_t>({kMaxBleuOrder, stats.ref_len, stats.hyp_len});
  if (n == 0) return 0.0;
  return BleuFromStats(stats, static_cast<int>(n));
}

double ExactSum(const double* values, int count) {
  // Shewchuk's non-overlapping partials, rounded once at the end (what Python's math.fsum does);
  // at most kMaxBleuOrder finite values here, so no overflow handling is needed.
  double partials[kMaxBleuOrder * 2 + 2];
  int n = 0;
  for (int v = 0; v < count; ++v) {
    double x = values[v];
    int kept = 0;
    for (int i = 0; i < n; ++i) {
      double y = partials[i];
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0.0) partials[kept++] = lo;
      x = hi;
    }
    partials[kept++] = x;
    n = kept;
  }
  if (n == 0) return 0.0;
  // Sum from the top; fix the rounding of a half-way case as math.fsum does.
  double hi = partials[--n];
  double lo = 0.0;
  while (n > 0) {
    const double x = hi;
    const double y = partials[--n];
    hi = x + y;
    const double yr = hi - x;
    lo = y - yr;
    if (lo != 0.0) break;
  }
  if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
    const double y = lo * 2.0;
    const double x = hi + y;
    if (y == x - hi) hi = x;
  }
  return hi;
}

}  // namespace ecgbench::common::eval
