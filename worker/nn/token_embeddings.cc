// Vocabulary growth with frozen new rows (see token_embeddings.h).
#include "worker/nn/token_embeddings.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace ecgbench::worker::nn {
namespace {

// `count` new rows for `old` [V, H] per the options, float32 on the CPU.
torch::Tensor NewRows(const torch::Tensor& old, int64_t count, const ResizeOptions& options, at::Generator& generator) {
  const int64_t dim = old.size(1);
  const torch::Tensor z = torch::empty({count, dim}, torch::kDouble).normal_(0.0, 1.0, generator);
  if (options.init == NewRowInit::kNormal) return (z * options.stddev).to(torch::kFloat);
  const torch::Tensor rows = old.detach().to(torch::kCPU, torch::kDouble);
  const torch::Tensor mean = rows.mean(0);
  const torch::Tensor centered = rows - mean;
  const torch::Tensor covariance = torch::matmul(centered.t(), centered) / static_cast<double>(rows.size(0));
  auto [factor, info] = torch::linalg_cholesky_ex(covariance * options.covariance_scale);
  if (info.item<int64_t>() != 0) {
    spdlog::warn("resize_token_embeddings: the embedding covariance is not positive definite ({} rows, {} dims); "
                 "new rows are the mean embedding",
                 rows.size(0), dim);
    return mean.unsqueeze(0).expand({count, dim}).to(torch::kFloat);
  }
  return (mean + torch::matmul(z, factor.t())).to(torch::kFloat);  // x = mean + L z, cov(x) = L L^T
}

// Replaces `weight`'s data by [weight; rows] (the registered parameter keeps its identity).
void Grow(torch::Tensor& weight, const torch::Tensor& rows) {
  torch::NoGradGuard no_grad;
  weight.set_data(torch::cat({weight.detach(), rows.to(weight.device(), weight.scalar_type())}, 0));
}

void FreezeRows(torch::Tensor& weight, int64_t first_row, int64_t count) {
  if (!weight.requires_grad()) return;
  weight.register_hook([first_row, count](torch::Tensor grad) {
    torch::Tensor masked = grad.clone();
    masked.narrow(0, first_row, count).zero_();
    return masked;
  });
}

}  // namespace

absl::StatusOr<AddedRows> ResizeTokenEmbeddings(LanguageModel& model, int64_t new_vocab_size,
                                                const ResizeOptions& options) {
  torch::nn::Embedding& embeddings = model.token_embeddings();
  torch::Tensor& weight = embeddings->weight;
  const int64_t old_vocab = weight.size(0);
  if (new_vocab_size < old_vocab) {
    return absl::InvalidArgumentError(absl::StrCat("resize_token_embeddings: new vocabulary size ", new_vocab_size,
                                                   " is smaller than the model's ", old_vocab,
                                                   " (only growing is supported)"));
  }
  if (options.init == NewRowInit::kVocabularyDistribution &&
      !(std::isfinite(options.covariance_scale) && options.covariance_scale > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("resize_token_embeddings: covariance_scale must be > 0, got ", options.covariance_scale));
  }
  if (options.init == NewRowInit::kNormal && !(std::isfinite(options.stddev) && options.stddev >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("resize_token_embeddings: stddev must be >= 0, got ", options.stddev));
  }
  if (torch::nn::Linear* head = model.lm_head(); head != nullptr && (*head)->bias.defined()) {
    // No supported family has one; growing it would need new bias entries too.
    return absl::InvalidArgumentError("resize_token_embeddings: lm_head has a bias, which is not supported");
  }
  AddedRows added;
  added.first_row = old_vocab;
  added.count = new_vocab_size - old_vocab;
  added.frozen = options.freeze_new_rows;
  if (added.count == 0) return added;

  at::Generator generator = at::detail::createCPUGenerator(options.seed);
  Grow(weight, NewRows(weight, added.count, options, generator));
  embeddings->options.num_embeddings(new_vocab_size);
  added.weights.push_back(weight);
  if (torch::nn::Linear* head = model.lm_head()) {
    torch::Tensor& head_weight = (*head)->weight;
    Grow(head_weight, NewRows(head_weight, added.count, options, generator));
    (*head)->options.out_features(new_vocab_size);
    added.weights.push_back(head_weight);
  }
  if (options.freeze_new_rows) {
    for (torch::Tensor& w : added.weights) FreezeRows(w, added.first_row, added.count);
  }
  model.SetVocabSize(new_vocab_size);
  return added;
}

void ZeroAddedRowGradients(const AddedRows& rows) {
  if (rows.count == 0) return;
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& w : rows.weights) {
    if (w.grad().defined()) w.mutable_grad().narrow(0, rows.first_row, rows.count).zero_();
  }
}

}  // namespace ecgbench::worker::nn
