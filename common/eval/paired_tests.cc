// Wilcoxon signed-rank and paired bootstrap tests (see paired_tests.h).
#include "common/eval/paired_tests.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::eval {

namespace {

absl::Status CheckPairs(absl::Span<const double> x, absl::Span<const double> y, const char* test) {
  if (x.size() != y.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(test, ": the samples differ in length (", x.size(), " vs ", y.size(), ")"));
  }
  if (x.empty()) return absl::InvalidArgumentError(absl::StrCat(test, ": no pairs"));
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      return absl::InvalidArgumentError(absl::StrCat(test, ": pair ", i, " is not finite (", x[i], ", ", y[i], ")"));
    }
  }
  return absl::OkStatus();
}

// Average ranks (1-based) of `values`, ties sharing the mean of their positions (scipy rankdata).
std::vector<double> AverageRanks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

// Number of subsets of {1..n} with each rank sum r = 0..n(n+1)/2 (exact up to n = 50 in doubles:
// the total is 2^n <= 2^50 < 2^53).
std::vector<double> SignedRankCounts(int n) {
  std::vector<double> counts(static_cast<size_t>(n) * (n + 1) / 2 + 1, 0.0);
  counts[0] = 1;
  int max_sum = 0;
  for (int k = 1; k <= n; ++k) {
    max_sum += k;
    for (int s = max_sum; s >= k; --s) counts[s] += counts[s - k];
  }
  return counts;
}

}  // namespace

absl::StatusOr<WilcoxonResult> WilcoxonSignedRank(absl::Span<const double> x, absl::Span<const double> y) {
  if (auto st = CheckPairs(x, y, "wilcoxon"); !st.ok()) return st;
  std::vector<double> d(x.size());
  size_t zeros = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    d[i] = x[i] - y[i];
    if (d[i] == 0) ++zeros;
  }
  WilcoxonResult res;
  res.exact = d.size() <= 50 && zeros == 0;  // scipy: zeros switch "exact" to the approximation
  if (!res.exact) {
    if (zeros == d.size()) {
      return absl::InvalidArgumentError("wilcoxon: every difference is zero (the variants are identical here)");
    }
    d.erase(std::remove(d.begin(), d.end(), 0.0), d.end());
  }
  const int n = static_cast<int>(d.size());
  res.n = n;
  std::vector<double> abs_d(d.size());
  for (size_t i = 0; i < d.size(); ++i) abs_d[i] = std::fabs(d[i]);
  const std::vector<double> ranks = AverageRanks(abs_d);
  double r_plus = 0, r_minus = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] > 0) r_plus += ranks[i];
    else if (d[i] < 0) r_minus += ranks[i];
  }
  res.statistic = std::min(r_plus, r_minus);
  if (res.exact) {
    const std::vector<double> counts = SignedRankCounts(n);
    const double total = std::ldexp(1.0, n);
    // scipy truncates a tied (half-integer) R+ to an integer and treats the centre as p = 1.
    const auto r = static_cast<size_t>(r_plus);
    if (r == (counts.size() - 1) / 2) {
      res.p_value = 1.0;
    } else {
      double less = 0, greater = 0;
      for (size_t i = 0; i <= r; ++i) less += counts[i];
      for (size_t i = r; i < counts.size(); ++i) greater += counts[i];
      res.p_value = std::clamp(2 * std::min(less, greater) / total, 0.0, 1.0);
    }
    return res;
  }
  const double mean = n * (n + 1.0) * 0.25;
  double var = n * (n + 1.0) * (2.0 * n + 1.0);
  std::vector<double> sorted = ranks;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const double t = static_cast<double>(j - i);
    if (t > 1) var -= 0.5 * t * (t * t - 1);
    i = j;
  }
  const double se = std::sqrt(var / 24);
  res.z = (res.statistic - mean) / se;
  res.p_value = std::erfc(std::fabs(res.z) / std::sqrt(2.0));  // 2 * normal survival of |z|
  return res;
}

absl::StatusOr<BootstrapResult> PairedBootstrap(absl::Span<const double> x, absl::Span<const double> y,
                                                const BootstrapOptions& options) {
  if (auto st = CheckPairs(x, y, "paired bootstrap"); !st.ok()) return st;
  if (options.resamples <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("paired bootstrap: resamples must be positive, got ", options.resamples));
  }
  if (!(options.confidence > 0) || !(options.confidence < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("paired bootstrap: confidence must be in (0, 1), got ", options.confidence));
  }
  const size_t n = x.size();
  std::vector<double> d(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    d[i] = x[i] - y[i];
    sum += d[i];
  }
  BootstrapResult res;
  res.n = static_cast<int>(n);
  res.mean_diff = sum / static_cast<double>(n);
  std::mt19937_64 rng(options.seed);
  // Unbiased index in [0, n): reject the top partial block of the 64-bit range (portable, unlike
  // std::uniform_int_distribution whose algorithm is left to the library).
  const uint64_t limit = std::mt19937_64::max() - (std::mt19937_64::max() % n + 1) % n;
  std::vector<double> means(static_cast<size_t>(options.resamples));
  size_t extreme = 0;
  for (double& m : means) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) {
      uint64_t u;
      do u = rng();
      while (u > limit);
      s += d[u % n];
    }
    m = s / static_cast<double>(n);
    if (std::fabs(m - res.mean_diff) >= std::fabs(res.mean_diff)) ++extreme;
  }
  res.p_value = res.mean_diff == 0 ? 1.0 : static_cast<double>(extreme) / options.resamples;
  std::sort(means.begin(), means.end());
  const double alpha = (1 - options.confidence) / 2;
  auto percentile = [&](double q) {  // linear interpolation between order statistics (numpy default)
    const double pos = q * static_cast<double>(means.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
  };
  res.ci_low = percentile(alpha);
  res.ci_high = percentile(1 - alpha);
  return res;
}

}  // namespace ecgbench::common::eval
