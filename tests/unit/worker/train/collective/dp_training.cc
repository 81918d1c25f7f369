// The data-parallel check's MLP, data and training loop (tests only).
#include "tests/unit/worker/train/collective/dp_training.h"

#include <torch/torch.h>

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/train/collective/gradient_bucketer.h"
#include "worker/train/collective/shard_indices.h"

namespace ecgbench::worker::train::testing {
namespace {

constexpr int64_t kFeatures = 6;
constexpr int64_t kHidden = 16;
constexpr int64_t kClasses = 4;
constexpr int64_t kRareClass = 3;
constexpr uint64_t kDataSeed = 2024;

struct MlpImpl : torch::nn::Module {
  MlpImpl() {
    // Registered first: a parameter the forward never touches, and one it touches only when the
    // batch holds a sample of the rare class.
    unused = register_parameter("unused", torch::randn({3}));
    rare = register_parameter("rare", torch::randn({kClasses}) * 0.1);
    fc1 = register_module("fc1", torch::nn::Linear(kFeatures, kHidden));
    fc2 = register_module("fc2", torch::nn::Linear(kHidden, kClasses));
  }

  // Sum of the per-sample cross-entropies divided by `denominator`.
  at::Tensor Loss(const at::Tensor& x, const at::Tensor& labels, double denominator) {
    at::Tensor logits = fc2(torch::tanh(fc1(x)));
    const at::Tensor rare_rows = labels.eq(kRareClass);
    if (rare_rows.any().item<bool>()) logits = logits + rare_rows.unsqueeze(1).to(torch::kFloat32) * rare;
    namespace F = torch::nn::functional;
    return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kSum)) / denominator;
  }

  at::Tensor unused, rare;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

// Features N(0, 1); labels: the argmax of a fixed linear map over classes 0..2, and class 3 where
// feature 0 > 1.2 (about 12% of the samples).
std::pair<at::Tensor, at::Tensor> Data(int64_t n) {
  torch::manual_seed(kDataSeed);
  at::Tensor x = torch::randn({n, kFeatures});
  at::Tensor w = torch::randn({kFeatures, kClasses - 1});
  at::Tensor labels = x.mm(w).argmax(1);
  labels = torch::where(x.select(1, 0).gt(1.2), torch::full_like(labels, kRareClass), labels);
  return {x, labels};
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const std::string& name, std::vector<at::Tensor> params) {
  if (name == "adamw") {
    return std::make_unique<torch::optim::AdamW>(std::move(params),
                                                 torch::optim::AdamWOptions(1e-2).weight_decay(0.01));
  }
  return std::make_unique<torch::optim::SGD>(std::move(params), torch::optim::SGDOptions(0.1).momentum(0.9));
}

}  // namespace

absl::StatusOr<std::vector<float>> TrainMlp(const DpRunConfig& config, Collective* collective) {
  const int world = collective != nullptr ? collective->world_size() : 1;
  const int rank = collective != nullptr ? collective->rank() : 0;
  if (world != config.world_size || rank != config.rank) {
    return absl::InvalidArgumentError(absl::StrCat("config says rank ", config.rank, " of ", config.world_size,
                                                   ", the group rank ", rank, " of ", world));
  }
  if (config.micro_batches < 1 || config.batch_per_rank % config.micro_batches != 0) {
    return absl::InvalidArgumentError("batch_per_rank must split into micro_batches");
  }
  const int64_t b = config.batch_per_rank;
  const int64_t micro = b / config.micro_batches;
  const int64_t num_samples =
      config.num_samples > 0 ? config.num_samples : config.steps * config.world_size * config.batch_per_rank;
  auto [x, labels] = Data(num_samples);

  ShardOptions shard_options;
  shard_options.seed = config.seed;
  auto shard = ShardIndices(num_samples, rank, world, /*epoch=*/0, shard_options);
  if (!shard.ok()) return shard.status();
  if (static_cast<int64_t>(shard->size()) < config.steps * b) {
    return absl::InvalidArgumentError("not enough samples for the steps");
  }
  const at::Tensor order = torch::tensor(*shard, torch::kInt64);

  torch::manual_seed(config.seed + static_cast<uint64_t>(rank));  // ranks start from different weights
  Mlp model;
  std::vector<at::Tensor> params = model->parameters();
  std::unique_ptr<GradientBucketer> bucketer;
  if (collective != nullptr) {
    if (absl::Status status = collective->Broadcast(params); !status.ok()) return status;
    BucketerOptions options;
    options.bucket_bytes = config.bucket_bytes;
    auto created = GradientBucketer::Create(*collective, params, options);
    if (!created.ok()) return created.status();
    bucketer = std::move(*created);
  }
  auto optimizer = MakeOptimizer(config.optimizer, params);

  for (int step = 0; step < config.steps; ++step) {
    for (at::Tensor& p : params) p.mutable_grad().reset();  // undefined, so unused ones stay so
    for (int m = 0; m < config.micro_batches; ++m) {
      if (bucketer != nullptr) bucketer->set_sync(m == config.micro_batches - 1);
      const at::Tensor rows = order.narrow(0, step * b + m * micro, micro);
      model->Loss(x.index_select(0, rows), labels.index_select(0, rows), static_cast<double>(b)).backward();
    }
    if (bucketer != nullptr) {
      if (absl::Status status = bucketer->Finish(); !status.ok()) return status;
    }
    optimizer->step();
  }

  std::vector<float> flat;
  for (const at::Tensor& p : params) {
    const at::Tensor values = p.detach().to(torch::kFloat32).contiguous().reshape({-1});
    flat.insert(flat.end(), values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  return flat;
}

std::vector<std::string> DpScenarioNames() { return {"sgd", "accumulate", "adamw"}; }

DpRunConfig DpScenario(const std::string& name, int world, int rank) {
  DpRunConfig config;
  config.world_size = world;
  config.rank = rank;
  config.batch_per_rank = 4;
  config.micro_batches = name == "accumulate" ? 2 : 1;
  config.optimizer = name == "adamw" ? "adamw" : "sgd";
  config.num_samples = config.steps * world * config.batch_per_rank;
  return config;
}

DpRunConfig DpReference(const std::string& name, int world) {
  DpRunConfig config = DpScenario(name, world, 0);
  config.world_size = 1;
  config.batch_per_rank = world * config.batch_per_rank;
  config.micro_batches = 1;
  return config;
}

}  // namespace ecgbench::worker::train::testing
