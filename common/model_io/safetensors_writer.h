// Writes safetensors files in the layout of the reference implementation: tensors ordered by
// element size (largest first) then name, so every tensor is aligned to its dtype; compact header
// JSON ("__metadata__" first) padded with spaces to a multiple of 8 bytes; data follows.
//
// Ownership: Add borrows the caller's buffer (it must stay valid until Write returns); AddFloat32
// converts into a buffer the writer owns. Not thread-safe; a writer may Write several times.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/model_io/dtype.h"

namespace ecgbench::common::model_io {

class SafetensorsWriter {
 public:
  // InvalidArgument for a duplicate or invalid-UTF-8 name, the reserved name "__metadata__", a
  // negative dimension, or bytes != product(shape) * DTypeSize(dtype).
  absl::Status Add(std::string name, DType dtype, std::vector<int64_t> shape, const void* data, size_t bytes);
  // Stores `values` (product(shape) floats) as `stored_as` (F32, F16 or BF16, rounding to nearest even).
  absl::Status AddFloat32(std::string name, std::vector<int64_t> shape, absl::Span<const float> values,
                          DType stored_as = DType::kF32);
  // Free-form string metadata (the "__metadata__" object), e.g. {"format": "pt"}.
  absl::Status SetMetadata(const std::string& key, const std::string& value);

  // The header bytes: 8-byte length, JSON, space padding.
  std::string SerializeHeader() const;
  // The whole file image (small files and tests).
  std::string SerializeToString() const;
  // Streams the file to `path` atomically (temp file in the same directory, fsync, rename): readers
  // never see a partial file and a failed write leaves any previous file untouched.
  absl::Status Write(const std::string& path) const;

  size_t size() const { return tensors_.size(); }

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    const void* data;
    size_t bytes;
  };
  // Entries in file order with their offsets.
  std::vector<const Entry*> Ordered() const;

  std::vector<Entry> tensors_;
  std::map<std::string, std::string> metadata_;
  std::vector<std::unique_ptr<unsigned char[]>> owned_;  // AddFloat32 conversions
};

}  // namespace ecgbench::common::model_io
