// The Porter stemmer with the behaviour of NLTK 3.8's PorterStemmer() in its default
// NLTK_EXTENSIONS mode (the stemmer of nltk.translate.meteor_score): the irregular-form pool, the
// "ies"/"ied" four-letter rules, the Step 1c "(*c and not c) Y -> I" condition, the "alli", "fulli"
// and "logi" Step 2 rules, and words of at most two characters returned unchanged.
// Characters are Unicode code points (a non-ASCII code point counts as one consonant, as in
// Python), so multi-byte UTF-8 words stem like NLTK's str-based implementation.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ecgbench::common::eval {

// Writes the stem of `word` to *out (replacing its contents; its capacity is reused, so a caller
// that keeps *out across calls allocates nothing in steady state).
// REQUIRES: `word` is already lowercased (NLTK's stem() lowercases first; METEOR lowercases every
// token before stemming, see AppendLowercaseUtf8 in meteor.h).
void PorterStem(std::string_view word, std::string* out);

// Convenience for tests and tools: the stem as a new string.
std::string PorterStem(std::string_view word);

}  // namespace ecgbench::common::eval
