// Fused AdamW step and gradient norm on float arrays (see adamw_cpu.h).
#include "worker/train/adamw_cpu.h"

#include <algorithm>
#include <cmath>

namespace ecgbench::worker {

double SquaredNorm(const float* grad, int64_t n) {
  constexpr int64_t kChunk = 4096;
  double total = 0.0;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t end = std::min(n, begin + kChunk);
    // Eight float lanes inside a chunk (vectorisable), chunks summed in double.
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = begin;
    for (; i + 8 <= end; i += 8) {
      for (int l = 0; l < 8; ++l) lanes[l] += grad[i + l] * grad[i + l];
    }
    for (; i < end; ++i) lanes[0] += grad[i] * grad[i];
    double chunk = 0.0;
    for (float lane : lanes) chunk += lane;
    total += chunk;
  }
  return total;
}

double ClipScale(double total_norm, double max_norm) {
  const double coef = max_norm / (total_norm + 1e-6);
  return coef < 1.0 ? coef : 1.0;
}

void AdamWStep(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n,
               const AdamWHyper& hyper, int64_t step, double grad_scale) {
  const double bias_correction1 = 1.0 - std::pow(hyper.beta1, static_cast<double>(step));
  const double bias_correction2 = 1.0 - std::pow(hyper.beta2, static_cast<double>(step));
  const float decay = static_cast<float>(1.0 - hyper.lr * hyper.weight_decay);
  const float b1 = static_cast<float>(hyper.beta1);
  const float one_minus_b1 = static_cast<float>(1.0 - hyper.beta1);
  const float b2 = static_cast<float>(hyper.beta2);
  const float one_minus_b2 = static_cast<float>(1.0 - hyper.beta2);
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bias_correction2));
  const float eps = static_cast<float>(hyper.eps);
  const float step_size = static_cast<float>(hyper.lr / bias_correction1);
  const float scale = static_cast<float>(grad_scale);
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] * scale;
    const float m = b1 * exp_avg[i] + one_minus_b1 * g;
    const float v = b2 * exp_avg_sq[i] + one_minus_b2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    const float p = param[i] * decay;
    param[i] = p - step_size * m / (std::sqrt(v) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace ecgbench::worker
