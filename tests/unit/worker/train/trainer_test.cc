// The training loop (worker/train/trainer.h) on a small regression model with dropout: learning,
// step counts, accumulation equal to one big batch, exact resume from a checkpoint (parameters and
// loss curve bitwise equal to the uninterrupted run), preemption, cancel, early stopping.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/worker/train/collective/gloo_ranks.h"
#include "worker/train/trainer.h"

namespace ecgbench::worker::train {
namespace {

namespace fs = std::filesystem;

// Rows [x (8 features) | y (1 target)]; epoch e's batches are a seeded shuffle of fixed data.
class TensorSource final : public BatchSource<torch::Tensor> {
 public:
  TensorSource(int64_t batches, int64_t rows, uint64_t seed) : batches_(batches), rows_(rows), seed_(seed) {
    torch::manual_seed(static_cast<int64_t>(seed));
    const torch::Tensor x = torch::randn({batches * rows, 8});
    const torch::Tensor w = torch::linspace(-1, 1, 8).view({8, 1});
    data_ = torch::cat({x, torch::matmul(x, w) + 0.1 * torch::randn({batches * rows, 1})}, 1);
  }
  absl::Status StartEpoch(int64_t epoch, int64_t skip) override {
    at::Generator g = at::detail::createCPUGenerator(seed_ * 1000 + static_cast<uint64_t>(epoch));
    order_ = torch::randperm(batches_ * rows_, g);
    next_ = skip;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<torch::Tensor>> Next() override {
    if (next_ >= batches_) return std::optional<torch::Tensor>();
    const torch::Tensor rows = order_.narrow(0, next_ * rows_, rows_);
    ++next_;
    return std::optional<torch::Tensor>(data_.index_select(0, rows));
  }

 private:
  int64_t batches_, rows_;
  uint64_t seed_;
  torch::Tensor data_, order_;
  int64_t next_ = 0;
};

struct Model {
  torch::nn::Linear hidden{nullptr}, out{nullptr};
  bool training = true;
  Model() {
    torch::manual_seed(5);
    hidden = torch::nn::Linear(8, 16);
    out = torch::nn::Linear(16, 1);
  }
  std::vector<std::pair<std::string, torch::Tensor>> Params() {
    return {{"hidden.weight", hidden->weight}, {"hidden.bias", hidden->bias}, {"out.weight", out->weight},
            {"out.bias", out->bias}};
  }
  TrainerHooks<torch::Tensor> Hooks() {
    TrainerHooks<torch::Tensor> h;
    h.loss = [this](const torch::Tensor& b) {
      const torch::Tensor x = b.narrow(1, 0, 8), y = b.narrow(1, 8, 1);
      // Dropout draws from the default CPU generator: a resume must restore its state.
      const torch::Tensor h1 = torch::dropout(torch::relu(hidden(x)), 0.2, training);
      return nn::LossSum{(out(h1) - y).pow(2).sum(), b.size(0)};
    };
    h.count_tokens = [](const torch::Tensor& b) { return b.size(0); };
    h.count_rows = [](const torch::Tensor& b) { return b.size(0); };
    h.set_training = [this](bool on) { training = on; };
    return h;
  }
};

Optimizer MakeOptimizer(Model& m) {
  OptimizerOptions o;
  o.weight_decay = 0.01;
  return *Optimizer::Create(m.Params(), o);
}

LrSchedule Schedule() {
  ScheduleOptions o;
  o.kind = ScheduleKind::kConstant;
  o.lr = 0.01;
  o.warmup = 2;
  return *LrSchedule::Create(o);
}

fs::path FreshRoot(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ecgbench_trainer_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

TEST(Trainer, LearnsAndCountsSteps) {
  Model m;
  Optimizer opt = MakeOptimizer(m);
  TensorSource source(10, 8, 1);
  TrainerOptions options;
  options.epochs = 3;
  options.grad_accum = 3;  // 10 batches -> 4 steps per epoch (the last one with 1 micro-batch)
  std::vector<StepMetrics> steps;
  TrainerHooks<torch::Tensor> hooks = m.Hooks();
  hooks.on_step = [&](const StepMetrics& s) { steps.push_back(s); };
  const absl::StatusOr<TrainSummary> summary = RunTraining(options, opt, Schedule(), source, nullptr, hooks);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->steps, 12);
  EXPECT_EQ(summary->epochs_completed, 3);
  ASSERT_EQ(steps.size(), 12u);
  EXPECT_EQ(steps[0].tokens, 24);
  EXPECT_EQ(steps[3].tokens, 8);
  EXPECT_NEAR(steps[0].lr, 0.005, 1e-15);  // warm-up step 1 of 2
  EXPECT_LT(summary->train_losses.back(), summary->train_losses.front());
  // Longer, one batch per step: the loss falls well below its start.
  Model learner;
  Optimizer learner_opt = MakeOptimizer(learner);
  TrainerOptions longer;
  longer.epochs = 10;
  const absl::StatusOr<TrainSummary> learned = RunTraining(longer, learner_opt, Schedule(), source, nullptr, learner.Hooks());
  ASSERT_TRUE(learned.ok()) << learned.status();
  EXPECT_LT(learned->train_losses.back(), 0.3 * learned->train_losses.front());
  options.max_steps = 5;
  Model m2;
  Optimizer opt2 = MakeOptimizer(m2);
  EXPECT_EQ(RunTraining(options, opt2, Schedule(), source, nullptr, m2.Hooks())->steps, 5);
}

TEST(Trainer, AccumulationEqualsOneBigBatch) {
  Model a, b;
  Optimizer oa = MakeOptimizer(a), ob = MakeOptimizer(b);
  TensorSource small(8, 4, 2), big(4, 8, 2);  // the same rows in the same order
  TrainerOptions accum;
  accum.grad_accum = 2;
  TrainerHooks<torch::Tensor> ha = a.Hooks(), hb = b.Hooks();
  a.training = b.training = false;  // no dropout: compare the arithmetic only
  ha.set_training = [](bool) {};
  hb.set_training = [](bool) {};
  ASSERT_TRUE(RunTraining(accum, oa, Schedule(), small, nullptr, ha).ok());
  ASSERT_TRUE(RunTraining(TrainerOptions{}, ob, Schedule(), big, nullptr, hb).ok());
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_LE((a.Params()[i].second - b.Params()[i].second).abs().max().item<double>(), 1e-6) << a.Params()[i].first;
  }
}

// Rank r of `world` sees rows [r * b / world, (r + 1) * b / world) of each of `inner`'s batches.
class ShardSource final : public BatchSource<torch::Tensor> {
 public:
  ShardSource(TensorSource& inner, int rank, int world) : inner_(inner), rank_(rank), world_(world) {}
  absl::Status StartEpoch(int64_t epoch, int64_t skip) override { return inner_.StartEpoch(epoch, skip); }
  absl::StatusOr<std::optional<torch::Tensor>> Next() override {
    absl::StatusOr<std::optional<torch::Tensor>> batch = inner_.Next();
    if (!batch.ok() || !batch->has_value()) return batch;
    const int64_t rows = (**batch).size(0) / world_;
    return std::optional<torch::Tensor>((**batch).narrow(0, rank_ * rows, rows));
  }

 private:
  TensorSource& inner_;
  int rank_, world_;
};

// Two ranks (Gloo, threads) with half of each batch take the same steps as one process with the
// whole batch.
TEST(Trainer, TwoRanksEqualOneProcessWithTheWholeBatch) {
  TrainerOptions options;
  options.grad_accum = 2;
  Model single;
  single.training = false;
  Optimizer single_opt = MakeOptimizer(single);
  TrainerHooks<torch::Tensor> single_hooks = single.Hooks();
  single_hooks.set_training = [](bool) {};
  TensorSource whole(6, 8, 9);
  ASSERT_TRUE(RunTraining(options, single_opt, Schedule(), whole, nullptr, single_hooks).ok());

  std::vector<std::unique_ptr<Model>> models;
  for (int r = 0; r < 2; ++r) {
    models.push_back(std::make_unique<Model>());
    models.back()->training = false;
  }
  std::vector<std::unique_ptr<TensorSource>> sources;
  for (int r = 0; r < 2; ++r) sources.push_back(std::make_unique<TensorSource>(6, 8, 9));
  testing::RunGlooRanks(2, [&](Collective& collective) {
    Model& m = *models[static_cast<size_t>(collective.rank())];
    Optimizer opt = MakeOptimizer(m);
    std::vector<torch::Tensor> params;
    for (const auto& [name, p] : m.Params()) params.push_back(p);
    auto bucketer = GradientBucketer::Create(collective, params);
    ASSERT_TRUE(bucketer.ok()) << bucketer.status();
    ShardSource shard(*sources[static_cast<size_t>(collective.rank())], collective.rank(), 2);
    TrainerHooks<torch::Tensor> hooks = m.Hooks();
    hooks.set_training = [](bool) {};
    const absl::StatusOr<TrainSummary> s =
        RunTraining(options, opt, Schedule(), shard, nullptr, hooks, &collective, bucketer->get());
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->steps, 3);
  });
  for (int r = 0; r < 2; ++r) {
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_LE((models[static_cast<size_t>(r)]->Params()[i].second - single.Params()[i].second).abs().max().item<double>(),
                1e-6)
          << "rank " << r << " " << single.Params()[i].first;
    }
  }
}

TEST(Trainer, ResumeReproducesTheUninterruptedRunBitwise) {
  TrainerOptions options;
  options.epochs = 2;
  options.grad_accum = 2;
  options.checkpoint_every = 3;
  TensorSource source(10, 8, 3);  // 5 steps per epoch

  Model reference;
  Optimizer ro = MakeOptimizer(reference);
  std::vector<double> reference_losses;
  TrainerHooks<torch::Tensor> rh = reference.Hooks();
  rh.on_step = [&](const StepMetrics& s) { reference_losses.push_back(s.loss); };
  torch::manual_seed(77);
  const fs::path root_ref = FreshRoot("reference");
  options.checkpoint_root = root_ref.string();
  ASSERT_TRUE(RunTraining(options, ro, Schedule(), source, nullptr, rh).ok());

  // Interrupted: preempted before step 5 (mid-epoch 0), then a fresh process resumes.
  const fs::path root = FreshRoot("resume");
  options.checkpoint_root = root.string();
  std::vector<double> losses;
  {
    Model first;
    Optimizer fo = MakeOptimizer(first);
    TrainerHooks<torch::Tensor> fh = first.Hooks();
    fh.on_step = [&](const StepMetrics& s) { losses.push_back(s.loss); };
    fh.should_stop = [&]() { return fo.step() == 4 ? StopRequest::kPreempt : StopRequest::kNone; };
    torch::manual_seed(77);
    const absl::StatusOr<TrainSummary> r = RunTraining(options, fo, Schedule(), source, nullptr, fh);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "preempted");
  }
  Model second;  // fresh weights: everything must come from the checkpoint
  torch::manual_seed(999);  // and a different RNG state
  Optimizer so = MakeOptimizer(second);
  TrainerHooks<torch::Tensor> sh = second.Hooks();
  sh.on_step = [&](const StepMetrics& s) { losses.push_back(s.loss); };
  const absl::StatusOr<TrainSummary> resumed = RunTraining(options, so, Schedule(), source, nullptr, sh);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->resumed_from_step, 4);
  EXPECT_EQ(so.step(), 10);
  ASSERT_EQ(losses.size(), reference_losses.size());
  for (size_t i = 0; i < losses.size(); ++i) EXPECT_EQ(losses[i], reference_losses[i]) << "step " << i + 1;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(torch::equal(second.Params()[i].second, reference.Params()[i].second)) << second.Params()[i].first;
  }
  EXPECT_EQ(resumed->train_losses.size(), 2u);
  fs::remove_all(root);
  fs::remove_all(root_ref);
}

// A micro-batch with no rows (all skipped as bad) is not run, and the step still happens.
TEST(Trainer, EmptyMicroBatchesAreSkipped) {
  class WithEmpty final : public BatchSource<torch::Tensor> {
   public:
    explicit WithEmpty(TensorSource& inner) : inner_(inner) {}
    absl::Status StartEpoch(int64_t e, int64_t s) override {
      n_ = 0;
      return inner_.StartEpoch(e, s);
    }
    absl::StatusOr<std::optional<torch::Tensor>> Next() override {
      if (n_++ == 1) return std::optional<torch::Tensor>(torch::empty({0, 9}));
      return inner_.Next();
    }

   private:
    TensorSource& inner_;
    int n_ = 0;
  };
  Model m;
  Optimizer opt = MakeOptimizer(m);
  TensorSource inner(4, 4, 8);
  WithEmpty source(inner);
  TrainerHooks<torch::Tensor> hooks = m.Hooks();
  int calls = 0;
  const auto loss = hooks.loss;
  hooks.loss = [&](const torch::Tensor& b) {
    ++calls;
    EXPECT_GT(b.size(0), 0);
    return loss(b);
  };
  TrainerOptions options;
  options.grad_accum = 2;
  const absl::StatusOr<TrainSummary> s = RunTraining(options, opt, Schedule(), source, nullptr, hooks);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(calls, 4);      // the 4 real batches
  EXPECT_EQ(s->steps, 3);   // 5 micro-batches in pairs: (real, empty), (real, real), (real)
}

TEST(Trainer, CancelStopsWithoutACheckpoint) {
  Model m;
  Optimizer opt = MakeOptimizer(m);
  TensorSource source(4, 4, 4);
  TrainerHooks<torch::Tensor> hooks = m.Hooks();
  hooks.should_stop = [&]() { return opt.step() == 2 ? StopRequest::kCancel : StopRequest::kNone; };
  const fs::path root = FreshRoot("cancel");
  TrainerOptions options;
  options.checkpoint_root = root.string();
  EXPECT_EQ(RunTraining(options, opt, Schedule(), source, nullptr, hooks).status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(fs::exists(root / "LATEST"));
  fs::remove_all(root);
}

TEST(Trainer, EarlyStoppingOnValidationLoss) {
  Model m;
  Optimizer opt = MakeOptimizer(m);
  TensorSource train(4, 4, 5), val(2, 4, 6);
  TrainerOptions options;
  options.epochs = 20;
  options.early_stopping = true;
  options.patience = 2;
  options.delta = 1e6;  // nothing counts as an improvement after the first validation
  std::vector<double> seen;
  TrainerHooks<torch::Tensor> hooks = m.Hooks();
  hooks.on_epoch = [&](int64_t, double, std::optional<double> v) { seen.push_back(v.value_or(-1)); };
  const absl::StatusOr<TrainSummary> s = RunTraining(options, opt, Schedule(), train, &val, hooks);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->stopped_early);
  EXPECT_EQ(s->epochs_completed, 3);  // best at epoch 1, then 2 without improvement
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_GT(seen[0], 0);
  TrainerOptions no_val = options;
  EXPECT_EQ(RunTraining(no_val, opt, Schedule(), train, nullptr, hooks).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ecgbench::worker::train
