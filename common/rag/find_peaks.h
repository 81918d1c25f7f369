// scipy.signal.find_peaks(x, height=h, distance=d) for the RAG feature extractor: local maxima
// (a flat top counts once, at its middle sample (left + right) // 2; the first and last samples
// are never peaks), kept when x[peak] >= h, then thinned so that peaks are at least ceil(d)
// samples apart, the highest first (scipy's priority order; equal heights are taken in stable
// index order, the later index first, which is what numpy's argsort does for the short peak lists
// of one ECG lead).
//
// Not thread-safe (keeps scratch): one per thread. Find does not allocate once it has seen a
// signal at least as long (buffers are sized by length, not by the data).
#pragma once

#include <cstdint>
#include <vector>

namespace ecgbench::common::rag {

class PeakFinder {
 public:
  // Peaks of x[0..n) into peaks() (ascending sample indices). distance >= 1.
  void Find(const double* x, int64_t n, double height, double distance);

  const std::vector<int64_t>& peaks() const { return peaks_; }

 private:
  std::vector<int64_t> peaks_;
  std::vector<int64_t> candidates_;
  std::vector<int64_t> order_;
  std::vector<char> keep_;
};

}  // namespace ecgbench::common::rag
