// Process logging through spdlog: one call at start-up picks the level and the line format.
// Thread-safe (spdlog's loggers are).
#pragma once

#include <string>

#include "absl/status/status.h"

namespace ecgbench::common {

// level: trace|debug|info|warn|error|off. Logs go to stderr with the program name.
absl::Status InitLogging(const std::string& program, const std::string& level);

}  // namespace ecgbench::common
