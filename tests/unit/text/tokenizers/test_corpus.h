// A deterministic corpus of test lines for the tokenizer parity tests: English prose, contractions in
// every case, numbers of every length, whitespace runs (spaces, tabs, newlines, CR LF, NBSP, ideographic
// space), code, CJK, Hangul, emoji (ZWJ sequences, skin tones, flags), accents (precomposed and
// combining), right-to-left scripts, Devanagari, Unicode digits. It avoids the few characters where
// JavaScript regexes and Rust's regex crate disagree (U+FEFF, U+0085 are \s only on one side; U+017F
// folds to s only in Rust) and characters assigned after Unicode 14.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ecgbench::common::text::testing {

// `count` lines (the hand-written ones first, then seeded random mixtures).
std::vector<std::string> ParityCorpus(int count, uint32_t seed);

}  // namespace ecgbench::common::text::testing
