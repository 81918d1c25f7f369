// Signal2Vec skip-gram trainer: the only LibTorch translation unit of Signal2Vec.
#include "worker/train/signal2vec_trainer.h"

#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/repr/signal2vec/skipgram_sampler.h"
#include "common/util/det_random.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/compat/torch_compat.h"
#include "worker/train/adamw_cpu.h"

namespace ecgbench::worker {
namespace {

using common::repr::SkipGramBatch;
using common::repr::SkipGramCorpus;
using common::repr::SkipGramSampler;

// Center table U(-0.5/dim, 0.5/dim) from our own generator, so that the start point does not
// depend on LibTorch's generator or version.
torch::Tensor InitialCenter(int vocab_size, int dim, uint64_t seed) {
  torch::Tensor center = torch::empty({vocab_size, dim}, torch::kFloat);
  float* data = center.data_ptr<float>();
  common::DetRandom rng(seed, common::RandomStream::kSignal2VecInit, 0, 0);
  const double half_width = 0.5 / dim;
  const int64_t n = static_cast<int64_t>(vocab_size) * dim;
  for (int64_t i = 0; i < n; ++i) data[i] = static_cast<float>((2.0 * rng.Uniform() - 1.0) * half_width);
  return center;
}

// AdamW + global-norm clipping on the two CPU tables in one pass each (adamw_cpu.h): the same
// arithmetic as torch::optim::AdamW + clip_grad_norm_, without their temporaries.
class CpuAdamW {
 public:
  CpuAdamW(const Signal2VecOptions& options, int64_t numel)
      : max_norm_(options.grad_clip), exp_avg_(2, std::vector<float>(numel, 0.0f)),
        exp_avg_sq_(2, std::vector<float>(numel, 0.0f)) {
    hyper_.weight_decay = options.weight_decay;
  }

  void Step(torch::Tensor& center, torch::Tensor& context, double lr, int64_t step) {
    torch::Tensor* tables[2] = {&center, &context};
    double squared = 0.0;
    for (torch::Tensor* t : tables) {
      TORCH_INTERNAL_ASSERT(t->grad().defined() && t->grad().is_contiguous() && t->grad().is_cpu());
      squared += SquaredNorm(t->grad().data_ptr<float>(), t->grad().numel());
    }
    const double scale = max_norm_ > 0.0 ? ClipScale(std::sqrt(squared), max_norm_) : 1.0;
    hyper_.lr = lr;
    for (int k = 0; k < 2; ++k) {
      torch::Tensor& t = *tables[k];
      AdamWStep(t.data_ptr<float>(), t.grad().data_ptr<float>(), exp_avg_[k].data(), exp_avg_sq_[k].data(),
                t.numel(), hyper_, step, scale);
    }
  }

 private:
  double max_norm_;
  AdamWHyper hyper_;
  std::vector<std::vector<float>> exp_avg_;
  std::vector<std::vector<float>> exp_avg_sq_;
};

absl::StatusOr<torch::Device> ParseDevice(const std::string& name) {
  torch::Device device(name);
  if (device.is_cuda()) {
    const int count = compat::CudaDeviceCount();
    const int index = device.has_index() ? device.index() : 0;
    if (index >= count) {
      return absl::UnavailableError(absl::StrCat("signal2vec: device ", name, " is not available (this build sees ",
                                                 count, " CUDA device", count == 1 ? "" : "s", ")"));
    }
  }
  return device;
}

absl::StatusOr<Signal2VecModel> Train(const SkipGramCorpus& corpus, const SkipGramSampler& sampler,
                                      const Signal2VecOptions& options, const Signal2VecHooks& hooks) {
  ECGBENCH_ASSIGN_OR_RETURN(torch::Device device, ParseDevice(options.device));
  compat::SetNumThreads(options.threads);
  const int vocab_size = corpus.vocab_size;
  const int dim = options.dim;
  const int k = options.negatives;
  const int64_t batches = sampler.batches_per_epoch();
  const int64_t total_steps = batches * options.epochs;

  torch::Tensor center = InitialCenter(vocab_size, dim, options.seed).to(device).set_requires_grad(true);
  torch::Tensor context = torch::zeros({vocab_size, dim}, torch::TensorOptions(torch::kFloat).device(device))
                              .set_requires_grad(true);
  const std::vector<torch::Tensor> parameters = {center, context};
  CpuAdamW cpu_adamw(options, device.is_cpu() ? static_cast<int64_t>(vocab_size) * dim : 0);
  std::unique_ptr<torch::optim::AdamW> torch_adamw;  // on CUDA
  if (!device.is_cpu()) {
    torch_adamw = std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(options.lr).weight_decay(options.weight_decay));
  }
  const double negative_scale = options.mean_over_negatives ? 1.0 : static_cast<double>(k);
  const auto index_options = torch::TensorOptions(torch::kLong);

  spdlog::info("signal2vec: {} sequences, {} tokens, vocab {}, {} pairs/epoch, {} epochs x {} steps, device {}",
               corpus.num_sequences(), corpus.tokens.size(), vocab_size, sampler.pairs_per_epoch(),
               options.epochs, batches, options.device);
  SkipGramBatch batch;
  int64_t step = 0;
  double epoch_loss = 0.0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    double loss_sum = 0.0;
    int64_t pairs = 0;
    for (int64_t b = 0; b < batches; ++b) {
      if (hooks.cancelled && hooks.cancelled()) {
        return absl::CancelledError(
            absl::StrCat("signal2vec: training cancelled in epoch ", epoch + 1, " at step ", step + 1));
      }
      sampler.FillBatch(epoch, b, &batch);
      const int64_t n = batch.size();
      torch::Tensor c = torch::from_blob(batch.centers.data(), {n}, index_options).to(device);
      torch::Tensor p = torch::from_blob(batch.contexts.data(), {n}, index_options).to(device);
      torch::Tensor neg = torch::from_blob(batch.negatives.data(), {n * k}, index_options).to(device);

      // PyTorch's CosineAnnealingLR (eta_min 0) in closed form: step s uses lr * (1 + cos(pi s / T)) / 2.
      const double lr = options.lr * 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(step) / total_steps));
      torch::Tensor ce = center.index_select(0, c);
      torch::Tensor pe = context.index_select(0, p);
      torch::Tensor ne = context.index_select(0, neg).view({n, k, dim});
      torch::Tensor pos_score = (ce * pe).sum(1);
      torch::Tensor neg_score = (ce.unsqueeze(1) * ne).sum(2);
      torch::Tensor loss = -torch::log_sigmoid(pos_score).mean() - torch::log_sigmoid(-neg_score).mean() * negative_scale;
      loss.backward();
      ++step;
      if (torch_adamw) {
        static_cast<torch::optim::AdamWOptions&>(torch_adamw->param_groups()[0].options()).lr(lr);
        if (options.grad_clip > 0.0) torch::nn::utils::clip_grad_norm_(parameters, options.grad_clip);
        torch_adamw->step();
      } else {
        cpu_adamw.Step(center, context, lr, step);
      }
      center.mutable_grad().reset();
      context.mutable_grad().reset();

      const double value = loss.item<double>();
      if (!std::isfinite(value)) {
        return absl::InternalError(absl::StrCat("signal2vec: the loss became ", value, " in epoch ", epoch + 1,
                                                " at step ", step, "; lower lr or grad_clip"));
      }
      if (options.renorm_every > 0 && step % options.renorm_every == 0) {
        torch::NoGradGuard no_grad;
        namespace F = torch::nn::functional;
        center.copy_(F::normalize(center, F::NormalizeFuncOptions().p(2).dim(1)));
        context.copy_(F::normalize(context, F::NormalizeFuncOptions().p(2).dim(1)));
      }
      loss_sum += value * static_cast<double>(n);
      pairs += n;
      const bool last = b + 1 == batches;
      if (hooks.on_progress && (last || (hooks.progress_every > 0 && step % hooks.progress_every == 0))) {
        hooks.on_progress(epoch + 1, step, loss_sum / static_cast<double>(pairs));
      }
    }
    epoch_loss = loss_sum / static_cast<double>(pairs);
    spdlog::info("signal2vec: epoch {}/{} loss {:.6f}", epoch + 1, options.epochs, epoch_loss);
  }

  Signal2VecModel model;
  model.vocab_size = vocab_size;
  model.dim = dim;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor averaged = ((center + context) / 2).to(torch::kCPU).contiguous();
    const float* data = averaged.data_ptr<float>();
    model.embeddings.assign(data, data + averaged.numel());
  }
  model.freq = corpus.freq;
  model.raw_counts = corpus.raw_counts;
  model.options = options;
  model.final_loss = epoch_loss;
  model.steps = step;
  model.pairs_per_epoch = sampler.pairs_per_epoch();
  return model;
}

}  // namespace

absl::StatusOr<Signal2VecModel> TrainSignal2Vec(const std::vector<std::vector<int32_t>>& sequences, int vocab_size,
                                                const Signal2VecOptions& options, const Signal2VecHooks& hooks) {
  ECGBENCH_RETURN_IF_ERROR(common::repr::ValidateSignal2VecOptions(options));
  ECGBENCH_ASSIGN_OR_RETURN(SkipGramCorpus corpus, common::repr::BuildSkipGramCorpus(sequences, vocab_size, options));
  ECGBENCH_ASSIGN_OR_RETURN(SkipGramSampler sampler, SkipGramSampler::Create(corpus, options));
  try {
    return Train(corpus, sampler, options, hooks);
  } catch (const c10::OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(absl::StrCat("signal2vec: LibTorch ran out of memory: ",
                                                     e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (absl::StrContains(message, "can't allocate memory") || absl::StrContains(message, "not enough memory")) {
      return absl::ResourceExhaustedError(absl::StrCat("signal2vec: LibTorch ran out of memory: ", message));
    }
    return absl::InternalError(absl::StrCat("signal2vec: LibTorch error: ", message));
  }
}

}  // namespace ecgbench::worker
