// Llama-family causal LM: embeddings, masks and position ids, the layer stack, logits
// (see causal_lm.h for the contract).
#include "worker/nn/causal_lm.h"

#include <cmath>
#include <limits>
#include <string>

namespace ecgbench::worker::nn {

using common::model_io::Architecture;
using common::model_io::ModelConfig;

torch::Tensor AllowedAttention(const torch::Tensor& attention_mask, int64_t new_tokens, int64_t window) {
  const int64_t total = attention_mask.size(1);
  TORCH_CHECK(new_tokens <= total, "attention mask covers ", total, " tokens, fewer than the ", new_tokens, " new ones");
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(attention_mask.device());
  const torch::Tensor query = torch::arange(total - new_tokens, total, long_opts).unsqueeze(1);  // [L, 1]
  const torch::Tensor key = torch::arange(total, long_opts).unsqueeze(0);                       // [1, T]
  torch::Tensor allowed = key.le(query);
  if (window > 0) allowed = allowed.logical_and((query - key).lt(window));
  return allowed.unsqueeze(0).unsqueeze(0).logical_and(attention_mask.ne(0).unsqueeze(1).unsqueeze(1));
}

torch::Tensor PositionIdsFromMask(const torch::Tensor& attention_mask, int64_t new_tokens) {
  const torch::Tensor mask = attention_mask.to(torch::kLong);
  torch::Tensor positions = mask.cumsum(-1) - 1;
  positions.masked_fill_(mask.eq(0), 1);
  return positions.narrow(1, positions.size(1) - new_tokens, new_tokens);
}

DecoderModelImpl::DecoderModelImpl(const ModelConfig& config) : config_(config) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layer_modules_.push_back(DecoderLayer(config));
    layers->push_back(layer_modules_.back());
    windows_.push_back(config.SlidingWindowForLayer(i).value_or(0));
  }
  norm = register_module("norm", RmsNorm(config.hidden_size, config.norm_eps, config.gemma2() != nullptr));
  inv_freq_ = RopeInverseFrequencies(config.rope, config.head_dim);
}

torch::Tensor DecoderModelImpl::forward(const DecoderInputs& inputs, KvCache* cache) {
  const bool from_ids = inputs.input_ids.defined();
  TORCH_CHECK(from_ids != inputs.inputs_embeds.defined(), "decoder: give exactly one of input_ids and inputs_embeds");
  torch::Tensor h;
  if (from_ids) {
    TORCH_CHECK(inputs.input_ids.dim() == 2, "decoder: input_ids must be [batch, length], got ", inputs.input_ids.sizes());
    h = embed_tokens(inputs.input_ids);
  } else {
    TORCH_CHECK(inputs.inputs_embeds.dim() == 3 && inputs.inputs_embeds.size(2) == config_.hidden_size,
                "decoder: inputs_embeds must be [batch, length, ", config_.hidden_size, "], got ",
                inputs.inputs_embeds.sizes());
    h = inputs.inputs_embeds;
  }
  if (config_.gemma2() != nullptr) {
    // transformers: hidden * torch.tensor(hidden_size ** 0.5, dtype=hidden.dtype).
    h = h * torch::tensor(std::sqrt(static_cast<double>(config_.hidden_size)), h.options());
  }
  const int64_t batch = h.size(0), len = h.size(1);
  TORCH_CHECK(cache == nullptr || cache->num_layers() == config_.num_hidden_layers, "decoder: cache has ",
              cache == nullptr ? 0 : cache->num_layers(), " layers, model ", config_.num_hidden_layers);
  const int64_t past = cache == nullptr ? 0 : cache->length();
  const torch::Tensor& mask = inputs.attention_mask;
  TORCH_CHECK(!mask.defined() || (mask.dim() == 2 && mask.size(0) == batch && mask.size(1) == past + len),
              "decoder: attention_mask must be [", batch, ", ", past + len, "] (cached ", past, " + new ", len, "), got ",
              mask.sizes());
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(h.device());
  torch::Tensor positions = inputs.position_ids;
  if (!positions.defined()) {
    // Without a mask every token is real: cumsum(ones) - 1 is the running index.
    positions = mask.defined() ? PositionIdsFromMask(mask, len)
                               : torch::arange(past, past + len, long_opts).expand({batch, len});
  }
  TORCH_CHECK(positions.dim() == 2 && positions.size(0) == batch && positions.size(1) == len,
              "decoder: position_ids must be [", batch, ", ", len, "], got ", positions.sizes());
  const auto [cos, sin] = RopeCosSin(inv_freq_.to(h.device()), positions);
  // Additive masks (layers.h), built once per forward for all layers; without padding they are
  // [1, 1, L, T]. A single new token may attend to every real token when the window (if any)
  // reaches back to the first one: its mask is the padding alone, and none without padding.
  const auto additive = [&](int64_t window) -> torch::Tensor {
    const auto float_opts = h.options().dtype(torch::kFloat);
    const float lowest = std::numeric_limits<float>::lowest();
    if (len == 1 && (window == 0 || past < window)) {
      if (!mask.defined()) return {};
      const torch::Tensor real = mask.ne(0);
      if (real.device().is_cpu() && real.all().item<bool>()) return {};
      return torch::zeros({batch, 1, 1, past + 1}, float_opts)
          .masked_fill_(real.logical_not().view({batch, 1, 1, past + 1}), lowest);
    }
    const torch::Tensor allowed =
        AllowedAttention(mask.defined() ? mask : torch::ones({1, past + len}, long_opts), len, window);
    return torch::zeros(allowed.sizes(), float_opts).masked_fill_(allowed.logical_not(), lowest);
  };
  const torch::Tensor full = additive(0);
  torch::Tensor sliding;
  bool have_sliding = false;
  for (size_t i = 0; i < layer_modules_.size(); ++i) {
    const int64_t window = windows_[i];
    if (window > 0 && !have_sliding) {
      sliding = additive(window);
      have_sliding = true;
    }
    LayerCache* layer_cache = cache == nullptr ? nullptr : &cache->layer(static_cast<int64_t>(i));
    h = layer_modules_[i]->forward(h, cos, sin, window > 0 ? sliding : full, layer_cache);
  }
  return norm(h);
}

CausalLMImpl::CausalLMImpl(const ModelConfig& config) : config_(config) {
  TORCH_CHECK(config.architecture == Architecture::kLlama || config.architecture == Architecture::kQwen2 ||
                  config.architecture == Architecture::kGemma2,
              "CausalLM: model_type '", std::string(common::model_io::ArchitectureName(config.architecture)),
              "' is not a Llama-family decoder");
  model = register_module("model", DecoderModel(config));
  if (!config.tie_word_embeddings) {
    lm_head = register_module("lm_head",
                              torch::nn::Linear(torch::nn::LinearOptions(config.hidden_size, config.vocab_size).bias(false)));
  }
  if (const auto* gemma = config.gemma2()) final_softcap_ = gemma->final_logit_softcapping.value_or(0.0);
}

torch::Tensor CausalLMImpl::Logits(const torch::Tensor& hidden) {
  torch::Tensor logits = FastLinear(hidden, lm_head ? lm_head->weight : model->embed_tokens->weight, torch::Tensor());
  if (final_softcap_ > 0) logits = torch::tanh(logits / final_softcap_) * final_softcap_;
  return logits;
}

torch::Tensor CausalLMImpl::forward(const DecoderInputs& inputs, KvCache* cache) {
  return Logits(model->forward(inputs, cache));
}

}  // namespace ecgbench::worker::nn
