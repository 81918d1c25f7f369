// Python whitespace splitting, UTF-8 validation and answer normalization (text_normalize.h).
#include "common/eval/text_normalize.h"

#include <cstdint>

namespace ecgbench::common::eval {

namespace internal {

size_t MultiByteSpaceAt(std::string_view text, size_t pos) {
  const auto b = [&](size_t i) -> unsigned { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  const unsigned c = b(pos);
  const unsigned c1 = b(pos + 1);
  const unsigned c2 = b(pos + 2);
  switch (c) {
    case 0xC2: return (c1 == 0x85 || c1 == 0xA0) ? 2 : 0;                  // U+0085, U+00A0
    case 0xE1: return (c1 == 0x9A && c2 == 0x80) ? 3 : 0;                  // U+1680
    case 0xE3: return (c1 == 0x80 && c2 == 0x80) ? 3 : 0;                  // U+3000
    case 0xE2:
      if (c1 == 0x80) {  // U+2000-U+200A, U+2028, U+2029, U+202F
        return ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) ? 3 : 0;
      }
      return (c1 == 0x81 && c2 == 0x9F) ? 3 : 0;                          // U+205F
    default: return 0;
  }
}

}  // namespace internal

namespace {

// Length of the whitespace character that ends at text[end - 1], or 0. Valid UTF-8 is
// self-synchronizing, so checking the 1-, 2- and 3-byte candidates is exact.
size_t PythonSpaceEndingAt(std::string_view text, size_t end) {
  const auto c = static_cast<unsigned char>(text[end - 1]);
  if (c < 0x80) return internal::kSpaceClass[c];
  if (end >= 2 && PythonSpaceAt(text, end - 2) == 2) return 2;
  if (end >= 3 && PythonSpaceAt(text, end - 3) == 3) return 3;
  return 0;
}

}  // namespace

std::string_view StripPython(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t n = PythonSpaceAt(text, begin);
    if (n == 0) break;
    begin += n;
  }
  size_t end = text.size();
  while (end > begin) {
    const size_t n = PythonSpaceEndingAt(text, end);
    if (n == 0) break;
    end -= n;
  }
  return text.substr(begin, end - begin);
}

void SplitPython(std::string_view text, std::vector<std::string_view>* tokens) {
  size_t pos = 0;
  size_t start = 0;
  bool in_token = false;
  while (pos < text.size()) {
    const size_t n = PythonSpaceAt(text, pos);
    if (n == 0) {
      if (!in_token) {
        start = pos;
        in_token = true;
      }
      ++pos;
      continue;
    }
    if (in_token) {
      tokens->push_back(text.substr(start, pos - start));
      in_token = false;
    }
    pos += n;
  }
  if (in_token) tokens->push_back(text.substr(start));
}

size_t FindInvalidUtf8(std::string_view text) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::string NormalizeAnswer(std::string_view text) {
  std::string out;
  NormalizeAnswerTo(text, &out);
  return out;
}

void NormalizeAnswerTo(std::string_view text, std::string* out) {
  out->clear();
  bool pending_space = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t space = PythonSpaceAt(text, pos);
    const auto c = static_cast<unsigned char>(text[pos]);
    if (space > 0 || IsAsciiPunct(c)) {
      pending_space = !out->empty();
      pos += space > 0 ? space : 1;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
    ++pos;
  }
}

}  // namespace ecgbench::common::eval
