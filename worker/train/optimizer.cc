// Adam / AdamW with clipping, frozen rows and checkpointable state (see optimizer.h).
#include "worker/train/optimizer.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ecgbench::worker::train {
namespace {

// Sum of squares of `g` in float64. A contiguous float32 CPU tensor is read in place (each square
// is exact in double; fixed chunks summed in order, so the result does not depend on the thread
// count); anything else through a float64 copy.
double SquaredSum(const torch::Tensor& g) {
  if (!g.device().is_cpu() || g.scalar_type() != torch::kFloat || !g.is_contiguous()) {
    return g.to(torch::kDouble).pow(2).sum().item<double>();
  }
  constexpr int64_t kChunk = int64_t{1} << 16;
  const float* data = g.data_ptr<float>();
  const int64_t n = g.numel(), chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks));
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t last = std::min(n, (c + 1) * kChunk);
      double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // eight independent sums: vectorisable
      int64_t i = c * kChunk;
      for (; i + 8 <= last; i += 8) {
        for (int l = 0; l < 8; ++l) lanes[l] += static_cast<double>(data[i + l]) * static_cast<double>(data[i + l]);
      }
      for (; i < last; ++i) lanes[0] += static_cast<double>(data[i]) * static_cast<double>(data[i]);
      double sum = 0;
      for (const double lane : lanes) sum += lane;
      partial[static_cast<size_t>(c)] = sum;
    }
  });
  double total = 0;
  for (const double value : partial) total += value;
  return total;
}

}  // namespace

absl::StatusOr<OptimizerKind> ParseOptimizerKind(const std::string& name) {
  if (name == "adam") return OptimizerKind::kAdam;
  if (name == "adamw") return OptimizerKind::kAdamW;
  return absl::InvalidArgumentError(absl::StrCat("optimizer: unknown name '", name, "' (adam | adamw)"));
}

absl::StatusOr<Optimizer> Optimizer::Create(std::vector<std::pair<std::string, torch::Tensor>> params,
                                            const OptimizerOptions& o) {
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("optimizer: betas must be in [0, 1), got [", o.beta1, ", ", o.beta2, "]"));
  }
  if (!(o.eps > 0)) return absl::InvalidArgumentError(absl::StrCat("optimizer: eps must be > 0, got ", o.eps));
  if (!(o.weight_decay >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("optimizer: weight_decay must be >= 0, got ", o.weight_decay));
  }
  std::set<std::string> names;
  for (const auto& [name, p] : params) {
    if (!names.insert(name).second) return absl::InvalidArgumentError(absl::StrCat("optimizer: parameter '", name, "' given twice"));
    if (!p.requires_grad()) {
      return absl::InvalidArgumentError(absl::StrCat("optimizer: parameter '", name, "' does not require grad"));
    }
  }
  if (params.empty()) return absl::InvalidArgumentError("optimizer: no trainable parameters");
  return Optimizer(std::move(params), o);
}

Optimizer::Optimizer(std::vector<std::pair<std::string, torch::Tensor>> params, const OptimizerOptions& options)
    : params_(std::move(params)), state_(params_.size()), lr_scale_(params_.size(), 1.0), options_(options) {}

double Optimizer::GradNorm() const {
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (const auto& [name, p] : params_) {
    if (p.grad().defined()) sum += SquaredSum(p.grad());
  }
  return std::sqrt(sum);
}

double Optimizer::ClipGradNorm(double max_norm) {
  const double norm = GradNorm();
  if (max_norm <= 0) return norm;
  const double factor = max_norm / (norm + 1e-6);
  if (factor < 1) {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : params_) {
      if (p.grad().defined()) p.mutable_grad().mul_(factor);
    }
  }
  return norm;
}

int Optimizer::ScaleLearningRate(const std::string& prefix, double scale) {
  int matched = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].first.compare(0, prefix.size(), prefix) != 0) continue;
    lr_scale_[i] = scale;
    ++matched;
  }
  return matched;
}

void Optimizer::Step(double base_lr) {
  torch::NoGradGuard no_grad;
  ++step_;
  // Rows that must not move: remember them, update, put them back (cheap: a few rows).
  std::vector<torch::Tensor> kept;
  kept.reserve(frozen_.size());
  for (const FrozenRows& f : frozen_) kept.push_back(f.weight.narrow(0, f.first_row, f.count).clone());

  const double b1 = options_.beta1, b2 = options_.beta2, wd = options_.weight_decay;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    const double lr = base_lr * lr_scale_[i];
    State& s = state_[i];
    if (!s.exp_avg.defined()) {
      s.exp_avg = torch::zeros_like(p, torch::kFloat);
      s.exp_avg_sq = torch::zeros_like(p, torch::kFloat);
    }
    ++s.steps;
    torch::Tensor grad = p.grad().to(torch::kFloat);
    // bf16 / f16 parameters keep a float32 master copy in the state, so small updates accumulate.
    if (p.scalar_type() != torch::kFloat && !s.master.defined()) s.master = p.detach().to(torch::kFloat);
    torch::Tensor master = p.scalar_type() == torch::kFloat ? p : s.master;
    if (wd != 0) {
      if (options_.kind == OptimizerKind::kAdam) {
        grad = grad.add(master, wd);  // L2: the decay goes through the moments
      } else {
        master.mul_(1 - lr * wd);     // decoupled
      }
    }
    s.exp_avg.mul_(b1).add_(grad, 1 - b1);
    s.exp_avg_sq.mul_(b2).addcmul_(grad, grad, 1 - b2);
    const double bias1 = 1 - std::pow(b1, static_cast<double>(s.steps));
    const double bias2 = 1 - std::pow(b2, static_cast<double>(s.steps));
    // denom = sqrt(v) / sqrt(bias2) + eps in a reused buffer: no two temporaries of the parameter's
    // size per step (page faults on large ones), the same kernels, so LibTorch AdamW's bits.
    if (!scratch_.defined() || scratch_.numel() < p.numel() || scratch_.device() != p.device()) {
      int64_t largest = 0;
      for (const auto& named : params_) largest = std::max(largest, named.second.numel());
      scratch_ = torch::empty({largest}, torch::dtype(torch::kFloat).device(p.device()));
    }
    torch::Tensor denom = scratch_.narrow(0, 0, p.numel()).view(p.sizes());
    torch::sqrt_out(denom, s.exp_avg_sq).div_(std::sqrt(bias2)).add_(options_.eps);
    master.addcdiv_(s.exp_avg, denom, -lr / bias1);
    if (!master.is_same(p)) p.copy_(master);
  }
  for (size_t i = 0; i < frozen_.size(); ++i) {
    frozen_[i].weight.narrow(0, frozen_[i].first_row, frozen_[i].count).copy_(kept[i]);
  }
}

void Optimizer::ZeroGrad() {
  for (auto& [name, p] : params_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

std::map<std::string, torch::Tensor> Optimizer::StateTensors() const {
  std::map<std::string, torch::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!state_[i].exp_avg.defined()) continue;
    out[params_[i].first + ".exp_avg"] = state_[i].exp_avg.detach().to(torch::kCPU).clone();
    out[params_[i].first + ".exp_avg_sq"] = state_[i].exp_avg_sq.detach().to(torch::kCPU).clone();
    out[params_[i].first + ".steps"] = torch::tensor({state_[i].steps}, torch::kLong);
    if (state_[i].master.defined()) out[params_[i].first + ".master"] = state_[i].master.detach().to(torch::kCPU).clone();
  }
  return out;
}

absl::Status Optimizer::RestoreState(const std::map<std::string, torch::Tensor>& tensors, int64_t step) {
  std::vector<State> restored(params_.size());
  size_t used = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].first;
    const auto avg = tensors.find(name + ".exp_avg");
    const auto sq = tensors.find(name + ".exp_avg_sq");
    const auto steps = tensors.find(name + ".steps");
    const int found = (avg != tensors.end()) + (sq != tensors.end()) + (steps != tensors.end());
    if (found == 0) continue;  // no state yet (never had a gradient)
    if (found != 3) return absl::InvalidArgumentError(absl::StrCat("optimizer state: incomplete entries for '", name, "'"));
    const torch::Tensor& p = params_[i].second;
    for (const auto* t : {&avg->second, &sq->second}) {
      if (t->sizes() != p.sizes()) {
        return absl::InvalidArgumentError(absl::StrCat("optimizer state: '", name, "' has shape [",
                                                       absl::StrJoin(t->sizes(), ", "), "], the parameter [",
                                                       absl::StrJoin(p.sizes(), ", "), "]"));
      }
    }
    restored[i].exp_avg = avg->second.to(p.device(), torch::kFloat).clone();
    restored[i].exp_avg_sq = sq->second.to(p.device(), torch::kFloat).clone();
    restored[i].steps = steps->second.item<int64_t>();
    used += 3;
    if (const auto master = tensors.find(name + ".master"); master != tensors.end()) {
      restored[i].master = master->second.to(p.device(), torch::kFloat).clone();
      ++used;
    }
  }
  if (used != tensors.size()) {
    for (const auto& [key, t] : tensors) {
      bool known = false;
      for (const auto& [name, p] : params_) {
        if (key == name + ".exp_avg" || key == name + ".exp_avg_sq" || key == name + ".steps" ||
            key == name + ".master") {
          known = true;
        }
      }
      if (!known) return absl::InvalidArgumentError(absl::StrCat("optimizer state: '", key, "' matches no parameter"));
    }
  }
  state_ = std::move(restored);
  step_ = step;
  return absl::OkStatus();
}

}  // namespace ecgbench::worker::train
