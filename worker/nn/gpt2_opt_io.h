// Creating, loading, saving and randomly initialising GPT-2 and OPT causal LMs (gpt2_opt.h) from
// Hugging Face checkpoint directories: config.json + model.safetensors or a sharded index.
//
// Loading converts each tensor (F32, F16 or BF16, via model_io's converting reads) into the
// parameter's float32 storage. Names: the model's own (transformer.h.0..., model.decoder...), or
// the same without the base-model prefix ("transformer." / "model."), as the hub's GPT-2 and OPT
// checkpoints store them (transformers accepts both). Every parameter must be present with its
// exact shape; checkpoint tensors the model lacks are errors, except those transformers ignores:
// lm_head.weight of a tied model and GPT-2's causal-mask buffers (h.N.attn.bias, attn.masked_bias).
// Errors name the checkpoint, the tensor and the shapes. Thread-safety: none (the model is mutated).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/checkpoint.h"
#include "common/model_io/dtype.h"
#include "common/model_io/model_config.h"
#include "worker/nn/gpt2_opt.h"

namespace ecgbench::worker::nn {

// InvalidArgument naming the model_type when it is not gpt2 / opt.
absl::StatusOr<Gpt2LMHeadModel> CreateGpt2(const common::model_io::ModelConfig& config);
absl::StatusOr<OptForCausalLM> CreateOpt(const common::model_io::ModelConfig& config);
// `dir`/config.json and its weights, float32 on CPU.
absl::StatusOr<Gpt2LMHeadModel> LoadGpt2(const std::string& dir);
absl::StatusOr<OptForCausalLM> LoadOpt(const std::string& dir);
absl::Status LoadWeights(Gpt2LMHeadModel& model, const common::model_io::Checkpoint& checkpoint);
absl::Status LoadWeights(OptForCausalLM& model, const common::model_io::Checkpoint& checkpoint);

// Writes `dir`/model.safetensors (F32, F16 or BF16; no lm_head.weight when tied) and
// `dir`/config.json (SerializeGpt2OptConfig, torch_dtype per `dtype`), each atomically.
absl::Status SaveCausalLM(Gpt2LMHeadModel& model, const std::string& dir,
                          common::model_io::DType dtype = common::model_io::DType::kF32);
absl::Status SaveCausalLM(OptForCausalLM& model, const std::string& dir,
                          common::model_io::DType dtype = common::model_io::DType::kF32);

// Seeded random weights: weights, biases and embeddings ~ N(0, stddev^2), LayerNorm weights
// 1 + N(0, stddev^2); OPT's padding_idx row of embed_tokens zero (as transformers initialises it).
void RandomInit(Gpt2LMHeadModel& model, uint64_t seed, double stddev);
void RandomInit(OptForCausalLM& model, uint64_t seed, double stddev);

// config.json in the field names of transformers' GPT2Config / OPTConfig (ParseModelConfig and
// AutoConfig read back the same model); InvalidArgument for other architectures. Torch-free.
absl::StatusOr<std::string> SerializeGpt2OptConfig(const common::model_io::ModelConfig& config,
                                                   const std::string& torch_dtype = "float32");

}  // namespace ecgbench::worker::nn
