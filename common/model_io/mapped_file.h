// A read-only memory map of a whole file (mmap, MAP_PRIVATE). Move-only; unmapped on destruction.
// The pages are loaded lazily by the kernel and shared with the page cache: mapping a file costs
// no heap memory. Truncating the file while it is mapped makes later reads fault (SIGBUS): files
// under a model directory must not be rewritten in place (our writers replace files by rename).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ecgbench::common::model_io {

class MappedFile {
 public:
  // Errors name the path: NotFound when it does not exist, otherwise the failing call and errno.
  static absl::StatusOr<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::string& path() const { return path_; }
  // The file's bytes; valid while this object lives (moving it keeps them valid).
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(std::string path, void* data, size_t size) : path_(std::move(path)), data_(data), size_(size) {}
  void Unmap();

  std::string path_;
  void* data_ = nullptr;  // nullptr for an empty file
  size_t size_ = 0;
};

}  // namespace ecgbench::common::model_io
