// The parity corpus (test_corpus.h).
#include "tests/unit/text/tokenizers/test_corpus.h"

#include <random>

#include "common/text/tokenizers/unicode.h"

namespace ecgbench::common::text::testing {

namespace {

const std::vector<std::string>& HandWritten() {
  static const auto* lines = new std::vector<std::string>{
      "The ECG shows sinus rhythm with ST elevation.",
      "I'm sure it's fine; they've said we'll see, he'd know, you're right, don't.",
      "I'M SURE IT'S FINE; THEY'VE SAID WE'LL SEE, HE'D KNOW, YOU'RE RIGHT, DON'T.",
      "It'S tHe 'Re 'vE 'Ll 'D 'M 't 's 'x ''s '' 's's",
      "  leading and trailing spaces  ",
      "tabs\tand\t\tmore\t\t\ttabs",
      "line one\nline two\r\nline three\n\n\nend",
      "spaces before newline   \n   and after",
      "a    b     c      d",
      "\n",
      " ",
      "   ",
      "\t \n \r\n  \u00a0 \u3000x",
      "1 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890",
      "3.14159 2,718 -42 +7 1e-9 0x1F 0b1010 1_000_000 $5.00 100% 24/7",
      "HR 72 bpm, PR 160 ms, QRS 98 ms, QT/QTc 380/412 ms, axis -30\u00b0",
      "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
      "def f(x):\n    return {'a': [1, 2, 3], \"b\": None}  # comment",
      "if (x->y && !z) return std::make_unique<T>(args...);",
      "<html><body class=\"main\">Hello &amp; welcome</body></html>",
      "SELECT * FROM ecg WHERE lead = 'II' AND fs >= 250;",
      "!!! ??? ... --- *** ### @@@ ,,, ;;; ::: ~~~ ^^^ |||",
      "\u4e2d\u6587\u6d4b\u8bd5\uff1a\u5fc3\u7535\u56fe\u663e\u793a\u7aa6\u6027\u5fc3\u5f8b\u3002",
      "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u30ab\u30bf\u30ab\u30ca",
      "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.",
      "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0646\u0635 \u0645\u0646 \u0627\u0644\u064a\u0645\u064a\u0646 \u0664\u0665\u0666",
      "\u05e2\u05d1\u05e8\u05d9\u05ea \u05de\u05d9\u05de\u05d9\u05df \u05dc\u05e9\u05de\u05d0\u05dc",
      "\u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u093e\u0920 \u0967\u0968\u0969",
      "caf\u00e9 na\u00efve r\u00e9sum\u00e9 cafe\u0301 nai\u0308ve \u00c5ngstr\u00f6m",
      "\U0001F600 \U0001F44D\U0001F3FD \U0001F468\u200D\U0001F469\u200D\U0001F467 \U0001F1E9\U0001F1EA \u2764\ufe0f",
      "emoji\U0001F600inside\U0001F680words",
      "\uff11\uff12\uff13 \u00bd \u2153 \u2167 \u2460\u2461",
      "\u0391\u03b8\u03ae\u03bd\u03b1 \u041c\u043e\u0441\u043a\u0432\u0430 \u0422\u0435\u0441\u0442",
      "mixed\u4e2d\u6587English123\u6570\u5b57",
      "''''",
      "'",
      "a'b",
      "...'s",
  };
  return *lines;
}

const char* const kWords[] = {
    "the", "ECG", "shows", "sinus", "rhythm", "with", "ST", "elevation", "atrial", "fibrillation",
    "Patient", "denies", "chest", "pain", "QRS", "complex", "is", "wide", "lead", "aVR", "V1",
    "tachycardia", "bradycardia", "normal", "axis", "deviation", "myocardial", "infarction", "T-wave",
    "inversion", "ventricular", "premature", "beats", "hello", "World", "tokenizer", "merges",
    "Transformer", "interpretation", "electrocardiogram", "a", "I", "of", "and", "to", "in",
    "caf\u00e9", "na\u00efve", "\u00fcber", "stra\u00dfe", "se\u00f1or", "gar\u00e7on", "\u00e0", "o\u0308",
    "\u5fc3\u7535\u56fe", "\u533b\u751f", "\u75c5\u4eba", "\u6570\u636e", "\u30c6\u30b9\u30c8", "\u3072\u3089\u304c\u306a",
    "\ud55c\uae00", "\u0645\u0631\u062d\u0628\u0627", "\u0634\u0643\u0631\u0627", "\u05e9\u05dc\u05d5\u05dd",
    "\u043f\u0440\u0438\u0432\u0435\u0442", "\u03ba\u03b1\u03c1\u03b4\u03b9\u03ac", "\u0928\u092e\u0938\u094d\u0924\u0947",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
};
const char* const kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve",
                                     "'M", "'LL", "'lL", "'D", "'x", "'"};
const char* const kPunct[] = {".", ",", "!", "?", ";", ":", "...", "--", "(", ")", "[", "]", "{", "}", "\"",
                              "'", "/", "\\", "+", "-", "*", "=", "<", ">", "&", "|", "#", "@", "$", "%",
                              "^", "~", "`", "_", "\u00b0", "\u2014", "\u201c", "\u201d", "\u00ab", "\u00bb",
                              "\u3002", "\uff0c", "\u2026", "\u2192"};
const char* const kSpaces[] = {" ", " ", " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n",
                               " \n", "\n ", "  \n  ", "\u00a0", "\u3000", "\u2009", " \t "};
const char* const kCode[] = {"x += 1;", "std::vector<int>", "->", "=>", "!=", "==", "&&", "||", "/* c */",
                             "#include <map>", "foo_bar(baz)", "0xFF", "i++", "return;", "{}", "[0]", "\"str\"",
                             "'c'", "a.b.c", "self.x", "$HOME", "~/.bashrc", "C:\\dir\\file.txt"};
const char* const kEmoji[] = {"\U0001F600", "\U0001F602", "\U0001F44D", "\U0001F44D\U0001F3FB", "\u2764\ufe0f",
                              "\U0001F468\u200D\U0001F4BB", "\U0001F1FA\U0001F1F8", "\U0001F680", "\u2705",
                              "\U0001F4AF", "\u2728", "\U0001FAC0"};

// Ranges of characters assigned by Unicode 14 (letters, marks, digits, symbols of many scripts).
const char32_t kRanges[][2] = {
    {0x21, 0x7E},       {0xA1, 0xFF},       {0x100, 0x17E},     {0x180, 0x24F},     {0x300, 0x36F},
    {0x391, 0x3A1},     {0x3A3, 0x3C9},     {0x410, 0x44F},     {0x5D0, 0x5EA},     {0x621, 0x64A},
    {0x660, 0x669},     {0x905, 0x939},     {0x966, 0x96F},     {0xE01, 0xE30},     {0x1E00, 0x1EFF},
    {0x2010, 0x2027},   {0x2070, 0x2079},   {0x2150, 0x2188},   {0x2190, 0x21FF},   {0x2200, 0x22FF},
    {0x2460, 0x24FF},   {0x3041, 0x3096},   {0x30A1, 0x30FA},   {0x4E00, 0x9FA5},   {0xAC00, 0xD7A3},
    {0xFF01, 0xFF5E},   {0x1D400, 0x1D4FF}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2A6DF},
};

}  // namespace

std::vector<std::string> ParityCorpus(int count, uint32_t seed) {
  std::vector<std::string> lines(HandWritten().begin(), HandWritten().end());
  std::mt19937 rng(seed);
  const auto pick = [&rng](auto& array) -> const char* {
    return array[rng() % (sizeof(array) / sizeof(array[0]))];
  };
  while (static_cast<int>(lines.size()) < count) {
    std::string line;
    const int parts = 1 + static_cast<int>(rng() % 24);
    for (int p = 0; p < parts; ++p) {
      switch (rng() % 12) {
        case 0: case 1: case 2: case 3:
          line += pick(kWords);
          break;
        case 4:
          line += pick(kContractions);
          break;
        case 5: {
          const int digits = 1 + static_cast<int>(rng() % 12);
          for (int d = 0; d < digits; ++d) line.push_back(static_cast<char>('0' + rng() % 10));
          break;
        }
        case 6:
          line += pick(kPunct);
          if (rng() % 3 == 0) line += pick(kPunct);
          break;
        case 7:
          line += pick(kSpaces);
          break;
        case 8:
          line += pick(kCode);
          break;
        case 9:
          line += pick(kEmoji);
          break;
        default: {
          const auto& r = kRanges[rng() % (sizeof(kRanges) / sizeof(kRanges[0]))];
          const int n = 1 + static_cast<int>(rng() % 6);
          for (int k = 0; k < n; ++k) AppendUtf8(r[0] + static_cast<char32_t>(rng() % (r[1] - r[0] + 1)), &line);
          break;
        }
      }
      if (rng() % 2 == 0) line.push_back(' ');
    }
    lines.push_back(std::move(line));
  }
  lines.resize(static_cast<size_t>(count));
  return lines;
}

}  // namespace ecgbench::common::text::testing
