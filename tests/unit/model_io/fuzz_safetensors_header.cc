// libFuzzer target for the safetensors header parser: any input must parse or fail cleanly with a
// message naming the file; an accepted header must tile the data section exactly, and re-writing
// its tensors with SafetensorsWriter must parse back to the same names, dtypes, shapes and bytes.
// Built and run by run_fuzz.sh (clang only).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/model_io/safetensors_header.h"
#include "common/model_io/safetensors_writer.h"

namespace {

using ecgbench::common::model_io::ParseSafetensorsHeader;
using ecgbench::common::model_io::SafetensorsHeader;
using ecgbench::common::model_io::SafetensorsWriter;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<SafetensorsHeader> header = ParseSafetensorsHeader(file, "fuzz.safetensors");
  if (!header.ok()) {
    if (header.status().message().substr(0, 18) != "fuzz.safetensors: ") __builtin_trap();
    return 0;
  }
  uint64_t expected = 0;
  for (const auto& t : header->tensors) {
    if (t.begin != expected || t.end < t.begin) __builtin_trap();
    expected = t.end;
  }
  if (header->data_start + expected != size) __builtin_trap();

  SafetensorsWriter writer;
  for (const auto& t : header->tensors) {
    if (!writer.Add(t.name, t.dtype, t.shape, data + header->data_start + t.begin, t.bytes()).ok()) __builtin_trap();
  }
  for (const auto& [key, value] : header->metadata) {
    if (!writer.SetMetadata(key, value).ok()) __builtin_trap();
  }
  const std::string image = writer.SerializeToString();
  absl::StatusOr<SafetensorsHeader> again = ParseSafetensorsHeader(image, "again");
  if (!again.ok() || again->tensors.size() != header->tensors.size() || again->metadata != header->metadata) {
    __builtin_trap();
  }
  if (again->data_start % 8 != 0) __builtin_trap();
  for (const auto& t : again->tensors) {
    const auto it = std::find_if(header->tensors.begin(), header->tensors.end(),
                                 [&](const auto& o) { return o.name == t.name; });
    if (it == header->tensors.end() || it->dtype != t.dtype || it->shape != t.shape || it->bytes() != t.bytes()) {
      __builtin_trap();
    }
    if (std::memcmp(image.data() + again->data_start + t.begin, data + header->data_start + it->begin, t.bytes()) != 0) {
      __builtin_trap();
    }
  }
  return 0;
}
