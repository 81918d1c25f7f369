// Seeded, machine-independent perturbations (see perturb.h).
#include "common/repr/signal/perturb.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/util/det_random.h"

namespace ecgbench::common::repr {
namespace {

constexpr double kPi = 3.141592653589793;  // np.pi

double PopulationStd(absl::Span<const float> x) {
  double sum = 0;
  for (float v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  double ss = 0;
  for (float v : x) {
    const double d = v - mean;
    ss += d * d;
  }
  return std::sqrt(ss / static_cast<double>(x.size()));
}

double MaxAbs(absl::Span<const float> x) {
  float m = 0;
  for (float v : x) m = std::fabs(v) > m ? std::fabs(v) : m;
  return m;
}

}  // namespace

absl::StatusOr<Perturbation> ParsePerturbation(std::string_view name) {
  if (name == "none") return Perturbation::kNone;
  if (name == "noise") return Perturbation::kNoise;
  if (name == "blackout") return Perturbation::kBlackout;
  if (name == "no_signal") return Perturbation::kNoSignal;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown perturbation \"", std::string(name), "\" (expected none, noise, blackout or no_signal)"));
}

std::string_view PerturbationName(Perturbation p) {
  switch (p) {
    case Perturbation::kNone:
      return "none";
    case Perturbation::kNoise:
      return "noise";
    case Perturbation::kBlackout:
      return "blackout";
    case Perturbation::kNoSignal:
      return "no_signal";
  }
  return "none";
}

absl::StatusOr<PerturbInfo> Perturb(Perturbation p, const PerturbSeed& seed, int num_leads,
                                    absl::Span<float> signal) {
  if (signal.empty()) return absl::InvalidArgumentError("perturb: empty signal");
  if (num_leads <= 0 || signal.size() % static_cast<size_t>(num_leads) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("perturb: ", signal.size(), " values do not form ", num_leads, " leads"));
  }
  PerturbInfo info;
  if (p == Perturbation::kBlackout) {
    for (float& v : signal) v = 0.0f;
    return info;
  }
  if (p != Perturbation::kNoise) return info;
  for (size_t i = 0; i < signal.size(); ++i) {
    if (!std::isfinite(signal[i])) {
      return absl::InvalidArgumentError(absl::StrCat("perturb: signal[", i, "] is not finite"));
    }
  }
  DetRandom rng(seed.seed, RandomStream::kPerturb, seed.sample_index, seed.epoch);
  info.noise = rng.Uniform() < kNoiseProbability;
  info.wander = rng.Uniform() < kWanderProbability;
  const int k = 1 + static_cast<int>(rng.UniformInt(kWanderMaxHalfPeriods));
  if (info.noise) {
    info.noise_sigma = kNoiseStdFactor * PopulationStd(signal);
    for (float& v : signal) v = static_cast<float>(v + info.noise_sigma * rng.Normal());
  }
  if (info.wander) {
    info.wander_k = k;
    info.wander_amplitude = kWanderAmplitudeFactor * MaxAbs(signal);
    const size_t length = signal.size() / static_cast<size_t>(num_leads);
    // np.linspace(0, stop, L): t_i = i * (stop / (L - 1)), the last one exactly stop.
    const double stop = k * kPi;
    const double step = length > 1 ? stop / static_cast<double>(length - 1) : 0.0;
    for (size_t t = 0; t < length; ++t) {
      const double time = (length > 1 && t == length - 1) ? stop : static_cast<double>(t) * step;
      const double w = info.wander_amplitude * DetSin(time);
      for (int lead = 0; lead < num_leads; ++lead) {
        float& v = signal[static_cast<size_t>(lead) * length + t];
        v = static_cast<float>(v + w);
      }
    }
  }
  return info;
}

}  // namespace ecgbench::common::repr
