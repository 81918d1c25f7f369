// JSON parsing adapter: exceptions from nlohmann::json become InvalidArgument statuses.
#include "common/util/json.h"

#include "absl/strings/str_cat.h"

namespace ecgbench::common {

absl::StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": invalid JSON at byte ", e.byte, ": ", e.what()));
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range 406: a number too large for a double
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": invalid JSON: ", e.what()));
  }
}

absl::Status ForEachJsonLine(std::string_view text, const std::string& file,
                             const std::function<absl::Status(const nlohmann::json& value, const std::string& where,
                                                              int64_t line)>& fn) {
  int64_t line = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view l = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = absl::StrCat(file, ":", line);
    absl::StatusOr<nlohmann::json> value = ParseJson(l, where);
    if (!value.ok()) return value.status();
    if (absl::Status st = fn(*value, where, line); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common
