// Text helpers shared by the metrics: Python's str.split() / str.strip() whitespace (the tokenization
// upstream's NLTK BLEU, METEOR and the `rouge` package apply), UTF-8 validation, and the answer
// normalization of exact-match accuracy and answer F1 (docs/evaluation-metrics.md).
// All functions are pure and thread-safe; string_views returned point into the argument.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ecgbench::common::eval {

namespace internal {
// 0: not whitespace; 1: an ASCII whitespace byte; 2: a lead byte of a possible multi-byte one.
constexpr std::array<unsigned char, 256> MakeSpaceClass() {
  std::array<unsigned char, 256> t{};
  for (int c = 0x09; c <= 0x0D; ++c) t[c] = 1;
  for (int c = 0x1C; c <= 0x20; ++c) t[c] = 1;
  t[0xC2] = t[0xE1] = t[0xE2] = t[0xE3] = 2;
  return t;
}
inline constexpr std::array<unsigned char, 256> kSpaceClass = MakeSpaceClass();
size_t MultiByteSpaceAt(std::string_view text, size_t pos);
}  // namespace internal

// Length in bytes of the Python whitespace character (str.isspace(): ASCII \t\n\v\f\r, 0x1C-0x1F,
// space, and U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000)
// starting at text[pos], or 0 when there is none. REQUIRES: pos < text.size().
inline size_t PythonSpaceAt(std::string_view text, size_t pos) {
  const unsigned char cls = internal::kSpaceClass[static_cast<unsigned char>(text[pos])];
  return cls < 2 ? cls : internal::MultiByteSpaceAt(text, pos);
}

// True for the ASCII punctuation characters (Python's string.punctuation).
inline bool IsAsciiPunct(unsigned char c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

// Python's text.strip(): leading and trailing whitespace removed.
std::string_view StripPython(std::string_view text);

// Python's text.split(): appends the maximal runs of non-whitespace to *tokens (not cleared).
void SplitPython(std::string_view text, std::vector<std::string_view>* tokens);

// Byte offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or std::string_view::npos.
size_t FindInvalidUtf8(std::string_view text);

// The normalization of exact-match accuracy: ASCII letters lowercased, every ASCII punctuation
// character replaced by a space, whitespace runs collapsed to one space, both ends stripped.
// Non-ASCII characters other than whitespace are kept as they are.
std::string NormalizeAnswer(std::string_view text);
// The same, assigned to *out (whose capacity is reused).
void NormalizeAnswerTo(std::string_view text, std::string* out);

}  // namespace ecgbench::common::eval
