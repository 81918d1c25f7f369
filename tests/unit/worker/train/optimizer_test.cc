// Optimizer (worker/train/optimizer.h) against LibTorch's own Adam / AdamW (same arithmetic, so
// the parameters must match bitwise), clipping against clip_grad_norm_, frozen rows under weight
// decay, bf16 master weights, state save/restore continuing exactly; LrSchedule's numbers.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "worker/train/lr_schedule.h"
#include "worker/train/optimizer.h"

namespace ecgbench::worker::train {
namespace {

std::vector<std::pair<std::string, torch::Tensor>> MakeParams(uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  return {{"w", torch::randn({6, 5}).requires_grad_(true)}, {"b", torch::randn({5}).requires_grad_(true)}};
}

// A deterministic loss whose gradients depend on the parameters.
void Backward(const std::vector<std::pair<std::string, torch::Tensor>>& params, int64_t step) {
  torch::manual_seed(100 + step);
  const torch::Tensor x = torch::randn({4, 6});
  (torch::tanh(torch::matmul(x, params[0].second) + params[1].second).pow(2).sum() * 3.0).backward();
}

Optimizer MustCreate(std::vector<std::pair<std::string, torch::Tensor>> params, const OptimizerOptions& o) {
  absl::StatusOr<Optimizer> opt = Optimizer::Create(std::move(params), o);
  EXPECT_TRUE(opt.ok()) << opt.status();
  return *std::move(opt);
}

TEST(Optimizer, MatchesLibTorchAdamAndAdamWBitwise) {
  for (const OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    auto ours = MakeParams(1), theirs = MakeParams(1);
    OptimizerOptions o;
    o.kind = kind;
    o.weight_decay = 0.05;
    Optimizer opt = MustCreate(ours, o);
    std::vector<torch::Tensor> their_params = {theirs[0].second, theirs[1].second};
    const double lr = 0.01;
    std::unique_ptr<torch::optim::Optimizer> reference;
    if (kind == OptimizerKind::kAdam) {
      reference = std::make_unique<torch::optim::Adam>(
          their_params, torch::optim::AdamOptions(lr).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.05));
    } else {
      reference = std::make_unique<torch::optim::AdamW>(
          their_params, torch::optim::AdamWOptions(lr).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.05));
    }
    for (int64_t step = 0; step < 12; ++step) {
      Backward(ours, step);
      Backward(theirs, step);
      opt.Step(lr);
      reference->step();
      opt.ZeroGrad();
      reference->zero_grad();
    }
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_TRUE(torch::equal(ours[i].second, theirs[i].second))
          << (kind == OptimizerKind::kAdam ? "adam " : "adamw ") << ours[i].first << " max diff "
          << (ours[i].second - theirs[i].second).abs().max().item<double>();
    }
    EXPECT_EQ(opt.step(), 12);
  }
}

TEST(Optimizer, ClipsLikeClipGradNorm) {
  auto ours = MakeParams(2), theirs = MakeParams(2);
  Backward(ours, 0);
  Backward(theirs, 0);
  Optimizer opt = MustCreate(ours, {});
  const double norm = opt.ClipGradNorm(0.5);
  const double their_norm = torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{theirs[0].second, theirs[1].second}, 0.5);
  EXPECT_NEAR(norm, their_norm, 1e-5 * their_norm);
  EXPECT_GT(norm, 0.5);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_LE((ours[i].second.grad() - theirs[i].second.grad()).abs().max().item<double>(), 1e-7);
  }
  EXPECT_NEAR(opt.GradNorm(), 0.5, 1e-5);
  EXPECT_NEAR(opt.ClipGradNorm(0), opt.GradNorm(), 1e-12);  // 0: report only
}

TEST(Optimizer, FrozenRowsStayPutUnderWeightDecay) {
  auto params = MakeParams(3);
  const torch::Tensor before = params[0].second.detach().clone();
  OptimizerOptions o;
  o.weight_decay = 0.5;
  Optimizer opt = MustCreate(params, o);
  opt.FreezeRows({params[0].second, 4, 2});
  for (int64_t step = 0; step < 3; ++step) {
    Backward(params, step);
    opt.Step(0.1);
    opt.ZeroGrad();
  }
  EXPECT_TRUE(torch::equal(params[0].second.narrow(0, 4, 2), before.narrow(0, 4, 2)));
  EXPECT_GT((params[0].second.narrow(0, 0, 4) - before.narrow(0, 0, 4)).abs().max().item<double>(), 0.01);
}

TEST(Optimizer, ScaledLearningRateEqualsAStepAtThatRate) {
  // "b" at lr 0.1 x 0.25 inside one optimizer moves exactly as an optimizer at lr 0.025 moves it
  // (decoupled weight decay scales with it); "w" is unaffected.
  auto scaled = MakeParams(4);
  auto reference = MakeParams(4);
  OptimizerOptions o;
  Optimizer opt = MustCreate(scaled, o);
  EXPECT_EQ(opt.ScaleLearningRate("b", 0.25), 1);
  EXPECT_EQ(opt.ScaleLearningRate("nothing.", 0.5), 0);
  Optimizer full = MustCreate({reference[0]}, o);
  Optimizer quarter = MustCreate({reference[1]}, o);
  for (int64_t step = 0; step < 3; ++step) {
    Backward(scaled, step);
    Backward(reference, step);
    opt.Step(0.1);
    full.Step(0.1);
    quarter.Step(0.025);
    opt.ZeroGrad();
    full.ZeroGrad();
    quarter.ZeroGrad();
  }
  EXPECT_TRUE(torch::equal(scaled[0].second, reference[0].second));
  EXPECT_TRUE(torch::equal(scaled[1].second, reference[1].second));
}

TEST(Optimizer, Bf16ParametersAccumulateInAFloat32Master) {
  torch::Tensor p = torch::ones({4}, torch::kBFloat16).requires_grad_(true);
  OptimizerOptions o;
  o.weight_decay = 0;
  Optimizer opt = MustCreate({{"p", p}}, o);
  // Adam's first steps move by ~lr each; 1e-3 is below bf16's resolution at 1 (2^-7), so only a
  // float32 master lets 20 steps add up to ~0.02.
  for (int i = 0; i < 20; ++i) {
    p.mutable_grad() = torch::ones({4}, torch::kBFloat16);
    opt.Step(1e-3);
  }
  EXPECT_NEAR(p.to(torch::kFloat)[0].item<double>(), 1.0 - 0.02, 0.004);
}

TEST(Optimizer, RestoredStateContinuesExactly) {
  auto a = MakeParams(4), b = MakeParams(4);
  Optimizer first = MustCreate(a, {});
  for (int64_t step = 0; step < 5; ++step) {
    Backward(a, step);
    first.Step(0.01);
    first.ZeroGrad();
  }
  // b takes a's parameters and optimizer state, then both run 5 more steps.
  {
    torch::NoGradGuard no_grad;
    b[0].second.copy_(a[0].second);
    b[1].second.copy_(a[1].second);
  }
  Optimizer second = MustCreate(b, {});
  ASSERT_TRUE(second.RestoreState(first.StateTensors(), first.step()).ok());
  for (int64_t step = 5; step < 10; ++step) {
    Backward(a, step);
    Backward(b, step);
    first.Step(0.01);
    second.Step(0.01);
    first.ZeroGrad();
    second.ZeroGrad();
  }
  EXPECT_TRUE(torch::equal(a[0].second, b[0].second));
  EXPECT_EQ(second.step(), 10);

  std::map<std::string, torch::Tensor> bad = first.StateTensors();
  bad["w.exp_avg"] = torch::zeros({2, 2});
  const absl::Status status = second.RestoreState(bad, 1);
  EXPECT_NE(status.message().find("'w' has shape [2, 2]"), std::string::npos) << status;
  bad = first.StateTensors();
  bad["nope.exp_avg"] = torch::zeros({1});
  EXPECT_NE(second.RestoreState(bad, 1).message().find("'nope.exp_avg' matches no parameter"), std::string::npos);
}

TEST(Optimizer, RefusesBadInput) {
  EXPECT_FALSE(Optimizer::Create({}, {}).ok());
  EXPECT_FALSE(Optimizer::Create({{"x", torch::zeros({2})}}, {}).ok());  // no grad
  OptimizerOptions o;
  o.beta1 = 1.0;
  EXPECT_FALSE(Optimizer::Create(MakeParams(5), o).ok());
  EXPECT_FALSE(ParseOptimizerKind("sgd").ok());
  EXPECT_EQ(*ParseOptimizerKind("adam"), OptimizerKind::kAdam);
}

TEST(LrSchedule, NoamWarmsUpToThePeakThenDecaysAsInverseSqrt) {
  ScheduleOptions o;
  o.lr = 1e-4;
  o.scale = 4;  // 4 ranks with upstream's default reference batch
  o.warmup = 500;
  const LrSchedule s = *LrSchedule::Create(o);
  EXPECT_DOUBLE_EQ(s.peak(), 4e-4);
  EXPECT_NEAR(s.LearningRate(1), 4e-4 / 500, 1e-15);
  EXPECT_NEAR(s.LearningRate(250), 2e-4, 1e-15);
  EXPECT_NEAR(s.LearningRate(500), 4e-4, 1e-15);
  EXPECT_NEAR(s.LearningRate(2000), 2e-4, 1e-15);
  EXPECT_NEAR(s.LearningRate(0), s.LearningRate(1), 0);  // step clamped to 1, as upstream
  // Paper era: peak = hidden^-0.5 * warmup^-0.5, independent of lr.
  o.scale = 1;
  o.noam_peak = NoamPeak::kModelDim;
  o.model_dim = 2048;
  EXPECT_NEAR(LrSchedule::Create(o)->LearningRate(500), 1.0 / std::sqrt(2048.0 * 500.0), 1e-12);  // ~9.9e-4
}

TEST(LrSchedule, CosineAndConstant) {
  ScheduleOptions o;
  o.kind = ScheduleKind::kCosine;
  o.lr = 1e-3;
  o.warmup = 10;
  o.total_steps = 110;
  o.min_lr = 1e-5;
  const LrSchedule c = *LrSchedule::Create(o);
  EXPECT_NEAR(c.LearningRate(5), 5e-4, 1e-15);
  EXPECT_NEAR(c.LearningRate(10), 1e-3, 1e-15);
  EXPECT_NEAR(c.LearningRate(60), (1e-3 + 1e-5) / 2, 1e-12);
  EXPECT_NEAR(c.LearningRate(110), 1e-5, 1e-15);
  EXPECT_NEAR(c.LearningRate(500), 1e-5, 1e-15);
  o.kind = ScheduleKind::kConstant;
  const LrSchedule k = *LrSchedule::Create(o);
  EXPECT_NEAR(k.LearningRate(2), 2e-4, 1e-15);
  EXPECT_NEAR(k.LearningRate(400), 1e-3, 1e-15);
  o.kind = ScheduleKind::kCosine;
  o.total_steps = 0;
  EXPECT_NE(LrSchedule::Create(o).status().message().find("total_steps"), std::string_view::npos);
  EXPECT_FALSE(ParseScheduleKind("linear").ok());
  EXPECT_DOUBLE_EQ(ScaledWeightDecay(0.01, 4, DecayScaling::kInverseSqrt), 0.005);
  EXPECT_DOUBLE_EQ(ScaledWeightDecay(0.01, 4, DecayScaling::kInverse), 0.0025);
}

}  // namespace
}  // namespace ecgbench::worker::train
