// Deterministic random numbers shared by every seeded draw of the project (signal perturbations,
// percentile samples, image augmentations, Signal2Vec sampling and initialisation, CLI sampling).
// The engine is std::mt19937_64, whose output sequence is fixed by the C++ standard (the 10000th
// output of a default-seeded engine is 9981545732273789042). The mappings from its 64-bit outputs
// to uniform integers, uniform doubles and normal deviates, and the log and sin they need, are our
// own (std::*_distribution and libm are implementation-defined), and det_random.cc is compiled with
// -ffp-contract=off, so every draw is bit-identical on every platform, compiler and standard library.
// A draw must depend only on (seed, stream, index, subindex) -- e.g. (seed, kPerturb, sample, epoch)
// -- never on which thread runs it: seed one DetRandom per unit of work with MixSeed.
// Functions are pure and thread-safe; a DetRandom is not thread-safe (one per thread or work unit).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace ecgbench::common {

// Every user of one seed draws from its own stream, so their draws do not correlate. Add new
// users here (values are part of the reproducibility contract: never renumber).
enum class RandomStream : uint64_t {
  kPerturb = 1,               // signal perturbations: (seed, sample index, epoch)
  kPercentileSample = 2,      // percentile statistics' value sample: (seed, 0, 0)
  kImageAugment = 3,          // image augmentations: (seed, sample index, epoch)
  kSignal2VecSubsample = 4,   // Signal2Vec subsampling: (seed, sequence, 0)
  kSignal2VecPairs = 5,       // Signal2Vec pair batches: (seed, epoch, batch)
  kSignal2VecInit = 6,        // Signal2Vec embedding initialisation: (seed, 0, 0)
};

// SplitMix64's finaliser of x + golden gamma: a bijection on 64 bits with full avalanche.
uint64_t SplitMix64(uint64_t x);

// The engine seed for (seed, stream, index, subindex): a SplitMix64 chain, so nearby keys give
// unrelated engines.
uint64_t MixSeed(uint64_t seed, RandomStream stream, uint64_t index, uint64_t subindex);

class DetRandom {
 public:
  // An engine seeded with `engine_seed` as is (std::mt19937_64(engine_seed)).
  explicit DetRandom(uint64_t engine_seed) : engine_(engine_seed) {}
  // An engine seeded with MixSeed(seed, stream, index, subindex).
  DetRandom(uint64_t seed, RandomStream stream, uint64_t index, uint64_t subindex)
      : engine_(MixSeed(seed, stream, index, subindex)) {}

  uint64_t NextU64() { return engine_(); }

  // Uniform in [0, 1): the top 53 bits of one engine output times 2^-53 (exact).
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // lo + (hi - lo) * Uniform(), in [lo, hi) up to rounding (unfused: same result everywhere).
  double Uniform(double lo, double hi);
  // Uniform in [0, n), unbiased: outputs below 2^64 mod n are rejected, then x % n.
  // REQUIRES n >= 1. Almost always one engine output.
  uint64_t UniformInt(uint64_t n) {
    const uint64_t reject_below = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t x = engine_();
      if (x >= reject_below) return x % n;
    }
  }
  // Uniform integer in [lo, hi] (inclusive): lo + UniformInt(hi - lo + 1). REQUIRES lo <= hi.
  int64_t UniformIntInclusive(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + (span == 0 ? engine_() : UniformInt(span)));
  }
  // Standard normal by Marsaglia's polar method: two Uniform()s in (-1, 1) per try; both results
  // are used (the second is returned by the next call).
  double Normal();

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// `count` distinct indices of [0, n), uniformly without replacement: a partial Fisher-Yates
// shuffle driven by DetRandom(seed)'s UniformInt; returned ascending. All n indices when
// count <= 0 or count >= n. Used wherever segments are sampled (tokenizer CLI and stage).
std::vector<int64_t> SampleWithoutReplacement(int64_t n, int64_t count, uint64_t seed);

// Natural log for finite x > 0, within ~1 ulp, from IEEE + - * / only. REQUIRES x > 0, finite.
double DetLog(double x);
// sin(x) within ~1 ulp for |x| < 2^20 (Cody-Waite reduction by pi/2, Taylor polynomials).
double DetSin(double x);

}  // namespace ecgbench::common
