// The one adapter between nlohmann::json (which throws) and absl::Status.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common {

// Parses JSON text; the error names `what` (a file name or a field) and the byte offset.
absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what);

// JSON Lines: parses every non-blank line of `text` and calls fn(value, where, line) with
// where = "<file>:<line>" (1-based). The first parse error or non-OK fn status is returned.
absl::Status ForEachJsonLine(std::string_view text, const std::string& file,
                             const std::function<absl::Status(const nlohmann::json& value, const std::string& where,
                                                              int64_t line)>& fn);

}  // namespace ecgbench::common
