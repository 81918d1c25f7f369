// Local maxima with height and distance filters, as scipy.signal.find_peaks (see find_peaks.h).
#include "common/rag/find_peaks.h"

#include <algorithm>
#include <cmath>

namespace ecgbench::common::rag {

void PeakFinder::Find(const double* x, int64_t n, double height, double distance) {
  candidates_.clear();
  peaks_.clear();
  // At most (n - 1) / 2 local maxima: size the buffers for that once, whatever the data.
  const auto most = static_cast<size_t>(std::max<int64_t>(n, 0) / 2 + 1);
  if (candidates_.capacity() < most) {
    candidates_.reserve(most);
    peaks_.reserve(most);
    order_.reserve(most);
    keep_.reserve(most);
  }
  // Local maxima, flat tops included (scipy's _local_maxima_1d).
  int64_t i = 1;
  const int64_t i_max = n - 1;
  while (i < i_max) {
    if (x[i - 1] < x[i]) {
      int64_t ahead = i + 1;
      while (ahead < i_max && x[ahead] == x[i]) ++ahead;
      if (x[ahead] < x[i]) {
        candidates_.push_back((i + ahead - 1) / 2);
        i = ahead;
      }
    }
    ++i;
  }
  // Height: keep x[p] >= height.
  size_t m = 0;
  for (int64_t p : candidates_) {
    if (height <= x[p]) candidates_[m++] = p;
  }
  candidates_.resize(m);
  if (m == 0) return;
  // Distance: visit peaks from the highest; each removes its neighbours closer than ceil(distance).
  const auto min_gap = static_cast<int64_t>(std::ceil(distance));
  order_.resize(m);
  for (size_t k = 0; k < m; ++k) order_[k] = static_cast<int64_t>(k);
  // Ascending height, ties by index: a stable order without stable_sort's temporary buffer.
  std::sort(order_.begin(), order_.end(), [&](int64_t a, int64_t b) {
    const double ha = x[candidates_[a]], hb = x[candidates_[b]];
    return ha < hb || (ha == hb && a < b);
  });
  keep_.assign(m, 1);  // within the reserved capacity
  for (size_t r = m; r-- > 0;) {
    const int64_t j = order_[r];
    if (!keep_[j]) continue;
    for (int64_t k = j - 1; k >= 0 && candidates_[j] - candidates_[k] < min_gap; --k) keep_[k] = 0;
    for (int64_t k = j + 1; k < static_cast<int64_t>(m) && candidates_[k] - candidates_[j] < min_gap; ++k) keep_[k] = 0;
  }
  for (size_t k = 0; k < m; ++k) {
    if (keep_[k]) peaks_.push_back(candidates_[k]);
  }
}

}  // namespace ecgbench::common::rag
