// GPT-2 and OPT causal LMs: Conv1D, attention with a KV cache, MLPs, blocks, learned positions,
// logits (see gpt2_opt.h for the contract).
#include "worker/nn/gpt2_opt.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Activation;
using common::model_io::Architecture;
using common::model_io::ModelConfig;

torch::nn::Linear MakeLinear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

torch::nn::LayerNorm MakeLayerNorm(int64_t dim, double eps, bool affine) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps).elementwise_affine(affine));
}

torch::Tensor Activate(Activation activation, const torch::Tensor& x) {
  switch (activation) {
    case Activation::kRelu: return torch::relu(x);
    case Activation::kGeluTanh: return at::gelu(x, "tanh");  // gelu_new / gelu_pytorch_tanh
    case Activation::kGelu: return at::gelu(x);
    case Activation::kSilu: return torch::silu(x);
  }
  return x;
}

// proj(x), adjusted by the projection's hook (LoRA) when one is installed.
torch::Tensor HookedLinear(torch::nn::Linear& proj, const std::shared_ptr<ProjectionHook>& hook, const torch::Tensor& x,
                           bool training) {
  const torch::Tensor y = proj(x);
  return hook ? hook->Adjust(x, y, training) : y;
}

// softmax(q k^T * scale masked) v for q, k, v [B, H, L, D] (k, v appended to `cache` first), in
// float32 scores; returns the merged heads [B, L, H * D].
torch::Tensor CachedAttention(const torch::Tensor& q, torch::Tensor k, torch::Tensor v, const torch::Tensor& allowed,
                              LayerCache* cache, double scale) {
  const int64_t batch = q.size(0), heads = q.size(1), len = q.size(2), head_dim = q.size(3);
  if (cache != nullptr) cache->Append(&k, &v);
  torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)).to(torch::kFloat);
  if (scale != 1.0) scores = scores * scale;
  scores = scores.masked_fill(allowed.logical_not(), std::numeric_limits<float>::lowest());
  const torch::Tensor probs = torch::softmax(scores, -1).to(v.scalar_type());
  return torch::matmul(probs, v).transpose(1, 2).reshape({batch, len, heads * head_dim});
}

// Token embeddings of input_ids, or the given inputs_embeds after checking their width.
torch::Tensor InputEmbeddings(const DecoderInputs& inputs, torch::nn::Embedding& table, const char* who) {
  const bool from_ids = inputs.input_ids.defined();
  TORCH_CHECK(from_ids != inputs.inputs_embeds.defined(), who, ": give exactly one of input_ids and inputs_embeds");
  if (from_ids) {
    TORCH_CHECK(inputs.input_ids.dim() == 2, who, ": input_ids must be [batch, length], got ", inputs.input_ids.sizes());
    return table(inputs.input_ids);
  }
  const int64_t width = table->weight.size(1);
  TORCH_CHECK(inputs.inputs_embeds.dim() == 3 && inputs.inputs_embeds.size(2) == width, who,
              ": inputs_embeds must be [batch, length, ", width, "], got ", inputs.inputs_embeds.sizes());
  return inputs.inputs_embeds;
}

// The [B, cached + L] mask (all ones when not given), checked against the cache.
torch::Tensor CheckedMask(const DecoderInputs& inputs, const torch::Tensor& h, const KvCache* cache, int64_t layers,
                          const char* who) {
  TORCH_CHECK(cache == nullptr || cache->num_layers() == layers, who, ": cache has ",
              cache == nullptr ? 0 : cache->num_layers(), " layers, model ", layers);
  const int64_t batch = h.size(0), len = h.size(1);
  const int64_t past = cache == nullptr ? 0 : cache->length();
  torch::Tensor mask = inputs.attention_mask;
  if (!mask.defined()) mask = torch::ones({batch, past + len}, torch::TensorOptions().dtype(torch::kLong).device(h.device()));
  TORCH_CHECK(mask.dim() == 2 && mask.size(0) == batch && mask.size(1) == past + len, who, ": attention_mask must be [",
              batch, ", ", past + len, "] (cached ", past, " + new ", len, "), got ", mask.sizes());
  return mask;
}

// Looks up learned positions (row = position + offset) after checking the range.
torch::Tensor PositionEmbeddings(torch::nn::Embedding& table, const torch::Tensor& positions, int64_t offset,
                                 const torch::Tensor& h, const char* who) {
  TORCH_CHECK(positions.dim() == 2 && positions.size(0) == h.size(0) && positions.size(1) == h.size(1), who,
              ": position_ids must be [", h.size(0), ", ", h.size(1), "], got ", positions.sizes());
  const torch::Tensor rows = offset == 0 ? positions : positions + offset;
  if (rows.numel() > 0) {
    const torch::Tensor range = torch::stack({rows.min(), rows.max()}).cpu();  // one device sync
    const int64_t lowest = range[0].item<int64_t>(), highest = range[1].item<int64_t>();
    const int64_t table_rows = table->weight.size(0);
    TORCH_CHECK(lowest >= 0 && highest < table_rows, who, ": positions ", lowest - offset, "..", highest - offset,
                " outside the ", table_rows - offset, " learned positions (max_position_embeddings)");
  }
  return table(rows);
}

}  // namespace

torch::Tensor OptPositionsFromMask(const torch::Tensor& attention_mask, int64_t new_tokens) {
  const torch::Tensor mask = attention_mask.to(torch::kLong);
  const torch::Tensor positions = mask.cumsum(-1) * mask - 1;
  return positions.narrow(1, positions.size(1) - new_tokens, new_tokens);
}

// ---- GPT-2 ----

Gpt2Conv1DImpl::Gpt2Conv1DImpl(int64_t in_features, int64_t out_features) {
  weight = register_parameter("weight", torch::empty({in_features, out_features}).normal_(0.0, 0.02));
  bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor Gpt2Conv1DImpl::forward(const torch::Tensor& x) {
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(1);
  const torch::Tensor y = torch::addmm(bias, x.reshape({-1, weight.size(0)}), weight).view(shape);
  return hook ? hook->Adjust(x, y, is_training()) : y;
}

Gpt2AttentionImpl::Gpt2AttentionImpl(const ModelConfig& config, int64_t layer_index)
    : heads_(config.num_attention_heads), head_dim_(config.head_dim), hidden_(config.hidden_size), scale_(1.0) {
  const auto* options = config.gpt2();
  if (options == nullptr || options->scale_attn_weights) scale_ /= std::sqrt(static_cast<double>(head_dim_));
  if (options != nullptr && options->scale_attn_by_inverse_layer_idx) scale_ /= static_cast<double>(layer_index + 1);
  c_attn = register_module("c_attn", Gpt2Conv1D(hidden_, 3 * hidden_));
  c_proj = register_module("c_proj", Gpt2Conv1D(hidden_, hidden_));
}

torch::Tensor Gpt2AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache) {
  const int64_t batch = x.size(0), len = x.size(1);
  const std::vector<torch::Tensor> qkv = c_attn(x).split(hidden_, -1);
  const auto heads = [&](const torch::Tensor& t) { return t.view({batch, len, heads_, head_dim_}).transpose(1, 2); };
  return c_proj(CachedAttention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), allowed, cache, scale_));
}

Gpt2MlpImpl::Gpt2MlpImpl(const ModelConfig& config) : activation_(config.activation) {
  c_fc = register_module("c_fc", Gpt2Conv1D(config.hidden_size, config.intermediate_size));
  c_proj = register_module("c_proj", Gpt2Conv1D(config.intermediate_size, config.hidden_size));
}

torch::Tensor Gpt2MlpImpl::forward(const torch::Tensor& x) { return c_proj(Activate(activation_, c_fc(x))); }

Gpt2BlockImpl::Gpt2BlockImpl(const ModelConfig& config, int64_t layer_index) {
  ln_1 = register_module("ln_1", MakeLayerNorm(config.hidden_size, config.norm_eps, true));
  attn = register_module("attn", Gpt2Attention(config, layer_index));
  ln_2 = register_module("ln_2", MakeLayerNorm(config.hidden_size, config.norm_eps, true));
  mlp = register_module("mlp", Gpt2Mlp(config));
}

torch::Tensor Gpt2BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache) {
  const torch::Tensor h = x + attn(ln_1(x), allowed, cache);
  return h + mlp(ln_2(h));
}

Gpt2ModelImpl::Gpt2ModelImpl(const ModelConfig& config) : config_(config) {
  wte = register_module("wte", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  wpe = register_module("wpe", torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    blocks_.push_back(Gpt2Block(config, i));
    h->push_back(blocks_.back());
  }
  ln_f = register_module("ln_f", MakeLayerNorm(config.hidden_size, config.norm_eps, true));
}

torch::Tensor Gpt2ModelImpl::forward(const DecoderInputs& inputs, KvCache* cache) {
  torch::Tensor hidden = InputEmbeddings(inputs, wte, "gpt2");
  const torch::Tensor mask = CheckedMask(inputs, hidden, cache, config_.num_hidden_layers, "gpt2");
  const int64_t len = hidden.size(1);
  const torch::Tensor positions = inputs.position_ids.defined() ? inputs.position_ids : PositionIdsFromMask(mask, len);
  hidden = hidden + PositionEmbeddings(wpe, positions, 0, hidden, "gpt2");
  const torch::Tensor allowed = AllowedAttention(mask, len, 0);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    hidden = blocks_[i]->forward(hidden, allowed, cache == nullptr ? nullptr : &cache->layer(static_cast<int64_t>(i)));
  }
  return ln_f(hidden);
}

Gpt2LMHeadModelImpl::Gpt2LMHeadModelImpl(const ModelConfig& config) : config_(config) {
  TORCH_CHECK(config.architecture == Architecture::kGpt2, "Gpt2LMHeadModel: model_type '",
              std::string(common::model_io::ArchitectureName(config.architecture)), "' is not gpt2");
  transformer = register_module("transformer", Gpt2Model(config));
  if (!config.tie_word_embeddings) {
    lm_head = register_module("lm_head", MakeLinear(config.hidden_size, config.vocab_size, false));
  }
}

torch::Tensor Gpt2LMHeadModelImpl::Logits(const torch::Tensor& hidden) {
  return lm_head ? lm_head(hidden) : torch::nn::functional::linear(hidden, transformer->wte->weight);
}

torch::Tensor Gpt2LMHeadModelImpl::forward(const DecoderInputs& inputs, KvCache* cache) {
  return Logits(transformer->forward(inputs, cache));
}

// ---- OPT ----

OptAttentionImpl::OptAttentionImpl(const ModelConfig& config)
    : heads_(config.num_attention_heads),
      head_dim_(config.head_dim),
      scale_(1.0 / std::sqrt(static_cast<double>(config.head_dim))) {
  const int64_t hidden = config.hidden_size;
  q_proj = register_module("q_proj", MakeLinear(hidden, hidden, config.qkv_bias));
  k_proj = register_module("k_proj", MakeLinear(hidden, hidden, config.qkv_bias));
  v_proj = register_module("v_proj", MakeLinear(hidden, hidden, config.qkv_bias));
  out_proj = register_module("out_proj", MakeLinear(hidden, hidden, config.out_proj_bias));
}

torch::Tensor OptAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache) {
  const int64_t batch = x.size(0), len = x.size(1);
  const auto heads = [&](const torch::Tensor& t) { return t.view({batch, len, heads_, head_dim_}).transpose(1, 2); };
  const bool training = is_training();
  const torch::Tensor q = heads(HookedLinear(q_proj, q_hook, x, training) * scale_);
  const torch::Tensor k = heads(HookedLinear(k_proj, k_hook, x, training));
  const torch::Tensor v = heads(HookedLinear(v_proj, v_hook, x, training));
  return HookedLinear(out_proj, out_hook, CachedAttention(q, k, v, allowed, cache, 1.0), training);
}

OptDecoderLayerImpl::OptDecoderLayerImpl(const ModelConfig& config)
    : pre_norm_(config.opt() == nullptr || config.opt()->do_layer_norm_before), activation_(config.activation) {
  TORCH_CHECK(config.opt() != nullptr, "OptDecoderLayer: model_type '", config.model_type, "' is not opt");
  const int64_t hidden = config.hidden_size;
  const bool affine = config.opt()->layer_norm_elementwise_affine;
  self_attn = register_module("self_attn", OptAttention(config));
  self_attn_layer_norm = register_module("self_attn_layer_norm", MakeLayerNorm(hidden, config.norm_eps, affine));
  fc1 = register_module("fc1", MakeLinear(hidden, config.intermediate_size, config.mlp_bias));
  fc2 = register_module("fc2", MakeLinear(config.intermediate_size, hidden, config.mlp_bias));
  final_layer_norm = register_module("final_layer_norm", MakeLayerNorm(hidden, config.norm_eps, affine));
}

torch::Tensor OptDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed, LayerCache* cache) {
  torch::Tensor h = x + self_attn(pre_norm_ ? self_attn_layer_norm(x) : x, allowed, cache);
  if (!pre_norm_) h = self_attn_layer_norm(h);
  const bool training = is_training();
  const torch::Tensor up = HookedLinear(fc1, fc1_hook, pre_norm_ ? final_layer_norm(h) : h, training);
  h = h + HookedLinear(fc2, fc2_hook, Activate(activation_, up), training);
  return pre_norm_ ? h : final_layer_norm(h);
}

OptDecoderImpl::OptDecoderImpl(const ModelConfig& config) : config_(config) {
  const auto* o = config.opt();
  TORCH_CHECK(o != nullptr, "OptDecoder: model_type '", config.model_type, "' is not opt");
  auto token_options = torch::nn::EmbeddingOptions(config.vocab_size, o->word_embed_proj_dim);
  if (config.pad_token_id && *config.pad_token_id >= 0 && *config.pad_token_id < config.vocab_size) {
    token_options.padding_idx(*config.pad_token_id);  // as nn.Embedding(..., padding_idx): no gradient
  }
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(token_options));
  embed_positions =
      register_module("embed_positions", torch::nn::Embedding(config.max_position_embeddings + 2, config.hidden_size));
  if (o->word_embed_proj_dim != config.hidden_size) {
    project_out = register_module("project_out", MakeLinear(config.hidden_size, o->word_embed_proj_dim, false));
    project_in = register_module("project_in", MakeLinear(o->word_embed_proj_dim, config.hidden_size, false));
  }
  if (o->HasFinalLayerNorm()) {
    final_layer_norm = register_module(
        "final_layer_norm", MakeLayerNorm(config.hidden_size, config.norm_eps, o->layer_norm_elementwise_affine));
  }
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layer_modules_.push_back(OptDecoderLayer(config));
    layers->push_back(layer_modules_.back());
  }
}

torch::Tensor OptDecoderImpl::forward(const DecoderInputs& inputs, KvCache* cache) {
  torch::Tensor hidden = InputEmbeddings(inputs, embed_tokens, "opt");
  const torch::Tensor mask = CheckedMask(inputs, hidden, cache, config_.num_hidden_layers, "opt");
  const int64_t len = hidden.size(1);
  if (project_in) hidden = project_in(hidden);
  const torch::Tensor positions = inputs.position_ids.defined() ? inputs.position_ids : OptPositionsFromMask(mask, len);
  hidden = hidden + PositionEmbeddings(embed_positions, positions, 2, hidden, "opt");
  const torch::Tensor allowed = AllowedAttention(mask, len, 0);
  for (size_t i = 0; i < layer_modules_.size(); ++i) {
    hidden = layer_modules_[i]->forward(hidden, allowed,
                                        cache == nullptr ? nullptr : &cache->layer(static_cast<int64_t>(i)));
  }
  if (final_layer_norm) hidden = final_layer_norm(hidden);
  if (project_out) hidden = project_out(hidden);
  return hidden;
}

OptModelImpl::OptModelImpl(const ModelConfig& config) {
  decoder = register_module("decoder", OptDecoder(config));
}

OptForCausalLMImpl::OptForCausalLMImpl(const ModelConfig& config) : config_(config) {
  TORCH_CHECK(config.architecture == Architecture::kOpt && config.opt() != nullptr, "OptForCausalLM: model_type '",
              std::string(common::model_io::ArchitectureName(config.architecture)), "' is not opt");
  model = register_module("model", OptModel(config));
  if (!config.tie_word_embeddings) {
    lm_head = register_module("lm_head", MakeLinear(config.opt()->word_embed_proj_dim, config.vocab_size, false));
  }
}

torch::Tensor OptForCausalLMImpl::Logits(const torch::Tensor& hidden) {
  return lm_head ? lm_head(hidden) : torch::nn::functional::linear(hidden, model->decoder->embed_tokens->weight);
}

torch::Tensor OptForCausalLMImpl::forward(const DecoderInputs& inputs, KvCache* cache) {
  return Logits(model->forward(inputs, cache));
}

}  // namespace ecgbench::worker::nn
