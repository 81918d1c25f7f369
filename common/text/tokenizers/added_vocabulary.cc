// Added-token tries and lookups (added_vocabulary.h).
#include "common/text/tokenizers/added_vocabulary.h"

#include <algorithm>

#include "common/text/tokenizers/bpe_model.h"

namespace ecgbench::common::text {

void AddedVocabulary::Trie::Insert(std::string_view s, int32_t id) {
  int32_t node = 0;
  for (unsigned char c : s) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | c;
    auto it = edges.find(key);
    if (it == edges.end()) {
      const auto child = static_cast<int32_t>(terminal.size());
      terminal.push_back(-1);
      edges.emplace(key, child);
      node = child;
    } else {
      node = it->second;
    }
  }
  first[static_cast<unsigned char>(s[0])] = true;
  terminal[static_cast<size_t>(node)] = id;
}

size_t AddedVocabulary::Trie::LongestAt(std::string_view text, size_t i, int32_t* id) const {
  if (!first[static_cast<unsigned char>(text[i])]) return i;
  size_t best = i;
  int32_t node = 0;
  for (size_t k = i; k < text.size(); ++k) {
    auto it = edges.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[k]));
    if (it == edges.end()) break;
    node = it->second;
    if (terminal[static_cast<size_t>(node)] >= 0) {
      best = k + 1;
      *id = terminal[static_cast<size_t>(node)];
    }
  }
  return best;
}

void AddedVocabulary::Add(const AddedToken& token, const std::string& match_form) {
  by_content_[token.content] = token.id;
  by_id_[token.id] = token;
  max_id_ = std::max(max_id_, token.id);
  if (!match_form.empty()) (token.normalized ? normalized_ : raw_).Insert(match_form, token.id);
}

std::optional<int32_t> AddedVocabulary::Find(std::string_view content) const {
  auto it = by_content_.find(AbslView(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const AddedToken* AddedVocabulary::ById(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

}  // namespace ecgbench::common::text
