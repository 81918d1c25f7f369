// MERL's symmetric InfoNCE losses (contrastive_loss.h).
#include "worker/nn/ecg_encoders/contrastive_loss.h"

namespace ecgbench::worker::nn {

torch::Tensor SymmetricInfoNce(const torch::Tensor& x, const torch::Tensor& y, double temperature) {
  TORCH_CHECK(x.dim() == 2 && x.sizes() == y.sizes(), "SymmetricInfoNce: x ", x.sizes(), " and y ", y.sizes(),
              " must be the same [N, D]");
  TORCH_CHECK(temperature > 0.0, "SymmetricInfoNce: temperature must be positive, got ", temperature);
  namespace F = torch::nn::functional;
  const auto unit = F::NormalizeFuncOptions().dim(-1);
  const torch::Tensor sim = torch::matmul(F::normalize(x, unit), F::normalize(y, unit).t()) / temperature;
  const torch::Tensor labels = torch::arange(x.size(0), torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  return F::cross_entropy(sim, labels) + F::cross_entropy(sim.t(), labels);
}

MerlLoss ComputeMerlLoss(const torch::Tensor& ecg, const torch::Tensor& text, const torch::Tensor& view1,
                         const torch::Tensor& view2, double temperature) {
  MerlLoss loss;
  loss.cma = SymmetricInfoNce(ecg, text, temperature);
  loss.uma = SymmetricInfoNce(view1, view2, temperature);
  loss.total = loss.cma + loss.uma;
  return loss;
}

}  // namespace ecgbench::worker::nn
