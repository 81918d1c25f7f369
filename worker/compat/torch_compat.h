// The one header through which LibTorch version differences go. The project builds against
// Debian 12's LibTorch 1.13.1 (CPU) by default and against a PyTorch 2.x LibTorch (CUDA) when
// CMAKE_PREFIX_PATH points at one; code elsewhere in worker/ asks this header instead of testing
// TORCH_VERSION_* itself.
//
// Differences handled here:
//   - scaled-dot-product attention: public at::scaled_dot_product_attention from 2.0; 1.13 only has
//     the private at::_scaled_dot_product_attention (returns a tuple).
//   - autocast: per-device API (set_autocast_enabled(device, ...)) from 2.4; before, CPU-specific
//     set_cpu_enabled / set_autocast_cpu_dtype (deprecated in 2.4). bf16 CPU autocast exists >= 1.10.
//   - CUDA: only when built with ECGBENCH_WITH_CUDA (a CUDA LibTorch plus the CUDA toolkit).
//
// All functions are thread-safe unless noted (autocast state is thread-local in LibTorch).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>
#include <torch/version.h>

#include <string>

namespace ecgbench::worker::compat {

inline constexpr int kTorchVersionMajor = TORCH_VERSION_MAJOR;
inline constexpr int kTorchVersionMinor = TORCH_VERSION_MINOR;

// True when LibTorch's version is >= major.minor.
constexpr bool TorchAtLeast(int major, int minor) {
  return kTorchVersionMajor > major || (kTorchVersionMajor == major && kTorchVersionMinor >= minor);
}

inline constexpr bool kHasPublicScaledDotProductAttention = TorchAtLeast(2, 0);
inline constexpr bool kHasDeviceGenericAutocast = TorchAtLeast(2, 4);
inline constexpr bool kHasCpuBf16Autocast = TorchAtLeast(1, 10);

#if defined(ECGBENCH_WITH_CUDA)
inline constexpr bool kBuiltWithCuda = true;
#else
inline constexpr bool kBuiltWithCuda = false;
#endif

// "1.13.0" (the version the headers declare; Debian's 1.13.1 package says 1.13.0).
std::string LibTorchVersion();

// softmax(q k^T / sqrt(d) + mask) v over the last two dimensions; q, k, v are [..., L, d].
// `mask` (optional: pass an undefined tensor for none) is an additive float mask broadcastable to
// [..., Lq, Lk]. is_causal: query i attends to keys <= i + (Lk - Lq) (aligned to the end, as with
// a KV cache), combined with `mask` when both are given; REQUIRES Lk >= Lq then. No dropout.
at::Tensor ScaledDotProductAttention(const at::Tensor& query, const at::Tensor& key,
                                     const at::Tensor& value, const at::Tensor& mask,
                                     bool is_causal);

// CPU autocast for the calling thread. REQUIRES: kHasCpuBf16Autocast for dtype kBFloat16.
void SetCpuAutocast(bool enabled, c10::ScalarType dtype);
bool CpuAutocastEnabled();
c10::ScalarType CpuAutocastDtype();

// Intra-op threads (OpenMP) of this process; torch::set_num_threads / get_num_threads.
void SetNumThreads(int threads);
int NumThreads();

// Number of CUDA devices LibTorch can use (0 for a CPU-only LibTorch such as Debian's).
int CudaDeviceCount();

}  // namespace ecgbench::worker::compat
