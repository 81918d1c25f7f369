// The resident set size of this process (what `ps` calls RSS), for metrics.
#pragma once

#include <cstdint>

namespace ecgbench::common {

// Bytes of this process resident in RAM, from /proc/self/statm; 0 when it cannot be read.
int64_t ResidentMemoryBytes();

}  // namespace ecgbench::common
