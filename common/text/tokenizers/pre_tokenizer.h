// The pre-tokenizer regexes of the byte-level BPE models, implemented by hand as matchers over code
// points (std::regex has neither \p{..} nor lookahead). Each matcher reproduces the leftmost-first
// semantics of the regex (as HF tokenizers' Split with behavior Isolated / ByteLevel use_regex run
// it with Rust's regex crate) exactly; the pieces cover the text without gaps. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace ecgbench::common::text {

enum class SplitPattern {
  kGpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kLlama3,  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kQwen2,   // as kLlama3 with \p{N} (one digit per piece) instead of \p{N}{1,3}
};

// The regex source text of each pattern, as tokenizer.json spells it.
std::string_view PatternRegex(SplitPattern pattern);
// The pattern whose regex source is exactly `regex`, if any.
std::optional<SplitPattern> PatternFromRegex(std::string_view regex);

// Splits cps[0, n) into consecutive pieces [begin, end) (code point indices), appended to *pieces.
void PreTokenize(SplitPattern pattern, const char32_t* cps, size_t n, std::vector<std::pair<uint32_t, uint32_t>>* pieces);

}  // namespace ecgbench::common::text
