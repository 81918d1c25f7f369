// JSON parsing adapter: exceptions from nlohmann::json become InvalidArgument statuses.
#include "common/util/json.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::common {

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": invalid JSON at byte ", e.byte, ": ", e.what()));
  }
}

}  // namespace ecgbench::common
