// Signal perturbations for robustness studies (upstream noise_ecg / --blackout_ecg / --no_signal).
//   none:      the signal is left alone.
//   noise:     upstream noise_ecg. With p = 0.5 add Gaussian noise N(0, sigma^2) to every value,
//              sigma = 0.05 * std(x) (population std over the whole leads x L matrix, as np.std);
//              then, independently, with p = 0.5 add the baseline wander
//              w[t] = 0.07 * max|x| * sin(linspace(0, k * pi, L)[t]), k uniform in {1..5}, the same
//              for every lead, with max|x| taken AFTER the noise step (upstream adds sequentially).
//   blackout:  every value becomes 0.
//   no_signal: the signal is left alone here; the data loader drops the signal and builds a
//              text-only example (no placeholder tokens), as upstream --no_signal does.
// Where the perturbation goes relative to normalization is the caller's choice (upstream HEAD:
// after normalization for the signal encoder, before it for stacked / image / token inputs).
// Randomness depends only on (seed, sample index, epoch): DetRandom(seed, kPerturb, sample index,
// epoch) of common/util/det_random.h; the draws are, in order, u_noise, u_wander, k, then the
// normals (polar method) for the noise. The arithmetic is float64 on the float32 values with one
// float32 rounding per value, sin is DetSin, so results are bit-identical on every machine.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ecgbench::common::repr {

enum class Perturbation { kNone, kNoise, kBlackout, kNoSignal };

// "none" | "noise" | "blackout" | "no_signal"; InvalidArgument listing them otherwise.
absl::StatusOr<Perturbation> ParsePerturbation(std::string_view name);
std::string_view PerturbationName(Perturbation p);

inline constexpr double kNoiseProbability = 0.5;
inline constexpr double kNoiseStdFactor = 0.05;
inline constexpr double kWanderProbability = 0.5;
inline constexpr double kWanderAmplitudeFactor = 0.07;
inline constexpr int kWanderMaxHalfPeriods = 5;

struct PerturbSeed {
  uint64_t seed = 0;
  uint64_t sample_index = 0;
  uint64_t epoch = 0;
};

// What Perturb did (for logs and tests).
struct PerturbInfo {
  bool noise = false;           // Gaussian noise added
  double noise_sigma = 0;       // its standard deviation
  bool wander = false;          // baseline wander added
  int wander_k = 0;             // half periods over the segment (1..5)
  double wander_amplitude = 0;  // 0.07 * max|x|
};

// Perturbs `signal` (num_leads x L, lead-major) in place. InvalidArgument for an empty signal,
// num_leads <= 0, a size not divisible by num_leads, or (for noise) a non-finite value naming its
// index. No allocation.
absl::StatusOr<PerturbInfo> Perturb(Perturbation p, const PerturbSeed& seed, int num_leads,
                                    absl::Span<float> signal);

}  // namespace ecgbench::common::repr
