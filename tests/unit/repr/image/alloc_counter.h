// Counts C++ heap allocations (global operator new, replaced in alloc_counter.cc for the test
// binary that links it) between StartCounting and StopCounting. Tests only.
#pragma once

#include <cstdint>

namespace ecgbench::testing_alloc {

void StartCounting();
// Stops counting and returns the number of operator new calls since StartCounting.
int64_t StopCounting();

}  // namespace ecgbench::testing_alloc
