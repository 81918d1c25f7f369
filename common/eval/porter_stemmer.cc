// Porter stemmer, NLTK_EXTENSIONS behaviour (see porter_stemmer.h). The steps edit one working
// string in place. Rule lists keep NLTK's order and its "first rule whose suffix matches decides,
// even when its condition fails" semantics, which the exact METEOR agreement depends on.
#include "common/eval/porter_stemmer.h"

#include <array>
#include <cstddef>
#include <cstring>
#include <utility>

namespace ecgbench::common::eval {
namespace {

bool IsVowelLetter(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// Porter's consonant: not a vowel letter, and 'y' only when first or after a vowel. Defined
// recursively (a 'y' is a consonant iff the letter before is not); computed without recursion, so
// a long run of 'y's cannot exhaust the stack: the run alternates from its first letter.
bool IsConsonant(const std::string& w, size_t i) {
  if (IsVowelLetter(w[i])) return false;
  if (w[i] != 'y') return true;
  size_t start = i;
  while (start > 0 && w[start - 1] == 'y') --start;
  const bool first = start == 0 || IsVowelLetter(w[start - 1]);  // the run's first 'y'
  return ((i - start) % 2 == 0) == first;
}

// m of the prefix w[0, len): the number of vowel-to-consonant transitions.
int Measure(const std::string& w, size_t len) {
  int m = 0;
  bool prev_consonant = true;
  for (size_t i = 0; i < len; ++i) {
    const bool consonant = IsVowelLetter(w[i]) ? false : w[i] == 'y' ? (i == 0 || !prev_consonant) : true;
    if (consonant && i > 0 && !prev_consonant) ++m;
    prev_consonant = consonant;
  }
  return m;
}

bool ContainsVowel(const std::string& w, size_t len) {
  bool prev_consonant = true;
  for (size_t i = 0; i < len; ++i) {
    const bool consonant = IsVowelLetter(w[i]) ? false : w[i] == 'y' ? (i == 0 || !prev_consonant) : true;
    if (!consonant) return true;
    prev_consonant = consonant;
  }
  return false;
}

bool EndsDoubleConsonant(const std::string& w, size_t len) {
  return len >= 2 && w[len - 1] == w[len - 2] && IsConsonant(w, len - 1);
}

// *o: consonant-vowel-consonant, the last not w/x/y; NLTK also accepts a two-letter vowel-consonant.
bool EndsCvc(const std::string& w, size_t len) {
  if (len >= 3 && IsConsonant(w, len - 3) && !IsConsonant(w, len - 2) && IsConsonant(w, len - 1) &&
      w[len - 1] != 'w' && w[len - 1] != 'x' && w[len - 1] != 'y') {
    return true;
  }
  return len == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1);
}

// Suffixes are at most 7 letters: a byte loop beats a memcmp call here.
bool EndsWith(const std::string& w, const char* suffix, size_t suffix_len) {
  if (w.size() < suffix_len) return false;
  const char* tail = w.data() + w.size() - suffix_len;
  for (size_t i = suffix_len; i-- > 0;) {
    if (tail[i] != suffix[i]) return false;
  }
  return true;
}

enum class Cond { kNone, kMeasurePositive, kMeasureAbove1, kIon, kLogi };

struct Rule {
  std::string_view suffix;
  std::string_view replacement;
  Cond cond;
};

bool CondHolds(const std::string& w, size_t stem_len, Cond cond) {
  switch (cond) {
    case Cond::kNone:
      return true;
    case Cond::kMeasurePositive:
      return Measure(w, stem_len) > 0;
    case Cond::kMeasureAbove1:
      return Measure(w, stem_len) > 1;
    case Cond::kIon:
      return Measure(w, stem_len) > 1 && (w[stem_len - 1] == 's' || w[stem_len - 1] == 't');
    case Cond::kLogi:  // NLTK tests the word less its last three letters ("...l" of "...logi").
      return Measure(w, w.size() - 3) > 0;
  }
  return false;
}

// The first rule whose suffix matches decides: replaced when its condition holds, else unchanged.
template <size_t N>
void ApplyRules(std::string& w, const std::array<Rule, N>& rules) {
  for (const Rule& rule : rules) {
    if (!EndsWith(w, rule.suffix.data(), rule.suffix.size())) continue;
    const size_t stem_len = w.size() - rule.suffix.size();
    if (CondHolds(w, stem_len, rule.cond)) {
      w.resize(stem_len);
      w.append(rule.replacement.data(), rule.replacement.size());
    }
    return;
  }
}

void Step1a(std::string& w) {
  if (w.size() == 4 && EndsWith(w, "ies", 3)) {  // NLTK: "ties" -> "tie"
    w.resize(3);
    w.back() = 'e';
    return;
  }
  static constexpr std::array<Rule, 4> kRules = {{
      {"sses", "ss", Cond::kNone}, {"ies", "i", Cond::kNone}, {"ss", "ss", Cond::kNone}, {"s", "", Cond::kNone}}};
  ApplyRules(w, kRules);
}

void Step1b(std::string& w) {
  if (EndsWith(w, "ied", 3)) {  // NLTK: "died" -> "die", "cried" -> "cri"
    w.resize(w.size() - 3);
    w.append(w.size() == 1 ? "ie" : "i");
    return;
  }
  if (EndsWith(w, "eed", 3)) {
    if (Measure(w, w.size() - 3) > 0) w.resize(w.size() - 1);
    return;
  }
  size_t stem_len = 0;
  bool removed = false;
  if (EndsWith(w, "ed", 2) && ContainsVowel(w, w.size() - 2)) {
    stem_len = w.size() - 2;
    removed = true;
  } else if (EndsWith(w, "ing", 3) && ContainsVowel(w, w.size() - 3)) {
    stem_len = w.size() - 3;
    removed = true;
  }
  if (!removed) return;
  w.resize(stem_len);
  if (EndsWith(w, "at", 2) || EndsWith(w, "bl", 2) || EndsWith(w, "iz", 2)) {
    w.push_back('e');
    return;
  }
  if (EndsDoubleConsonant(w, w.size())) {
    const char last = w.back();
    if (last != 'l' && last != 's' && last != 'z') w.pop_back();
    return;
  }
  if (Measure(w, w.size()) == 1 && EndsCvc(w, w.size())) w.push_back('e');
}

void Step1c(std::string& w) {
  if (w.empty() || w.back() != 'y') return;
  const size_t stem_len = w.size() - 1;
  if (stem_len > 1 && IsConsonant(w, stem_len - 1)) w.back() = 'i';
}

void Step2(std::string& w) {
  if (EndsWith(w, "alli", 4) && Measure(w, w.size() - 4) > 0) {
    w.resize(w.size() - 2);  // "...alli" -> "...al", then Step 2 again (NLTK)
    Step2(w);
    return;
  }
  static constexpr std::array<Rule, 22> kRules = {{
      {"ational", "ate", Cond::kMeasurePositive}, {"tional", "tion", Cond::kMeasurePositive},
      {"enci", "ence", Cond::kMeasurePositive},   {"anci", "ance", Cond::kMeasurePositive},
      {"izer", "ize", Cond::kMeasurePositive},    {"bli", "ble", Cond::kMeasurePositive},
      {"alli", "al", Cond::kMeasurePositive},     {"entli", "ent", Cond::kMeasurePositive},
      {"eli", "e", Cond::kMeasurePositive},       {"ousli", "ous", Cond::kMeasurePositive},
      {"ization", "ize", Cond::kMeasurePositive}, {"ation", "ate", Cond::kMeasurePositive},
      {"ator", "ate", Cond::kMeasurePositive},    {"alism", "al", Cond::kMeasurePositive},
      {"iveness", "ive", Cond::kMeasurePositive}, {"fulness", "ful", Cond::kMeasurePositive},
      {"ousness", "ous", Cond::kMeasurePositive}, {"aliti", "al", Cond::kMeasurePositive},
      {"iviti", "ive", Cond::kMeasurePositive},   {"biliti", "ble", Cond::kMeasurePositive},
      {"fulli", "ful", Cond::kMeasurePositive},   {"logi", "log", Cond::kLogi}}};
  ApplyRules(w, kRules);
}

void Step3(std::string& w) {
  static constexpr std::array<Rule, 7> kRules = {{
      {"icate", "ic", Cond::kMeasurePositive}, {"ative", "", Cond::kMeasurePositive},
      {"alize", "al", Cond::kMeasurePositive}, {"iciti", "ic", Cond::kMeasurePositive},
      {"ical", "ic", Cond::kMeasurePositive},  {"ful", "", Cond::kMeasurePositive},
      {"ness", "", Cond::kMeasurePositive}}};
  ApplyRules(w, kRules);
}

void Step4(std::string& w) {
  static constexpr std::array<Rule, 19> kRules = {{
      {"al", "", Cond::kMeasureAbove1},   {"ance", "", Cond::kMeasureAbove1}, {"ence", "", Cond::kMeasureAbove1},
      {"er", "", Cond::kMeasureAbove1},   {"ic", "", Cond::kMeasureAbove1},   {"able", "", Cond::kMeasureAbove1},
      {"ible", "", Cond::kMeasureAbove1}, {"ant", "", Cond::kMeasureAbove1},  {"ement", "", Cond::kMeasureAbove1},
      {"ment", "", Cond::kMeasureAbove1}, {"ent", "", Cond::kMeasureAbove1},  {"ion", "", Cond::kIon},
      {"ou", "", Cond::kMeasureAbove1},   {"ism", "", Cond::kMeasureAbove1},  {"ate", "", Cond::kMeasureAbove1},
      {"iti", "", Cond::kMeasureAbove1},  {"ous", "", Cond::kMeasureAbove1},  {"ive", "", Cond::kMeasureAbove1},
      {"ize", "", Cond::kMeasureAbove1}}};
  ApplyRules(w, kRules);
}

void Step5(std::string& w) {
  if (!w.empty() && w.back() == 'e') {
    const size_t stem_len = w.size() - 1;
    const int m = Measure(w, stem_len);
    if (m > 1 || (m == 1 && !EndsCvc(w, stem_len))) w.pop_back();
  }
  if (EndsWith(w, "ll", 2) && Measure(w, w.size() - 1) > 1) w.pop_back();
}

// NLTK_EXTENSIONS irregular forms: word -> stem, checked before the steps.
std::string_view IrregularStem(std::string_view w) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kPool = {{
      {"sky", "sky"}, {"skies", "sky"}, {"dying", "die"}, {"lying", "lie"}, {"tying", "tie"},
      {"news", "news"}, {"innings", "inning"}, {"inning", "inning"}, {"outings", "outing"},
      {"outing", "outing"}, {"cannings", "canning"}, {"canning", "canning"}, {"howe", "howe"},
      {"proceed", "proceed"}, {"exceed", "exceed"}, {"succeed", "succeed"}}};
  if (w.size() < 3 || w.size() > 8) return {};
  for (const auto& [form, stem] : kPool) {
    if (w == form) return stem;
  }
  return {};
}

void StemAscii(std::string& w, size_t code_points) {
  if (const std::string_view irregular = IrregularStem(w); !irregular.empty()) {
    w.assign(irregular.data(), irregular.size());
    return;
  }
  if (code_points <= 2) return;
  Step1a(w);
  Step1b(w);
  Step1c(w);
  Step2(w);
  Step3(w);
  Step4(w);
  Step5(w);
}

// Bytes of the UTF-8 sequence starting with `lead` (1 for ASCII and for stray bytes).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

void PorterStem(std::string_view word, std::string* out) {
  std::string& w = *out;
  bool ascii = true;
  for (char c : word) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    w.assign(word.data(), word.size());
    StemAscii(w, word.size());
    return;
  }
  // Each distinct non-ASCII code point becomes one byte 0x80 + k: the steps only test ASCII
  // letters and code-point equality, both preserved, and afterwards each byte is expanded back.
  std::array<std::string_view, 128> units;
  size_t n_units = 0;
  w.clear();
  size_t code_points = 0;
  for (size_t i = 0; i < word.size(); ++code_points) {
    const unsigned char lead = static_cast<unsigned char>(word[i]);
    if (lead < 0x80) {
      w.push_back(word[i++]);
      continue;
    }
    size_t len = SequenceLength(lead);
    if (i + len > word.size()) len = 1;
    const std::string_view unit = word.substr(i, len);
    i += len;
    size_t k = 0;
    while (k < n_units && units[k] != unit) ++k;
    if (k == n_units) {
      if (n_units == units.size()) {  // more than 128 distinct code points: stem the raw bytes
        w.assign(word.data(), word.size());
        StemAscii(w, word.size());
        return;
      }
      units[n_units++] = unit;
    }
    w.push_back(static_cast<char>(0x80 + k));
  }
  StemAscii(w, code_points);
  size_t expanded = 0;
  for (char c : w) {
    const unsigned char b = static_cast<unsigned char>(c);
    expanded += b < 0x80 ? 1 : units[b - 0x80].size();
  }
  size_t src = w.size();
  w.resize(expanded);
  size_t dst = expanded;
  while (src > 0) {  // expand from the back, in place
    const unsigned char b = static_cast<unsigned char>(w[--src]);
    if (b < 0x80) {
      w[--dst] = static_cast<char>(b);
    } else {
      const std::string_view unit = units[b - 0x80];
      dst -= unit.size();
      std::memcpy(&w[dst], unit.data(), unit.size());
    }
  }
}

std::string PorterStem(std::string_view word) {
  std::string out;
  PorterStem(word, &out);
  return out;
}

}  // namespace ecgbench::common::eval
