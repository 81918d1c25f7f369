// Process-wide allocator tuning for the binaries that run batch work (CLI data tools, worker).
// glibc serves blocks above a dynamic threshold (128 KiB at start) with mmap and gives freed heap
// tops back to the kernel, so a loop that allocates and frees a few 100-KiB buffers per record
// (a 12-lead 10-s record is 240 KB of float32) pays page faults on every iteration. Call once at
// the start of main(), before threads exist.
#pragma once

namespace ecgbench::common {

// Raises the mmap threshold to 32 MiB and the trim threshold to 128 MiB (glibc mallopt): freed
// buffers up to that size are reused by the next allocation instead of being unmapped. Large
// tensors (LibTorch has its own allocator for big blocks) are unaffected. No-op elsewhere.
void TuneAllocatorForBatchWork();

}  // namespace ecgbench::common
