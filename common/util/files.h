// File helpers with absl::Status errors that name the path: whole-file reads, atomic writes
// (temp file + fsync + rename, so readers never see a half-written file), directory creation.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ecgbench::common {

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `content` to `path` atomically. On failure the previous file (if any) is untouched.
absl::Status WriteFileAtomic(const std::string& path, const std::string& content);

// mkdir -p.
absl::Status MakeDirs(const std::string& path);

bool FileExists(const std::string& path);

// Directory of the running executable (/proc/self/exe), used to find sibling binaries.
std::string ExecutableDir();

}  // namespace ecgbench::common
