// Fold statistics and the Student-t distribution (see fold_stats.h).
#include "common/eval/fold_stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ecgbench::common::eval {

namespace {

constexpr double kTiny = 1e-300;
constexpr double kEps = 1e-16;
constexpr int kMaxTerms = 10000;

// Continued fraction of the incomplete beta (modified Lentz evaluation of 1 + d1/(1 + d2/(1 + ...))),
// valid and fast for x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double a, double b, double x) {
  double f = 1, c = 1, d = 0;
  for (int j = 1; j <= kMaxTerms; ++j) {
    const int m = j / 2;
    double coef;
    if (j % 2 == 1) {
      coef = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    } else {
      coef = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    }
    d = 1 + coef * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + coef / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = c * d;
    f *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return f;
}

// I_x(a, b) with y = 1 - x given separately, so that callers keep precision when x is near 1.
double BetaInc(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double log_front =
      a * std::log(x) + b * std::log(y) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) / (a * BetaContinuedFraction(a, b, x));
  return 1 - std::exp(log_front) / (b * BetaContinuedFraction(b, a, y));
}

// P(T > t) for t >= 0.
double UpperTail(double t, double df) {
  const double t2 = t * t;
  if (t2 < df) {
    // x = df/(df+t^2) is near 1: use I_x(df/2, 1/2) = 1 - I_{1-x}(1/2, df/2) with 1-x exact.
    const double y = t2 / (df + t2);
    return 0.5 * (1 - BetaInc(0.5, df / 2, y, df / (df + t2)));
  }
  return 0.5 * BetaInc(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

double StudentTPdf(double t, double df) {
  const double log_norm = std::lgamma((df + 1) / 2) - std::lgamma(df / 2) - 0.5 * std::log(df * M_PI);
  return std::exp(log_norm - (df + 1) / 2 * std::log1p(t * t / df));
}

}  // namespace

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return std::numeric_limits<double>::quiet_NaN();
  return BetaInc(a, b, x, 1 - x);
}

double StudentTCdf(double t, double df) {
  if (std::isnan(t) || !(df > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  const double upper = UpperTail(std::fabs(t), df);
  return t >= 0 ? 1 - upper : upper;
}

double StudentTQuantile(double p, double df) {
  if (!(p > 0) || !(p < 1) || !(df > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.5) return 0;
  if (p < 0.5) return -StudentTQuantile(1 - p, df);
  const double q = 1 - p;  // the upper tail to reach, t > 0
  double lo = 0, hi = 1;
  while (UpperTail(hi, df) > q && hi < 1e300) {
    lo = hi;
    hi *= 2;
  }
  // Newton steps on the upper tail (its derivative is -pdf), kept inside the bracket by bisection.
  double t = (lo + hi) / 2;
  for (int i = 0; i < 400; ++i) {
    const double f = UpperTail(t, df) - q;
    if (f == 0) return t;
    if (f > 0) lo = t;
    else hi = t;
    const double pdf = StudentTPdf(t, df);
    double next = pdf > 0 ? t + f / pdf : (lo + hi) / 2;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (std::fabs(next - t) <= 1e-15 * std::max(1.0, t)) return next;
    t = next;
  }
  return t;
}

absl::StatusOr<FoldStats> ComputeFoldStats(absl::Span<const double> values, const FoldStatsOptions& options) {
  if (values.empty()) return absl::InvalidArgumentError("fold statistics: no values");
  if (!(options.confidence > 0) || !(options.confidence < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fold statistics: confidence must be in (0, 1), got ", options.confidence));
  }
  if (!std::isfinite(options.scale)) return absl::InvalidArgumentError("fold statistics: scale must be finite");
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(absl::StrCat("fold statistics: value ", i, " is ", values[i]));
    }
    sum += values[i] * options.scale;
  }
  FoldStats s;
  s.n = static_cast<int>(values.size());
  s.mean = sum / s.n;
  if (s.n < 2) return s;
  double squares = 0;  // two passes: the deviations from the mean, as numpy does
  for (double v : values) {
    const double dev = v * options.scale - s.mean;
    squares += dev * dev;
  }
  s.std = std::sqrt(squares / (s.n - 1));
  const double t = StudentTQuantile((1 + options.confidence) / 2, s.n - 1);
  const double half = t * s.std / std::sqrt(static_cast<double>(s.n));
  s.ci_low = s.mean - half;
  s.ci_high = s.mean + half;
  return s;
}

}  // namespace ecgbench::common::eval
