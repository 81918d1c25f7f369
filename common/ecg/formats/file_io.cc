// Whole-file writes through a staging file and rename.
#include "common/ecg/formats/file_io.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"

namespace ecgbench::common::ecg {

std::string StagingPath(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(path, ".tmp.", ::getpid(), ".", counter.fetch_add(1));
}

absl::Status WriteWholeFile(const std::string& path, std::string_view content, bool durable) {
  if (durable) return WriteFileAtomic(path, std::string(content));
  const std::string tmp = StagingPath(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    const int err = errno;
    std::string msg = absl::StrCat(path, ": cannot create: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  const bool wrote = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const int write_err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    std::remove(tmp.c_str());
    const std::string msg = absl::StrCat(path, ": cannot write: ", std::strerror(wrote ? errno : write_err));
    return write_err == ENOSPC ? absl::ResourceExhaustedError(msg) : absl::InternalError(msg);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": cannot rename into place: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace ecgbench::common::ecg
