// Typed reads of fields from a JSON object (config.json, generation_config.json,
// adapter_config.json) with errors that name the file and the field:
//   "<file>: field \"rope_scaling.factor\": must be a number, got \"x\"".
// A field that is absent or null takes the given default; without a default it is required.
// Used by the parsers in this library and by worker/nn/vision (the vision config.json). Not
// thread-safe (holds a reference to the JSON).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::model_io {

class ConfigFields {
 public:
  // REQUIRES: `object` outlives this. `prefix` is prepended to field names in messages ("rope_scaling.").
  ConfigFields(const nlohmann::json& object, std::string file, std::string prefix = "");

  // Present and not null.
  bool Has(std::string_view key) const;
  // Present, possibly null (transformers treats an explicit null differently from an absent key
  // for token ids: null means "none", absent means the class default).
  bool Present(std::string_view key) const { return object_.is_object() && object_.contains(key); }
  const nlohmann::json* Find(std::string_view key) const;

  absl::StatusOr<int64_t> Int(std::string_view key, std::optional<int64_t> fallback = std::nullopt) const;
  absl::StatusOr<double> Double(std::string_view key, std::optional<double> fallback = std::nullopt) const;
  absl::StatusOr<bool> Bool(std::string_view key, std::optional<bool> fallback = std::nullopt) const;
  absl::StatusOr<std::string> String(std::string_view key, std::optional<std::string> fallback = std::nullopt) const;
  // Absent or null -> nullopt.
  absl::StatusOr<std::optional<int64_t>> OptionalInt(std::string_view key) const;
  absl::StatusOr<std::optional<double>> OptionalDouble(std::string_view key) const;
  // An integer or a list of integers (eos_token_id); absent or null -> empty.
  absl::StatusOr<std::vector<int64_t>> IntList(std::string_view key) const;
  // A string or a list of strings; absent or null -> nullopt.
  absl::StatusOr<std::optional<std::vector<std::string>>> StringList(std::string_view key) const;

  // InvalidArgument "<file>: field \"<prefix><key>\": <reason>".
  absl::Status Error(std::string_view key, std::string_view reason) const;
  const std::string& file() const { return file_; }

 private:
  const nlohmann::json& object_;
  std::string file_;
  std::string prefix_;
};

// The text of a JSON value for messages, shortened to 60 characters.
std::string DescribeJson(const nlohmann::json& value);

}  // namespace ecgbench::common::model_io
