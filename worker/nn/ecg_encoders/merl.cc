// MERL's 1-D ResNet, attention pool and pretraining head (merl.h).
#include "worker/nn/ecg_encoders/merl.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

namespace ecgbench::worker::nn {
namespace {

namespace F = torch::nn::functional;

torch::Tensor Norm(torch::nn::BatchNorm1dImpl& bn, const torch::Tensor& x, bool running_stats) {
  if (!running_stats || !bn.is_training()) return bn.forward(x);
  return torch::batch_norm(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, /*training=*/false,
                           /*momentum=*/0.0, bn.options.eps(), /*cudnn_enabled=*/true);
}

torch::nn::Conv1d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias) {
  return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias));
}

// The keep mask is drawn on the CPU from `generator`, so a seed gives the same views on any device.
torch::Tensor Dropout(const torch::Tensor& x, double p, bool training, at::Generator& generator) {
  if (!training || p == 0.0) return x;
  const torch::Tensor keep = torch::empty(x.sizes(), torch::kFloat).bernoulli_(1.0 - p, generator);
  return x * keep.to(x.device(), x.scalar_type()) / (1.0 - p);
}

// PyTorch's default initialisation (kaiming-uniform with a = sqrt(5): U(+-1/sqrt(fan_in)) for
// weights and biases of Conv1d / Linear; BatchNorm 1 / 0), then MultiheadAttention's own
// (xavier-uniform in_proj_weight, zero in_proj_bias and out_proj.bias), from one generator.
void InitMerlWeights(MerlEncoder& model, at::Generator& generator) {
  torch::NoGradGuard no_grad;
  auto uniform_fan_in = [&](torch::Tensor& weight, torch::Tensor& bias) {
    const double fan_in = static_cast<double>(weight.numel() / weight.size(0));
    const double bound = 1.0 / std::sqrt(fan_in);
    weight.uniform_(-bound, bound, generator);
    if (bias.defined()) bias.uniform_(-bound, bound, generator);
  };
  for (const std::shared_ptr<torch::nn::Module>& module : model.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv1d>()) {
      uniform_fan_in(conv->weight, conv->bias);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      uniform_fan_in(linear->weight, linear->bias);
    } else if (auto* bn = module->as<torch::nn::BatchNorm1d>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    }
  }
  PoolAttentionImpl& mhsa = *model.att_pool_head->mhsa;
  const double dim = static_cast<double>(mhsa.in_proj_weight.size(1));
  const double bound = std::sqrt(6.0 / (dim + 3.0 * dim));
  mhsa.in_proj_weight.uniform_(-bound, bound, generator);
  mhsa.in_proj_bias.zero_();
  mhsa.out_proj->bias.zero_();
  AttentionPool1dImpl& pool = *model.att_pool_head;
  pool.positional_embedding.normal_(0.0, 1.0, generator).div_(dim);
  pool.cls_token.normal_(0.0, 1.0, generator);
}

}  // namespace

Bottleneck1dImpl::Bottleneck1dImpl(int64_t in_channels, int64_t width, int64_t stride) {
  const int64_t out = 4 * width;
  conv1 = register_module("conv1", Conv(in_channels, width, 1, 1, 0, false));
  bn1 = register_module("bn1", torch::nn::BatchNorm1d(width));
  conv2 = register_module("conv2", Conv(width, width, 3, stride, 1, false));
  bn2 = register_module("bn2", torch::nn::BatchNorm1d(width));
  conv3 = register_module("conv3", Conv(width, out, 1, 1, 0, false));
  bn3 = register_module("bn3", torch::nn::BatchNorm1d(out));
  if (stride != 1 || in_channels != out) {
    shortcut = register_module(
        "shortcut", torch::nn::Sequential(Conv(in_channels, out, 1, stride, 0, false), torch::nn::BatchNorm1d(out)));
  }
}

torch::Tensor Bottleneck1dImpl::Forward(const torch::Tensor& x, bool running_stats) {
  torch::Tensor out = torch::relu(Norm(*bn1, conv1->forward(x), running_stats));
  out = torch::relu(Norm(*bn2, conv2->forward(out), running_stats));
  out = Norm(*bn3, conv3->forward(out), running_stats);
  torch::Tensor skip = x;
  if (shortcut) {
    const std::vector<std::shared_ptr<torch::nn::Module>> parts = shortcut->children();
    skip = Norm(*parts[1]->as<torch::nn::BatchNorm1d>(), parts[0]->as<torch::nn::Conv1d>()->forward(x), running_stats);
  }
  return torch::relu(out + skip);
}

ResNet1dImpl::ResNet1dImpl(int64_t in_channels, int64_t width, const std::vector<int64_t>& blocks) {
  TORCH_CHECK(blocks.size() == 4, "ResNet1d needs 4 stages, got ", blocks.size());
  conv1 = register_module("conv1", Conv(in_channels, width, 7, 2, 3, false));
  bn1 = register_module("bn1", torch::nn::BatchNorm1d(width));
  int64_t channels = width;
  auto stage = [&](int64_t stage_width, int64_t count, int64_t stride) {
    torch::nn::Sequential layer;
    for (int64_t i = 0; i < count; ++i) {
      layer->push_back(Bottleneck1d(channels, stage_width, i == 0 ? stride : 1));
      channels = 4 * stage_width;
    }
    return layer;
  };
  layer1 = register_module("layer1", stage(width, blocks[0], 1));
  layer2 = register_module("layer2", stage(2 * width, blocks[1], 2));
  layer3 = register_module("layer3", stage(4 * width, blocks[2], 2));
  layer4 = register_module("layer4", stage(8 * width, blocks[3], 2));
  out_channels_ = channels;
}

torch::Tensor ResNet1dImpl::Forward(const torch::Tensor& x, bool running_stats) {
  torch::Tensor out = torch::relu(Norm(*bn1, conv1->forward(x), running_stats));
  for (const torch::nn::Sequential& layer : {layer1, layer2, layer3, layer4}) {
    for (const std::shared_ptr<torch::nn::Module>& block : layer->children()) {
      out = block->as<Bottleneck1d>()->Forward(out, running_stats);
    }
  }
  return out;
}

int64_t ResNet1dImpl::OutputLength(int64_t length) {
  for (int i = 0; i < 4; ++i) length = (length - 1) / 2 + 1;  // k7 s2 p3, then k3 s2 p1 three times
  return length;
}

PoolAttentionImpl::PoolAttentionImpl(int64_t dim, int64_t heads) : heads_(heads) {
  TORCH_CHECK(heads >= 1 && dim % heads == 0, "PoolAttention: dim ", dim, " is not divisible by heads ", heads);
  in_proj_weight = register_parameter("in_proj_weight", torch::zeros({3 * dim, dim}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * dim}));
  out_proj = register_module("out_proj", torch::nn::Linear(dim, dim));
}

torch::Tensor PoolAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& memory) {
  const int64_t b = query.size(0), q_len = query.size(1), t = memory.size(1), e = query.size(2);
  const int64_t d = e / heads_;
  const std::vector<torch::Tensor> w = in_proj_weight.chunk(3, 0);
  const std::vector<torch::Tensor> bias = in_proj_bias.chunk(3, 0);
  const torch::Tensor q = F::linear(query, w[0], bias[0]).view({b, q_len, heads_, d}).transpose(1, 2);
  const torch::Tensor k = F::linear(memory, w[1], bias[1]).view({b, t, heads_, d}).transpose(1, 2);
  const torch::Tensor v = F::linear(memory, w[2], bias[2]).view({b, t, heads_, d}).transpose(1, 2);
  const torch::Tensor scores = torch::matmul(q / std::sqrt(static_cast<double>(d)), k.transpose(-1, -2));
  const torch::Tensor out = torch::matmul(scores.softmax(-1), v).transpose(1, 2).reshape({b, q_len, e});
  return out_proj->forward(out);
}

AttentionPool1dImpl::AttentionPool1dImpl(int64_t length, int64_t dim, int64_t heads) {
  positional_embedding = register_parameter("positional_embedding", torch::zeros({1, length + 1, dim}));
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, dim}));
  mhsa = register_module("mhsa", PoolAttention(dim, heads));
  c_proj = register_module("c_proj", torch::nn::Linear(dim, dim));
}

torch::Tensor AttentionPool1dImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), dim = x.size(1);
  TORCH_CHECK(x.size(2) + 1 == positional_embedding.size(1), "AttentionPool1d: sequence length ", x.size(2),
              " does not match the positional embedding's ", positional_embedding.size(1) - 1);
  const torch::Tensor cls = (cls_token + positional_embedding.narrow(1, 0, 1)).expand({b, 1, dim});
  const torch::Tensor seq = torch::cat({cls, x.permute({0, 2, 1})}, 1) + positional_embedding;
  return c_proj->forward(mhsa->forward(seq.narrow(1, 0, 1), seq)).reshape({b, dim});
}

MerlEncoder::MerlEncoder(const EcgEncoderOptions& resolved) : EcgEncoder(resolved) {
  const EcgEncoderOptions& o = options();
  const int64_t dim = o.merl_dim;
  resnet = register_module("resnet", ResNet1d(o.num_leads, o.resnet_width, o.resnet_blocks));
  downconv = register_module("downconv", Conv(resnet->out_channels(), dim, 1, 1, 0, true));
  att_pool_head = register_module("att_pool_head",
                                  AttentionPool1d(ResNet1dImpl::OutputLength(o.segment_len), dim, o.merl_heads));
  linear1 = register_module("linear1", torch::nn::Linear(torch::nn::LinearOptions(dim, dim).bias(false)));
  linear2 = register_module("linear2", torch::nn::Linear(torch::nn::LinearOptions(dim, dim).bias(false)));
  proj_t = register_module(
      "proj_t", torch::nn::Sequential(torch::nn::Linear(o.text_dim, dim), torch::nn::GELU(), torch::nn::Linear(dim, dim)));
  at::Generator generator = at::detail::createCPUGenerator(o.seed);
  InitMerlWeights(*this, generator);
}

torch::Tensor MerlEncoder::Embed(const torch::Tensor& signal, int64_t num_tokens) {
  CheckSignal(signal);
  TORCH_CHECK(num_tokens >= 1, "ecg encoder 'merl': num_tokens must be >= 1, got ", num_tokens);
  const torch::Tensor features = resnet->Forward(signal.to(resnet->conv1->weight.scalar_type()), /*running_stats=*/true);
  return torch::adaptive_avg_pool1d(features, {num_tokens}).transpose(1, 2).contiguous();
}

MerlPretrainOutput MerlEncoder::PretrainForward(const torch::Tensor& signal, at::Generator& generator) {
  CheckSignal(signal);
  const torch::Tensor features = downconv->forward(resnet->forward(signal.to(resnet->conv1->weight.scalar_type())));  // [B, dim, L']
  MerlPretrainOutput out;
  out.ecg = F::normalize(att_pool_head->forward(features), F::NormalizeFuncOptions().dim(-1));
  const torch::Tensor pooled = features.mean(-1);
  const double p = options().merl_dropout;
  out.view1 = Dropout(linear1->forward(pooled), p, is_training(), generator);
  out.view2 = Dropout(linear2->forward(pooled), p, is_training(), generator);
  return out;
}

torch::Tensor MerlEncoder::ProjectText(const torch::Tensor& text_embedding) {
  const int64_t text_dim = options().text_dim;
  TORCH_CHECK(text_embedding.dim() == 2 && text_embedding.size(1) == text_dim,
              "ecg encoder 'merl': text embedding must be [B, ", text_dim, "], got ", text_embedding.sizes());
  return F::normalize(proj_t->forward(text_embedding.to(downconv->weight.scalar_type())), F::NormalizeFuncOptions().dim(-1));
}

}  // namespace ecgbench::worker::nn
