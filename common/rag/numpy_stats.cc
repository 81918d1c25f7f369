// numpy-order reductions (see numpy_stats.h).
#include "common/rag/numpy_stats.h"

#include <cmath>

namespace ecgbench::common::rag {

double NumpySum(const double* x, int64_t n) {
  if (n < 8) {
    double res = 0.0;
    for (int64_t i = 0; i < n; ++i) res += x[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = x[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += x[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += x[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return NumpySum(x, n2) + NumpySum(x + n2, n - n2);
}

double NumpyMean(const double* x, int64_t n) { return NumpySum(x, n) / static_cast<double>(n); }

double NumpyStd(const double* x, int64_t n, double* scratch) {
  const double mean = NumpyMean(x, n);
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    scratch[i] = d * d;
  }
  return std::sqrt(NumpySum(scratch, n) / static_cast<double>(n));
}

double NumpyPercentileSorted(const double* sorted, int64_t n, double q) {
  const double virtual_index = static_cast<double>(n - 1) * (q / 100.0);
  if (virtual_index <= 0) return sorted[0];
  if (virtual_index >= static_cast<double>(n - 1)) return sorted[n - 1];
  const double prev = std::floor(virtual_index);
  const auto i = static_cast<int64_t>(prev);
  const double t = virtual_index - prev;
  const double a = sorted[i];
  const double b = sorted[i + 1];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

double NumpyMedianSorted(const double* sorted, int64_t n) {
  if (n % 2 == 1) return sorted[n / 2];
  return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

}  // namespace ecgbench::common::rag
