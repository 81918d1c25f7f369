// Debian 12's Abseil is built with its own absl::string_view (not std::string_view): this adapter
// lets std::string_view values reach StrCat, StartsWith and heterogeneous hash-map lookups.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace ecgbench::common::model_io {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace ecgbench::common::model_io
