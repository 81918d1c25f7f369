// Reductions that follow numpy's float64 arithmetic (numpy 1.24, the Debian 12 version), so the
// ECG features agree with a numpy reference to the last bits wherever the order of operations
// decides a comparison (QRS thresholds, peak heights): pairwise summation as np.add.reduce does it
// on a contiguous array, mean, population std (ddof 0), and np.percentile's 'linear' method.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace ecgbench::common::rag {

// np.sum(x[:n]) for contiguous float64: blocks of < 8 summed left to right, blocks of <= 128 with
// 8 interleaved accumulators, longer ranges split in two halves (the first a multiple of 8).
double NumpySum(const double* x, int64_t n);

// np.mean: NumpySum / n. REQUIRES n >= 1.
double NumpyMean(const double* x, int64_t n);

// np.std (ddof 0): sqrt(NumpySum((x - mean)^2) / n), the squares written to `scratch` (n values).
// REQUIRES n >= 1.
double NumpyStd(const double* x, int64_t n, double* scratch);

// np.percentile(x, q) with method 'linear' on `sorted` (ascending, n >= 1): virtual index
// (n - 1) * q / 100 and numpy's two-sided lerp (a + (b - a) t, or b - (b - a)(1 - t) when t >= 0.5).
double NumpyPercentileSorted(const double* sorted, int64_t n, double q);

// np.median on `sorted` (ascending, n >= 1): the middle value, or the mean of the two middle ones.
double NumpyMedianSorted(const double* sorted, int64_t n);

}  // namespace ecgbench::common::rag
