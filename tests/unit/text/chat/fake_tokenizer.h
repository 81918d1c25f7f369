// A tiny Tokenizer for the chat tests: every byte is its own id (0..255), "\n\n" is one token
// (id 256, so that a merge across a label boundary can be tested), and tokens added with AddTokens
// (special or not) get ids from 300 and are matched whole (longest first) before anything else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/text/tokenizer.h"

namespace ecgbench::common::text::testing {

class FakeTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kNewlines = 256;
  static constexpr int32_t kFirstAdded = 300;

  explicit FakeTokenizer(const std::vector<std::string>& specials) { AddTokens(specials, true); }

  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    size_t i = 0;
    while (i < text.size()) {
      size_t best = 0;
      int32_t best_id = -1;
      for (const auto& [tok, id] : added_) {
        if (tok.size() > best && text.substr(i, tok.size()) == tok) {
          best = tok.size();
          best_id = id;
        }
      }
      if (best > 0) {
        ids.push_back(best_id);
        i += best;
      } else if (text.substr(i, 2) == "\n\n") {
        ids.push_back(kNewlines);
        i += 2;
      } else {
        if (static_cast<unsigned char>(text[i]) == 0xFF) {
          return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte ", i));
        }
        ids.push_back(static_cast<unsigned char>(text[i]));
        ++i;
      }
    }
    return ids;
  }

  absl::StatusOr<std::string> Decode(const std::vector<int32_t>& ids, bool skip_special) const override {
    std::string s;
    for (int32_t id : ids) {
      auto t = IdToToken(id);
      if (!t) return absl::InvalidArgumentError(absl::StrCat("id ", id));
      s += *t;
    }
    return s;
  }

  int32_t vocab_size() const override { return next_; }

  std::optional<int32_t> TokenToId(std::string_view token) const override {
    auto it = added_.find(std::string(token));
    if (it == added_.end()) return std::nullopt;
    return it->second;
  }

  std::optional<std::string> IdToToken(int32_t id) const override {
    if (id >= 0 && id < 256) return std::string(1, static_cast<char>(id));
    if (id == kNewlines) return std::string("\n\n");
    for (const auto& [tok, tid] : added_) {
      if (tid == id) return tok;
    }
    return std::nullopt;
  }

  std::vector<int32_t> AddTokens(const std::vector<std::string>& tokens, bool special) override {
    std::vector<int32_t> ids;
    for (const std::string& t : tokens) {
      auto it = added_.find(t);
      if (it == added_.end()) it = added_.emplace(t, next_++).first;
      ids.push_back(it->second);
    }
    return ids;
  }

 private:
  std::map<std::string, int32_t> added_;
  int32_t next_ = kFirstAdded;
};

}  // namespace ecgbench::common::text::testing
