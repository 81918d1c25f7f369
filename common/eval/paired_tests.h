// Paired significance tests between two variants measured on the same folds/seeds:
//  - WilcoxonSignedRank: scipy.stats.wilcoxon(x, y) with its defaults as of SciPy 1.10
//    (zero_method "wilcox", correction False, alternative "two-sided", method "auto"): the exact
//    null distribution when there are at most 50 pairs and no zero difference, else the normal
//    approximation with the tie correction, zero differences dropped.
//  - PairedBootstrap: resamples the pairs with replacement (seeded, reproducible) and reports the
//    mean difference, its percentile interval and a two-sided p-value.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ecgbench::common::eval {

struct WilcoxonResult {
  double statistic = 0;  // min(R+, R-), as scipy's two-sided statistic
  double p_value = 1;
  bool exact = false;    // true: exact distribution; false: normal approximation
  double z = 0;          // the normal approximation's z (0 when exact)
  int n = 0;             // differences used (zeros dropped in the approximation)
};

// Differences are d = x[i] - y[i]. Errors (INVALID_ARGUMENT): different lengths, no pairs, a value
// that is not finite, or every difference zero (scipy raises ValueError there too).
absl::StatusOr<WilcoxonResult> WilcoxonSignedRank(absl::Span<const double> x, absl::Span<const double> y);

struct BootstrapOptions {
  int resamples = 10000;    // > 0
  uint64_t seed = 0;        // std::mt19937_64 seed: the same seed gives the same result everywhere
  double confidence = 0.95; // of the percentile interval of the mean difference, in (0, 1)
};

struct BootstrapResult {
  int n = 0;
  double mean_diff = 0;  // mean of x[i] - y[i]
  double ci_low = 0;     // percentile interval of the resampled mean differences
  double ci_high = 0;
  // Two-sided: the share of resampled means whose distance from mean_diff is at least |mean_diff|
  // (the bootstrap distribution shifted to the null of no difference); 1 when mean_diff is 0.
  double p_value = 1;
};

// Errors (INVALID_ARGUMENT): different lengths, no pairs, a value that is not finite, resamples <= 0,
// confidence outside (0, 1).
absl::StatusOr<BootstrapResult> PairedBootstrap(absl::Span<const double> x, absl::Span<const double> y,
                                                const BootstrapOptions& options = {});

}  // namespace ecgbench::common::eval
