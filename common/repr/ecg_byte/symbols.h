// ECG-Byte symbolization (upstream `ecg_to_symbol` / its decode): a normalized 12 x L matrix in
// [0, 1] becomes 12 * L symbols 'a'..'z' (q = min(floor(x * 26), 25), lead-major flattening), and
// symbols map back to approximate values with upstream's q / 25 * (max - min) + min (q / 25, not bin
// centres: 'z' decodes to max, 'a' to min). The normalization before symbolizing (upstream's global
// min-max) is common/repr/signal/normalize.h's Normalizer::MinMax(), which returns the range that
// Desymbolize maps back to. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common::repr {

inline constexpr int kNumSymbols = 26;  // 'a'..'z'
inline constexpr char kFirstSymbol = 'a';

// Range of the raw values a matrix was normalized from (what Desymbolize maps back to): the
// {lo, hi} of the NormalizeRange that Normalizer::Apply returned (min and max for min-max).
struct ValueRange {
  float min = 0;
  float max = 1;
};

// The symbol of one normalized value: 'a' + min(floor(x * 26), 25). REQUIRES 0 <= x <= 1.
inline char SymbolOf(float x) {
  int q = static_cast<int>(x * static_cast<float>(kNumSymbols));
  if (q > kNumSymbols - 1) q = kNumSymbols - 1;
  return static_cast<char>(kFirstSymbol + q);
}

// Symbolizes `n` normalized values (a 12 x L lead-major matrix gives lead 0's L symbols first).
// InvalidArgument "value 1.5 at index 7 (lead 0, sample 7) is outside [0, 1]" for values outside
// [0, 1] or not finite; lead/sample are reported with `length` (L) when it is > 0.
absl::StatusOr<std::string> Symbolize(const float* x, int64_t n, int64_t length = 0);
// Same, appending to *out (no allocation beyond out's growth); on error *out is unchanged.
absl::Status SymbolizeAppend(const float* x, int64_t n, int64_t length, std::string* out);

// OK when every byte is 'a'..'z'; else InvalidArgument "symbol '?' (byte 63) at position 12 is not
// in a..z" (what = "" or a prefix such as "line 3: ").
absl::Status ValidateSymbols(std::string_view symbols, std::string_view what = "");

// The inverse: out[i] = q / 25 * (max - min) + min with q = symbol - 'a'. `out` holds symbols.size()
// floats. InvalidArgument (as ValidateSymbols) for a symbol outside a..z; out is then unspecified.
absl::Status Desymbolize(std::string_view symbols, ValueRange range, float* out);

}  // namespace ecgbench::common::repr
