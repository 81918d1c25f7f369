// The three vision towers behind VisionEncoder (vision_encoder.h), with Hugging Face's module names:
//   CLIP   vision_model.{embeddings.{class_embedding, patch_embedding (no bias), position_embedding},
//          pre_layrnorm, encoder.layers.N, post_layernorm}, visual_projection (no bias)
//   SigLIP vision_model.{embeddings.{patch_embedding, position_embedding}, encoder.layers.N,
//          post_layernorm, head.{probe, attention.{in_proj_weight, in_proj_bias, out_proj}, layernorm, mlp}}
//   ViT    embeddings.{cls_token, mask_token (masked image modeling only), position_embeddings,
//          patch_embeddings.projection}, encoder.layer.N, layernorm, decoder.0 (SimMIM only)
// (ViT's checkpoint names gain "vit." in ViTForMaskedImageModeling files; the loader maps them.)
// Thread-safety: a module instance is not thread-safe.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <cstdint>

#include "worker/nn/vision/vision_config.h"
#include "worker/nn/vision/vision_encoder.h"
#include "worker/nn/vision/vision_layers.h"

namespace ecgbench::worker::nn {

// CLIPVisionEmbeddings: [class_embedding; patches] + position_embedding.
class ClipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipVisionEmbeddingsImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& pixels);

  torch::Tensor class_embedding;
  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipVisionEmbeddings);

// CLIPVisionTransformer; forward returns pooler_output = post_layernorm(last_hidden_state[:, 0]).
class ClipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipVisionTransformerImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& pixels);

  ClipVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layrnorm{nullptr}, post_layernorm{nullptr};  // (sic: HF's spelling)
  TowerEncoder encoder{nullptr};
};
TORCH_MODULE(ClipVisionTransformer);

class ClipVisionEncoder : public VisionEncoder {
 public:
  explicit ClipVisionEncoder(const VisionConfig& config);
  torch::Tensor Features(const torch::Tensor& pixels) override;

  ClipVisionTransformer vision_model{nullptr};
  torch::nn::Linear visual_projection{nullptr};
};

// SiglipVisionEmbeddings: patches (conv with bias) + position_embedding; no class token.
class SiglipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionEmbeddingsImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& pixels);

  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(SiglipVisionEmbeddings);

// torch.nn.MultiheadAttention's parameters (packed in_proj, out_proj) and math, batch first.
class PackedAttentionImpl : public torch::nn::Module {
 public:
  explicit PackedAttentionImpl(const VisionConfig& config);
  // query [B, Lq, hidden], memory [B, Lk, hidden] -> [B, Lq, hidden].
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& memory);

  torch::Tensor in_proj_weight, in_proj_bias;  // [3 hidden, hidden], [3 hidden]
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(PackedAttention);

// SiglipMultiheadAttentionPoolingHead: a learned probe attends over the tokens;
// h = attention(probe, x); h + mlp(layernorm(h)) -> [B, hidden].
class SiglipPoolingHeadImpl : public torch::nn::Module {
 public:
  explicit SiglipPoolingHeadImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor probe;  // [1, 1, hidden]
  PackedAttention attention{nullptr};
  torch::nn::LayerNorm layernorm{nullptr};
  TowerMlp mlp{nullptr};
};
TORCH_MODULE(SiglipPoolingHead);

// SiglipVisionTransformer; forward returns pooler_output = head(post_layernorm(encoder(embeddings))).
class SiglipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit SiglipVisionTransformerImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& pixels);

  SiglipVisionEmbeddings embeddings{nullptr};
  TowerEncoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
  SiglipPoolingHead head{nullptr};
};
TORCH_MODULE(SiglipVisionTransformer);

class SiglipVisionEncoder : public VisionEncoder {
 public:
  explicit SiglipVisionEncoder(const VisionConfig& config);
  torch::Tensor Features(const torch::Tensor& pixels) override {
    return vision_model(CheckPixels(pixels, vision_model->head->probe));
  }

  SiglipVisionTransformer vision_model{nullptr};
};

// ViTPatchEmbeddings: "projection" conv (with bias).
class VitPatchEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit VitPatchEmbeddingsImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& pixels);  // [B, N, hidden]

  torch::nn::Conv2d projection{nullptr};
};
TORCH_MODULE(VitPatchEmbeddings);

// ViTEmbeddings: patches (masked ones replaced by mask_token), [cls_token; patches] + position_embeddings.
class VitEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit VitEmbeddingsImpl(const VisionConfig& config);
  torch::Tensor forward(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos);

  torch::Tensor cls_token, mask_token, position_embeddings;  // mask_token undefined without MIM
  VitPatchEmbeddings patch_embeddings{nullptr};
};
TORCH_MODULE(VitEmbeddings);

class VitVisionEncoder : public VisionEncoder {
 public:
  explicit VitVisionEncoder(const VisionConfig& config);
  torch::Tensor Features(const torch::Tensor& pixels) override { return MeanHiddenStates(pixels, {}); }

  // bool_masked_pos: undefined, or bool [B, num_patches] (true: the patch's embedding is replaced
  // by mask_token; REQUIRES config().masked_image_modeling). Throws c10::Error on a wrong shape.
  // Mean over the N + 1 hidden states (embeddings output and every layer's), then over tokens.
  torch::Tensor MeanHiddenStates(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos);
  // ViTModel's last_hidden_state: layernorm(encoder output), [B, 1 + num_patches, hidden].
  torch::Tensor LastHiddenState(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos);
  // ViTForMaskedImageModeling's SimMIM loss (a scalar): the decoder (1x1 conv to
  // encoder_stride^2 * channels, PixelShuffle) reconstructs the image from the patch tokens;
  // L1 over the pixels of masked patches / (masked pixel count + 1e-5) / num_channels.
  // REQUIRES config().masked_image_modeling; bool_masked_pos as above (defined).
  torch::Tensor MaskedImageModelingLoss(const torch::Tensor& pixels, const torch::Tensor& bool_masked_pos);

  VitEmbeddings embeddings{nullptr};
  VitEncoder encoder{nullptr};
  torch::nn::LayerNorm layernorm{nullptr};
  torch::nn::Sequential decoder{nullptr};  // Conv2d (decoder.0), PixelShuffle; MIM only
};

// bool [batch, num_patches] with exactly round(ratio * num_patches) true per row, uniformly placed
// (the pretraining mask; ratio in [0, 1]).
torch::Tensor RandomPatchMask(int64_t batch, int64_t num_patches, double ratio, at::Generator& generator);

}  // namespace ecgbench::worker::nn
