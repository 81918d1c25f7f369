// Replaces the global operator new / delete of the rag test binary with counting versions on
// malloc / free (see alloc_counter.h).
#include "tests/unit/rag/alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

// GCC pairs the malloc in operator new with the free in operator delete and warns; the pairing is
// the point of a replacement allocator.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace ecgbench::common::rag::testing {

int64_t AllocationCount() { return g_allocations.load(); }

}  // namespace ecgbench::common::rag::testing
