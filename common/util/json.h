// The one adapter between nlohmann::json (which throws) and absl::Status.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common {

// Parses JSON text; the error names `what` (a file name or a field) and the byte offset.
absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what);

}  // namespace ecgbench::common
