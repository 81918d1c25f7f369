// Creating, loading, saving and randomly initialising vision encoders (see vision_encoder.h).
#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/nn/parameter_io.h"
#include "worker/nn/vision/vision_encoder.h"
#include "worker/nn/vision/vision_models.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Checkpoint;
using common::model_io::DType;
using common::model_io::TensorView;

constexpr char kVitMimPrefix[] = "vit.";

// ViTForMaskedImageModeling stores the ViTModel under "vit." and its decoder at the top level.
std::string CheckpointName(const std::string& parameter, const std::string& prefix) {
  if (prefix.empty() || absl::StartsWith(parameter, "decoder.")) return parameter;
  return prefix + parameter;
}

std::string CheckpointPrefix(const VisionConfig& c, const Checkpoint& checkpoint) {
  return c.architecture == VisionArchitecture::kVit && checkpoint.Contains("vit.embeddings.cls_token") ? kVitMimPrefix
                                                                                                        : "";
}

// Tensors of the parts we do not build (text towers, the ViT pooler and classifier) and
// non-persistent buffers older transformers versions saved.
bool IgnoredTensor(const VisionConfig& c, const std::string& name, const std::string& prefix) {
  switch (c.architecture) {
    case VisionArchitecture::kClip:
      return absl::StartsWith(name, "text_model.") || name == "text_projection.weight" || name == "logit_scale" ||
             name == "vision_model.embeddings.position_ids";
    case VisionArchitecture::kSiglip:
      return absl::StartsWith(name, "text_model.") || name == "logit_scale" || name == "logit_bias" ||
             name == "vision_model.embeddings.position_ids";
    case VisionArchitecture::kVit:
      return absl::StartsWith(name, prefix + "pooler.") || absl::StartsWith(name, "classifier.");
  }
  return false;
}

bool IsMimPart(const std::string& parameter) {
  return parameter == "embeddings.mask_token" || absl::StartsWith(parameter, "decoder.");
}

std::string Describe(const VisionConfig& c) { return absl::StrCat(c.model_type, " vision encoder"); }

// transformers' ViT init for the parts a ViTModel checkpoint lacks: mask_token zeros, Conv2d weight
// ~ trunc_normal(0, initializer_range) (truncated at +-2, i.e. ~100 std out: a plain normal here),
// bias zeros.
void InitMimPart(const std::string& parameter, torch::Tensor param, double stddev, at::Generator& generator) {
  if (absl::EndsWith(parameter, ".weight") && absl::StartsWith(parameter, "decoder.")) {
    torch::Tensor values = torch::empty(param.sizes(), torch::kFloat);
    values.normal_(0.0, stddev, generator);
    param.copy_(values);
  } else {
    param.zero_();
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<VisionEncoder>> CreateVisionEncoder(const VisionConfig& config) {
  ECGBENCH_RETURN_IF_ERROR(ValidateVisionConfig(config));
  switch (config.architecture) {
    case VisionArchitecture::kClip: return std::shared_ptr<VisionEncoder>(std::make_shared<ClipVisionEncoder>(config));
    case VisionArchitecture::kSiglip:
      return std::shared_ptr<VisionEncoder>(std::make_shared<SiglipVisionEncoder>(config));
    case VisionArchitecture::kVit: return std::shared_ptr<VisionEncoder>(std::make_shared<VitVisionEncoder>(config));
  }
  return absl::InvalidArgumentError("CreateVisionEncoder: unknown architecture");
}

absl::StatusOr<std::shared_ptr<VisionEncoder>> LoadVisionEncoder(const std::string& dir,
                                                                 const VisionLoadOptions& options) {
  ECGBENCH_ASSIGN_OR_RETURN(VisionConfig config, LoadVisionConfig(dir));
  ECGBENCH_ASSIGN_OR_RETURN(const Checkpoint checkpoint, Checkpoint::OpenDirectory(dir));
  if (config.architecture == VisionArchitecture::kVit &&
      (options.masked_image_modeling || checkpoint.Contains("vit.embeddings.mask_token") ||
       checkpoint.Contains("embeddings.mask_token"))) {
    config.masked_image_modeling = true;
    ECGBENCH_RETURN_IF_ERROR(ValidateVisionConfig(config, (std::filesystem::path(dir) / "config.json").string()));
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<VisionEncoder> encoder, CreateVisionEncoder(config));
  ECGBENCH_RETURN_IF_ERROR(LoadVisionWeights(*encoder, checkpoint, options));
  encoder->eval();
  return encoder;
}

absl::Status LoadVisionWeights(VisionEncoder& encoder, const Checkpoint& checkpoint, const VisionLoadOptions& options) {
  torch::NoGradGuard no_grad;
  const VisionConfig& c = encoder.config();
  const std::string prefix = CheckpointPrefix(c, checkpoint);
  // A plain ViTModel checkpoint loaded for masked image modeling: the MIM parts start fresh.
  const bool fresh_mim = c.architecture == VisionArchitecture::kVit && c.masked_image_modeling &&
                         options.masked_image_modeling && !checkpoint.Contains(prefix + "embeddings.mask_token") &&
                         !checkpoint.Contains("decoder.0.weight");
  at::Generator generator = at::detail::createCPUGenerator(options.init_seed);
  absl::flat_hash_set<std::string> expected;
  for (const auto& item : encoder.named_parameters(/*recurse=*/true)) {
    const std::string name = CheckpointName(item.key(), prefix);
    expected.insert(name);
    if (fresh_mim && IsMimPart(item.key())) {
      InitMimPart(item.key(), item.value(), c.initializer_range, generator);
      continue;
    }
    absl::StatusOr<TensorView> view = checkpoint.Tensor(name);
    if (!view.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint lacks tensor '", name, "' (the ", Describe(c),
                                                     " expects shape ", ShapeText(item.value().sizes().vec()),
                                                     "): ", view.status().message()));
    }
    ECGBENCH_RETURN_IF_ERROR(CopyTensorIntoParameter(*view, name, item.value()));
  }
  if (fresh_mim) {
    spdlog::warn("vit: the checkpoint has no masked-image-modeling weights; embeddings.mask_token and decoder.0.* "
                 "start fresh (seed {}), as transformers initialises them",
                 options.init_seed);
  }
  std::vector<std::string> unexpected;
  size_t unexpected_count = 0;
  for (const std::string& name : checkpoint.TensorNames()) {
    if (expected.contains(name) || IgnoredTensor(c, name, prefix)) continue;
    if (++unexpected_count > 5) continue;
    absl::StatusOr<TensorView> view = checkpoint.Tensor(name);
    absl::StatusOr<std::string> shard = checkpoint.ShardOf(name);
    unexpected.push_back(absl::StrCat("'", name, "' ", view.ok() ? ShapeText(view->shape) : std::string("[?]"),
                                      " in ", shard.ok() ? *shard : std::string("?")));
  }
  if (unexpected_count > 0) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint has ", unexpected_count, " tensor(s) the ", Describe(c),
                                                   " does not have: ", absl::StrJoin(unexpected, ", "),
                                                   unexpected_count > unexpected.size() ? ", ..." : ""));
  }
  return absl::OkStatus();
}

absl::Status SaveVisionEncoder(VisionEncoder& encoder, const std::string& dir, DType dtype) {
  if (!common::model_io::IsFloatingWeightDType(dtype)) {
    return absl::InvalidArgumentError(absl::StrCat("SaveVisionEncoder: dtype ",
                                                   std::string(common::model_io::DTypeName(dtype)),
                                                   " is not F32, F16 or BF16"));
  }
  const VisionConfig& c = encoder.config();
  ECGBENCH_ASSIGN_OR_RETURN(const std::string config_text, SerializeVisionConfig(c));
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir));
  const std::string prefix =
      c.architecture == VisionArchitecture::kVit && c.masked_image_modeling ? kVitMimPrefix : "";
  common::model_io::SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "pt"));
  for (const auto& item : encoder.named_parameters(/*recurse=*/true)) {
    const torch::Tensor values = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    ECGBENCH_RETURN_IF_ERROR(writer.AddFloat32(
        CheckpointName(item.key(), prefix), values.sizes().vec(),
        absl::Span<const float>(values.data_ptr<float>(), static_cast<size_t>(values.numel())), dtype));
  }
  const std::filesystem::path base(dir);
  ECGBENCH_RETURN_IF_ERROR(writer.Write((base / common::model_io::kSafetensorsSingleName).string()));
  return common::WriteFileAtomic((base / "config.json").string(), config_text);
}

void RandomInit(VisionEncoder& encoder, uint64_t seed, double stddev) {
  torch::NoGradGuard no_grad;
  at::Generator generator = at::detail::createCPUGenerator(seed);
  for (const auto& item : encoder.named_parameters(/*recurse=*/true)) {
    torch::Tensor values = torch::empty(item.value().sizes(), torch::kFloat);
    values.normal_(0.0, stddev, generator);
    item.value().copy_(values);
  }
  for (const auto& item : encoder.named_modules()) {
    if (auto* norm = item.value()->as<torch::nn::LayerNorm>(); norm != nullptr) norm->weight.add_(1.0);
  }
}

}  // namespace ecgbench::worker::nn
