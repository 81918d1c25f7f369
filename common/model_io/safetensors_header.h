// The safetensors header: parsing and validation of an untrusted file image, independent of how the
// bytes were obtained (mmap, memory, a fuzzer). Pure functions; thread-safe.
//
// Format (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian u64 N, N
// bytes of UTF-8 JSON (an object; the reference writer pads it with spaces to a multiple of 8), then
// the data section. Each JSON key other than "__metadata__" is a tensor:
//   {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
// with offsets relative to the data section. Validation follows the reference reader: the tensors,
// sorted by offset, tile the data section exactly (first begins at 0, each begins where the previous
// ends, the last ends at the end of the file), and end - begin == product(shape) * dtype size.
// "__metadata__" is an optional object of string -> string.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model_io/dtype.h"

namespace ecgbench::common::model_io {

// Bounds against hostile headers, checked before any allocation they would size.
struct HeaderLimits {
  uint64_t max_header_bytes = 100'000'000;  // the reference reader's MAX_HEADER_SIZE
  size_t max_tensors = 1'000'000;
  size_t max_rank = 16;
  size_t max_name_bytes = 4096;
  size_t max_json_depth = 8;  // a valid header nests 3 deep; deeper input is rejected unparsed
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data section, begin <= end
  uint64_t end = 0;
  int64_t num_elements = 1;  // product(shape); 1 for a scalar (shape [])

  uint64_t bytes() const { return end - begin; }
};

struct SafetensorsHeader {
  uint64_t data_start = 0;           // file offset of the data section: 8 + N
  std::vector<TensorInfo> tensors;   // sorted by offset (ties, i.e. empty tensors, by name)
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of the file image `file` (the whole file: the checks include
// the data section's size). Errors are InvalidArgument and start with "<file_name>: ", naming the
// tensor and the field at fault.
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(std::string_view file, std::string_view file_name,
                                                         const HeaderLimits& limits = {});

}  // namespace ecgbench::common::model_io
