// ECG-Byte symbolization and its inverse (see symbols.h).
#include "common/repr/ecg_byte/symbols.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::common::repr {

namespace {

std::string Where(int64_t i, int64_t length) {
  if (length <= 0) return absl::StrCat("index ", i);
  return absl::StrCat("index ", i, " (lead ", i / length, ", sample ", i % length, ")");
}

}  // namespace

absl::Status SymbolizeAppend(const float* x, int64_t n, int64_t length, std::string* out) {
  for (int64_t i = 0; i < n; ++i) {
    // Written so that NaN fails too.
    if (!(x[i] >= 0.0f && x[i] <= 1.0f)) {
      return absl::InvalidArgumentError(
          absl::StrCat("value ", x[i], " at ", Where(i, length), " is outside [0, 1] (symbolize normalized values)"));
    }
  }
  const size_t start = out->size();
  out->resize(start + static_cast<size_t>(n));
  char* dst = out->data() + start;
  for (int64_t i = 0; i < n; ++i) dst[i] = SymbolOf(x[i]);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Symbolize(const float* x, int64_t n, int64_t length) {
  std::string out;
  out.reserve(static_cast<size_t>(n > 0 ? n : 0));
  absl::Status st = SymbolizeAppend(x, n, length, &out);
  if (!st.ok()) return st;
  return out;
}

absl::Status ValidateSymbols(std::string_view symbols, std::string_view what) {
  for (size_t i = 0; i < symbols.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(symbols[i]);
    if (c < 'a' || c > 'z') {
      std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : std::string("?");
      return absl::InvalidArgumentError(absl::StrCat(std::string(what), "symbol '", shown, "' (byte ", static_cast<int>(c),
                                                     ") at position ", i, " is not in a..z"));
    }
  }
  return absl::OkStatus();
}

absl::Status Desymbolize(std::string_view symbols, ValueRange range, float* out) {
  absl::Status st = ValidateSymbols(symbols);
  if (!st.ok()) return st;
  const float span = range.max - range.min;
  for (size_t i = 0; i < symbols.size(); ++i) {
    const float q = static_cast<float>(symbols[i] - kFirstSymbol);
    out[i] = q / static_cast<float>(kNumSymbols - 1) * span + range.min;
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::repr
