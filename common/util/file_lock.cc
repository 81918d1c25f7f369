// FileLock (see file_lock.h): flock(LOCK_EX | LOCK_NB) polled until acquired or cancelled.
#include "common/util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ecgbench::common {

absl::StatusOr<FileLock> FileLock::Acquire(const std::string& path, const std::function<bool()>& cancelled,
                                           absl::Duration poll) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(path, ": cannot open the lock file: ", std::strerror(errno)));
  FileLock lock(path, fd);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat(path, ": cannot lock: ", std::strerror(errno)));
    }
    if (cancelled && cancelled()) return absl::CancelledError(absl::StrCat(path, ": cancelled while waiting for the lock"));
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(poll));
  }
  return lock;
}

std::string FileLock::ForArtifact(const std::string& artifact_dir) {
  std::string dir = artifact_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".lock";
}

FileLock::FileLock(FileLock&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() { Release(); }

void FileLock::Release() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace ecgbench::common
