// The CLIP, SigLIP and ViT towers (see vision_models.h) and VisionEncoder's shared input check.
#include "worker/nn/vision/vision_models.h"

#include <cmath>

namespace ecgbench::worker::nn {
namespace {

torch::nn::LayerNorm MakeLayerNorm(const VisionConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}

torch::nn::Conv2d MakePatchConv(const VisionConfig& c, bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(c.num_channels, c.hidden_size, c.patch_size).stride(c.patch_size).bias(bias));
}

// [B, C, S, S] -> [B, num_patches, hidden], patches in row-major order (flatten(2).transpose(1, 2)).
torch::Tensor PatchTokens(torch::nn::Conv2d& conv, const torch::Tensor& pixels) {
  return conv(pixels).flatten(2).transpose(1, 2);
}

}  // namespace

torch::Tensor VisionEncoder::Embed(const torch::Tensor& pixels) {
  const torch::Tensor features = Features(pixels);
  if (config_.architecture == VisionArchitecture::kVit) return features;
  // CLIPModel / SiglipModel.forward: image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True).
  return features / features.norm(2, -1, /*keepdim=*/true);
}

torch::Tensor VisionEncoder::CheckPixels(const torch::Tensor& pixels, const torch::Tensor& like) const {
  const VisionConfig& c = config_;
  TORCH_CHECK(pixels.defined(), c.model_type, " vision encoder: pixels are undefined");
  TORCH_CHECK(pixels.dim() == 4 && pixels.size(0) >= 1 && pixels.size(1) == c.num_channels &&
                  pixels.size(2) == c.image_size && pixels.size(3) == c.image_size && pixels.is_floating_point(),
              c.model_type, " vision encoder: pixels must be floating [batch, ", c.num_channels, ", ", c.image_size,
              ", ", c.image_size, "], got ", pixels.scalar_type(), " ", pixels.sizes());
  return pixels.to(like.device(), like.scalar_type());
}

// ---- CLIP ----

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const VisionConfig& c) {
  class_embedding = register_parameter("class_embedding", torch::randn({c.hidden_size}));
  patch_embedding = register_module("patch_embedding", MakePatchConv(c, /*bias=*/false));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(c.sequence_length(), c.hidden_size));
}

torch::Tensor ClipVisionEmbeddingsImpl::forward(const torch::Tensor& pixels) {
  const torch::Tensor patches = PatchTokens(patch_embedding, pixels);
  const torch::Tensor cls = class_embedding.view({1, 1, -1}).expand({patches.size(0), 1, patches.size(2)});
  return torch::cat({cls, patches}, 1) + position_embedding->weight.unsqueeze(0);
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const VisionConfig& c) {
  embeddings = register_module("embeddings", ClipVisionEmbeddings(c));
  pre_layrnorm = register_module("pre_layrnorm", MakeLayerNorm(c));
  encoder = register_module("encoder", TowerEncoder(c));
  post_layernorm = register_module("post_layernorm", MakeLayerNorm(c));
}

torch::Tensor ClipVisionTransformerImpl::forward(const torch::Tensor& pixels) {
  const torch::Tensor last = encoder(pre_layrnorm(embeddings(pixels)));
  return post_layernorm(last.select(1, 0));
}

ClipVisionEncoder::ClipVisionEncoder(const VisionConfig& c) : VisionEncoder(c) {
  vision_model = register_module("vision_model", ClipVisionTransformer(c));
  visual_projection = register_module(
      "visual_projection", torch::nn::Linear(torch::nn::LinearOptions(c.hidden_size, c.projection_dim).bias(false)));
}

torch::Tensor ClipVisionEncoder::Features(const torch::Tensor& pixels) {
  return visual_projection(vision_model(CheckPixels(pixels, visual_projection->weight)));
}

// ---- SigLIP ----

SiglipVisionEmbeddingsImpl::SiglipVisionEmbeddingsImpl(const VisionConfig& c) {
  patch_embedding = register_module("patch_embedding", MakePatchConv(c, /*bias=*/true));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(c.sequence_length(), c.hidden_size));
}

torch::Tensor SiglipVisionEmbeddingsImpl::forward(const torch::Tensor& pixels) {
  return PatchTokens(patch_embedding, pixels) + position_embedding->weight.unsqueeze(0);
}

PackedAttentionImpl::PackedAttentionImpl(const VisionConfig& c) : heads_(c.num_attention_heads) {
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * c.hidden_size, c.hidden_size}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * c.hidden_size}));
  torch::nn::init::xavier_uniform_(in_proj_weight);
  out_proj = register_module("out_proj", torch::nn::Linear(c.hidden_size, c.hidden_size));
}

torch::Tensor PackedAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& memory) {
  const int64_t h = query.size(-1);
  const auto project = [&](const torch::Tensor& x, int64_t part) {
    return torch::linear(x, in_proj_weight.narrow(0, part * h, h), in_proj_bias.narrow(0, part * h, h));
  };
  return out_proj(MultiHeadAttention(project(query, 0), project(memory, 1), project(memory, 2), heads_));
}

SiglipPoolingHeadImpl::SiglipPoolingHeadImpl(const VisionConfig& c) {
  probe = register_parameter("probe", torch::randn({1, 1, c.hidden_size}));
  attention = register_module("attention", PackedAttention(c));
  layernorm = register_module("layernorm", MakeLayerNorm(c));
  mlp = register_module("mlp", TowerMlp(c));
}

torch::Tensor SiglipPoolingHeadImpl::forward(const torch::Tensor& x) {
  const torch::Tensor h = attention(probe.expand({x.size(0), 1, probe.size(2)}), x);
  return (h + mlp(layernorm(h))).select(1, 0);
}

SiglipVisionTransformerImpl::SiglipVisionTransformerImpl(const VisionConfig& c) {
  embeddings = register_module("embeddings", SiglipVisionEmbeddings(c));
  encoder = register_module("encoder", TowerEncoder(c));
  post_layernorm = register_module("post_layernorm", MakeLayerNorm(c));
  head = register_module("head", SiglipPoolingHead(c));
}

torch::Tensor SiglipVisionTransformerImpl::forward(const torch::Tensor& pixels) {
  return head(post_layernorm(encoder(embeddings(pixels))));
}

SiglipVisionEncoder::SiglipVisionEncoder(const VisionConfig& c) : VisionEncoder(c) {
  vision_model = register_module("vision_model", SiglipVisionTransformer(c));
}

// ---- ViT ----

VitPatchEmbeddingsImpl::VitPatchEmbeddingsImpl(const VisionConfig& c) {
  projection = register_module("projection", MakePatchConv(c, /*bias=*/true));
}

torch::Tensor VitPatchEmbeddingsImpl::forward(const torch::Tensor& pixels) { return PatchTokens(projection, pixels); }

VitEmbeddingsImpl::VitEmbeddingsImpl(const VisionConfig& c) {
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, c.hidden_size}));
  if (c.masked_image_modeling) mask_token = register_parameter("mask_token", torch::zeros({1, 1, c.hidden_size}));
  patch_embeddings = register_module("patch_embeddings", VitPatchEmbeddings(c));
  position_embeddings =
      register_parameter("position_embeddings", torch::zeros({1, c.sequence_length(), c.hidden_size}));
}

torch::Tensor VitEmbeddingsImpl::forward(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos) {
  torch::Tensor patches = patch_embeddings(pixels);
  const int64_t batch = patches.size(0), count = patches.size(1), hidden = patches.size(2);
  if (bool_masked_pos.defined()) {
    TORCH_CHECK(mask_token.defined(),
                "vit: bool_masked_pos needs a masked-image-modeling model (embeddings.mask_token)");
    TORCH_CHECK(bool_masked_pos.dim() == 2 && bool_masked_pos.size(0) == batch && bool_masked_pos.size(1) == count,
                "vit: bool_masked_pos must be [", batch, ", ", count, "], got ", bool_masked_pos.sizes());
    const torch::Tensor mask = bool_masked_pos.unsqueeze(-1).to(patches.device(), patches.scalar_type());
    patches = patches * (1.0 - mask) + mask_token.expand({batch, count, hidden}) * mask;
  }
  return torch::cat({cls_token.expand({batch, 1, hidden}), patches}, 1) + position_embeddings;
}

VitVisionEncoder::VitVisionEncoder(const VisionConfig& c) : VisionEncoder(c) {
  embeddings = register_module("embeddings", VitEmbeddings(c));
  encoder = register_module("encoder", VitEncoder(c));
  layernorm = register_module("layernorm", MakeLayerNorm(c));
  if (c.masked_image_modeling) {
    const int64_t out_channels = c.encoder_stride * c.encoder_stride * c.num_channels;
    decoder = register_module(
        "decoder", torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(c.hidden_size, out_channels, 1)),
                                         torch::nn::PixelShuffle(torch::nn::PixelShuffleOptions(c.encoder_stride))));
  }
}

torch::Tensor VitVisionEncoder::MeanHiddenStates(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos) {
  torch::Tensor h = embeddings(CheckPixels(pixels, layernorm->weight), bool_masked_pos);
  // Every hidden state has the same token count, so the mean over the stacked states and tokens
  // is the mean of the per-state token means.
  torch::Tensor sum = h.mean(1);
  for (VitLayer& layer : encoder->layers) {
    h = layer(h);
    sum = sum + h.mean(1);
  }
  return sum / static_cast<double>(encoder->layers.size() + 1);
}

torch::Tensor VitVisionEncoder::LastHiddenState(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos) {
  torch::Tensor h = embeddings(CheckPixels(pixels, layernorm->weight), bool_masked_pos);
  for (VitLayer& layer : encoder->layers) h = layer(h);
  return layernorm(h);
}

torch::Tensor VitVisionEncoder::MaskedImageModelingLoss(const torch::Tensor& pixels,
                                                        const torch::Tensor& bool_masked_pos) {
  const VisionConfig& c = config();
  TORCH_CHECK(!decoder.is_empty(), "vit: the SimMIM loss needs a masked-image-modeling model (load with "
                                   "VisionLoadOptions::masked_image_modeling)");
  TORCH_CHECK(bool_masked_pos.defined(), "vit: the SimMIM loss needs bool_masked_pos");
  const torch::Tensor px = CheckPixels(pixels, layernorm->weight);
  const int64_t batch = px.size(0), side = c.patches_per_side();
  const torch::Tensor tokens = LastHiddenState(px, bool_masked_pos).narrow(1, 1, c.num_patches());
  const torch::Tensor grid = tokens.transpose(1, 2).reshape({batch, c.hidden_size, side, side});
  const torch::Tensor reconstruction = decoder->forward(grid);
  const torch::Tensor mask = bool_masked_pos.reshape({batch, side, side})
                                 .repeat_interleave(c.patch_size, 1)
                                 .repeat_interleave(c.patch_size, 2)
                                 .unsqueeze(1)
                                 .to(px.device(), px.scalar_type());
  const torch::Tensor l1 = (px - reconstruction).abs();
  return (l1 * mask).sum() / (mask.sum() + 1e-5) / static_cast<double>(c.num_channels);
}

torch::Tensor RandomPatchMask(int64_t batch, int64_t num_patches, double ratio, at::Generator& generator) {
  TORCH_CHECK(ratio >= 0.0 && ratio <= 1.0, "RandomPatchMask: ratio must be in [0, 1], got ", ratio);
  const int64_t masked = std::llround(ratio * static_cast<double>(num_patches));
  const torch::Tensor noise = torch::rand({batch, num_patches}, generator, torch::kFloat);
  const torch::Tensor order = noise.argsort(/*dim=*/int64_t{1}, /*descending=*/false);
  torch::Tensor mask = torch::zeros({batch, num_patches}, torch::kBool);
  if (masked > 0) mask.scatter_(1, order.narrow(1, 0, masked), true);
  return mask;
}

}  // namespace ecgbench::worker::nn
