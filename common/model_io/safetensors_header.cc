// Safetensors header validation. Every size is checked before it sizes anything, every sum and
// product is overflow-checked, and JSON nesting is bounded before the JSON parser sees the text.
#include "common/model_io/safetensors_header.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"
#include "common/util/json.h"

namespace ecgbench::common::model_io {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view file, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(file), ": invalid safetensors file: ", Sv(what)));
}

// Deepest {/[ nesting outside strings, stopping early past `limit`.
size_t JsonDepth(std::string_view text, size_t limit) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > limit) return max_depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

absl::Status ParseMetadata(const json& value, std::string_view file, SafetensorsHeader& header) {
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_object()) return Bad(file, "\"__metadata__\" must be an object of strings");
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      return Bad(file, absl::StrCat("\"__metadata__\" entry '", key, "' must be a string, got ", item.type_name()));
    }
    header.metadata.emplace(key, item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<TensorInfo> ParseTensor(const std::string& name, const json& value, std::string_view file,
                                       const HeaderLimits& limits) {
  const std::string where = absl::StrCat("tensor '", name, "'");
  if (!value.is_object()) return Bad(file, absl::StrCat(where, ": entry must be an object"));
  TensorInfo info;
  info.name = name;

  const auto dtype_it = value.find("dtype");
  if (dtype_it == value.end() || !dtype_it->is_string()) {
    return Bad(file, absl::StrCat(where, ": \"dtype\" is missing or not a string"));
  }
  const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
  std::optional<DType> dtype = ParseDType(dtype_name);
  if (!dtype) return Bad(file, absl::StrCat(where, ": unknown dtype \"", dtype_name, "\""));
  info.dtype = *dtype;

  const auto shape_it = value.find("shape");
  if (shape_it == value.end() || !shape_it->is_array()) {
    return Bad(file, absl::StrCat(where, ": \"shape\" is missing or not an array"));
  }
  if (shape_it->size() > limits.max_rank) {
    return Bad(file, absl::StrCat(where, ": shape has ", shape_it->size(), " dimensions (limit ", limits.max_rank, ")"));
  }
  uint64_t count = 1;
  bool overflow = false;
  for (const json& dim : *shape_it) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Bad(file, absl::StrCat(where, ": shape entries must be non-negative integers, got ", dim.dump()));
    }
    const uint64_t d = dim.get<uint64_t>();
    info.shape.push_back(static_cast<int64_t>(d));
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / d) overflow = true;
    count *= d;
  }
  const uint64_t elem = DTypeSize(info.dtype);
  if (!overflow && count > std::numeric_limits<uint64_t>::max() / elem) overflow = true;
  if (overflow || count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Bad(file, absl::StrCat(where, ": shape ", shape_it->dump(), " is too large"));
  }
  info.num_elements = static_cast<int64_t>(count);

  const auto offsets_it = value.find("data_offsets");
  if (offsets_it == value.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
    return Bad(file, absl::StrCat(where, ": \"data_offsets\" must be [begin, end] with non-negative integers"));
  }
  info.begin = (*offsets_it)[0].get<uint64_t>();
  info.end = (*offsets_it)[1].get<uint64_t>();
  if (info.end < info.begin) {
    return Bad(file, absl::StrCat(where, ": data_offsets [", info.begin, ", ", info.end, "] end before they begin"));
  }
  if (info.end - info.begin != count * elem) {
    return Bad(file, absl::StrCat(where, ": data_offsets [", info.begin, ", ", info.end, "] span ",
                                  info.end - info.begin, " bytes but shape ", shape_it->dump(), " of ", dtype_name,
                                  " needs ", count * elem));
  }
  return info;
}

}  // namespace

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(std::string_view file, std::string_view file_name,
                                                         const HeaderLimits& limits) {
  if (file.size() < 8) {
    return Bad(file_name, absl::StrCat("file is ", file.size(), " bytes, shorter than the 8-byte header length"));
  }
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);  // little-endian host (dtype.cc asserts it)
  if (n > limits.max_header_bytes) {
    return Bad(file_name, absl::StrCat("header length ", n, " exceeds the limit of ", limits.max_header_bytes, " bytes"));
  }
  if (n > file.size() - 8) {
    return Bad(file_name, absl::StrCat("header length ", n, " runs past the end of the file (", file.size(), " bytes)"));
  }
  const std::string_view text = file.substr(8, n);
  if (text.empty() || text[0] != '{') return Bad(file_name, "header does not start with '{'");
  if (JsonDepth(text, limits.max_json_depth) > limits.max_json_depth) {
    return Bad(file_name, absl::StrCat("header JSON nests deeper than ", limits.max_json_depth, " levels"));
  }
  absl::StatusOr<json> parsed = ParseJson(text, absl::StrCat(Sv(file_name), ": safetensors header"));
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return Bad(file_name, "header is not a JSON object");
  if (parsed->size() > limits.max_tensors + 1) {
    return Bad(file_name, absl::StrCat("header lists ", parsed->size(), " entries (limit ", limits.max_tensors, ")"));
  }

  SafetensorsHeader header;
  header.data_start = 8 + n;
  header.tensors.reserve(parsed->size());
  for (const auto& [key, value] : parsed->items()) {
    if (key == "__metadata__") {
      if (absl::Status st = ParseMetadata(value, file_name, header); !st.ok()) return st;
      continue;
    }
    if (key.size() > limits.max_name_bytes) {
      return Bad(file_name, absl::StrCat("tensor name of ", key.size(), " bytes exceeds the limit of ",
                                         limits.max_name_bytes));
    }
    absl::StatusOr<TensorInfo> info = ParseTensor(key, value, file_name, limits);
    if (!info.ok()) return info.status();
    header.tensors.push_back(*std::move(info));
  }

  std::sort(header.tensors.begin(), header.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.name < b.name;
  });
  const uint64_t data_bytes = file.size() - header.data_start;
  uint64_t expected = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : header.tensors) {
    if (t.begin < expected) {
      return Bad(file_name, absl::StrCat("tensor '", t.name, "': data_offsets [", t.begin, ", ", t.end,
                                         "] overlap tensor '", previous->name, "' ending at ", expected));
    }
    if (t.begin > expected) {
      return Bad(file_name, absl::StrCat("tensor '", t.name, "': data_offsets begin at ", t.begin,
                                         ", leaving a gap after byte ", expected, " of the data section"));
    }
    if (t.end > data_bytes) {
      return Bad(file_name, absl::StrCat("tensor '", t.name, "': data_offsets [", t.begin, ", ", t.end,
                                         "] run past the end of the data section (", data_bytes, " bytes)"));
    }
    expected = t.end;
    previous = &t;
  }
  if (expected != data_bytes) {
    return Bad(file_name, absl::StrCat("the tensors cover ", expected, " bytes but the data section has ", data_bytes,
                                       " (truncated or trailing bytes)"));
  }
  return header;
}

}  // namespace ecgbench::common::model_io
