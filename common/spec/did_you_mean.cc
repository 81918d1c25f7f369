// Edit distance and the near-miss rule behind "unknown key; did you mean ...?".
#include "common/spec/did_you_mean.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ecgbench::common {

int EditDistance(std::string_view a_in, std::string_view b_in) {
  const std::string a = absl::AsciiStrToLower(std::string(a_in));
  const std::string b = absl::AsciiStrToLower(std::string(b_in));
  const size_t n = a.size();
  const size_t m = b.size();
  // Three rolling rows: i-2, i-1, i (the transposition looks two rows back).
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int best = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        best = std::min(best, prev2[j - 2] + 1);
      }
      cur[j] = best;
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  int best_distance = 3;
  const std::string* best = nullptr;
  for (const std::string& candidate : candidates) {
    const int distance = EditDistance(word, candidate);
    const int limit = std::min<int>(2, static_cast<int>(candidate.size()) - 1);
    if (distance <= limit && distance < best_distance) {
      best_distance = distance;
      best = &candidate;
    }
  }
  if (best != nullptr) return *best;
  if (word.size() < 2) return "";
  const std::string lower = absl::AsciiStrToLower(std::string(word));
  for (const std::string& candidate : candidates) {
    if (candidate.size() < 2) continue;
    const std::string lower_candidate = absl::AsciiStrToLower(candidate);
    if (absl::StartsWith(lower_candidate, lower) || absl::StartsWith(lower, lower_candidate)) {
      return candidate;
    }
  }
  return "";
}

}  // namespace ecgbench::common
