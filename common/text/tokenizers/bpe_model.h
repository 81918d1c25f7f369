// BpeModel: the vocabulary and merge ranks of a BPE model (HF tokenizers' model.type "BPE") and the
// merge loop: symbols are merged pair by pair, always the adjacent pair with the lowest merge rank
// (leftmost on ties), exactly like HF tokenizers' Word::merge_all. Immutable after Create;
// thread-safe (callers bring their own MergeScratch).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::text {

// Debian's Abseil has its own string_view type: the view of a std::string_view.
inline absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

struct BpeModelSpec {
  std::vector<std::pair<std::string, int32_t>> vocab;           // token -> id
  std::vector<std::pair<std::string, std::string>> merges;       // in rank order
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;   // unknown characters become <0xHH> byte tokens
  bool ignore_merges = false;   // a word that is a vocabulary token is emitted whole
};

// Reusable buffers of the merge loop (one per Encode call; no allocation per word once warm).
struct MergeScratch {
  struct Entry {
    int32_t rank, pos, left, right;
  };
  std::vector<int32_t> next, prev;
  std::vector<Entry> heap;
};

// Token ids may leave holes (real files fill them with added tokens), but no id may exceed the
// number of tokens (vocabulary plus added tokens) by more than this: id tables are sized by the
// largest id, and vocab_size() (largest id + 1) must not overflow.
inline constexpr int64_t kMaxTokenIdHoles = 1 << 16;

class BpeModel {
 public:
  // InvalidArgument naming `source` and the field: negative or duplicate ids, an id more than
  // kMaxTokenIdHoles past the number of tokens, a merge whose parts
  // or result are not in the vocabulary ("model.merges[12]: ..."), an unk_token not in the vocabulary.
  static absl::StatusOr<BpeModel> Create(BpeModelSpec spec, const std::string& source);

  std::optional<int32_t> Find(std::string_view token) const {
    auto it = vocab_.find(AbslView(token));
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
  }
  // The token of `id`, or nullptr when the vocabulary has no such id.
  const std::string* Token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || !has_id_[static_cast<size_t>(id)]) return nullptr;
    return &id_to_token_[static_cast<size_t>(id)];
  }
  int32_t max_id() const { return static_cast<int32_t>(id_to_token_.size()) - 1; }
  std::optional<int32_t> unk_id() const { return unk_id_; }
  bool fuse_unk() const { return fuse_unk_; }
  bool byte_fallback() const { return byte_fallback_; }
  bool ignore_merges() const { return ignore_merges_; }
  size_t num_merges() const { return merges_.size(); }

  // Merges `symbols` (token ids, consumed) by rank and appends the result to *out.
  void MergeAndAppend(std::vector<int32_t>& symbols, MergeScratch& scratch, std::vector<int32_t>* out) const;

 private:
  struct MergeInfo {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t Key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }
  void PushPair(int32_t pos, int32_t left, int32_t right, MergeScratch& scratch) const;

  absl::flat_hash_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  absl::flat_hash_map<uint64_t, MergeInfo> merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
};

}  // namespace ecgbench::common::text
