// Statistics of one metric across folds and seeds, as upstream's run_statistical_analysis reports
// them: values scaled (x100 by default), mean, sample standard deviation (ddof 1) and the 95 %
// Student-t interval mean +- t_{(1+c)/2, n-1} * std / sqrt(n). The Student-t distribution
// functions are computed here (regularized incomplete beta), matching scipy.stats.t to ~1e-12.
// Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <limits>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ecgbench::common::eval {

// Regularized incomplete beta function I_x(a, b). REQUIRES: a > 0, b > 0, 0 <= x <= 1.
double RegularizedIncompleteBeta(double a, double b, double x);

// Student-t cumulative distribution P(T <= t) with `df` > 0 degrees of freedom.
double StudentTCdf(double t, double df);

// Inverse of StudentTCdf: the t with P(T <= t) = p. REQUIRES: 0 < p < 1, df > 0 (else NaN).
double StudentTQuantile(double p, double df);

struct FoldStatsOptions {
  double scale = 100;         // values are multiplied by this first (upstream reports x100)
  double confidence = 0.95;   // two-sided interval level, in (0, 1)
};

// All fields are in scaled units. With n == 1 the spread is unknown: std, ci_low and ci_high are
// NaN (has_interval() is false), as numpy's std(ddof=1) gives NaN there.
struct FoldStats {
  int n = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();
  double std = std::numeric_limits<double>::quiet_NaN();
  double ci_low = std::numeric_limits<double>::quiet_NaN();
  double ci_high = std::numeric_limits<double>::quiet_NaN();

  bool has_interval() const { return n >= 2 && std::isfinite(ci_low); }
  double half_width() const { return (ci_high - ci_low) / 2; }
};

// Errors (INVALID_ARGUMENT): no values; a value that is NaN or infinite (names its index);
// confidence outside (0, 1); scale not finite.
absl::StatusOr<FoldStats> ComputeFoldStats(absl::Span<const double> values,
                                           const FoldStatsOptions& options = {});

}  // namespace ecgbench::common::eval
