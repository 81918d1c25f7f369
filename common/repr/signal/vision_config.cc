// Vision processor presets and the preprocessor_config.json loader (see vision_config.h).
#include "common/repr/signal/vision_config.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

enum class ProcessorClass { kClip, kSiglip, kVit };

absl::Status FieldError(std::string_view what, std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(what), ": field \"", std::string(field), "\" ", std::string(reason)));
}

absl::Status ReadBool(const nlohmann::json& j, std::string_view what, const char* field, bool* out) {
  auto it = j.find(field);
  if (it == j.end()) return absl::OkStatus();
  if (!it->is_boolean()) return FieldError(what, field, "must be true or false");
  *out = it->get<bool>();
  return absl::OkStatus();
}

absl::StatusOr<int> ReadPositiveInt(const nlohmann::json& v, std::string_view what, std::string_view field) {
  if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > 65536) {
    return FieldError(what, field, "must be an integer in [1, 65536]");
  }
  return static_cast<int>(v.get<int64_t>());
}

// {height, width} or an int (square) into *h, *w.
absl::Status ReadHeightWidth(const nlohmann::json& v, std::string_view what, const std::string& field, int* h,
                             int* w) {
  if (v.is_number()) {
    ECGBENCH_ASSIGN_OR_RETURN(*h, ReadPositiveInt(v, what, field));
    *w = *h;
    return absl::OkStatus();
  }
  if (!v.is_object() || !v.contains("height") || !v.contains("width")) {
    return FieldError(what, field, "must be an integer or {\"height\", \"width\"}");
  }
  ECGBENCH_ASSIGN_OR_RETURN(*h, ReadPositiveInt(v["height"], what, field + ".height"));
  ECGBENCH_ASSIGN_OR_RETURN(*w, ReadPositiveInt(v["width"], what, field + ".width"));
  return absl::OkStatus();
}

absl::Status ReadSize(const nlohmann::json& v, ProcessorClass cls, std::string_view what,
                      VisionProcessorConfig* config) {
  const bool clip = cls == ProcessorClass::kClip;
  if (v.is_object() && v.contains("shortest_edge")) {
    if (!clip) return FieldError(what, "size", "{\"shortest_edge\"} is only supported for CLIP processors");
    if (v.size() != 1) return FieldError(what, "size", "must hold only \"shortest_edge\"");
    ECGBENCH_ASSIGN_OR_RETURN(config->shortest_edge, ReadPositiveInt(v["shortest_edge"], what, "size.shortest_edge"));
    config->resize_mode = ResizeMode::kShortestEdge;
    return absl::OkStatus();
  }
  if (v.is_number() && clip) {  // get_size_dict(size, default_to_square=False)
    ECGBENCH_ASSIGN_OR_RETURN(config->shortest_edge, ReadPositiveInt(v, what, "size"));
    config->resize_mode = ResizeMode::kShortestEdge;
    return absl::OkStatus();
  }
  ECGBENCH_RETURN_IF_ERROR(ReadHeightWidth(v, what, "size", &config->height, &config->width));
  config->resize_mode = ResizeMode::kHeightWidth;
  return absl::OkStatus();
}

absl::Status ReadTriple(const nlohmann::json& j, std::string_view what, const char* field, bool positive,
                        std::array<float, 3>* out) {
  auto it = j.find(field);
  if (it == j.end()) return absl::OkStatus();
  std::array<double, 3> v{};
  if (it->is_number()) {
    v.fill(it->get<double>());
  } else if (it->is_array() && it->size() == 3 && (*it)[0].is_number() && (*it)[1].is_number() &&
             (*it)[2].is_number()) {
    for (int c = 0; c < 3; ++c) v[c] = (*it)[c].get<double>();
  } else {
    return FieldError(what, field, "must be a number or a list of 3 numbers");
  }
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(v[c]) || (positive && v[c] <= 0)) {
      return FieldError(what, field, positive ? "must hold finite numbers > 0" : "must hold finite numbers");
    }
    (*out)[c] = static_cast<float>(v[c]);
  }
  return absl::OkStatus();
}

absl::StatusOr<ProcessorClass> ReadClass(const nlohmann::json& j, std::string_view what) {
  for (const char* field : {"image_processor_type", "feature_extractor_type"}) {
    auto it = j.find(field);
    if (it == j.end()) continue;
    if (!it->is_string()) return FieldError(what, field, "must be a string");
    const std::string type = it->get<std::string>();
    if (absl::StartsWith(type, "CLIP")) return ProcessorClass::kClip;
    if (absl::StartsWith(type, "Siglip")) return ProcessorClass::kSiglip;
    if (absl::StartsWith(type, "ViT")) return ProcessorClass::kVit;
    return FieldError(what, field,
                      absl::StrCat("is \"", type, "\"; supported: CLIP*, Siglip*, ViT* image processors"));
  }
  return FieldError(what, "image_processor_type", "is missing (nor is there a feature_extractor_type)");
}

}  // namespace

VisionProcessorConfig ClipPreset() {
  VisionProcessorConfig c;
  c.name = "clip";
  c.resize_mode = ResizeMode::kShortestEdge;
  c.shortest_edge = 224;
  c.resample = ResampleFilter::kBicubic;
  c.do_center_crop = true;
  c.crop_height = c.crop_width = 224;
  c.image_mean = {0.48145466f, 0.4578275f, 0.40821073f};
  c.image_std = {0.26862954f, 0.26130258f, 0.27577711f};
  return c;
}

VisionProcessorConfig SiglipPreset() {
  VisionProcessorConfig c;
  c.name = "siglip";
  c.resample = ResampleFilter::kBicubic;
  return c;
}

VisionProcessorConfig VitPreset() {
  VisionProcessorConfig c;
  c.name = "vit";
  c.resample = ResampleFilter::kBilinear;
  return c;
}

absl::StatusOr<VisionProcessorConfig> VisionPresetByName(std::string_view name) {
  if (name == "clip") return ClipPreset();
  if (name == "siglip") return SiglipPreset();
  if (name == "vit") return VitPreset();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown vision processor preset \"", std::string(name), "\" (expected clip, siglip or vit)"));
}

absl::StatusOr<VisionProcessorConfig> ParsePreprocessorConfig(const nlohmann::json& json, std::string_view what) {
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(std::string(what), ": not a JSON object"));
  ECGBENCH_ASSIGN_OR_RETURN(const ProcessorClass cls, ReadClass(json, what));
  VisionProcessorConfig c = cls == ProcessorClass::kClip     ? ClipPreset()
                            : cls == ProcessorClass::kSiglip ? SiglipPreset()
                                                             : VitPreset();
  c.name = std::string(what);
  ECGBENCH_RETURN_IF_ERROR(ReadBool(json, what, "do_resize", &c.do_resize));
  if (auto it = json.find("size"); it != json.end()) ECGBENCH_RETURN_IF_ERROR(ReadSize(*it, cls, what, &c));
  if (auto it = json.find("resample"); it != json.end()) {
    if (!it->is_number_integer()) return FieldError(what, "resample", "must be a PIL filter code (2 or 3)");
    const int64_t code = it->get<int64_t>();
    auto filter = ResampleFilterFromPil(code >= 0 && code <= 255 ? static_cast<int>(code) : -1);
    if (!filter.ok()) {
      return FieldError(what, "resample", absl::StrCat("is ", it->dump(), "; supported: 2 (BILINEAR), 3 (BICUBIC)"));
    }
    c.resample = *filter;
  }
  ECGBENCH_RETURN_IF_ERROR(ReadBool(json, what, "do_center_crop", &c.do_center_crop));
  if (auto it = json.find("crop_size"); it != json.end() && !it->is_null()) {
    ECGBENCH_RETURN_IF_ERROR(ReadHeightWidth(*it, what, "crop_size", &c.crop_height, &c.crop_width));
  }
  ECGBENCH_RETURN_IF_ERROR(ReadBool(json, what, "do_rescale", &c.do_rescale));
  if (auto it = json.find("rescale_factor"); it != json.end()) {
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      return FieldError(what, "rescale_factor", "must be a finite number");
    }
    c.rescale_factor = it->get<double>();
  }
  ECGBENCH_RETURN_IF_ERROR(ReadBool(json, what, "do_normalize", &c.do_normalize));
  ECGBENCH_RETURN_IF_ERROR(ReadTriple(json, what, "image_mean", false, &c.image_mean));
  ECGBENCH_RETURN_IF_ERROR(ReadTriple(json, what, "image_std", true, &c.image_std));
  bool convert_rgb = true;
  ECGBENCH_RETURN_IF_ERROR(ReadBool(json, what, "do_convert_rgb", &convert_rgb));  // inputs are RGB already
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& key = it.key();
    const bool known = key == "do_resize" || key == "do_center_crop" || key == "do_rescale" ||
                       key == "do_normalize" || key == "do_convert_rgb";
    if (!known && absl::StartsWith(key, "do_") && it->is_boolean() && it->get<bool>()) {
      return FieldError(what, key, "is true, but that step is not supported");
    }
  }
  return c;
}

absl::StatusOr<VisionProcessorConfig> LoadPreprocessorConfig(const std::string& path) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, ParseJson(text, path));
  return ParsePreprocessorConfig(json, path);
}

}  // namespace ecgbench::common::repr
