// An exclusive advisory lock on a file (flock), for artifacts that several tasks may build at once:
// two runs of one experiment that share their data (a matrix over models) get identical
// preprocess, dataset, tokenizer, ... tasks with the same content-addressed artifact. The first
// task takes the artifact's lock and builds it; the others wait, then find it complete and reuse it.
// The lock belongs to the open file: it is released by the destructor, and by the kernel when the
// process dies (a crashed builder never leaves a stale lock behind).
//
// Thread-safety: a FileLock object is not shared between threads. Locks are per open file, so two
// FileLocks on the same path in one process also exclude each other.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ecgbench::common {

class FileLock {
 public:
  // Takes the lock on `path` (created if missing, with its parent directories), polling every
  // `poll` while another holder has it. CANCELLED when `cancelled` (may be null) turns true while
  // waiting; the OS error naming the path otherwise.
  static absl::StatusOr<FileLock> Acquire(const std::string& path, const std::function<bool()>& cancelled = nullptr,
                                          absl::Duration poll = absl::Milliseconds(100));
  // The lock file of an artifact directory: "<dir>.lock", next to it.
  static std::string ForArtifact(const std::string& artifact_dir);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void Release();

  std::string path_;
  int fd_ = -1;
};

}  // namespace ecgbench::common
