// ConfigFields: strict JSON field typing (integers are not floats, booleans are not numbers).
#include "common/model_io/config_fields.h"

#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"

namespace ecgbench::common::model_io {

std::string DescribeJson(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

ConfigFields::ConfigFields(const nlohmann::json& object, std::string file, std::string prefix)
    : object_(object), file_(std::move(file)), prefix_(std::move(prefix)) {}

const nlohmann::json* ConfigFields::Find(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ConfigFields::Has(std::string_view key) const { return Find(key) != nullptr; }

absl::Status ConfigFields::Error(std::string_view key, std::string_view reason) const {
  return absl::InvalidArgumentError(absl::StrCat(file_, ": field \"", prefix_, Sv(key), "\": ", Sv(reason)));
}

absl::StatusOr<int64_t> ConfigFields::Int(std::string_view key, std::optional<int64_t> fallback) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return Error(key, "required field is missing");
  }
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return Error(key, "integer is too large");
    return static_cast<int64_t>(v->get<uint64_t>());
  }
  if (v->is_number_integer()) return v->get<int64_t>();
  return Error(key, absl::StrCat("must be an integer, got ", DescribeJson(*v)));
}

absl::StatusOr<double> ConfigFields::Double(std::string_view key, std::optional<double> fallback) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return Error(key, "required field is missing");
  }
  if (!v->is_number()) return Error(key, absl::StrCat("must be a number, got ", DescribeJson(*v)));
  return v->get<double>();
}

absl::StatusOr<bool> ConfigFields::Bool(std::string_view key, std::optional<bool> fallback) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return Error(key, "required field is missing");
  }
  if (!v->is_boolean()) return Error(key, absl::StrCat("must be true or false, got ", DescribeJson(*v)));
  return v->get<bool>();
}

absl::StatusOr<std::string> ConfigFields::String(std::string_view key, std::optional<std::string> fallback) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    return Error(key, "required field is missing");
  }
  if (!v->is_string()) return Error(key, absl::StrCat("must be a string, got ", DescribeJson(*v)));
  return v->get<std::string>();
}

absl::StatusOr<std::optional<int64_t>> ConfigFields::OptionalInt(std::string_view key) const {
  if (!Has(key)) return std::optional<int64_t>();
  absl::StatusOr<int64_t> v = Int(key);
  if (!v.ok()) return v.status();
  return std::optional<int64_t>(*v);
}

absl::StatusOr<std::optional<double>> ConfigFields::OptionalDouble(std::string_view key) const {
  if (!Has(key)) return std::optional<double>();
  absl::StatusOr<double> v = Double(key);
  if (!v.ok()) return v.status();
  return std::optional<double>(*v);
}

absl::StatusOr<std::vector<int64_t>> ConfigFields::IntList(std::string_view key) const {
  const nlohmann::json* v = Find(key);
  std::vector<int64_t> out;
  if (v == nullptr) return out;
  if (!v->is_array()) {
    absl::StatusOr<int64_t> one = Int(key);
    if (!one.ok()) return Error(key, absl::StrCat("must be an integer or a list of integers, got ", DescribeJson(*v)));
    out.push_back(*one);
    return out;
  }
  for (const nlohmann::json& item : *v) {
    if (!item.is_number_integer() || (item.is_number_unsigned() && item.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
      return Error(key, absl::StrCat("list entries must be integers, got ", DescribeJson(item)));
    }
    out.push_back(item.get<int64_t>());
  }
  return out;
}

absl::StatusOr<std::optional<std::vector<std::string>>> ConfigFields::StringList(std::string_view key) const {
  const nlohmann::json* v = Find(key);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  if (!v->is_array()) return Error(key, absl::StrCat("must be a string or a list of strings, got ", DescribeJson(*v)));
  for (const nlohmann::json& item : *v) {
    if (!item.is_string()) return Error(key, absl::StrCat("list entries must be strings, got ", DescribeJson(item)));
    out.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace ecgbench::common::model_io
