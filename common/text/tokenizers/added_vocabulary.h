// AddedVocabulary: the added and special tokens of a tokenizer (HF "added_tokens"), matched whole in
// the text before BPE, leftmost-longest like HF tokenizers' AddedVocabulary. Tokens marked
// `normalized` are matched in the normalized text (by their normalized form), the others in the
// raw text. Not thread-safe for Add; the const methods are.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace ecgbench::common::text {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool normalized = false;
};

class AddedVocabulary {
 public:
  // Adds (or re-registers) `token`; `match_form` is what is searched for in the text (the content,
  // or its normalized form for a normalized token). An empty match_form is never matched.
  void Add(const AddedToken& token, const std::string& match_form);

  std::optional<int32_t> Find(std::string_view content) const;
  const AddedToken* ById(int32_t id) const;
  int32_t max_id() const { return max_id_; }
  size_t size() const { return by_id_.size(); }

  // Splits `text` into gaps and matches of the normalized (or raw) tokens, in order: gap(text_piece)
  // for non-empty text between matches, token(id) for each match.
  template <typename GapFn, typename TokenFn>
  void Split(std::string_view text, bool normalized, GapFn&& gap, TokenFn&& token) const {
    const Trie& t = normalized ? normalized_ : raw_;
    if (t.terminal.size() <= 1) {
      if (!text.empty()) gap(text);
      return;
    }
    size_t start = 0;
    for (size_t i = 0; i < text.size();) {
      int32_t id = -1;
      const size_t end = t.LongestAt(text, i, &id);
      if (id < 0) {
        ++i;
        continue;
      }
      if (i > start) gap(text.substr(start, i - start));
      token(id);
      i = start = end;
    }
    if (start < text.size()) gap(text.substr(start));
  }

 private:
  struct Trie {
    std::vector<int32_t> terminal{-1};                  // node -> token id or -1; node 0 is the root
    absl::flat_hash_map<uint64_t, int32_t> edges;      // (node << 8 | byte) -> child
    std::array<bool, 256> first{};                     // bytes with an edge from the root
    void Insert(std::string_view s, int32_t id);
    // End of the longest token starting at i (*id set), or i (*id untouched) when none.
    size_t LongestAt(std::string_view text, size_t i, int32_t* id) const;
  };

  Trie raw_, normalized_;
  absl::flat_hash_map<std::string, int32_t> by_content_;
  absl::flat_hash_map<int32_t, AddedToken> by_id_;
  int32_t max_id_ = -1;
};

}  // namespace ecgbench::common::text
