// Signal2Vec trainer: learns co-occurrence groups, loss goes down, bit-identical reruns on CPU,
// files round trip, progress/cancel hooks, clear errors for bad input; the fused CPU AdamW step
// against torch::optim::AdamW.
#include "worker/train/signal2vec_trainer.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/train/adamw_cpu.h"

namespace ecgbench::worker {
namespace {

constexpr int kGroups = 4;
constexpr int kGroupSize = 6;
constexpr int kVocab = kGroups * kGroupSize + 2;  // ids 24 and 25 never occur

// Sequence s uses only the tokens of group s % 4 (ids 6g .. 6g+5), in a pseudo-random order.
std::vector<std::vector<int32_t>> GroupedSequences() {
  std::vector<std::vector<int32_t>> seqs(240);
  uint64_t state = 12345;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const int group = static_cast<int>(s % kGroups);
    for (int i = 0; i < 40; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      seqs[s].push_back(group * kGroupSize + static_cast<int32_t>((state >> 33) % kGroupSize));
    }
  }
  return seqs;
}

Signal2VecOptions SmallOptions() {
  Signal2VecOptions o;
  o.min_count = 1;
  o.subsample_t = 0.0;
  o.dim = 16;
  o.epochs = 5;
  o.batch_size = 128;
  o.max_pairs_per_epoch = 5120;  // 40 steps per epoch
  o.lr = 0.02;
  o.threads = 1;
  o.seed = 3;
  return o;
}

double Cosine(const Signal2VecModel& m, int a, int b) {
  double dot = 0.0, na = 0.0, nb = 0.0;
  for (int d = 0; d < m.dim; ++d) {
    dot += m.Row(a)[d] * m.Row(b)[d];
    na += m.Row(a)[d] * m.Row(a)[d];
    nb += m.Row(b)[d] * m.Row(b)[d];
  }
  return dot / std::sqrt(na * nb);
}

TEST(Signal2VecTrainerTest, LearnsGroupsAndLossDecreases) {
  std::vector<double> epoch_losses;
  Signal2VecHooks hooks;
  hooks.progress_every = 10;
  int calls = 0;
  hooks.on_progress = [&](int epoch, int64_t step, double loss) {
    ++calls;
    EXPECT_EQ(step % 10, 0);
    if (step % 40 == 0) {
      EXPECT_EQ(epoch, step / 40);
      epoch_losses.push_back(loss);
    }
  };
  auto model = TrainSignal2Vec(GroupedSequences(), kVocab, SmallOptions(), hooks);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(calls, 20);
  ASSERT_EQ(epoch_losses.size(), 5u);
  EXPECT_EQ(model->steps, 200);
  EXPECT_EQ(model->pairs_per_epoch, 5120);
  EXPECT_EQ(model->final_loss, epoch_losses.back());
  EXPECT_LT(epoch_losses.back(), epoch_losses.front() - 0.3);  // observed 1.08 -> 0.58
  EXPECT_LT(epoch_losses.front(), 2.0 * std::log(2.0));  // the start value, already lower after epoch 1
  // Each epoch's loss is the mean over 5120 freshly drawn pairs (sampling SE ~0.007). While the
  // learning rate is large the loss falls by far more than that, strictly; in the last epoch the
  // cosine schedule has brought the lr below 0.1 x lr0, the model barely moves and the two last
  // means differ by sampling noise only (observed 0.5807 -> 0.5838), so that step is bounded by
  // 3 SE of a difference of two means instead.
  for (size_t e = 1; e + 1 < epoch_losses.size(); ++e) EXPECT_LT(epoch_losses[e], epoch_losses[e - 1]) << e;
  EXPECT_LT(epoch_losses[4], epoch_losses[3] + 0.03);

  EXPECT_EQ(model->vocab_size, kVocab);
  EXPECT_EQ(model->dim, 16);
  EXPECT_EQ(model->embeddings.size(), static_cast<size_t>(kVocab * 16));
  int64_t total = 0;
  for (int64_t c : model->raw_counts) total += c;
  EXPECT_EQ(total, 240 * 40);
  EXPECT_EQ(model->freq, model->raw_counts);  // no min_count or subsampling here
  EXPECT_EQ(model->freq[24], 0);
  EXPECT_EQ(model->options.dim, 16);

  double within = 0.0, across = 0.0;
  int n_within = 0, n_across = 0;
  for (int a = 0; a < kGroups * kGroupSize; ++a) {
    for (int b = a + 1; b < kGroups * kGroupSize; ++b) {
      if (a / kGroupSize == b / kGroupSize) {
        within += Cosine(*model, a, b);
        ++n_within;
      } else {
        across += Cosine(*model, a, b);
        ++n_across;
      }
    }
  }
  within /= n_within;
  across /= n_across;
  // Observed: within ~1.0, across ~-0.33.
  EXPECT_GT(within, across + 0.8) << "within " << within << " across " << across;
}

TEST(Signal2VecTrainerTest, BitIdenticalOnCpuWithOneThread) {
  Signal2VecOptions o = SmallOptions();
  o.epochs = 2;
  auto a = TrainSignal2Vec(GroupedSequences(), kVocab, o);
  auto b = TrainSignal2Vec(GroupedSequences(), kVocab, o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->embeddings.size(), b->embeddings.size());
  EXPECT_EQ(std::memcmp(a->embeddings.data(), b->embeddings.data(), a->embeddings.size() * sizeof(float)), 0);
  EXPECT_EQ(a->final_loss, b->final_loss);
  o.seed = 4;
  auto c = TrainSignal2Vec(GroupedSequences(), kVocab, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->embeddings, c->embeddings);
}

TEST(Signal2VecTrainerTest, InitialLossMatchesTheObjective) {
  // The context table starts at zero, so every score is 0 at step 1: loss = log 2 + log 2 with the
  // mean over negatives, (1 + K) log 2 with the sum.
  for (bool mean : {true, false}) {
    Signal2VecOptions o = SmallOptions();
    o.epochs = 1;
    o.mean_over_negatives = mean;
    Signal2VecHooks hooks;
    hooks.progress_every = 1;
    double first = -1.0;
    hooks.on_progress = [&](int, int64_t step, double loss) {
      if (step == 1) first = loss;
    };
    ASSERT_TRUE(TrainSignal2Vec(GroupedSequences(), kVocab, o, hooks).ok());
    EXPECT_NEAR(first, (mean ? 2.0 : 6.0) * std::log(2.0), 1e-6) << mean;
  }
}

TEST(Signal2VecTrainerTest, SaveLoadRoundTrip) {
  Signal2VecOptions o = SmallOptions();
  o.epochs = 1;
  o.renorm_every = 7;
  auto model = TrainSignal2Vec(GroupedSequences(), kVocab, o);
  ASSERT_TRUE(model.ok()) << model.status();
  char tmpl[] = "/tmp/s2v_trainer_testXXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_TRUE(common::repr::SaveSignal2VecModel(*model, dir).ok());
  auto back = common::repr::LoadSignal2VecModel(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->embeddings, model->embeddings);
  EXPECT_EQ(back->freq, model->freq);
  EXPECT_EQ(back->final_loss, model->final_loss);
  EXPECT_EQ(back->options.renorm_every, 7);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(Signal2VecTrainerTest, CancelStopsTraining) {
  Signal2VecHooks hooks;
  int polls = 0;
  hooks.cancelled = [&] { return ++polls >= 3; };
  auto model = TrainSignal2Vec(GroupedSequences(), kVocab, SmallOptions(), hooks);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(model.status().message(), "signal2vec: training cancelled in epoch 1 at step 3");
}

TEST(Signal2VecTrainerTest, BadInput) {
  const Signal2VecOptions o = SmallOptions();
  EXPECT_EQ(TrainSignal2Vec({}, kVocab, o).status().message(), "signal2vec: no token sequences");
  EXPECT_EQ(TrainSignal2Vec({{}, {}}, kVocab, o).status().message(),
            "signal2vec: no sequence keeps 2 or more tokens after min_count filtering (min_count=1) and "
            "subsampling (subsample_t=0) of 2 sequences; relax the thresholds or give more data");
  EXPECT_EQ(TrainSignal2Vec({{1, 2, 3}, {4, 26}}, kVocab, o).status().message(),
            "signal2vec: sequence 1, position 1: token id 26 out of range [0, 26)");
  EXPECT_EQ(TrainSignal2Vec({{1, 2}}, 0, o).status().message(), "signal2vec: vocab_size must be >= 1, got 0");
  Signal2VecOptions bad = o;
  bad.batch_size = 0;
  EXPECT_EQ(TrainSignal2Vec({{1, 2}}, kVocab, bad).status().message(),
            "signal2vec options: batch_size must be >= 1, got 0");
  // The default min_count (10) removes every token of a tiny corpus.
  EXPECT_EQ(TrainSignal2Vec({{1, 2, 1}}, kVocab, Signal2VecOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  if (torch::cuda::device_count() == 0) {
    bad = o;
    bad.device = "cuda:0";
    auto status = TrainSignal2Vec(GroupedSequences(), kVocab, bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(status.message(), "signal2vec: device cuda:0 is not available (this build sees 0 CUDA devices)");
  }
}

}  // namespace
}  // namespace ecgbench::worker

namespace ecgbench::worker {
namespace {

// The fused CPU step reproduces torch::optim::AdamW + clip_grad_norm_ (up to float rounding).
TEST(AdamWCpuTest, MatchesTorchAdamW) {
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({50, 8});
  torch::Tensor b = torch::randn({30, 8});
  torch::Tensor ta = a.clone().set_requires_grad(true);
  torch::Tensor tb = b.clone().set_requires_grad(true);
  std::vector<torch::Tensor> params = {ta, tb};
  torch::optim::AdamW reference(params, torch::optim::AdamWOptions(0.05).weight_decay(0.1));
  std::vector<float> m_a(400, 0.0f), v_a(400, 0.0f), m_b(240, 0.0f), v_b(240, 0.0f);
  AdamWHyper hyper;
  hyper.lr = 0.05;
  hyper.weight_decay = 0.1;
  for (int step = 1; step <= 4; ++step) {
    torch::Tensor ga = torch::randn({50, 8}) * (step == 2 ? 10.0 : 0.01);  // step 2 is clipped
    torch::Tensor gb = torch::randn({30, 8}) * 0.01;
    ta.mutable_grad() = ga.clone();
    tb.mutable_grad() = gb.clone();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    reference.step();

    const double norm = std::sqrt(SquaredNorm(ga.data_ptr<float>(), 400) + SquaredNorm(gb.data_ptr<float>(), 240));
    EXPECT_NEAR(norm, torch::cat({ga.flatten(), gb.flatten()}).norm().item<double>(), 1e-4);
    const double scale = ClipScale(norm, 1.0);
    EXPECT_EQ(scale < 1.0, step == 2) << scale;
    AdamWStep(a.data_ptr<float>(), ga.data_ptr<float>(), m_a.data(), v_a.data(), 400, hyper, step, scale);
    AdamWStep(b.data_ptr<float>(), gb.data_ptr<float>(), m_b.data(), v_b.data(), 240, hyper, step, scale);
    EXPECT_LT((a - ta.detach()).abs().max().item<double>(), 1e-6) << "step " << step;
    EXPECT_LT((b - tb.detach()).abs().max().item<double>(), 1e-6) << "step " << step;
  }
}

}  // namespace
}  // namespace ecgbench::worker
