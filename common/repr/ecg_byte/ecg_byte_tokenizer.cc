// The ECG-Byte tokenizer: validation of merges, the trie, both encoders and the decoder (see
// ecg_byte_tokenizer.h).
#include "common/repr/ecg_byte/ecg_byte_tokenizer.h"

#include <functional>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/repr/ecg_byte/symbols.h"

namespace ecgbench::common::repr {

namespace {

constexpr int kFirst = static_cast<unsigned char>(kFirstSymbol);
constexpr int kLast = kFirst + kNumSymbols - 1;
constexpr int kStride = kNumSymbols + 1;  // 26 children + the token id

bool IsSymbolByte(int64_t id) { return id >= kFirst && id <= kLast; }

std::string SideError(size_t i, int side, int64_t id, size_t num_merges) {
  const std::string where = absl::StrCat("merges[", i, "][", side, "]: id ", id);
  const int64_t defined_end = kByteVocabSize + static_cast<int64_t>(i);
  const std::string allowed =
      i == 0 ? std::string("ids 97..122 ('a'..'z')")
             : absl::StrCat("ids 97..122 ('a'..'z') and 256..", defined_end - 1, " (earlier merges)");
  if (id >= defined_end && id < kByteVocabSize + static_cast<int64_t>(num_merges)) {
    return absl::StrCat(where, " is not defined before merge ", i, " (allowed: ", allowed, ")");
  }
  if (id >= 0 && id < kByteVocabSize) {
    return absl::StrCat(where, " is a byte that is not a symbol a..z (allowed: ", allowed, ")");
  }
  return absl::StrCat(where, " is out of range (allowed: ", allowed, ")");
}

}  // namespace

absl::StatusOr<EcgByteTokenizer> EcgByteTokenizer::Create(std::vector<BpeMerge> merges) {
  if (merges.size() > static_cast<size_t>(kMaxMerges)) {
    return absl::InvalidArgumentError(
        absl::StrCat("merges: ", merges.size(), " merges, more than the ", kMaxMerges, " possible"));
  }
  EcgByteTokenizer t;
  t.offsets_.reserve(kByteVocabSize + merges.size() + 1);
  for (int b = 0; b < kByteVocabSize; ++b) {
    t.offsets_.push_back(b);
    t.expansions_.push_back(static_cast<char>(b));
  }
  t.offsets_.push_back(kByteVocabSize);
  int64_t total = 0;
  for (size_t i = 0; i < merges.size(); ++i) {
    const int64_t ids[2] = {merges[i].left, merges[i].right};
    for (int side = 0; side < 2; ++side) {
      const int64_t id = ids[side];
      if (!IsSymbolByte(id) && !(id >= kByteVocabSize && id < kByteVocabSize + static_cast<int64_t>(i))) {
        return absl::InvalidArgumentError(SideError(i, side, id, merges.size()));
      }
    }
    const int64_t len = (t.offsets_[ids[0] + 1] - t.offsets_[ids[0]]) + (t.offsets_[ids[1] + 1] - t.offsets_[ids[1]]);
    if (len > kMaxTokenSymbols) {
      return absl::InvalidArgumentError(absl::StrCat("merges[", i, "]: the token would have ", len,
                                                     " symbols, more than the limit ", kMaxTokenSymbols));
    }
    total += len;
    if (total > kMaxTotalSymbols) {
      return absl::InvalidArgumentError(absl::StrCat("merges[", i, "]: the tokens would have ", total,
                                                     " symbols in all, more than the limit ", kMaxTotalSymbols));
    }
    for (int side = 0; side < 2; ++side) {
      // Copy through an index: appending may reallocate expansions_.
      const size_t from = static_cast<size_t>(t.offsets_[ids[side]]);
      const size_t n = static_cast<size_t>(t.offsets_[ids[side] + 1]) - from;
      for (size_t k = 0; k < n; ++k) t.expansions_.push_back(t.expansions_[from + k]);
    }
    t.offsets_.push_back(static_cast<int64_t>(t.expansions_.size()));
    t.max_token_symbols_ = std::max(t.max_token_symbols_, len);
  }
  t.merges_ = std::move(merges);
  // Canonical ids: the first id with each expansion.
  t.canonical_.resize(static_cast<size_t>(t.vocab_size()));
  absl::flat_hash_map<std::string_view, int32_t> first;
  for (int32_t id = 0; id < t.vocab_size(); ++id) {
    auto [it, inserted] = first.try_emplace(t.Symbols(id), id);
    t.canonical_[static_cast<size_t>(id)] = it->second;
  }
  for (size_t i = 0; i < t.merges_.size(); ++i) {
    const uint64_t key = (static_cast<uint64_t>(t.merges_[i].left) << 32) | static_cast<uint32_t>(t.merges_[i].right);
    auto [it, inserted] = t.rank_.try_emplace(key, static_cast<int32_t>(i));
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("merges[", i, "]: pair [", t.merges_[i].left, ", ",
                                                     t.merges_[i].right, "] repeats merges[", it->second, "]"));
    }
  }
  t.BuildTrie();
  return t;
}

void EcgByteTokenizer::BuildTrie() {
  std::vector<int32_t> raw(kStride, 0);
  raw[kNumSymbols] = -1;
  auto insert = [&raw](std::string_view symbols, int32_t id) {
    size_t node = 0;
    for (char ch : symbols) {
      const size_t slot = node * kStride + static_cast<size_t>(ch - kFirstSymbol);
      if (raw[slot] == 0) {
        const int32_t child = static_cast<int32_t>(raw.size() / kStride);
        raw[slot] = child;  // before the resize: resize invalidates nothing we hold by index
        raw.resize(raw.size() + kStride, 0);
        raw[raw.size() - 1] = -1;
      }
      node = static_cast<size_t>(raw[slot]);
    }
    raw[node * kStride + kNumSymbols] = id;  // a later token with the same symbols wins (upstream)
  };
  for (int c = kFirst; c <= kLast; ++c) insert(Symbols(c), c);
  for (size_t i = 0; i < merges_.size(); ++i) insert(Symbols(kByteVocabSize + static_cast<int32_t>(i)), kByteVocabSize + static_cast<int32_t>(i));
  // Breadth-first renumbering keeps the hot top levels of the trie together in memory.
  const size_t nodes = raw.size() / kStride;
  std::vector<int32_t> order;
  order.reserve(nodes);
  std::vector<int32_t> new_index(nodes, 0);
  order.push_back(0);
  for (size_t head = 0; head < order.size(); ++head) {
    const size_t n = static_cast<size_t>(order[head]);
    for (int c = 0; c < kNumSymbols; ++c) {
      const int32_t child = raw[n * kStride + static_cast<size_t>(c)];
      if (child != 0) {
        new_index[static_cast<size_t>(child)] = static_cast<int32_t>(order.size());
        order.push_back(child);
      }
    }
  }
  trie_.assign(raw.size(), 0);
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t from = static_cast<size_t>(order[k]) * kStride;
    for (int c = 0; c < kNumSymbols; ++c) {
      const int32_t child = raw[from + static_cast<size_t>(c)];
      trie_[k * kStride + static_cast<size_t>(c)] = child == 0 ? 0 : new_index[static_cast<size_t>(child)];
    }
    trie_[k * kStride + kNumSymbols] = raw[from + kNumSymbols];
  }
}

bool EcgByteTokenizer::IsSymbolToken(int32_t id) const {
  return IsSymbolByte(id) || (id >= kByteVocabSize && id < vocab_size());
}

void EcgByteTokenizer::EncodeLongest(std::string_view s, std::vector<int32_t>* ids) const {
  const int32_t* trie = trie_.data();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Every symbol is a token, so the first step always matches.
    int32_t node = trie[static_cast<size_t>(p[i] - kFirst)];
    int32_t best = trie[static_cast<size_t>(node) * kStride + kNumSymbols];
    size_t best_end = i + 1;
    for (size_t j = i + 1; j < n; ++j) {
      node = trie[static_cast<size_t>(node) * kStride + static_cast<size_t>(p[j] - kFirst)];
      if (node == 0) break;
      const int32_t id = trie[static_cast<size_t>(node) * kStride + kNumSymbols];
      if (id >= 0) {
        best = id;
        best_end = j + 1;
      }
    }
    ids->push_back(best);
    i = best_end;
  }
}

void EcgByteTokenizer::EncodeRank(std::string_view s, std::vector<int32_t>* ids) const {
  const size_t n = s.size();
  if (n == 0) return;
  std::vector<int32_t> id(n), next(n), prev(n);
  for (size_t i = 0; i < n; ++i) {
    id[i] = static_cast<unsigned char>(s[i]);
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
    prev[i] = static_cast<int32_t>(i) - 1;
  }
  auto rank_of = [this](int32_t left, int32_t right) {
    auto it = rank_.find((static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right));
    return it == rank_.end() ? -1 : it->second;
  };
  // Min-heap of (rank << 32 | position): lowest rank first, leftmost first among equal ranks.
  std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[static_cast<size_t>(pos)] < 0) return;
    const int32_t r = rank_of(id[static_cast<size_t>(pos)], id[static_cast<size_t>(next[static_cast<size_t>(pos)])]);
    if (r >= 0) heap.push((static_cast<uint64_t>(r) << 32) | static_cast<uint32_t>(pos));
  };
  for (size_t i = 0; i + 1 < n; ++i) push(static_cast<int32_t>(i));
  while (!heap.empty()) {
    const uint64_t top = heap.top();
    heap.pop();
    const int32_t r = static_cast<int32_t>(top >> 32);
    const size_t p = static_cast<size_t>(top & 0xFFFFFFFFu);
    if (id[p] < 0 || next[p] < 0) continue;
    const size_t q = static_cast<size_t>(next[p]);
    if (rank_of(id[p], id[q]) != r) continue;  // stale: the pair here changed
    id[p] = kByteVocabSize + r;
    id[q] = -1;
    next[p] = next[q];
    if (next[q] >= 0) prev[static_cast<size_t>(next[q])] = static_cast<int32_t>(p);
    push(prev[p]);
    push(static_cast<int32_t>(p));
  }
  for (int32_t i = 0; i >= 0; i = next[static_cast<size_t>(i)]) ids->push_back(id[static_cast<size_t>(i)]);
}

absl::Status EcgByteTokenizer::EncodeAppend(std::string_view symbols, EncodeMode mode,
                                            std::vector<int32_t>* ids) const {
  absl::Status st = ValidateSymbols(symbols);
  if (!st.ok()) return st;
  if (mode == EncodeMode::kLongestMatch) {
    EncodeLongest(symbols, ids);
  } else {
    EncodeRank(symbols, ids);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> EcgByteTokenizer::Encode(std::string_view symbols, EncodeMode mode) const {
  std::vector<int32_t> ids;
  absl::Status st = EncodeAppend(symbols, mode, &ids);
  if (!st.ok()) return st;
  return ids;
}

absl::Status EcgByteTokenizer::DecodeAppend(const int32_t* ids, size_t n, std::string* symbols) const {
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size()) {
      return absl::InvalidArgumentError(absl::StrCat("id ", ids[i], " at position ", i,
                                                     " is outside the vocabulary (0..", vocab_size() - 1, ")"));
    }
    if (!IsSymbolToken(ids[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("id ", ids[i], " at position ", i, " is a byte token that no encoding produces (symbols are 97..122)"));
    }
  }
  for (size_t i = 0; i < n; ++i) symbols->append(Symbols(ids[i]));
  return absl::OkStatus();
}

absl::StatusOr<std::string> EcgByteTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  absl::Status st = DecodeAppend(ids.data(), ids.size(), &out);
  if (!st.ok()) return st;
  return out;
}

}  // namespace ecgbench::common::repr
