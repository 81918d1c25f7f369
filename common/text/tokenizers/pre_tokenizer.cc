// Hand-written matchers for the GPT-2 and Llama 3 / Qwen 2 pre-tokenizer regexes (pre_tokenizer.h).
// Each Match* function returns the end of the regex's leftmost-first match starting at i (> i).
#include "common/text/tokenizers/pre_tokenizer.h"

#include "common/text/tokenizers/unicode.h"

namespace ecgbench::common::text {

namespace {

constexpr std::string_view kGpt2Regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

inline bool IsOther(char32_t c) { return !IsWhitespace(c) && !IsLetter(c) && !IsNumber(c); }
inline bool IsNewline(char32_t c) { return c == '\r' || c == '\n'; }

// Simple case folding of the letters in the contractions (Rust regex (?i) folds U+017F to s).
inline char32_t Fold(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c == 0x17F) return 's';
  return c;
}

// 's|'t|'re|'ve|'m|'ll|'d at i (case-insensitive when `fold`); 0 when none.
inline size_t MatchContraction(const char32_t* c, size_t n, size_t i, bool fold) {
  if (c[i] != '\'' || i + 1 >= n) return 0;
  const auto f = [&](char32_t x) { return fold ? Fold(x) : x; };
  const char32_t a = f(c[i + 1]);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
  if (i + 2 < n) {
    const char32_t b = f(c[i + 2]);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  }
  return 0;
}

// \s+(?!\S)|\s+ at i (c[i] is whitespace); `k` is the end of the whitespace run.
inline size_t MatchTrailingSpace(size_t n, size_t i, size_t k) {
  if (k == n) return k;
  return k - 1 > i ? k - 1 : k;
}

size_t MatchGpt2(const char32_t* c, size_t n, size_t i) {
  if (size_t e = MatchContraction(c, n, i, false)) return e;
  const size_t j = c[i] == ' ' ? i + 1 : i;
  if (j < n) {
    size_t e = j;
    if (IsLetter(c[j])) {
      while (e < n && IsLetter(c[e])) ++e;
      return e;
    }
    if (IsNumber(c[j])) {
      while (e < n && IsNumber(c[e])) ++e;
      return e;
    }
    if (IsOther(c[j])) {
      while (e < n && IsOther(c[e])) ++e;
      return e;
    }
  }
  size_t k = i;
  while (k < n && IsWhitespace(c[k])) ++k;
  return MatchTrailingSpace(n, i, k);
}

size_t MatchLlama3(const char32_t* c, size_t n, size_t i, size_t max_digits) {
  if (size_t e = MatchContraction(c, n, i, true)) return e;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  size_t letters = n;
  if (IsLetter(c[i])) {
    letters = i;
  } else if (!IsNewline(c[i]) && !IsNumber(c[i]) && i + 1 < n && IsLetter(c[i + 1])) {
    letters = i + 1;
  }
  if (letters < n) {
    size_t e = letters;
    while (e < n && IsLetter(c[e])) ++e;
    return e;
  }
  // \p{N}{1,max}
  if (IsNumber(c[i])) {
    size_t e = i;
    while (e < n && e - i < max_digits && IsNumber(c[e])) ++e;
    return e;
  }
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  const size_t j = c[i] == ' ' ? i + 1 : i;
  if (j < n && IsOther(c[j])) {
    size_t e = j;
    while (e < n && IsOther(c[e])) ++e;
    while (e < n && IsNewline(c[e])) ++e;
    return e;
  }
  // \s*[\r\n]+ : through the last newline of the whitespace run.
  size_t k = i;
  while (k < n && IsWhitespace(c[k])) ++k;
  for (size_t q = k; q > i; --q) {
    if (IsNewline(c[q - 1])) return q;
  }
  return MatchTrailingSpace(n, i, k);
}

}  // namespace

std::string_view PatternRegex(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::kGpt2:
      return kGpt2Regex;
    case SplitPattern::kLlama3:
      return kLlama3Regex;
    case SplitPattern::kQwen2:
      return kQwen2Regex;
  }
  return {};
}

std::optional<SplitPattern> PatternFromRegex(std::string_view regex) {
  for (SplitPattern p : {SplitPattern::kGpt2, SplitPattern::kLlama3, SplitPattern::kQwen2}) {
    if (regex == PatternRegex(p)) return p;
  }
  return std::nullopt;
}

void PreTokenize(SplitPattern pattern, const char32_t* cps, size_t n, std::vector<std::pair<uint32_t, uint32_t>>* pieces) {
  for (size_t i = 0; i < n;) {
    size_t e = 0;
    switch (pattern) {
      case SplitPattern::kGpt2:
        e = MatchGpt2(cps, n, i);
        break;
      case SplitPattern::kLlama3:
        e = MatchLlama3(cps, n, i, 3);
        break;
      case SplitPattern::kQwen2:
        e = MatchLlama3(cps, n, i, 1);
        break;
    }
    pieces->emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(e));
    i = e;
  }
}

}  // namespace ecgbench::common::text
