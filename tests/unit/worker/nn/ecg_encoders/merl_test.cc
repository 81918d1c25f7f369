// MERL (worker/nn/ecg_encoders/merl.h) and the InfoNCE losses (contrastive_loss.h): ResNet output
// lengths, pretraining outputs and their dropout views, running statistics in Embed, the text
// projection, and the symmetric InfoNCE against hand-computed values.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "tests/unit/worker/nn/ecg_encoders/test_util.h"
#include "worker/nn/ecg_encoders/contrastive_loss.h"
#include "worker/nn/ecg_encoders/merl.h"

namespace ecgbench::worker::nn {
namespace {

using testing::MakeTiny;
using testing::RandomSignal;

std::shared_ptr<MerlEncoder> TinyMerl(uint64_t seed = 1) {
  return std::dynamic_pointer_cast<MerlEncoder>(MakeTiny("merl", seed));
}

TEST(MerlTest, ResNetOutputLengthsAreUpstreamsSpacialDims) {
  EXPECT_EQ(ResNet1dImpl::OutputLength(500), 32);
  EXPECT_EQ(ResNet1dImpl::OutputLength(1250), 79);
  EXPECT_EQ(ResNet1dImpl::OutputLength(2500), 157);
  std::shared_ptr<MerlEncoder> merl = TinyMerl();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(merl->resnet->forward(RandomSignal(2, 1)).sizes(), (std::vector<int64_t>{2, 128, 8}));
  EXPECT_EQ(merl->att_pool_head->positional_embedding.sizes(), (std::vector<int64_t>{1, 9, 16}));
  // Upstream's names, including the shortcut of each stage's first block.
  const auto params = merl->named_parameters();
  for (const char* name :
       {"resnet.conv1.weight", "resnet.bn1.weight", "resnet.layer1.0.conv1.weight", "resnet.layer3.0.shortcut.0.weight",
        "resnet.layer4.0.shortcut.1.bias", "downconv.weight", "downconv.bias", "att_pool_head.positional_embedding",
        "att_pool_head.cls_token", "att_pool_head.mhsa.in_proj_weight", "att_pool_head.mhsa.in_proj_bias",
        "att_pool_head.mhsa.out_proj.weight", "att_pool_head.c_proj.bias", "linear1.weight", "linear2.weight",
        "proj_t.0.weight", "proj_t.2.bias"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  EXPECT_EQ(params.find("linear1.bias"), nullptr);
  EXPECT_NE(merl->named_buffers().find("resnet.layer2.0.bn2.running_var"), nullptr);
}

TEST(MerlTest, PretrainForwardViewsUseDropoutOnlyInTraining) {
  std::shared_ptr<MerlEncoder> merl = TinyMerl();
  const torch::Tensor signal = RandomSignal(4, 2);
  torch::NoGradGuard no_grad;
  at::Generator g1 = at::detail::createCPUGenerator(7), g2 = at::detail::createCPUGenerator(7);
  const MerlPretrainOutput a = merl->PretrainForward(signal, g1);
  const MerlPretrainOutput b = merl->PretrainForward(signal, g2);
  EXPECT_EQ(a.ecg.sizes(), (std::vector<int64_t>{4, 16}));
  EXPECT_EQ(a.view1.sizes(), (std::vector<int64_t>{4, 16}));
  EXPECT_TRUE(torch::allclose(a.ecg.norm(2, -1), torch::ones({4})));
  EXPECT_TRUE(torch::equal(a.view1, b.view1));  // same dropout seed, same views
  EXPECT_TRUE(torch::equal(a.view2, b.view2));
  // Dropout zeroes about 10 % of the entries in training.
  const double zeros = (a.view1 == 0).sum().item<double>() + (a.view2 == 0).sum().item<double>();
  EXPECT_GT(zeros, 0.0);
  EXPECT_LT(zeros, 40.0);
  merl->eval();
  at::Generator g3 = at::detail::createCPUGenerator(8);
  const MerlPretrainOutput c = merl->PretrainForward(signal, g3);
  const torch::Tensor pooled = merl->downconv->forward(merl->resnet->forward(signal)).mean(-1);
  EXPECT_TRUE(torch::allclose(c.view1, merl->linear1->forward(pooled)));
  EXPECT_TRUE(torch::allclose(c.view2, merl->linear2->forward(pooled)));
}

TEST(MerlTest, EmbedUsesRunningStatisticsWithoutUpdatingThem) {
  std::shared_ptr<MerlEncoder> merl = TinyMerl();
  torch::NoGradGuard no_grad;
  // Non-trivial running statistics.
  for (auto& item : merl->named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().fill_(0.1);
    if (item.key().find("running_var") != std::string::npos) item.value().fill_(2.0);
  }
  const torch::Tensor before = merl->resnet->bn1->running_mean.clone();
  const torch::Tensor signal = RandomSignal(3, 4);
  ASSERT_TRUE(merl->is_training());
  const torch::Tensor e = merl->Embed(signal, 4);
  EXPECT_TRUE(merl->is_training());
  EXPECT_TRUE(torch::equal(merl->resnet->bn1->running_mean, before));
  merl->eval();
  const torch::Tensor reference =
      torch::adaptive_avg_pool1d(merl->resnet->forward(signal), {4}).transpose(1, 2);
  EXPECT_TRUE(torch::equal(e, reference.contiguous()));
}

TEST(MerlTest, ProjectTextIsNormalised) {
  std::shared_ptr<MerlEncoder> merl = TinyMerl();
  torch::NoGradGuard no_grad;
  const torch::Tensor t = merl->ProjectText(torch::randn({5, 24}));
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{5, 16}));
  EXPECT_TRUE(torch::allclose(t.norm(2, -1), torch::ones({5})));
  EXPECT_THROW(merl->ProjectText(torch::randn({5, 23})), c10::Error);
}

// x = [[3, 4], [0, 2], [1, -1]], y = [[1, 0], [1, 1], [-2, 1]]: computed by hand (in double
// precision, from the definition: normalise rows, sim = x y^T / tau, CE both ways).
TEST(InfoNceTest, MatchesHandComputedValues) {
  const torch::Tensor x = torch::tensor({3.0f, 4.0f, 0.0f, 2.0f, 1.0f, -1.0f}).view({3, 2});
  const torch::Tensor y = torch::tensor({1.0f, 0.0f, 1.0f, 1.0f, -2.0f, 1.0f}).view({3, 2});
  EXPECT_NEAR(SymmetricInfoNce(x, y).item<double>(), 18.326176531757053, 1e-4);
  EXPECT_NEAR(SymmetricInfoNce(x, y, 0.5).item<double>(), 3.5033042237147267, 1e-5);
  // Scaling rows does not matter (L2 normalisation); perfect pairs give almost zero.
  EXPECT_NEAR(SymmetricInfoNce(x * 7.0, y * 0.1).item<double>(), 18.326176531757053, 1e-4);
  EXPECT_LT(SymmetricInfoNce(torch::eye(3), torch::eye(3)).item<double>(), 1e-5);
  EXPECT_THROW(SymmetricInfoNce(x, y.narrow(0, 0, 2)), c10::Error);
}

TEST(InfoNceTest, MerlLossIsCrossPlusUniModal) {
  torch::manual_seed(0);
  const torch::Tensor ecg = torch::randn({6, 8}), text = torch::randn({6, 8});
  const torch::Tensor v1 = torch::randn({6, 8}, torch::requires_grad()), v2 = torch::randn({6, 8});
  const MerlLoss loss = ComputeMerlLoss(ecg, text, v1, v2);
  EXPECT_DOUBLE_EQ(loss.cma.item<double>(), SymmetricInfoNce(ecg, text).item<double>());
  EXPECT_DOUBLE_EQ(loss.uma.item<double>(), SymmetricInfoNce(v1, v2).item<double>());
  EXPECT_NEAR(loss.total.item<double>(), loss.cma.item<double>() + loss.uma.item<double>(), 1e-5);
  loss.total.backward();
  EXPECT_TRUE(v1.grad().defined());
  EXPECT_GT(v1.grad().abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace ecgbench::worker::nn
