// config.json for a Llama-family ModelConfig (llama, qwen2, gemma2), in the field names of
// transformers' LlamaConfig / Qwen2Config / Gemma2Config, so that ParseModelConfig and
// transformers' AutoConfig read back the same model. Torch-free; pure function, thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/model_io/model_config.h"

namespace ecgbench::worker::nn {

// InvalidArgument for gpt2 and opt (their decoders are not in worker/nn).
absl::StatusOr<std::string> SerializeLlamaFamilyConfig(const common::model_io::ModelConfig& config);

}  // namespace ecgbench::worker::nn
