// Moving one checkpoint tensor into a model parameter, shared by every model's loader (Llama
// family, GPT-2, OPT, LoRA adapters): the shape check with an error naming the tensor and both
// shapes, and the converting read (F32, F16 or BF16 in the file) straight into the parameter's
// float32 storage (through one staging tensor only when the parameter is not a contiguous CPU
// float32 tensor). Thread-safety: none (the parameter is written).
#pragma once

#include <torch/torch.h>

#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/model_io/safetensors_file.h"

namespace ecgbench::worker::nn {

// "[2, 3]".
std::string ShapeText(absl::Span<const int64_t> shape);

// InvalidArgument "checkpoint tensor 'NAME' has shape [..], the model expects [..]" on a shape
// mismatch; the conversion's errors otherwise.
absl::Status CopyTensorIntoParameter(const common::model_io::TensorView& view, const std::string& name,
                                     torch::Tensor param);

}  // namespace ecgbench::worker::nn
