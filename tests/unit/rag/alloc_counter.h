// Test-only: the number of global operator new calls made so far in this test binary (the binary
// replaces operator new / delete in alloc_counter.cc), for "no allocation once warm" checks.
#pragma once

#include <cstdint>

namespace ecgbench::common::rag::testing {

int64_t AllocationCount();

}  // namespace ecgbench::common::rag::testing
