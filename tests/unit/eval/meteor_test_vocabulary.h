// Deterministic METEOR test pairs for the NLTK cross-check: ECG-report-like words in groups of
// related forms (WordNet synonyms, inflections, derived words), and a generator that draws a
// reference from the groups and edits it into a hypothesis.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ecgbench::common::eval {

// Groups of related words; a hypothesis edit may swap a word for another of its group.
const std::vector<std::vector<std::string>>& MeteorTestVocabulary();

// 2 * n token lists: reference 0, hypothesis 0, reference 1, ... The same on every machine for a
// seed (raw std::mt19937 draws, no distributions).
std::vector<std::vector<std::string>> GenerateMeteorTestPairs(size_t n, uint32_t seed);

}  // namespace ecgbench::common::eval
