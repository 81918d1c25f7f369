// "Did you mean" suggestions for unknown keys and enum values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecgbench::common {

// Edit distance (insertions, deletions, substitutions and transpositions of adjacent characters,
// each costing 1; optimal string alignment), case-insensitive.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`: the smallest edit distance when it is <= 2 and shorter than the
// candidate (so "x" suggests nothing for "k"); failing that, the first candidate that `word` is a
// prefix of, or that is a prefix of `word` (at least 2 characters long). Ties go to the earlier
// candidate. Empty when nothing is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ecgbench::common
