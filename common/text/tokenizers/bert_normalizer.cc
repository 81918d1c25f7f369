// BertNormalizer and BertPreTokenizer over Unicode 14 tables (bert_normalizer.h).
#include "common/text/tokenizers/bert_normalizer.h"

#include <algorithm>
#include <iterator>

#include "common/text/tokenizers/unicode.h"

namespace ecgbench::common::text {

namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};
struct LowercaseMapping {
  char32_t cp;
  char32_t lower[3];  // 0-terminated when shorter
};

#include "common/text/tokenizers/bert_unicode_tables.inc"

template <size_t N>
bool InRanges(const CodePointRange (&table)[N], char32_t cp) {
  const CodePointRange* it =
      std::upper_bound(table, table + N, cp, [](char32_t c, const CodePointRange& r) { return c < r.first; });
  return it != table && cp <= (it - 1)->last;
}

// Decodes the code point starting at text[i] (valid UTF-8) and its length in bytes.
inline char32_t NextCodePoint(std::string_view text, size_t i, size_t* len) {
  const auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(text[k])); };
  const char32_t c = b(i);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  if (c < 0xE0) {
    *len = 2;
    return ((c & 0x1F) << 6) | (b(i + 1) & 0x3F);
  }
  if (c < 0xF0) {
    *len = 3;
    return ((c & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
  }
  *len = 4;
  return ((c & 0x07) << 18) | ((b(i + 1) & 0x3F) << 12) | ((b(i + 2) & 0x3F) << 6) | (b(i + 3) & 0x3F);
}

}  // namespace

bool IsBertWhitespace(char32_t cp) { return cp == '\t' || cp == '\n' || cp == '\r' || IsWhitespace(cp); }

bool IsBertControl(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
  return InRanges(kOtherRanges, cp);
}

bool IsBertPunctuation(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
  return InRanges(kPunctuationRanges, cp);
}

bool IsChineseChar(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool IsNonspacingMark(char32_t cp) { return cp >= 0x300 && InRanges(kNonspacingMarkRanges, cp); }

void AppendLowercase(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  const LowercaseMapping* end = kLowercaseMappings + std::size(kLowercaseMappings);
  const LowercaseMapping* it =
      std::lower_bound(kLowercaseMappings, end, cp, [](const LowercaseMapping& m, char32_t c) { return m.cp < c; });
  if (it == end || it->cp != cp) {
    AppendUtf8(cp, out);
    return;
  }
  for (char32_t l : it->lower) {
    if (l == 0) break;
    AppendUtf8(l, out);
  }
}

void BertNormalize(const BertNormalizerOptions& options, std::string_view text, std::string* out) {
  // Stage 1: clean_text and handle_chinese_chars, per code point.
  std::string stage;
  stage.reserve(text.size() + 8);
  for (size_t i = 0, len = 0; i < text.size(); i += len) {
    char32_t cp = NextCodePoint(text, i, &len);
    if (options.clean_text) {
      if (cp == 0 || cp == 0xFFFD || IsBertControl(cp)) continue;
      if (IsBertWhitespace(cp)) cp = ' ';
    }
    if (options.handle_chinese_chars && IsChineseChar(cp)) {
      stage.push_back(' ');
      AppendUtf8(cp, &stage);
      stage.push_back(' ');
    } else {
      AppendUtf8(cp, &stage);
    }
  }
  // Stage 2: strip_accents (NFD, then drop nonspacing marks).
  if (options.strips_accents()) {
    std::string nfd;
    AppendNfd(stage, &nfd);
    stage.clear();
    for (size_t i = 0, len = 0; i < nfd.size(); i += len) {
      const char32_t cp = NextCodePoint(nfd, i, &len);
      if (!IsNonspacingMark(cp)) stage.append(nfd, i, len);
    }
  }
  // Stage 3: lowercase.
  if (!options.lowercase) {
    out->append(stage);
    return;
  }
  out->reserve(out->size() + stage.size());
  for (size_t i = 0, len = 0; i < stage.size(); i += len) AppendLowercase(NextCodePoint(stage, i, &len), out);
}

void BertPreTokenize(std::string_view text, std::vector<std::pair<uint32_t, uint32_t>>* words) {
  size_t start = 0;
  bool in_word = false;
  for (size_t i = 0, len = 0; i < text.size(); i += len) {
    const char32_t cp = NextCodePoint(text, i, &len);
    const bool space = IsBertWhitespace(cp), punct = !space && IsBertPunctuation(cp);
    if (space || punct) {
      if (in_word) words->emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(i));
      in_word = false;
      if (punct) words->emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(i + len));
      continue;
    }
    if (!in_word) {
      start = i;
      in_word = true;
    }
  }
  if (in_word) words->emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(text.size()));
}

}  // namespace ecgbench::common::text
