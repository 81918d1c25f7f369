// Moving a record between its storage layout (lead-major float32, Record::samples) and the layout
// the DSP kernels run on (interleaved double: sample t of lead l at rows[t * lanes + l], lanes a
// multiple of simd::kLanes, pad lanes zero). Blocked so that both sides stream through the cache.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>

namespace ecgbench::common::ecg {

// rows[t * lanes + l] = lead_major[l * n + t] for l < leads; lanes [leads, lanes) are set to 0.
// REQUIRES: lanes >= leads; rows holds n * lanes values.
void InterleaveLeads(const float* lead_major, size_t leads, size_t n, size_t lanes, double* rows);

// lead_major[l * n + t] = float(rows[t * lanes + l]) for l < leads (pad lanes are ignored).
void DeinterleaveLeads(const double* rows, size_t lanes, size_t leads, size_t n, float* lead_major);

}  // namespace ecgbench::common::ecg
