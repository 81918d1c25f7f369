// BLEU as NLTK 3.8 computes it (nltk.translate.bleu_score): clipped n-gram counts per pair, summed
// over the corpus for corpus_bleu, SmoothingFunction().method1 (a zero count becomes 0.1 / total),
// uniform weights, math.fsum of the weighted logs, NLTK's brevity penalty. Tokens are the caller's
// (upstream: Python str.split(), see text_normalize.h). One reference per hypothesis.
//
// NgramCounter is per-thread scratch: not thread-safe, reused across pairs without allocating once
// it has grown to the largest pair. The free functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ecgbench::common::eval {

inline constexpr int kMaxBleuOrder = 4;

// N-gram statistics of one (reference, hypothesis) token pair for orders 1..max_order.
class NgramCounter {
 public:
  struct Order {
    int64_t ref_total = 0;        // reference n-grams (with repeats)
    int64_t hyp_total = 0;        // hypothesis n-grams (with repeats)
    int64_t clipped = 0;          // sum over n-grams of min(count in hyp, count in ref)
    int64_t ref_distinct = 0;     // distinct reference n-grams
    int64_t hyp_distinct = 0;     // distinct hypothesis n-grams
    int64_t shared_distinct = 0;  // distinct n-grams present in both
  };

  NgramCounter() = default;

  // Counts n-grams of orders 1..max_order (REQUIRES: 1 <= max_order <= kMaxBleuOrder). Equal
  // tokens get equal ids in [0, vocabulary_size()), shared by both sides.
  void Count(const std::vector<std::string_view>& reference, const std::vector<std::string_view>& hypothesis,
             int max_order);

  // REQUIRES: 1 <= n <= the last Count's max_order.
  const Order& order(int n) const { return orders_[n - 1]; }
  const std::vector<uint32_t>& reference_ids() const { return ref_ids_; }
  const std::vector<uint32_t>& hypothesis_ids() const { return hyp_ids_; }
  uint32_t vocabulary_size() const { return vocabulary_size_; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t generation = 0;
    uint32_t id = 0;
  };
  void ResetTable(size_t keys);
  uint32_t InternToken(std::string_view token);
  uint32_t InternKey(uint64_t key);

  std::vector<Slot> slots_;
  std::vector<std::string_view> id_tokens_;  // the token of each id (string interning only)
  uint32_t generation_ = 0;
  uint32_t next_id_ = 0;
  std::vector<uint32_t> ref_ids_, hyp_ids_;          // token ids
  std::vector<uint32_t> ref_gram_, hyp_gram_;        // ids of the current order's n-grams
  std::vector<int32_t> ref_count_, hyp_count_;       // per n-gram id
  std::array<Order, kMaxBleuOrder> orders_{};
  uint32_t vocabulary_size_ = 0;
};

// The per-pair numbers corpus BLEU sums (NLTK's p_numerators / p_denominators / lengths).
struct BleuStats {
  std::array<int64_t, kMaxBleuOrder> matches{};  // clipped n-gram counts
  std::array<int64_t, kMaxBleuOrder> totals{};   // max(1, hypothesis n-grams), as NLTK
  int64_t hyp_len = 0;
  int64_t ref_len = 0;

  void Add(const BleuStats& other);
};

// Stats of the pair whose n-grams `counter` has just counted (orders 1..kMaxBleuOrder; orders the
// counter did not count have matches 0 and totals 1).
BleuStats StatsFromCounter(const NgramCounter& counter, int counted_orders);

// NLTK corpus_bleu(..., weights=(1/order,)*order, smoothing_function=method1) from summed stats;
// sentence_bleu is the same on one pair's stats. 0 when there is no unigram match.
// REQUIRES: 1 <= order <= kMaxBleuOrder.
double BleuFromStats(const BleuStats& stats, int order);

// Upstream's BLEU_sent per pair: sentence BLEU with order min(4, |ref|, |hyp|) (0 when that is 0).
double EffectiveOrderSentenceBleu(const BleuStats& stats);

// math.fsum of `values`: the correctly rounded sum.
double ExactSum(const double* values, int count);

}  // namespace ecgbench::common::eval
