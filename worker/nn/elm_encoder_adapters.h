// The ECG and vision encoders as ELM encoders (elm.h's ElmEncoder), the way the train stage, the
// evaluate stage and the chat build LLaVA-style ELMs:
//   ECG encoders (ST-MEM, MTAE, MLAE, MERL)  Embed(input, tokens): `tokens` vectors per ECG
//   vision encoders (CLIP, SigLIP, ViT)      one pooled vector per image: one token
// Header-only: its users link the encoder libraries (worker/nn/ecg_encoders, worker/nn/vision).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "worker/nn/ecg_encoders/ecg_encoder.h"
#include "worker/nn/elm.h"
#include "worker/nn/vision/vision_encoder.h"

namespace ecgbench::worker::nn {

class EcgElmEncoder final : public ElmEncoder {
 public:
  EcgElmEncoder(std::shared_ptr<EcgEncoder> encoder, int64_t tokens) : encoder_(std::move(encoder)), tokens_(tokens) {}
  torch::nn::Module& module() override { return *encoder_; }
  torch::Tensor Encode(const torch::Tensor& input) override { return encoder_->Embed(input, tokens_); }
  int64_t output_dim() const override { return encoder_->embed_dim(); }
  int64_t num_tokens() const override { return tokens_; }

 private:
  std::shared_ptr<EcgEncoder> encoder_;
  int64_t tokens_;
};

class VisionElmEncoder final : public ElmEncoder {
 public:
  explicit VisionElmEncoder(std::shared_ptr<VisionEncoder> encoder) : encoder_(std::move(encoder)) {}
  torch::nn::Module& module() override { return *encoder_; }
  torch::Tensor Encode(const torch::Tensor& input) override { return encoder_->Embed(input).unsqueeze(1); }
  int64_t output_dim() const override { return encoder_->embed_dim(); }
  int64_t num_tokens() const override { return 1; }

 private:
  std::shared_ptr<VisionEncoder> encoder_;
};

}  // namespace ecgbench::worker::nn
