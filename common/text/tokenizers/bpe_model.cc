// BPE vocabulary, merge ranks and the rank-ordered merge loop (bpe_model.h).
#include "common/text/tokenizers/bpe_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::text {

namespace {

// Min-heap order on (rank, pos).
struct Later {
  bool operator()(const MergeScratch::Entry& a, const MergeScratch::Entry& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

}  // namespace

absl::StatusOr<BpeModel> BpeModel::Create(BpeModelSpec spec, const std::string& source) {
  BpeModel m;
  m.vocab_.reserve(spec.vocab.size());
  int32_t max_id = -1;
  for (const auto& [token, id] : spec.vocab) {
    if (id < 0) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": token \"", token, "\" has negative id ", id));
    }
    if (static_cast<int64_t>(id) >= static_cast<int64_t>(spec.vocab.size()) + kMaxTokenIdHoles) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": token \"", token, "\" has id ", id,
                                                     ", more than ", kMaxTokenIdHoles, " past the number of tokens (",
                                                     spec.vocab.size(), ")"));
    }
    max_id = std::max(max_id, id);
  }
  m.id_to_token_.resize(static_cast<size_t>(max_id + 1));
  m.has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (auto& [token, id] : spec.vocab) {
    if (m.has_id_[static_cast<size_t>(id)]) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.vocab\": id ", id, " is used by \"",
                                                     m.id_to_token_[static_cast<size_t>(id)], "\" and \"", token, "\""));
    }
    m.has_id_[static_cast<size_t>(id)] = true;
    m.id_to_token_[static_cast<size_t>(id)] = token;
    m.vocab_.emplace(std::move(token), id);
  }
  m.merges_.reserve(spec.merges.size());
  std::string joined;
  for (size_t r = 0; r < spec.merges.size(); ++r) {
    const auto& [a, b] = spec.merges[r];
    const auto ia = m.Find(a), ib = m.Find(b);
    joined.assign(a).append(b);
    const auto ij = m.Find(joined);
    if (!ia || !ib || !ij) {
      const std::string& missing = !ia ? a : !ib ? b : joined;
      return absl::InvalidArgumentError(absl::StrCat(source, ": field \"model.merges[", r, "]\": token \"", missing,
                                                     "\" of merge \"", a, " ", b, "\" is not in the vocabulary"));
    }
    m.merges_[Key(*ia, *ib)] = MergeInfo{static_cast<int32_t>(r), *ij};
  }
  if (spec.unk_token) {
    m.unk_id_ = m.Find(*spec.unk_token);
    if (!m.unk_id_) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": field \"model.unk_token\": \"", *spec.unk_token, "\" is not in the vocabulary"));
    }
  }
  m.fuse_unk_ = spec.fuse_unk;
  m.byte_fallback_ = spec.byte_fallback;
  m.ignore_merges_ = spec.ignore_merges;
  return m;
}

void BpeModel::PushPair(int32_t pos, int32_t left, int32_t right, MergeScratch& scratch) const {
  auto it = merges_.find(Key(left, right));
  if (it == merges_.end()) return;
  scratch.heap.push_back({it->second.rank, pos, left, right});
  std::push_heap(scratch.heap.begin(), scratch.heap.end(), Later());
}

void BpeModel::MergeAndAppend(std::vector<int32_t>& symbols, MergeScratch& scratch, std::vector<int32_t>* out) const {
  const int32_t n = static_cast<int32_t>(symbols.size());
  if (n < 2) {
    out->insert(out->end(), symbols.begin(), symbols.end());
    return;
  }
  auto& next = scratch.next;
  auto& prev = scratch.prev;
  next.resize(static_cast<size_t>(n));
  prev.resize(static_cast<size_t>(n));
  scratch.heap.clear();
  for (int32_t i = 0; i < n; ++i) {
    next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
    prev[static_cast<size_t>(i)] = i - 1;
  }
  for (int32_t i = 0; i + 1 < n; ++i) PushPair(i, symbols[static_cast<size_t>(i)], symbols[static_cast<size_t>(i + 1)], scratch);
  while (!scratch.heap.empty()) {
    std::pop_heap(scratch.heap.begin(), scratch.heap.end(), Later());
    const MergeScratch::Entry top = scratch.heap.back();
    scratch.heap.pop_back();
    const auto pos = static_cast<size_t>(top.pos);
    if (symbols[pos] != top.left) continue;
    const int32_t nx = next[pos];
    if (nx < 0 || symbols[static_cast<size_t>(nx)] != top.right) continue;
    symbols[pos] = merges_.find(Key(top.left, top.right))->second.new_id;
    symbols[static_cast<size_t>(nx)] = -1;
    const int32_t nn = next[static_cast<size_t>(nx)];
    next[pos] = nn;
    if (nn >= 0) prev[static_cast<size_t>(nn)] = top.pos;
    const int32_t pv = prev[pos];
    if (pv >= 0) PushPair(pv, symbols[static_cast<size_t>(pv)], symbols[pos], scratch);
    if (nn >= 0) PushPair(top.pos, symbols[pos], symbols[static_cast<size_t>(nn)], scratch);
  }
  for (int32_t i = 0; i >= 0; i = next[static_cast<size_t>(i)]) out->push_back(symbols[static_cast<size_t>(i)]);
}

}  // namespace ecgbench::common::text
