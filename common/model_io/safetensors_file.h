// A safetensors file opened for reading: memory-mapped, header validated once, tensors exposed as
// zero-copy views into the mapping, with converting reads into float32.
//
// Memory: Open maps the file (page cache, no heap copy of tensor data) and keeps only the parsed
// header. A view costs nothing; ReadFloat32 touches exactly the pages of the tensor it converts and
// writes into the caller's buffer. Loading a model therefore needs its weights' size in page cache
// plus whatever the caller allocates for the tensors it converts (one at a time when converting
// dtypes: at most the largest tensor in float32), within the 1.2x budget.
//
// Thread-safety: immutable after Open; all const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/model_io/dtype.h"
#include "common/model_io/mapped_file.h"
#include "common/model_io/safetensors_header.h"

namespace ecgbench::common::model_io {

// A tensor inside a mapped file. Borrowed: valid while the SafetensorsFile (or Checkpoint) that
// produced it lives. `data` is little-endian, read-only, and aligned to DTypeSize(dtype) when the
// writer aligned it (ours and the reference writer do; IsAligned tells).
struct TensorView {
  std::string_view name;
  DType dtype = DType::kF32;
  absl::Span<const int64_t> shape;
  const void* data = nullptr;
  size_t bytes = 0;
  int64_t num_elements = 0;

  bool IsAligned() const { return reinterpret_cast<uintptr_t>(data) % DTypeSize(dtype) == 0; }
};

// Converts `view` into `out`, which must hold exactly view.num_elements floats (InvalidArgument
// naming the tensor otherwise). F32 is copied; F16/BF16/F8 widen exactly; other dtypes as in
// ConvertToFloat32.
absl::Status ReadFloat32(const TensorView& view, absl::Span<float> out);

class SafetensorsFile {
 public:
  // Maps `path` and validates its header (see safetensors_header.h); errors name the path and
  // the tensor at fault.
  static absl::StatusOr<SafetensorsFile> Open(const std::string& path, const HeaderLimits& limits = {});

  const std::string& path() const { return file_.path(); }
  // In data-section order.
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  bool Contains(std::string_view name) const { return index_.contains(absl::string_view(name.data(), name.size())); }

  // NotFound "<path>: no tensor 'name'" when absent.
  absl::StatusOr<TensorView> Tensor(std::string_view name) const;
  TensorView View(const TensorInfo& info) const;

  // Tensor(name) converted into `out` / into a new vector.
  absl::Status ReadFloat32(std::string_view name, absl::Span<float> out) const;
  absl::StatusOr<std::vector<float>> ReadFloat32(std::string_view name) const;

 private:
  SafetensorsFile(MappedFile file, SafetensorsHeader header);

  MappedFile file_;
  SafetensorsHeader header_;
  absl::flat_hash_map<std::string, size_t> index_;  // name -> position in header_.tensors
};

}  // namespace ecgbench::common::model_io
