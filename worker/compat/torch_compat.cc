// Implementations of the LibTorch version shims declared in torch_compat.h. Every #if on
// TORCH_VERSION_* in the project lives in this file.
#include "worker/compat/torch_compat.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>

#include <cmath>
#include <limits>
#include <tuple>

namespace ecgbench::worker::compat {
namespace {

// Additive mask with -inf above the diagonal: position i may attend to positions <= i (aligned to
// the end when Lk > Lq, as with a KV cache).
at::Tensor CausalMask(int64_t lq, int64_t lk, const at::TensorOptions& options) {
  return at::full({lq, lk}, -std::numeric_limits<float>::infinity(), options).triu(lk - lq + 1);
}

}  // namespace

std::string LibTorchVersion() { return TORCH_VERSION; }

at::Tensor ScaledDotProductAttention(const at::Tensor& query, const at::Tensor& key,
                                     const at::Tensor& value, const at::Tensor& mask,
                                     bool is_causal) {
  const int64_t lq = query.size(-2);
  const int64_t lk = key.size(-2);
  c10::optional<at::Tensor> attn_mask;
  if (mask.defined()) attn_mask = mask.to(query.scalar_type());
  // 2.x rejects an explicit mask together with is_causal and aligns its own causal mask to the
  // top-left; 1.13's private kernel differs again. Build the mask here unless 2.x's fused causal
  // path means exactly the same thing (square, no other mask).
  const bool native_causal = kHasPublicScaledDotProductAttention && !attn_mask && lq == lk;
  if (is_causal && !native_causal) {
    at::Tensor causal = CausalMask(lq, lk, query.options());
    attn_mask = attn_mask ? *attn_mask + causal : causal;
    is_causal = false;
  }
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(query, key, value, attn_mask, /*dropout_p=*/0.0,
                                          is_causal);
#else
  return std::get<0>(at::_scaled_dot_product_attention(query, key, value, attn_mask,
                                                       /*dropout_p=*/0.0,
                                                       /*need_attn_weights=*/false, is_causal));
#endif
}

void SetCpuAutocast(bool enabled, c10::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCPU, enabled);
  at::autocast::set_autocast_dtype(at::kCPU, dtype);
#else
  at::autocast::set_cpu_enabled(enabled);
  at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

bool CpuAutocastEnabled() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::is_autocast_enabled(at::kCPU);
#else
  return at::autocast::is_cpu_enabled();
#endif
}

c10::ScalarType CpuAutocastDtype() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::get_autocast_dtype(at::kCPU);
#else
  return at::autocast::get_autocast_cpu_dtype();
#endif
}

void SetNumThreads(int threads) { at::set_num_threads(threads); }

int NumThreads() { return at::get_num_threads(); }

int CudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

}  // namespace ecgbench::worker::compat
