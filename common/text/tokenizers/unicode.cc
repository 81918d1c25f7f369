// Unicode tables lookups, UTF-8 coding and NFC for the text tokenizers (see unicode.h).
#include "common/text/tokenizers/unicode.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::text {

namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};
struct CombiningClassRange {
  char32_t first;
  char32_t last;
  int ccc;
};
struct Decomposition {
  char32_t cp;
  uint16_t offset;
  uint8_t length;
};
struct Composition {
  char32_t first;
  char32_t second;
  char32_t composite;
};

#include "common/text/tokenizers/unicode_tables.inc"

template <typename Range, size_t N>
const Range* FindRange(const Range (&table)[N], char32_t cp) {
  const Range* it = std::upper_bound(table, table + N, cp, [](char32_t c, const Range& r) { return c < r.first; });
  if (it == table) return nullptr;
  --it;
  return cp <= it->last ? it : nullptr;
}

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void Decompose(char32_t cp, std::vector<char32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const int s = static_cast<int>(cp - kSBase);
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  const Decomposition* end = kDecompositions + std::size(kDecompositions);
  const Decomposition* it =
      std::lower_bound(kDecompositions, end, cp, [](const Decomposition& d, char32_t c) { return d.cp < c; });
  if (it != end && it->cp == cp) {
    out->insert(out->end(), kDecompositionData + it->offset, kDecompositionData + it->offset + it->length);
  } else {
    out->push_back(cp);
  }
}

// The primary composite of (a, b), or 0.
char32_t Compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const Composition* end = kCompositions + std::size(kCompositions);
  const Composition* it = std::lower_bound(kCompositions, end, std::make_pair(a, b), [](const Composition& c, const auto& key) {
    return c.first != key.first ? c.first < key.first : c.second < key.second;
  });
  return (it != end && it->first == a && it->second == b) ? it->composite : 0;
}

}  // namespace

const char* UnicodeVersion() { return kUnicodeVersion; }

bool IsLetter(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return FindRange(kLetterRanges, cp) != nullptr;
}

bool IsNumber(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return FindRange(kNumberRanges, cp) != nullptr;
}

bool IsWhitespace(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

int CombiningClass(char32_t cp) {
  if (cp < 0x300) return 0;
  const CombiningClassRange* r = FindRange(kCombiningClasses, cp);
  return r ? r->ccc : 0;
}

namespace {

// Length of the valid UTF-8 sequence at text[i] and its code point, or 0 when invalid.
inline int DecodeOne(std::string_view text, size_t i, char32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  const size_t n = text.size();
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    if (i + 1 >= n || (b(i + 1) & 0xC0) != 0x80) return 0;
    *cp = (char32_t(c & 0x1F) << 6) | (b(i + 1) & 0x3F);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (i + 2 >= n) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    if (b(i + 1) < lo || b(i + 1) > hi || (b(i + 2) & 0xC0) != 0x80) return 0;
    *cp = (char32_t(c & 0x0F) << 12) | (char32_t(b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (i + 3 >= n) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (b(i + 1) < lo || b(i + 1) > hi || (b(i + 2) & 0xC0) != 0x80 || (b(i + 3) & 0xC0) != 0x80) return 0;
    *cp = (char32_t(c & 0x07) << 18) | (char32_t(b(i + 1) & 0x3F) << 12) | (char32_t(b(i + 2) & 0x3F) << 6) |
          (b(i + 3) & 0x3F);
    return 4;
  }
  return 0;
}

absl::Status InvalidAt(size_t i) { return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte ", i)); }

}  // namespace

absl::Status DecodeUtf8(std::string_view text, std::vector<char32_t>* cps, std::vector<uint32_t>* offsets) {
  cps->clear();
  offsets->clear();
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    const int len = DecodeOne(text, i, &cp);
    if (len == 0) return InvalidAt(i);
    cps->push_back(cp);
    offsets->push_back(static_cast<uint32_t>(i));
    i += static_cast<size_t>(len);
  }
  offsets->push_back(static_cast<uint32_t>(text.size()));
  return absl::OkStatus();
}

absl::Status ValidateUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const int len = DecodeOne(text, i, &cp);
    if (len == 0) return InvalidAt(i);
    i += static_cast<size_t>(len);
  }
  return absl::OkStatus();
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendUtf8Lossy(std::string_view bytes, std::string* out) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (size_t i = 0; i < bytes.size();) {
    char32_t cp;
    const int len = DecodeOne(bytes, i, &cp);
    if (len > 0) {
      out->append(bytes.data() + i, static_cast<size_t>(len));
      i += static_cast<size_t>(len);
      continue;
    }
    // Maximal subpart: the lead byte plus the continuation bytes that were still valid.
    const unsigned char c = b(i);
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    size_t k = 1;
    while (k <= need && i + k < bytes.size()) {
      const unsigned char x = b(i + k);
      const bool ok = k == 1 ? (x >= lo && x <= hi) : (x & 0xC0) == 0x80;
      if (!ok) break;
      ++k;
    }
    out->append("\xEF\xBF\xBD");
    i += k;
  }
}

namespace {

// Canonical decomposition of `cps` in canonical order (NFD), into *out.
void DecomposeOrdered(const std::vector<char32_t>& cps, std::vector<char32_t>* out) {
  std::vector<char32_t>& d = *out;
  d.clear();
  d.reserve(cps.size() + 8);
  for (char32_t cp : cps) Decompose(cp, &d);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < d.size();) {
    if (CombiningClass(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && CombiningClass(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return CombiningClass(a) < CombiningClass(b); });
    i = j;
  }
}

}  // namespace

void AppendNfd(std::string_view text, std::string* out) {
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  if (!DecodeUtf8(text, &cps, &offsets).ok() ||
      std::all_of(cps.begin(), cps.end(), [](char32_t c) { return c < 0xC0; })) {
    out->append(text);
    return;
  }
  std::vector<char32_t> d;
  DecomposeOrdered(cps, &d);
  for (char32_t cp : d) AppendUtf8(cp, out);
}

void AppendNfc(std::string_view text, std::string* out) {
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  if (!DecodeUtf8(text, &cps, &offsets).ok() ||
      std::all_of(cps.begin(), cps.end(), [](char32_t c) { return c < 0x300; })) {
    out->append(text);
    return;
  }
  std::vector<char32_t> d;
  DecomposeOrdered(cps, &d);
  // Canonical composition.
  if (!d.empty()) {
    size_t starter = 0, kept = 1;
    bool have_starter = CombiningClass(d[0]) == 0;
    int last_class = have_starter ? 0 : 256;
    for (size_t i = 1; i < d.size(); ++i) {
      const char32_t ch = d[i];
      const int ch_class = CombiningClass(ch);
      const char32_t composite = have_starter ? Compose(d[starter], ch) : 0;
      if (composite != 0 && (last_class < ch_class || last_class == 0)) {
        d[starter] = composite;
        continue;
      }
      if (ch_class == 0) {
        starter = kept;
        have_starter = true;
      }
      last_class = ch_class;
      d[kept++] = ch;
    }
    d.resize(kept);
  }
  for (char32_t cp : d) AppendUtf8(cp, out);
}

}  // namespace ecgbench::common::text
