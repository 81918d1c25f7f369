// Deterministic (reference, prediction) pairs for the metric tests: report-like sentences from a
// small vocabulary with repeated words, dots (sentence ends, "x.y", lone dots, blank sentences),
// Unicode whitespace, case variants, punctuation, and predictions that copy, perturb, shorten or
// replace the reference, plus empty and dot-only predictions. Same seed, same pairs.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace ecgbench::common::eval::testing {

inline std::vector<std::pair<std::string, std::string>> GeneratePairs(int count, uint64_t seed) {
  static const char* const kWords[] = {
      "sinus", "rhythm", "normal", "ecg", "the", "of", "and", "with", "left", "right", "axis", "deviation",
      "atrial", "fibrillation", "st", "elevation", "t", "wave", "inversion", "qrs", "complex", "wide", "narrow",
      "bundle", "branch", "block", "lead", "ii", "v1", "v5", "yes", "no", "Sinus", "ECG", "ST-elevation",
      "abnormal,", "borderline;", "(possible)", "rate:", "75", "bpm", "x.y", "infarct", "septal", "anterior",
      "inferior", "lateral", "hypertrophy", "ventricular", "premature", "beats", "tachycardia", "bradycardia",
      "é", "ß", "ωave", "ЭКГ", "\xe2\x80\x94", "a", "is", "seen", "in", "leads", "not"};
  static const char* const kSpaces[] = {" ", " ", " ", " ", "  ", "\t", "\n", "\xc2\xa0", "\xe3\x80\x80", " . ", ". ", ".  . "};
  std::mt19937_64 rng(seed);
  const auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  const size_t num_words = sizeof(kWords) / sizeof(kWords[0]);
  const size_t num_spaces = sizeof(kSpaces) / sizeof(kSpaces[0]);
  const auto sentence = [&](size_t len) {
    std::vector<std::string> words;
    for (size_t i = 0; i < len; ++i) words.emplace_back(kWords[pick(num_words)]);
    return words;
  };
  const auto join = [&](const std::vector<std::string>& words) {
    std::string s;
    for (size_t i = 0; i < words.size(); ++i) {
      if (i > 0) s += pick(5) == 0 ? kSpaces[pick(num_spaces)] : " ";
      s += words[i];
    }
    if (!words.empty() && pick(3) == 0) s += ".";
    return s;
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < count; ++i) {
    const size_t kind = static_cast<size_t>(i) % 10;
    std::vector<std::string> ref = sentence(1 + pick(kind < 2 ? 3 : 30));
    std::vector<std::string> hyp;
    switch (kind) {
      case 0: hyp = ref; break;                                              // short, identical
      case 1: hyp = sentence(1 + pick(3)); break;                            // short, random
      case 2: hyp = sentence(1 + pick(30)); break;                           // unrelated
      case 3: hyp.assign(ref.begin(), ref.begin() + (ref.size() + 1) / 2); break;  // prefix
      case 4:                                                                // word swaps
        hyp = ref;
        for (size_t k = 0; k + 1 < hyp.size(); k += 3) std::swap(hyp[k], hyp[k + 1]);
        break;
      case 5:                                                                // substitutions and repeats
        hyp = ref;
        for (auto& w : hyp) {
          if (pick(3) == 0) w = kWords[pick(num_words)];
        }
        if (!hyp.empty()) hyp.push_back(hyp.front());
        break;
      case 6:                                                                // longer than the reference
        hyp = ref;
        for (const auto& w : sentence(1 + pick(10))) hyp.push_back(w);
        break;
      case 7:                                                                // drop every other word
        for (size_t k = 0; k < ref.size(); k += 2) hyp.push_back(ref[k]);
        break;
      case 8: hyp = ref; break;                                              // identical
      default: break;                                                        // special cases below
    }
    std::string h = join(hyp);
    if (kind == 9) {
      static const char* const kSpecial[] = {"", "...", " . ", "no", "yes.", "a . . b", ".x", "   "};
      h = kSpecial[(i / 10) % 8];
    }
    pairs.emplace_back(join(ref), h);
  }
  return pairs;
}

}  // namespace ecgbench::common::eval::testing
