// ELM assembly: placeholder injection, encoder-free projection, assistant-only loss (see elm.h).
#include "worker/nn/elm.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ecgbench::worker::nn {
namespace {

// nn.Linear's default initialisation (kaiming-uniform a = sqrt(5) for the weight, U(+-1/sqrt(in))
// for the bias), from a seeded generator.
torch::nn::Linear SeededLinear(int64_t in, int64_t out, uint64_t seed) {
  torch::nn::Linear linear(torch::nn::LinearOptions(in, out));
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  torch::NoGradGuard no_grad;
  linear->weight.uniform_(-bound, bound, generator);
  linear->bias.uniform_(-bound, bound, generator);
  return linear;
}

}  // namespace

torch::Tensor InjectAtPlaceholders(const torch::Tensor& embeds, const torch::Tensor& ids, int64_t placeholder_id,
                                   const torch::Tensor& signal) {
  TORCH_CHECK(embeds.dim() == 3 && ids.dim() == 2 && signal.dim() == 3, "inject: embeds [B, L, H], ids [B, L], "
              "signal [B, N, H] expected");
  TORCH_CHECK(embeds.size(0) == ids.size(0) && embeds.size(1) == ids.size(1) && signal.size(0) == ids.size(0) &&
                  signal.size(2) == embeds.size(2),
              "inject: shapes disagree: embeds ", embeds.sizes(), ", ids ", ids.sizes(), ", signal ", signal.sizes());
  const torch::Tensor mask = ids.eq(placeholder_id);
  const torch::Tensor counts = mask.sum(1);
  const torch::Tensor wrong = counts.ne(signal.size(1)).nonzero();
  TORCH_CHECK(wrong.size(0) == 0, "inject: row ", wrong.size(0) > 0 ? wrong[0][0].item<int64_t>() : -1, " has ",
              wrong.size(0) > 0 ? counts[wrong[0][0]].item<int64_t>() : -1, " <signal> placeholders (id ",
              placeholder_id, "), expected ", signal.size(1));
  // masked_scatter fills the masked positions in row-major order: with exactly N per row, row b's
  // positions receive signal[b, 0..N) in order.
  return embeds.masked_scatter(mask.unsqueeze(-1), signal.to(embeds.scalar_type()));
}

torch::Tensor InjectSignal2Vec(const torch::Tensor& embeds, const torch::Tensor& ids, int64_t offset,
                               const torch::Tensor& table, torch::nn::Linear& projection) {
  TORCH_CHECK(embeds.dim() == 3 && ids.dim() == 2 && table.dim() == 2, "signal2vec: embeds [B, L, H], ids [B, L], "
              "table [V, dim] expected");
  const int64_t rows = table.size(0);
  const torch::Tensor relative = ids.to(torch::kLong) - offset;
  const torch::Tensor is_ecg = relative.ge(0).logical_and(relative.lt(rows));  // [B, L]
  // Every position is projected (a [B*L, dim] x [dim, H] GEMM, small next to the decoder) and the
  // ECG positions are selected: differentiable in the projection, no data-dependent shapes.
  const torch::Tensor vectors = table.index_select(0, relative.clamp(0, rows - 1).reshape({-1}).to(table.device()));
  const torch::Tensor& weight = projection->weight;
  const torch::Tensor projected =
      projection(vectors.to(weight.device(), weight.scalar_type())).view({ids.size(0), ids.size(1), -1});
  return torch::where(is_ecg.to(embeds.device()).unsqueeze(-1), projected.to(embeds.scalar_type()), embeds);
}

Elm::Elm(std::unique_ptr<LanguageModel> llm, std::unique_ptr<ElmEncoder> encoder, const ElmOptions& options)
    : llm_(std::move(llm)), encoder_(std::move(encoder)), options_(options) {
  TORCH_CHECK(llm_ != nullptr, "ELM: no language model");
  const int64_t hidden = llm_->embedding_dim();
  switch (options_.kind) {
    case ElmKind::kLlava:
      TORCH_CHECK(encoder_ != nullptr, "ELM: the LLaVA-style ELM needs an encoder");
      TORCH_CHECK(options_.placeholder_id >= 0, "ELM: placeholder_id is not set");
      projection_ = SeededLinear(encoder_->output_dim(), hidden, options_.seed);
      if (!options_.update_encoder) {
        for (torch::Tensor& p : encoder_->module().parameters()) p.set_requires_grad(false);
      }
      break;
    case ElmKind::kEncoderFree:
      TORCH_CHECK(encoder_ == nullptr, "ELM: the encoder-free ELM takes no encoder");
      TORCH_CHECK(options_.placeholder_id >= 0, "ELM: placeholder_id is not set");
      TORCH_CHECK(options_.signal_leads > 0 && options_.signal_length > 0, "ELM: encoder-free needs the signal shape");
      TORCH_CHECK(options_.signal_patches > 0 && options_.signal_length % options_.signal_patches == 0,
                  "ELM: encoder-free signal_patches must divide the signal length ", options_.signal_length, ", got ",
                  options_.signal_patches);
      projection_ = SeededLinear(options_.signal_leads * (options_.signal_length / options_.signal_patches), hidden,
                                 options_.seed);
      break;
    case ElmKind::kEcgByte:
      TORCH_CHECK(encoder_ == nullptr, "ELM: the ECG-Byte ELM takes no encoder");
      break;
    case ElmKind::kSignal2Vec:
      TORCH_CHECK(encoder_ == nullptr, "ELM: the Signal2Vec ELM takes no encoder (its table is in the options)");
      TORCH_CHECK(options_.signal2vec_table.defined() && options_.signal2vec_table.dim() == 2 &&
                      options_.signal2vec_table.size(0) > 0 && options_.signal2vec_table.size(1) > 0,
                  "ELM: signal2vec_table must be [vocabulary, dim]");
      TORCH_CHECK(options_.ecg_token_offset >= 0, "ELM: ecg_token_offset is not set");
      table_ = options_.signal2vec_table.detach().to(torch::kFloat).clone();
      options_.signal2vec_table = torch::Tensor();  // the ELM keeps one copy: table_
      projection_ = SeededLinear(table_.size(1), hidden, options_.seed);
      break;
  }
}

torch::Tensor Elm::SignalEmbeddings(const ElmBatch& batch) {
  TORCH_CHECK(batch.encoder_input.defined(), "ELM: the batch has no encoder_input");
  const torch::Tensor& weight = projection_->weight;
  if (options_.kind == ElmKind::kEncoderFree) {
    const torch::Tensor& x = batch.encoder_input;
    TORCH_CHECK(x.dim() == 3 && x.size(1) == options_.signal_leads && x.size(2) == options_.signal_length,
                "ELM: encoder-free input must be [B, ", options_.signal_leads, ", ", options_.signal_length, "], got ",
                x.sizes());
    const int64_t patches = options_.signal_patches;
    if (patches == 1) {
      return projection_(x.reshape({x.size(0), -1}).to(weight.device(), weight.scalar_type())).unsqueeze(1);
    }
    // [B, 12, P, L/P] -> [B, P, 12, L/P] -> [B, P, 12 L/P]: patch p holds every lead's samples of
    // its time window, lead-major like the single projection.
    const torch::Tensor patched = x.reshape({x.size(0), x.size(1), patches, -1})
                                      .permute({0, 2, 1, 3})
                                      .reshape({x.size(0), patches, -1});
    return projection_(patched.to(weight.device(), weight.scalar_type()));
  }
  torch::Tensor features;
  if (options_.update_encoder) {
    features = encoder_->Encode(batch.encoder_input);
  } else {
    torch::NoGradGuard no_grad;
    encoder_->module().eval();
    features = encoder_->Encode(batch.encoder_input);
  }
  return projection_(features.to(weight.device(), weight.scalar_type()));
}

torch::Tensor Elm::InputEmbeddings(const ElmBatch& batch, SignalMode mode) {
  const torch::Tensor ids = batch.input_ids.to(llm_->token_embeddings()->weight.device());
  torch::Tensor embeds = llm_->EmbedTokens(ids);
  if (options_.kind == ElmKind::kEcgByte) return embeds;
  if (options_.kind == ElmKind::kSignal2Vec) {
    return InjectSignal2Vec(embeds, ids, options_.ecg_token_offset, table_, projection_);
  }
  if (!batch.encoder_input.defined()) return embeds;  // text only (the `none` ablation): no slot
  torch::Tensor signal = SignalEmbeddings(batch);
  if (mode == SignalMode::kZeros) signal = torch::zeros_like(signal);
  return InjectAtPlaceholders(embeds, ids, options_.placeholder_id, signal);
}

int64_t Elm::CountLabeledTokens(const torch::Tensor& labels) {
  if (labels.size(1) < 2) return 0;
  return labels.narrow(1, 1, labels.size(1) - 1).ne(-100).sum().item<int64_t>();
}

LossSum Elm::Loss(const ElmBatch& batch, SignalMode mode) {
  TORCH_CHECK(batch.labels.defined() && batch.labels.sizes() == batch.input_ids.sizes(),
              "ELM: labels must have input_ids' shape ", batch.input_ids.sizes());
  const torch::Device device = llm_->token_embeddings()->weight.device();
  DecoderInputs inputs;
  inputs.inputs_embeds = InputEmbeddings(batch, mode);
  if (batch.attention_mask.defined()) inputs.attention_mask = batch.attention_mask.to(device);
  const torch::Tensor hidden = llm_->Hidden(inputs, nullptr);
  const int64_t len = hidden.size(1);
  // Position t predicts token t + 1.
  const torch::Tensor targets = batch.labels.to(device).narrow(1, 1, len - 1);
  const torch::Tensor keep = targets.ne(-100);
  LossSum out;
  out.tokens = keep.sum().item<int64_t>();
  if (out.tokens == 0) {
    out.sum = hidden.sum().to(torch::kFloat) * 0.0;  // keeps the graph (and DDP hooks) connected
    return out;
  }
  const torch::Tensor picked = hidden.narrow(1, 0, len - 1).index({keep});  // [T, H]
  const torch::Tensor logits = llm_->Logits(picked).to(torch::kFloat);        // [T, V]
  out.sum = torch::nn::functional::cross_entropy(
      logits, targets.index({keep}), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> Elm::TrainableParameters() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  if (projection_) {
    out.emplace_back("projection.weight", projection_->weight);
    out.emplace_back("projection.bias", projection_->bias);
  }
  if (encoder_ != nullptr && options_.update_encoder) {
    for (const auto& item : encoder_->module().named_parameters()) {
      if (item.value().requires_grad()) out.emplace_back("encoder." + item.key(), item.value());
    }
  }
  for (const auto& item : llm_->module().named_parameters()) {
    if (item.value().requires_grad()) out.emplace_back(item.key(), item.value());
  }
  return out;
}

void Elm::Train(bool on) {
  llm_->module().train(on);
  if (projection_) projection_->train(on);
  if (encoder_ != nullptr) encoder_->module().train(on && options_.update_encoder);
}

void Elm::To(const torch::Device& device, torch::ScalarType llm_dtype) {
  llm_->module().to(device, llm_dtype);
  if (projection_) projection_->to(device, llm_dtype);
  if (encoder_ != nullptr) encoder_->module().to(device);
  if (table_.defined()) table_ = table_.to(device);
}

}  // namespace ecgbench::worker::nn
