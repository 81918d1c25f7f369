// Llama-family causal LMs from and to Hugging Face checkpoint directories; seeded random init
// (see causal_lm_io.h).
#include "worker/nn/causal_lm_io.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "worker/nn/config_json.h"
#include "worker/nn/parameter_io.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Architecture;
using common::model_io::Checkpoint;
using common::model_io::DType;
using common::model_io::ModelConfig;
using common::model_io::TensorView;


bool IgnoredCheckpointTensor(const std::string& name, bool tied) {
  return (tied && name == "lm_head.weight") || absl::EndsWith(name, "rotary_emb.inv_freq");
}

}  // namespace

absl::StatusOr<CausalLM> CreateCausalLM(const ModelConfig& config) {
  if (config.architecture != Architecture::kLlama && config.architecture != Architecture::kQwen2 &&
      config.architecture != Architecture::kGemma2) {
    return absl::InvalidArgumentError(absl::StrCat("model_type '", config.model_type,
                                                   "': not a Llama-family decoder (llama, qwen2, gemma2)"));
  }
  return CausalLM(config);
}

absl::StatusOr<CausalLM> LoadCausalLM(const std::string& dir) {
  ECGBENCH_ASSIGN_OR_RETURN(const ModelConfig config, common::model_io::LoadModelConfig(dir));
  ECGBENCH_ASSIGN_OR_RETURN(const Checkpoint checkpoint, Checkpoint::OpenDirectory(dir));
  ECGBENCH_ASSIGN_OR_RETURN(CausalLM model, CreateCausalLM(config));
  ECGBENCH_RETURN_IF_ERROR(LoadWeights(model, checkpoint));
  return model;
}

absl::Status LoadWeights(CausalLM& model, const Checkpoint& checkpoint) {
  torch::NoGradGuard no_grad;
  const auto params = model->named_parameters(/*recurse=*/true);
  for (const auto& item : params) {
    const std::string& name = item.key();
    torch::Tensor param = item.value();
    absl::StatusOr<TensorView> view = checkpoint.Tensor(name);
    if (!view.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint lacks parameter '", name, "' (shape ",
                                                     ShapeText(param.sizes().vec()), "): ", view.status().message()));
    }
    ECGBENCH_RETURN_IF_ERROR(CopyTensorIntoParameter(*view, name, param));
  }
  const bool tied = model->config().tie_word_embeddings;
  std::vector<std::string> unexpected;
  for (const std::string& name : checkpoint.TensorNames()) {
    if (params.find(name) == nullptr && !IgnoredCheckpointTensor(name, tied)) unexpected.push_back(name);
  }
  if (!unexpected.empty()) {
    if (unexpected.size() > 5) unexpected.resize(5);
    return absl::InvalidArgumentError(absl::StrCat("checkpoint has tensors the ", model->config().model_type,
                                                   " model does not: ", absl::StrJoin(unexpected, ", ")));
  }
  return absl::OkStatus();
}

absl::Status SaveCausalLM(CausalLM& model, const std::string& dir, DType dtype) {
  if (!common::model_io::IsFloatingWeightDType(dtype)) {
    return absl::InvalidArgumentError(absl::StrCat("SaveCausalLM: dtype ", std::string(common::model_io::DTypeName(dtype)),
                                                   " is not F32, F16 or BF16"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::string config_text, SerializeLlamaFamilyConfig(model->config()));
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir));
  common::model_io::SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "pt"));
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    const torch::Tensor values = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    ECGBENCH_RETURN_IF_ERROR(writer.AddFloat32(
        item.key(), values.sizes().vec(),
        absl::Span<const float>(values.data_ptr<float>(), static_cast<size_t>(values.numel())), dtype));
  }
  const std::filesystem::path base(dir);
  ECGBENCH_RETURN_IF_ERROR(writer.Write((base / common::model_io::kSafetensorsSingleName).string()));
  return common::WriteFileAtomic((base / "config.json").string(), config_text);
}

void RandomInit(CausalLM& model, uint64_t seed, double stddev) {
  torch::NoGradGuard no_grad;
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const bool gemma = model->config().gemma2() != nullptr;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    torch::Tensor param = item.value();
    torch::Tensor values = torch::empty(param.sizes(), torch::kFloat);
    values.normal_(0.0, stddev, generator);
    if (absl::EndsWith(item.key(), "norm.weight") && !gemma) values.add_(1.0);
    param.copy_(values);
  }
}

}  // namespace ecgbench::worker::nn
