// Deterministic seed mixing, uniform/normal mappings and elementary functions (see det_random.h).
// Compiled with -ffp-contract=off (common/util/CMakeLists.txt): no fused multiply-add.
#include "common/util/det_random.h"

#include <algorithm>
#include <cmath>

namespace ecgbench::common {
namespace {

// (-1)^k / (2k+1)! and (-1)^k / (2k)!, computed once in plain double arithmetic.
struct TaylorTables {
  double sin_coef[9];
  double cos_coef[10];
  TaylorTables() {
    double f = 1.0;
    for (int k = 0; k < 9; ++k) {
      if (k > 0) f *= (2.0 * k) * (2.0 * k + 1.0);
      sin_coef[k] = (k % 2 == 0 ? 1.0 : -1.0) / f;
    }
    f = 1.0;
    for (int k = 0; k < 10; ++k) {
      if (k > 0) f *= (2.0 * k - 1.0) * (2.0 * k);
      cos_coef[k] = (k % 2 == 0 ? 1.0 : -1.0) / f;
    }
  }
};

}  // namespace

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t MixSeed(uint64_t seed, RandomStream stream, uint64_t index, uint64_t subindex) {
  uint64_t h = SplitMix64(seed);
  h = SplitMix64(h ^ static_cast<uint64_t>(stream));
  h = SplitMix64(h ^ index);
  return SplitMix64(h ^ subindex);
}

double DetRandom::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

double DetRandom::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * Uniform() - 1.0;
    v = 2.0 * Uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * DetLog(s) / s);  // sqrt is correctly rounded (IEEE)
  spare_ = v * f;
  has_spare_ = true;
  return u * f;
}

double DetLog(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact: x = m * 2^e, m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    --e;
  }
  // log(m) = 2 atanh(z), z = (m - 1) / (m + 1), |z| <= 0.1716: 12 odd terms reach 1e-19.
  const double z = (m - 1.0) / (m + 1.0);
  const double z2 = z * z;
  double series = 1.0 / 25.0;
  for (int k = 11; k >= 0; --k) series = 1.0 / (2 * k + 1) + z2 * series;
  const double log_m = 2.0 * z * series;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // high 32 bits of ln 2 (e * hi is exact)
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  return e * kLn2Hi + (log_m + e * kLn2Lo);
}

double DetSin(double x) {
  // fdlibm's three-part pi/2: n * kPio2_1 is exact for |n| < 2^20.
  constexpr double kInvPio2 = 6.36619772367581382433e-01;
  constexpr double kPio2_1 = 1.57079632673412561417e+00;
  constexpr double kPio2_2 = 6.07710050630396597660e-11;
  constexpr double kPio2_3 = 2.02226624871116645580e-21;
  const double n = std::nearbyint(x * kInvPio2);
  const double r = ((x - n * kPio2_1) - n * kPio2_2) - n * kPio2_3;
  const double r2 = r * r;
  // Taylor series on |r| <= pi/4 (+ a hair): sin to r^17, cos to r^18 (truncation < 1e-19).
  static const TaylorTables kTables;
  double s = 0;
  for (int k = 8; k >= 0; --k) s = kTables.sin_coef[k] + r2 * s;
  s *= r;
  double c = 0;
  for (int k = 9; k >= 0; --k) c = kTables.cos_coef[k] + r2 * c;
  const int64_t q = static_cast<int64_t>(n) & 3;
  if (q == 0) return s;
  if (q == 1) return c;
  if (q == 2) return -s;
  return -c;
}

std::vector<int64_t> SampleWithoutReplacement(int64_t n, int64_t count, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  if (count <= 0 || count >= n) return idx;
  DetRandom rng(seed);
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t r = rng.UniformInt(static_cast<uint64_t>(n - i));
    std::swap(idx[static_cast<size_t>(i)], idx[static_cast<size_t>(i + static_cast<int64_t>(r))]);
  }
  idx.resize(static_cast<size_t>(count));
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace ecgbench::common
