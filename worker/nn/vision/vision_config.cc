// config.json <-> VisionConfig (see vision_config.h). Defaults are transformers' class defaults:
// CLIPVisionConfig (768/3072/12/12, image 224, patch 32, quick_gelu, eps 1e-5; CLIPConfig
// projection_dim 512), SiglipVisionConfig (768/3072/12/12, image 224, patch 16, gelu_pytorch_tanh,
// eps 1e-6), ViTConfig (768/3072/12/12, image 224, patch 16, gelu, eps 1e-12, qkv_bias, stride 16).
#include "worker/nn/vision/vision_config.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/model_io/config_fields.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::ConfigFields;

absl::StatusOr<VisionActivation> ParseActivation(const ConfigFields& f, const std::string& name) {
  if (name == "quick_gelu") return VisionActivation::kQuickGelu;
  if (name == "gelu") return VisionActivation::kGelu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast") return VisionActivation::kGeluTanh;
  return f.Error("hidden_act", absl::StrCat("activation \"", name,
                                            "\" is not supported (supported: quick_gelu, gelu, gelu_pytorch_tanh, "
                                            "gelu_new, gelu_fast)"));
}

// The sub-object holding the tower's fields: "vision_config" for CLIP and SigLIP, the top level for ViT.
std::string TowerPrefix(VisionArchitecture arch) { return arch == VisionArchitecture::kVit ? "" : "vision_config."; }

absl::Status FieldError(const std::string& file, const std::string& field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": field \"", field, "\": ", reason));
}

// The tower's fields from `f` (already scoped to vision_config for CLIP / SigLIP).
absl::Status ParseTower(const ConfigFields& f, VisionConfig& c) {
  ECGBENCH_ASSIGN_OR_RETURN(c.image_size, f.Int("image_size", c.image_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.patch_size, f.Int("patch_size", c.patch_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_channels, f.Int("num_channels", c.num_channels));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_size, f.Int("hidden_size", c.hidden_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.intermediate_size, f.Int("intermediate_size", c.intermediate_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_hidden_layers, f.Int("num_hidden_layers", c.num_hidden_layers));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_attention_heads, f.Int("num_attention_heads", c.num_attention_heads));
  ECGBENCH_ASSIGN_OR_RETURN(c.layer_norm_eps, f.Double("layer_norm_eps", c.layer_norm_eps));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_act_name, f.String("hidden_act", c.hidden_act_name));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_act, ParseActivation(f, c.hidden_act_name));
  ECGBENCH_ASSIGN_OR_RETURN(c.initializer_range, f.Double("initializer_range", c.initializer_range));
  return absl::OkStatus();
}

bool ListsArchitecture(const nlohmann::json& json, std::string_view name) {
  const auto it = json.find("architectures");
  if (it == json.end() || !it->is_array()) return false;
  for (const nlohmann::json& a : *it) {
    if (a.is_string() && a.get<std::string>() == name) return true;
  }
  return false;
}

nlohmann::json TowerJson(const VisionConfig& c) {
  return {{"image_size", c.image_size},
          {"patch_size", c.patch_size},
          {"num_channels", c.num_channels},
          {"hidden_size", c.hidden_size},
          {"intermediate_size", c.intermediate_size},
          {"num_hidden_layers", c.num_hidden_layers},
          {"num_attention_heads", c.num_attention_heads},
          {"layer_norm_eps", c.layer_norm_eps},
          {"hidden_act", c.hidden_act_name},
          {"initializer_range", c.initializer_range}};
}

}  // namespace

std::string_view VisionArchitectureName(VisionArchitecture arch) {
  switch (arch) {
    case VisionArchitecture::kClip: return "clip";
    case VisionArchitecture::kSiglip: return "siglip";
    case VisionArchitecture::kVit: return "vit";
  }
  return "unknown";
}

VisionConfig DefaultVisionConfig(VisionArchitecture arch) {
  VisionConfig c;
  c.architecture = arch;
  c.model_type = std::string(VisionArchitectureName(arch));
  switch (arch) {
    case VisionArchitecture::kClip:
      c.patch_size = 32;
      c.layer_norm_eps = 1e-5;
      c.hidden_act = VisionActivation::kQuickGelu;
      c.hidden_act_name = "quick_gelu";
      break;
    case VisionArchitecture::kSiglip:
      c.layer_norm_eps = 1e-6;
      c.hidden_act = VisionActivation::kGeluTanh;
      c.hidden_act_name = "gelu_pytorch_tanh";
      break;
    case VisionArchitecture::kVit: break;
  }
  return c;
}

absl::Status ValidateVisionConfig(const VisionConfig& c, const std::string& file) {
  const std::string p = TowerPrefix(c.architecture);
  const std::pair<const char*, int64_t> sizes[] = {
      {"image_size", c.image_size}, {"patch_size", c.patch_size}, {"num_channels", c.num_channels},
      {"hidden_size", c.hidden_size}, {"intermediate_size", c.intermediate_size},
      {"num_hidden_layers", c.num_hidden_layers}, {"num_attention_heads", c.num_attention_heads}};
  for (const auto& [key, value] : sizes) {
    if (value <= 0) return FieldError(file, p + key, absl::StrCat("must be a positive integer, got ", value));
  }
  if (c.image_size % c.patch_size != 0) {
    return FieldError(file, p + "patch_size",
                      absl::StrCat(c.patch_size, " does not divide image_size ", c.image_size));
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    return FieldError(file, p + "num_attention_heads",
                      absl::StrCat(c.num_attention_heads, " does not divide hidden_size ", c.hidden_size));
  }
  if (!(c.layer_norm_eps > 0)) {
    return FieldError(file, p + "layer_norm_eps", absl::StrCat("must be positive, got ", c.layer_norm_eps));
  }
  if (c.architecture == VisionArchitecture::kClip && c.projection_dim <= 0) {
    return FieldError(file, "projection_dim", absl::StrCat("must be a positive integer, got ", c.projection_dim));
  }
  if (c.architecture == VisionArchitecture::kVit && c.masked_image_modeling && c.encoder_stride != c.patch_size) {
    return FieldError(file, "encoder_stride",
                      absl::StrCat("must equal patch_size ", c.patch_size,
                                   " for masked image modeling (the SimMIM decoder upsamples by it), got ",
                                   c.encoder_stride));
  }
  return absl::OkStatus();
}

absl::StatusOr<VisionConfig> ParseVisionConfig(std::string_view json_text, std::string_view file_name) {
  const std::string file(file_name);
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, common::ParseJson(json_text, file));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": must be a JSON object"));
  const ConfigFields top(json, file);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string model_type, top.String("model_type"));
  VisionConfig c;
  if (model_type == "clip") {
    c = DefaultVisionConfig(VisionArchitecture::kClip);
  } else if (model_type == "siglip") {
    c = DefaultVisionConfig(VisionArchitecture::kSiglip);
  } else if (model_type == "vit") {
    c = DefaultVisionConfig(VisionArchitecture::kVit);
  } else {
    return top.Error("model_type", absl::StrCat("\"", model_type, "\" is not a supported vision encoder (supported: "
                                                "clip, siglip, vit)"));
  }
  if (c.architecture == VisionArchitecture::kVit) {
    ECGBENCH_RETURN_IF_ERROR(ParseTower(top, c));
    ECGBENCH_ASSIGN_OR_RETURN(c.qkv_bias, top.Bool("qkv_bias", c.qkv_bias));
    ECGBENCH_ASSIGN_OR_RETURN(c.encoder_stride, top.Int("encoder_stride", c.encoder_stride));
    c.masked_image_modeling = ListsArchitecture(json, "ViTForMaskedImageModeling");
  } else {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    const nlohmann::json* sub = top.Find("vision_config");
    if (sub != nullptr && !sub->is_object()) return top.Error("vision_config", "must be an object or null");
    const ConfigFields tower(sub != nullptr ? *sub : kEmpty, file, "vision_config.");
    ECGBENCH_RETURN_IF_ERROR(ParseTower(tower, c));
    if (c.architecture == VisionArchitecture::kClip) {
      ECGBENCH_ASSIGN_OR_RETURN(c.projection_dim, top.Int("projection_dim", c.projection_dim));
    } else {
      ECGBENCH_ASSIGN_OR_RETURN(const bool use_head, tower.Bool("vision_use_head", true));
      if (!use_head) {
        return tower.Error("vision_use_head", "false is not supported: SiglipModel's image_embeds come from the "
                                              "attention-pooling head");
      }
    }
  }
  ECGBENCH_RETURN_IF_ERROR(ValidateVisionConfig(c, file));
  return c;
}

absl::StatusOr<VisionConfig> LoadVisionConfig(const std::string& path) {
  const std::string file =
      std::filesystem::is_directory(path) ? (std::filesystem::path(path) / "config.json").string() : path;
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(file));
  return ParseVisionConfig(text, file);
}

absl::StatusOr<std::string> SerializeVisionConfig(const VisionConfig& c) {
  ECGBENCH_RETURN_IF_ERROR(ValidateVisionConfig(c));
  nlohmann::json json;
  switch (c.architecture) {
    case VisionArchitecture::kClip: {
      nlohmann::json tower = TowerJson(c);
      tower["model_type"] = "clip_vision_model";
      tower["projection_dim"] = c.projection_dim;
      json = {{"architectures", {"CLIPModel"}}, {"model_type", "clip"}, {"projection_dim", c.projection_dim},
              {"logit_scale_init_value", 2.6592}, {"vision_config", tower}};
      break;
    }
    case VisionArchitecture::kSiglip: {
      nlohmann::json tower = TowerJson(c);
      tower["model_type"] = "siglip_vision_model";
      tower["vision_use_head"] = true;
      json = {{"architectures", {"SiglipModel"}}, {"model_type", "siglip"}, {"vision_config", tower}};
      break;
    }
    case VisionArchitecture::kVit:
      json = TowerJson(c);
      json["architectures"] = {c.masked_image_modeling ? "ViTForMaskedImageModeling" : "ViTModel"};
      json["model_type"] = "vit";
      json["qkv_bias"] = c.qkv_bias;
      json["encoder_stride"] = c.encoder_stride;
      json["hidden_dropout_prob"] = 0.0;
      json["attention_probs_dropout_prob"] = 0.0;
      break;
  }
  json["torch_dtype"] = "float32";
  return json.dump(2) + "\n";
}

}  // namespace ecgbench::worker::nn
