// Whole-file writes shared by the writers of this library (WFDB, .npy, HDF5 staging): the content
// goes to "<path>.tmp.<pid>" and is renamed into place, so readers never see a half-written file;
// `durable` adds an fsync (common/util WriteFileAtomic) for outputs that must survive a crash.
// Errors name the path. Thread-safe for distinct paths.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ecgbench::common::ecg {

absl::Status WriteWholeFile(const std::string& path, std::string_view content, bool durable);

// "<path>.tmp.<pid>.<counter>": a unique staging name next to `path`.
std::string StagingPath(const std::string& path);

}  // namespace ecgbench::common::ecg
