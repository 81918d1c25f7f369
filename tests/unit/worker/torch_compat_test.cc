// torch_compat: version facts, attention against a plain softmax(QK^T/sqrt(d))V, autocast toggles,
// threads.
#include "worker/compat/torch_compat.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace ecgbench::worker::compat {
namespace {

at::Tensor ReferenceAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const at::Tensor& mask) {
  at::Tensor scores = q.matmul(k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  if (mask.defined()) scores = scores + mask;
  return scores.softmax(-1).matmul(v);
}

TEST(TorchCompatTest, VersionFacts) {
  EXPECT_EQ(LibTorchVersion(), TORCH_VERSION);
  EXPECT_EQ(kHasPublicScaledDotProductAttention, TORCH_VERSION_MAJOR >= 2);
  EXPECT_TRUE(kHasCpuBf16Autocast);
  EXPECT_TRUE(TorchAtLeast(1, 13));
  EXPECT_FALSE(TorchAtLeast(99, 0));
#if !defined(ECGBENCH_WITH_CUDA)
  EXPECT_FALSE(kBuiltWithCuda);
  EXPECT_EQ(CudaDeviceCount(), 0);
#endif
}

TEST(TorchCompatTest, AttentionMatchesTheFormula) {
  torch::manual_seed(1);
  const at::Tensor q = torch::randn({2, 3, 5, 8});
  const at::Tensor k = torch::randn({2, 3, 7, 8});
  const at::Tensor v = torch::randn({2, 3, 7, 4});
  const at::Tensor out = ScaledDotProductAttention(q, k, v, at::Tensor(), /*is_causal=*/false);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 3, 5, 4}));
  EXPECT_TRUE(torch::allclose(out, ReferenceAttention(q, k, v, at::Tensor()), 1e-5, 1e-5));

  const at::Tensor mask = torch::randn({5, 7});
  EXPECT_TRUE(torch::allclose(ScaledDotProductAttention(q, k, v, mask, false),
                              ReferenceAttention(q, k, v, mask), 1e-5, 1e-5));
}

TEST(TorchCompatTest, CausalAttentionAlignsToTheEnd) {
  torch::manual_seed(2);
  const at::Tensor q = torch::randn({1, 2, 3, 4});
  const at::Tensor k = torch::randn({1, 2, 5, 4});
  const at::Tensor v = torch::randn({1, 2, 5, 4});
  // Query i may see keys 0 .. i + 2.
  const at::Tensor causal =
      torch::full({3, 5}, -std::numeric_limits<float>::infinity()).triu(3);
  EXPECT_TRUE(torch::allclose(ScaledDotProductAttention(q, k, v, at::Tensor(), true),
                              ReferenceAttention(q, k, v, causal), 1e-5, 1e-5));
  // Square: the usual lower-triangular mask; combined with an explicit mask.
  const at::Tensor qs = torch::randn({1, 2, 4, 4});
  const at::Tensor ks = torch::randn({1, 2, 4, 4});
  const at::Tensor square = torch::full({4, 4}, -std::numeric_limits<float>::infinity()).triu(1);
  EXPECT_TRUE(torch::allclose(ScaledDotProductAttention(qs, ks, ks, at::Tensor(), true),
                              ReferenceAttention(qs, ks, ks, square), 1e-5, 1e-5));
  const at::Tensor bias = torch::randn({4, 4});
  EXPECT_TRUE(torch::allclose(ScaledDotProductAttention(qs, ks, ks, bias, true),
                              ReferenceAttention(qs, ks, ks, square + bias), 1e-5, 1e-5));
}

TEST(TorchCompatTest, CpuAutocastTogglesForTheThread) {
  ASSERT_FALSE(CpuAutocastEnabled());
  SetCpuAutocast(true, at::kBFloat16);
  EXPECT_TRUE(CpuAutocastEnabled());
  EXPECT_EQ(CpuAutocastDtype(), at::kBFloat16);
  const at::Tensor a = torch::randn({4, 4});
  EXPECT_EQ(a.matmul(a).scalar_type(), at::kBFloat16);  // matmul runs in bf16 under autocast
  SetCpuAutocast(false, at::kBFloat16);
  EXPECT_FALSE(CpuAutocastEnabled());
  EXPECT_EQ(a.matmul(a).scalar_type(), at::kFloat);
}

TEST(TorchCompatTest, SetsIntraOpThreads) {
  const int before = NumThreads();
  SetNumThreads(2);
  EXPECT_EQ(NumThreads(), 2);
  SetNumThreads(before);
}

}  // namespace
}  // namespace ecgbench::worker::compat
