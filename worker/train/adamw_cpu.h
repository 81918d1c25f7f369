// A fused, single-pass AdamW step over float arrays for the CPU path of the Signal2Vec trainer
// (LibTorch's AdamW makes ~10 passes with temporaries over the full, dense embedding tables, which
// dominates a step on CPU). The arithmetic is PyTorch's AdamW (torch.optim.AdamW, amsgrad off):
//   p *= 1 - lr * wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// with g = grad * grad_scale (the clipping factor). Torch-free; not thread-safe on shared arrays.
#pragma once

#include <cstdint>

namespace ecgbench::worker {

struct AdamWHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// Sum of squares of grad[0..n) in double, accumulated in fixed 4096-element chunks (the result
// does not depend on how the caller splits work).
double SquaredNorm(const float* grad, int64_t n);

// The clipping factor PyTorch's clip_grad_norm_ applies: min(1, max_norm / (norm + 1e-6)).
double ClipScale(double total_norm, double max_norm);

// One AdamW step; `step` is the 1-based step number (bias correction).
void AdamWStep(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n,
               const AdamWHyper& hyper, int64_t step, double grad_scale);

}  // namespace ecgbench::worker
