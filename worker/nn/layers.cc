// Llama-family decoder layers: RMSNorm, RoPE, grouped-query attention with a KV cache, gated MLP,
// decoder layer (see layers.h for the contract).
#include "worker/nn/layers.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Activation;
using common::model_io::ModelConfig;
using common::model_io::RopeConfig;
using common::model_io::RopeType;

// at::parallel_for is a header template: it uses the intra-op threads only where this file is
// compiled with OpenMP (LibTorch's CPU backend; worker/nn/CMakeLists.txt), and runs inline otherwise.
#ifdef _OPENMP
constexpr bool kParallel = true;
#else
constexpr bool kParallel = false;
#endif
// FastLinear splits one-row products in blocks of kSplitBlock output features. BLAS threads
// products of two rows or more itself, and does so better than a split (measured on BLIS).
constexpr int64_t kSplitBlock = 16;
// Projections are fused for inference only while the fused copy stays below this size: it saves a
// few microseconds of dispatch per call, which matters next to small GEMMs only, and it doubles the
// memory of the weights it copies.
constexpr int64_t kMaxFusedBytes = int64_t{64} << 20;

torch::nn::Linear MakeLinear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

bool RecordsGrad(const torch::Tensor& t) { return t.defined() && t.requires_grad() && at::GradMode::is_enabled(); }

// proj(x), adjusted by the projection's hook when one is installed (LoRA).
torch::Tensor Project(torch::nn::Linear& proj, const std::shared_ptr<ProjectionHook>& hook, const torch::Tensor& x,
                      bool training) {
  torch::Tensor y = FastLinear(x, proj->weight, proj->bias);
  return hook ? hook->Adjust(x, y, training) : y;
}

torch::Tensor As(const torch::Tensor& t, torch::ScalarType type) { return t.scalar_type() == type ? t : t.to(type); }

// x * cos + rotate_half(x) * sin for x [..., D] and cos/sin broadcastable to it.
torch::Tensor Rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return torch::addcmul(x * As(cos, x.scalar_type()), rotated, As(sin, x.scalar_type()));
}

// The most negative finite value of `type` (the masked score).
double Lowest(torch::ScalarType type) {
  switch (type) {
    case torch::kHalf: return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    case torch::kBFloat16: return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    case torch::kDouble: return std::numeric_limits<double>::lowest();
    default: return std::numeric_limits<float>::lowest();
  }
}

// `mask` (bool or additive float32, layers.h) as an additive mask of `type`.
torch::Tensor AdditiveMask(const torch::Tensor& mask, torch::ScalarType type) {
  if (mask.scalar_type() == type) return mask;
  const torch::Tensor allowed = mask.scalar_type() == torch::kBool ? mask : mask.eq(0);
  return torch::zeros(allowed.sizes(), allowed.options().dtype(type)).masked_fill_(allowed.logical_not(), Lowest(type));
}

// Appends [B, kv_heads, L, D] to the layer cache and returns the valid prefix (cached + new).
torch::Tensor AppendToCache(torch::Tensor& buffer, int64_t length, const torch::Tensor& fresh) {
  const int64_t need = length + fresh.size(2);
  if (!buffer.defined() || buffer.size(2) < need) {
    TORCH_CHECK(length == 0 || (buffer.size(0) == fresh.size(0) && buffer.size(1) == fresh.size(1)),
                "KV cache: batch or head count changed between steps (", buffer.sizes(), " vs ", fresh.sizes(), ")");
    const int64_t old_capacity = buffer.defined() ? buffer.size(2) : 0;
    const int64_t capacity = std::max<int64_t>({need, 2 * old_capacity, 16});
    torch::Tensor grown = torch::empty({fresh.size(0), fresh.size(1), capacity, fresh.size(3)}, fresh.options());
    if (length > 0) grown.narrow(2, 0, length).copy_(buffer.narrow(2, 0, length));
    buffer = grown;
  }
  TORCH_CHECK(buffer.size(0) == fresh.size(0), "KV cache: batch size ", fresh.size(0), " but the cache holds ",
              buffer.size(0));
  buffer.narrow(2, length, fresh.size(2)).copy_(fresh);
  return buffer.narrow(2, 0, need);
}

}  // namespace

torch::Tensor FastLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t in = weight.size(-1), out = weight.size(0);
  const bool plain = !kParallel || RecordsGrad(x) || RecordsGrad(weight) || RecordsGrad(bias) || !x.device().is_cpu() ||
                     weight.dim() != 2 || x.dim() == 0 || x.size(-1) != in || x.scalar_type() != weight.scalar_type() ||
                     (bias.defined() && bias.scalar_type() != weight.scalar_type()) || out < 2 * kSplitBlock ||
                     at::get_num_threads() < 2 || at::in_parallel_region();
  const int64_t rows = plain ? 0 : x.numel() / in;
  if (plain || rows != 1) return torch::nn::functional::linear(x, weight, bias);
  const torch::Tensor x2 = x.reshape({rows, in});
  torch::Tensor y = torch::empty({rows, out}, x.options());
  at::parallel_for(0, (out + kSplitBlock - 1) / kSplitBlock, 1, [&](int64_t begin, int64_t end) {
    torch::NoGradGuard no_grad;  // pool threads start with grad mode on; nothing here is recorded
    const int64_t first = begin * kSplitBlock, count = std::min(end * kSplitBlock, out) - first;
    torch::Tensor part = y.narrow(1, first, count);
    if (bias.defined()) {
      at::addmm_out(part, bias.narrow(0, first, count), x2, weight.narrow(0, first, count).t());
    } else {
      at::mm_out(part, x2, weight.narrow(0, first, count).t());
    }
  });
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes.back() = out;
  return y.view(sizes);
}

void LayerCache::Append(torch::Tensor* k, torch::Tensor* v) {
  *k = AppendToCache(key, length, *k);
  *v = AppendToCache(value, length, *v);
  length = k->size(2);
}

std::pair<torch::Tensor, torch::Tensor> FusedProjections::Get(const std::vector<torch::nn::Linear*>& parts) {
  std::vector<torch::Tensor> sources;
  for (torch::nn::Linear* part : parts) sources.push_back((*part)->weight);
  for (torch::nn::Linear* part : parts) {
    if ((*part)->bias.defined()) sources.push_back((*part)->bias);
  }
  TORCH_INTERNAL_ASSERT(sources.size() == parts.size() || sources.size() == 2 * parts.size());
  bool fresh = weight_.defined() && stamps_.size() == sources.size();
  for (size_t i = 0; fresh && i < sources.size(); ++i) {
    const torch::Tensor& t = sources[i];
    fresh = !t.is_inference() && stamps_[i].storage._unsafe_get_target() == t.storage().unsafeGetStorageImpl() &&
            stamps_[i].data == t.data_ptr() && stamps_[i].version == t._version();
  }
  if (fresh) return {weight_, bias_};
  Clear();
  int64_t bytes = 0;
  for (const torch::Tensor& t : sources) {
    // Inference tensors carry no version counter; they stay unfused.
    if (t.is_inference() || !t.device().is_cpu()) return {};
    bytes += t.numel() * static_cast<int64_t>(t.element_size());
  }
  if (bytes > kMaxFusedBytes) return {};
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights(sources.begin(), sources.begin() + static_cast<int64_t>(parts.size()));
  weight_ = torch::cat(weights, 0);
  if (sources.size() > parts.size()) {
    bias_ = torch::cat(std::vector<torch::Tensor>(sources.begin() + static_cast<int64_t>(parts.size()), sources.end()));
  }
  for (const torch::Tensor& t : sources) {
    stamps_.push_back(Stamp{t.storage().getWeakStorageImpl(), t.data_ptr(), t._version()});
  }
  return {weight_, bias_};
}

void FusedProjections::Clear() {
  stamps_.clear();
  weight_ = torch::Tensor();
  bias_ = torch::Tensor();
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps, bool offset_one) : eps_(eps), offset_one_(offset_one) {
  weight = register_parameter("weight", offset_one ? torch::zeros({dim}) : torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  const torch::Tensor h = As(x, torch::kFloat);
  // mean's backward does not need its result, rsqrt's needs only its own: in place is safe for autograd.
  const torch::Tensor normed = h * h.pow(2).mean(-1, /*keepdim=*/true).add_(eps_).rsqrt_();
  if (offset_one_) return As(normed * (1.0 + As(weight, torch::kFloat)), x.scalar_type());
  return weight * As(normed, x.scalar_type());
}

torch::Tensor RopeInverseFrequencies(const RopeConfig& rope, int64_t head_dim) {
  // 1 / theta^(arange(0, d, 2) / d), in float32 as transformers computes it.
  const torch::Tensor exponents = torch::arange(0, head_dim, 2, torch::kLong).to(torch::kFloat) / static_cast<double>(head_dim);
  torch::Tensor inv_freq = 1.0 / torch::pow(torch::tensor(rope.theta, torch::kFloat), exponents);
  if (rope.type == RopeType::kLinear) return inv_freq / rope.factor;
  if (rope.type != RopeType::kLlama3) return inv_freq;
  const double old_context = static_cast<double>(rope.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / rope.low_freq_factor;
  const double high_freq_wavelen = old_context / rope.high_freq_factor;
  const torch::Tensor wavelen = 2 * M_PI / inv_freq;
  torch::Tensor scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / rope.factor, inv_freq);
  const torch::Tensor smooth =
      (old_context / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
  const torch::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
  const torch::Tensor medium = wavelen.ge(high_freq_wavelen).logical_and(wavelen.le(low_freq_wavelen));
  return torch::where(medium, smoothed, scaled);
}

std::pair<torch::Tensor, torch::Tensor> RopeCosSin(const torch::Tensor& inv_freq, const torch::Tensor& position_ids) {
  const torch::Tensor freqs = position_ids.to(torch::kFloat).unsqueeze(-1) * inv_freq.to(torch::kFloat);  // [B, L, D/2]
  const torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);                                   // [B, 1, L, D]
  return {emb.cos(), emb.sin()};
}

torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  return Rotate(x, cos, sin);
}

AttentionImpl::AttentionImpl(const ModelConfig& config)
    : heads_(config.num_attention_heads),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      scale_(1.0 / std::sqrt(static_cast<double>(config.head_dim))),
      softcap_(0) {
  if (const auto* gemma = config.gemma2()) {
    scale_ = 1.0 / std::sqrt(gemma->query_pre_attn_scalar);
    softcap_ = gemma->attn_logit_softcapping.value_or(0.0);
  }
  const int64_t hidden = config.hidden_size;
  q_proj = register_module("q_proj", MakeLinear(hidden, heads_ * head_dim_, config.qkv_bias));
  k_proj = register_module("k_proj", MakeLinear(hidden, kv_heads_ * head_dim_, config.qkv_bias));
  v_proj = register_module("v_proj", MakeLinear(hidden, kv_heads_ * head_dim_, config.qkv_bias));
  o_proj = register_module("o_proj", MakeLinear(heads_ * head_dim_, hidden, config.out_proj_bias));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                     const torch::Tensor& mask, LayerCache* cache) {
  const int64_t batch = x.size(0), len = x.size(1);
  const bool training = is_training();
  // Heads stay in dim 2 ([B, L, heads, D]) until after RoPE, so the tables become [B, L, 1, D].
  const torch::Tensor c = cos.transpose(1, 2), s = sin.transpose(1, 2);
  torch::Tensor q, k, v;
  std::pair<torch::Tensor, torch::Tensor> fused;
  if (!at::GradMode::is_enabled() && !q_hook && !k_hook && !v_hook) fused = qkv_.Get({&q_proj, &k_proj, &v_proj});
  if (fused.first.defined()) {
    const torch::Tensor qkv =
        FastLinear(x, fused.first, fused.second).view({batch, len, heads_ + 2 * kv_heads_, head_dim_});
    const torch::Tensor qk = Rotate(qkv.narrow(2, 0, heads_ + kv_heads_), c, s);
    q = qk.narrow(2, 0, heads_);
    k = qk.narrow(2, heads_, kv_heads_);
    v = qkv.narrow(2, heads_ + kv_heads_, kv_heads_);
  } else {
    qkv_.Clear();
    q = Rotate(Project(q_proj, q_hook, x, training).view({batch, len, heads_, head_dim_}), c, s);
    k = Rotate(Project(k_proj, k_hook, x, training).view({batch, len, kv_heads_, head_dim_}), c, s);
    v = Project(v_proj, v_hook, x, training).view({batch, len, kv_heads_, head_dim_});
  }
  k = k.transpose(1, 2);
  v = v.transpose(1, 2);
  if (cache != nullptr) cache->Append(&k, &v);
  const torch::Tensor out = Attend(q.transpose(1, 2), k, v, mask);  // [B, heads, L, D]
  return Project(o_proj, o_hook, out.transpose(1, 2).reshape({batch, len, heads_ * head_dim_}), training);
}

// q [B, heads, L, D], k and v [B, kv_heads, T, D] -> [B, heads, L, D].
torch::Tensor AttentionImpl::Attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                    const torch::Tensor& mask) const {
  const int64_t batch = q.size(0), len = q.size(2), total = k.size(2), groups = heads_ / kv_heads_;
  const int64_t blocks = batch * kv_heads_;
#if TORCH_VERSION_MAJOR >= 2
  if (softcap_ == 0) {
    // Before LibTorch 2.5 (enable_gqa) SDPA wants as many kv heads as query heads: repeat them.
    const auto repeat = [&](const torch::Tensor& t) {
      return t.unsqueeze(2).expand({batch, kv_heads_, groups, total, head_dim_}).reshape({batch, heads_, total, head_dim_});
    };
    // SDPA scales by 1/sqrt(D); another scale (Gemma's query_pre_attn_scalar) is applied to q.
    const double rescale = scale_ * std::sqrt(static_cast<double>(head_dim_));
    const torch::Tensor qs = std::abs(rescale - 1.0) < 1e-12 ? q : q * rescale;
    const c10::optional<torch::Tensor> bias =
        mask.defined() ? c10::optional<torch::Tensor>(AdditiveMask(mask, q.scalar_type())) : c10::nullopt;
    return at::scaled_dot_product_attention(qs, repeat(k), repeat(v), bias, 0.0, false);
  }
#endif
  // Query head h reads kv head h / groups (transformers' repeat_kv): the queries of one (batch, kv
  // head) block are one [groups * L, D] matrix, so K and V are used in place (no repeat, and no
  // reduction of repeated gradients in backward).
  const torch::Tensor q3 = q.reshape({blocks, groups * len, head_dim_});
  const torch::Tensor k3 = k.reshape({blocks, total, head_dim_});
  const torch::Tensor v3 = v.reshape({blocks, total, head_dim_});
  // scale (soft-cap) + mask, then softmax in float32, for raw scores viewed as [..., groups, L, T].
  const auto probs = [&](torch::Tensor scores, const torch::Tensor& bias) {
    if (softcap_ > 0) scores = torch::tanh(scores * scale_ / softcap_) * softcap_;
    const double alpha = softcap_ > 0 ? 1.0 : scale_;
    if (!bias.defined()) scores = alpha == 1.0 ? scores : scores * alpha;
    else scores = torch::add(bias, scores, alpha);  // one kernel for scale and mask
    return As(torch::softmax(scores, -1), v.scalar_type());
  };
  const torch::Tensor bias = mask.defined() ? AdditiveMask(mask, torch::kFloat) : torch::Tensor();  // [B|1, 1, L, T]
  if (!kParallel || at::GradMode::is_enabled() || !q.device().is_cpu() || blocks < 2 || at::get_num_threads() < 2 ||
      at::in_parallel_region()) {
    const torch::Tensor scores = As(torch::bmm(q3, k3.transpose(1, 2)), torch::kFloat).view({batch, kv_heads_, groups, len, total});
    const torch::Tensor p = probs(scores, bias.defined() ? bias.unsqueeze(1) : bias);
    return torch::bmm(p.view({blocks, groups * len, total}), v3).view({batch, heads_, len, head_dim_});
  }
  // Inference on CPU: the blocks are split over the intra-op threads, each running its share with
  // single-threaded BLAS. Small decode products would otherwise open a BLAS thread team per block.
  const torch::Tensor block_bias =
      bias.defined() ? bias.expand({batch, kv_heads_, len, total}).reshape({blocks, 1, len, total}) : bias;
  torch::Tensor out = torch::empty({blocks, groups * len, head_dim_}, q.options());
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    torch::NoGradGuard no_grad;  // pool threads start with grad mode on
    const int64_t n = end - begin;
    const torch::Tensor scores =
        As(torch::bmm(q3.narrow(0, begin, n), k3.narrow(0, begin, n).transpose(1, 2)), torch::kFloat).view({n, groups, len, total});
    const torch::Tensor p = probs(scores, block_bias.defined() ? block_bias.narrow(0, begin, n) : block_bias);
    torch::Tensor part = out.narrow(0, begin, n);
    at::bmm_out(part, p.view({n, groups * len, total}), v3.narrow(0, begin, n));
  });
  return out.view({batch, heads_, len, head_dim_});
}

GatedMlpImpl::GatedMlpImpl(const ModelConfig& config) : activation_(config.activation) {
  TORCH_CHECK(activation_ == Activation::kSilu || activation_ == Activation::kGeluTanh || activation_ == Activation::kGelu,
              "gated MLP: unsupported activation '", config.activation_name, "'");
  gate_proj = register_module("gate_proj", MakeLinear(config.hidden_size, config.intermediate_size, config.mlp_bias));
  up_proj = register_module("up_proj", MakeLinear(config.hidden_size, config.intermediate_size, config.mlp_bias));
  down_proj = register_module("down_proj", MakeLinear(config.intermediate_size, config.hidden_size, config.mlp_bias));
}

torch::Tensor GatedMlpImpl::forward(const torch::Tensor& x) {
  const bool training = is_training();
  torch::Tensor gate, up;
  std::pair<torch::Tensor, torch::Tensor> fused;
  if (!at::GradMode::is_enabled() && !gate_hook && !up_hook) fused = gate_up_.Get({&gate_proj, &up_proj});
  if (fused.first.defined()) {
    const torch::Tensor both = FastLinear(x, fused.first, fused.second);
    const int64_t inner = gate_proj->weight.size(0);
    gate = both.narrow(-1, 0, inner);
    up = both.narrow(-1, inner, inner);
  } else {
    gate_up_.Clear();
    gate = Project(gate_proj, gate_hook, x, training);
    up = Project(up_proj, up_hook, x, training);
  }
  torch::Tensor activated;
  switch (activation_) {
    case Activation::kSilu: activated = torch::silu(gate); break;
    case Activation::kGeluTanh: activated = at::gelu(gate, "tanh"); break;
    default: activated = at::gelu(gate); break;
  }
  return Project(down_proj, down_hook, activated * up, training);
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& config) : gemma_(config.gemma2() != nullptr) {
  self_attn = register_module("self_attn", Attention(config));
  mlp = register_module("mlp", GatedMlp(config));
  const int64_t hidden = config.hidden_size;
  const double eps = config.norm_eps;
  input_layernorm = register_module("input_layernorm", RmsNorm(hidden, eps, gemma_));
  post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(hidden, eps, gemma_));
  if (gemma_) {
    pre_feedforward_layernorm = register_module("pre_feedforward_layernorm", RmsNorm(hidden, eps, true));
    post_feedforward_layernorm = register_module("post_feedforward_layernorm", RmsNorm(hidden, eps, true));
  }
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                        const torch::Tensor& mask, LayerCache* cache) {
  torch::Tensor attn = self_attn(input_layernorm(x), cos, sin, mask, cache);
  if (gemma_) {
    const torch::Tensor h = x + post_attention_layernorm(attn);
    return h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)));
  }
  const torch::Tensor h = x + attn;
  return h + mlp(post_attention_layernorm(h));
}

}  // namespace ecgbench::worker::nn
