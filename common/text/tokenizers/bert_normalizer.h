// The text pipeline of BERT's WordPiece tokenizers as HF tokenizers runs it: the BertNormalizer
// (clean_text, handle_chinese_chars, strip_accents, lowercase, in that order) and the
// BertPreTokenizer (split on whitespace, which is dropped, and isolate every punctuation
// character). Character classes: Rust's char::is_whitespace (White_Space) plus \t \n \r;
// "control" = general category C* (Cc Cf Cs Co Cn) except \t \n \r; punctuation = ASCII
// punctuation or category P*; accents = category Mn after NFD; lowercase = the full per-character
// lowercase mapping (U+0130 -> "i\u0307"), not context-sensitive; Chinese characters = the CJK
// ideograph blocks BERT lists. Tables: bert_unicode_tables.inc (gen_bert_unicode_tables.py,
// Unicode 14.0.0). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecgbench::common::text {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents;  // unset: follows lowercase (as HF tokenizers)
  bool lowercase = true;

  bool strips_accents() const { return strip_accents.value_or(lowercase); }
};

bool IsBertWhitespace(char32_t cp);
bool IsBertControl(char32_t cp);
bool IsBertPunctuation(char32_t cp);
bool IsChineseChar(char32_t cp);
bool IsNonspacingMark(char32_t cp);
// Appends the full lowercase mapping of `cp` (one to three code points) as UTF-8.
void AppendLowercase(char32_t cp, std::string* out);

// Appends the normalized form of `text` (valid UTF-8) to *out.
void BertNormalize(const BertNormalizerOptions& options, std::string_view text, std::string* out);

// Splits `text` (valid UTF-8) into words: byte ranges [begin, end) appended to *words.
void BertPreTokenize(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>* words);

}  // namespace ecgbench::common::text
