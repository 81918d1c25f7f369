// Creating, loading, saving and randomly initialising Llama-family causal LMs (causal_lm.h) from
// Hugging Face checkpoint directories: config.json + model.safetensors or a sharded index.
//
// Loading converts each tensor (F32, F16 or BF16 in the file, via model_io's converting reads)
// straight into the parameter's float32 storage: peak memory is the model plus the page cache of
// the mapped shards. Every parameter must be present with its exact shape; tensors the model does
// not have are errors too, except those transformers also ignores (lm_head.weight of a tied
// model, rotary_emb.inv_freq buffers of old checkpoints). Errors name the checkpoint, the tensor
// and the shapes. Thread-safety: none (the model is mutated).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/checkpoint.h"
#include "common/model_io/dtype.h"
#include "common/model_io/model_config.h"
#include "worker/nn/causal_lm.h"

namespace ecgbench::worker::nn {

// InvalidArgument naming the model_type when it is not llama, qwen2 or gemma2.
absl::StatusOr<CausalLM> CreateCausalLM(const common::model_io::ModelConfig& config);
// `dir`/config.json and its weights, float32 on CPU.
absl::StatusOr<CausalLM> LoadCausalLM(const std::string& dir);
absl::Status LoadWeights(CausalLM& model, const common::model_io::Checkpoint& checkpoint);
// Writes `dir`/model.safetensors (parameters stored as `dtype`: F32, F16 or BF16; a tied lm_head
// is not written, as transformers does) and `dir`/config.json, each atomically; creates `dir`.
absl::Status SaveCausalLM(CausalLM& model, const std::string& dir,
                          common::model_io::DType dtype = common::model_io::DType::kF32);
// Seeded random weights for tests and benchmarks: every weight and bias ~ N(0, stddev^2); RMSNorm
// weights 1 + N(0, stddev^2) (Gemma's offset form: N(0, stddev^2)). Same seed, same weights.
void RandomInit(CausalLM& model, uint64_t seed, double stddev);

}  // namespace ecgbench::worker::nn
