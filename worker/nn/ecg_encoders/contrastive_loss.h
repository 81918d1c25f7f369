// MERL's pretraining losses (ECG-Bench MERLPretrain.merl_loss / calc_loss) as functions of
// already-gathered embeddings, so the data-parallel all-gather (worker/train/collective) can feed
// them the concatenation over ranks (with gradients only through the local rows, as upstream).
// Pure functions of their inputs; thread-safe.
#pragma once

#include <torch/torch.h>

namespace ecgbench::worker::nn {

inline constexpr double kMerlTemperature = 0.07;

// Symmetric InfoNCE: x and y [N, D] are L2-normalised (F.normalize, eps 1e-12), sim = x y^T / tau,
// loss = CE(sim, arange(N)) + CE(sim^T, arange(N)), each CE a mean over rows. Row i of x and row
// i of y are the positive pair. Throws c10::Error when the shapes differ or are not 2-D.
torch::Tensor SymmetricInfoNce(const torch::Tensor& x, const torch::Tensor& y, double temperature = kMerlTemperature);

struct MerlLoss {
  torch::Tensor cma;    // cross-modal: ECG (attention-pooled) vs projected text
  torch::Tensor uma;    // uni-modal: the two dropout views
  torch::Tensor total;  // cma + uma
};

// The MERL objective over gathered [N, merl_dim] tensors (MerlPretrainOutput + ProjectText).
MerlLoss ComputeMerlLoss(const torch::Tensor& ecg, const torch::Tensor& text, const torch::Tensor& view1,
                         const torch::Tensor& view2, double temperature = kMerlTemperature);

}  // namespace ecgbench::worker::nn
