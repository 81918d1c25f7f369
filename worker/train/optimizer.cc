// Adam / AdamW with clipping, frozen rows and checkpointable state (see optimizer.h).
#include "worker/train/optimizer.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ecgbench::worker::train {

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
    : params_(std::move(params)), state_(params_.size()), options_(options) {}

double Optimizer::GradNorm() const {
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (const auto& [name, p] : params_) {
    if (p.grad().defined()) sum += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
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

void Optimizer::Step(double lr) {
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
    const torch::Tensor denom = (s.exp_avg_sq.sqrt() / std::sqrt(bias2)).add_(options_.eps);
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
