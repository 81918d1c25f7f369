// One interface over the five causal-LM architectures (Llama 3.x, Qwen2/2.5 and Gemma 2 in
// causal_lm.h; GPT-2 and OPT in gpt2_opt.h), so that generation, LoRA, token-embedding resizing,
// the ELMs and the training loop are written once. A LanguageModel shares its module with the
// holder it was made from (CausalLM, Gpt2LMHeadModel, OptForCausalLM): both see the same weights.
//
// Errors: Create/Load/Save return absl::Status naming the file, field or tensor. Forward and friends
// throw c10::Error on shape violations (callers at module boundaries catch it).
// Thread-safety: none (one model per thread, or external locking).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/dtype.h"
#include "common/model_io/model_config.h"
#include "worker/nn/causal_lm.h"
#include "worker/nn/gpt2_opt.h"
#include "worker/nn/layers.h"

namespace ecgbench::worker::nn {

// A projection LoRA may adapt (lora.h): its Hugging Face module path, the base weight, whether the
// weight is stored [in, out] (GPT-2's Conv1D; PEFT's fan_in_fan_out), and the hook slot the layer
// consults, owned by `owner`.
struct LoraSite {
  std::string path;
  torch::Tensor weight;
  bool fan_in_fan_out = false;
  std::shared_ptr<torch::nn::Module> owner;
  std::shared_ptr<ProjectionHook>* slot = nullptr;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;

  // The underlying module: parameters (Hugging Face names), train()/eval(), to(device).
  virtual torch::nn::Module& module() = 0;
  virtual const common::model_io::ModelConfig& config() const = 0;

  // Final hidden states [B, L, embedding_dim()] (after the last norm / OPT's project_out).
  virtual torch::Tensor Hidden(const DecoderInputs& inputs, KvCache* cache) = 0;
  // Hidden states -> logits [.., vocab] (lm_head or the tied embeddings; Gemma 2's soft-capping).
  virtual torch::Tensor Logits(const torch::Tensor& hidden) = 0;
  torch::Tensor Forward(const DecoderInputs& inputs, KvCache* cache = nullptr) {
    return Logits(Hidden(inputs, cache));
  }
  // Token embeddings of `ids` [B, L] as the model's first layer sees them before its own scaling
  // (Gemma 2 scales ids and embeddings alike inside forward).
  virtual torch::Tensor EmbedTokens(const torch::Tensor& ids) = 0;
  // Width of EmbedTokens / inputs_embeds: hidden_size (OPT: word_embed_proj_dim).
  virtual int64_t embedding_dim() const = 0;
  KvCache NewCache() const { return KvCache(config().num_hidden_layers); }

  // The token-embedding module and the untied output projection (nullptr when tied).
  virtual torch::nn::Embedding& token_embeddings() = 0;
  virtual torch::nn::Linear* lm_head() = 0;
  // Records a new vocabulary size after the embeddings were resized (token_embeddings.h).
  virtual void SetVocabSize(int64_t vocab_size) = 0;

  // config.json + model.safetensors in Hugging Face's layout (SaveCausalLM of the family's *_io.h).
  virtual absl::Status Save(const std::string& dir,
                            common::model_io::DType dtype = common::model_io::DType::kF32) = 0;
  // Seeded random weights for tests and benchmarks (RandomInit of the family's *_io.h).
  virtual void RandomInit(uint64_t seed, double stddev) = 0;

  // Every projection LoRA may adapt, layer by layer, in q k v o gate up down order (GPT-2: c_attn,
  // attn.c_proj, mlp.c_fc, mlp.c_proj; OPT: q k v out_proj fc1 fc2).
  virtual std::vector<LoraSite> LoraSites() = 0;
};

// Views of existing holders (the module is shared, not copied).
std::unique_ptr<LanguageModel> AsLanguageModel(CausalLM model);
std::unique_ptr<LanguageModel> AsLanguageModel(Gpt2LMHeadModel model);
std::unique_ptr<LanguageModel> AsLanguageModel(OptForCausalLM model);

// By config.architecture; InvalidArgument naming the model_type when unsupported.
absl::StatusOr<std::unique_ptr<LanguageModel>> CreateLanguageModel(const common::model_io::ModelConfig& config);
// `dir`/config.json and its weights (model.safetensors or a sharded index), float32 on CPU.
absl::StatusOr<std::unique_ptr<LanguageModel>> LoadLanguageModel(const std::string& dir);

}  // namespace ecgbench::worker::nn
