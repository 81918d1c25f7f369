// UTF-8 validation for the text inputs (CSV catalogs, WFDB headers): a file with bytes that are not
// UTF-8 is reported as "file:line: invalid UTF-8" instead of being passed on as garbage.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace ecgbench::common::ecg {

// Offset of the first byte that does not belong to a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or std::string_view::npos when the
// whole of `text` is valid.
size_t FindInvalidUtf8(std::string_view text);

inline bool IsValidUtf8(std::string_view text) { return FindInvalidUtf8(text) == std::string_view::npos; }

}  // namespace ecgbench::common::ecg
