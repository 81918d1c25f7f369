// Parsing of the spec's representation section (stage params) into RepresentationOptions.
#include "common/repr/batch/representation_options.h"

#include <cmath>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/repr/ecg_byte/tokenizer_file.h"
#include "common/repr/signal/percentile_stats.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::repr {
namespace {

constexpr char kKindList[] = "signal|stacked_signal|image|token|features";

// The same error code with "<field>: " in front of the message.
absl::Status Prefixed(const absl::Status& status, std::string_view field) {
  return absl::Status(status.code(), absl::StrCat(std::string(field), ": ", status.message()));
}

absl::Status TypeError(std::string_view field, std::string_view expected, const nlohmann::json& got) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": expected ", std::string(expected), ", got ", got.dump()));
}

// json[key] when present and not null, else nullptr. `json` must be an object.
const nlohmann::json* Find(const nlohmann::json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> GetString(const nlohmann::json& json, const char* key, std::string_view field,
                                      std::string fallback) {
  const nlohmann::json* v = Find(json, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) return TypeError(field, "a string", *v);
  return v->get<std::string>();
}

absl::StatusOr<bool> GetBool(const nlohmann::json& json, const char* key, std::string_view field, bool fallback) {
  const nlohmann::json* v = Find(json, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return TypeError(field, "a boolean", *v);
  return v->get<bool>();
}

// A sub-object (absent or null: an empty object).
absl::StatusOr<nlohmann::json> GetObject(const nlohmann::json& json, const char* key, std::string_view field) {
  const nlohmann::json* v = Find(json, key);
  if (v == nullptr) return nlohmann::json::object();
  if (!v->is_object()) return TypeError(field, "an object", *v);
  return *v;
}

// Sets options->normalizer, or options->zscore for "zscore" (kind signal only; options->kind set).
absl::Status ParseNormalization(const nlohmann::json& rep, const RepresentationArtifacts& artifacts,
                                RepresentationOptions* options) {
  constexpr char kField[] = "representation.normalization";
  ECGBENCH_ASSIGN_OR_RETURN(const std::string name, GetString(rep, "normalization", kField, "minmax"));
  if (name == "zscore") {
    if (options->kind != RepresentationKind::kSignal) {
      return absl::InvalidArgumentError(absl::StrCat(kField, ": zscore is for kind signal only (",
                                                     std::string(RepresentationKindName(options->kind)),
                                                     " needs values in [0, 1]: minmax or percentile)"));
    }
    options->zscore = true;
    return absl::OkStatus();
  }
  if (name != "percentile") {
    auto parsed = Normalizer::Parse(name);
    if (!parsed.ok()) return Prefixed(parsed.status(), kField);
    options->normalizer = *std::move(parsed);
    return absl::OkStatus();
  }
  if (artifacts.percentiles_path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kField, ": percentile needs the dataset percentiles (percentiles.json), and no percentiles file was given"));
  }
  auto stats = LoadPercentileStats(artifacts.percentiles_path);
  if (!stats.ok()) return Prefixed(stats.status(), kField);
  options->normalizer = Normalizer::Percentile(*stats);
  return absl::OkStatus();
}

// The vision processor of a stacked_signal / image representation (see RepresentationArtifacts).
absl::StatusOr<VisionProcessorConfig> ParseVision(const nlohmann::json& rep, std::string_view kind,
                                                  const RepresentationArtifacts& artifacts) {
  if (!artifacts.vision_config_path.empty()) {
    auto config = LoadPreprocessorConfig(artifacts.vision_config_path);
    if (!config.ok()) return Prefixed(config.status(), "representation.encoder");
    return config;
  }
  // encoder: a name, or {name, path, pretrain}.
  std::string name, path;
  if (const nlohmann::json* enc = Find(rep, "encoder"); enc != nullptr) {
    if (enc->is_string()) {
      name = enc->get<std::string>();
    } else if (enc->is_object()) {
      ECGBENCH_ASSIGN_OR_RETURN(name, GetString(*enc, "name", "representation.encoder.name", ""));
      ECGBENCH_ASSIGN_OR_RETURN(path, GetString(*enc, "path", "representation.encoder.path", ""));
    } else {
      return TypeError("representation.encoder", "a name or an object", *enc);
    }
  }
  if (!path.empty()) {
    const std::string file = (std::filesystem::path(path) / "preprocessor_config.json").string();
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) {
      auto config = LoadPreprocessorConfig(file);
      if (!config.ok()) return Prefixed(config.status(), "representation.encoder.path");
      return config;
    }
  }
  if (name == "clip" || name == "siglip" || name == "vit") return VisionPresetByName(name);
  return absl::InvalidArgumentError(absl::StrCat(
      "representation.encoder: kind ", std::string(kind),
      " needs a vision processor: encoder.name clip|siglip|vit, encoder.path a model directory with "
      "preprocessor_config.json, or a preprocessor config file; got name \"",
      name, "\" and path \"", path, "\""));
}

absl::StatusOr<std::shared_ptr<const EcgByteTokenizer>> ParseTokenizer(const nlohmann::json& rep,
                                                                       const RepresentationArtifacts& artifacts) {
  constexpr char kField[] = "representation.ecg_byte.tokenizer";
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json ecg_byte, GetObject(rep, "ecg_byte", "representation.ecg_byte"));
  ECGBENCH_ASSIGN_OR_RETURN(std::string path, GetString(ecg_byte, "tokenizer", kField, ""));
  if (!artifacts.tokenizer_path.empty()) path = artifacts.tokenizer_path;
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        kField, ": kind token needs an ECG-Byte tokenizer (ecg_byte.tokenizer or the tokenizer stage's "
                "artifact), and none was given"));
  }
  auto file = LoadTokenizer(path);
  if (!file.ok()) return Prefixed(file.status(), kField);
  return std::make_shared<const EcgByteTokenizer>(std::move(file->tokenizer));
}

}  // namespace

absl::StatusOr<RepresentationKind> ParseRepresentationKind(std::string_view name) {
  if (name == "signal") return RepresentationKind::kSignal;
  if (name == "stacked_signal") return RepresentationKind::kStackedSignal;
  if (name == "image") return RepresentationKind::kImage;
  if (name == "token") return RepresentationKind::kToken;
  if (name == "features") return RepresentationKind::kFeatures;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown representation kind \"", std::string(name), "\" (expected ", kKindList, ")"));
}

std::string_view RepresentationKindName(RepresentationKind kind) {
  switch (kind) {
    case RepresentationKind::kSignal: return "signal";
    case RepresentationKind::kStackedSignal: return "stacked_signal";
    case RepresentationKind::kImage: return "image";
    case RepresentationKind::kToken: return "token";
    case RepresentationKind::kFeatures: return "features";
  }
  return "signal";
}

absl::Status RepresentationOptions::Validate() const {
  if (kind == RepresentationKind::kToken && tokenizer == nullptr) {
    return absl::InvalidArgumentError("tokenizer: kind token needs an ECG-Byte tokenizer");
  }
  if (max_tokens < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_tokens: must be >= 0 (0 keeps all), got ", max_tokens));
  }
  if (!std::isfinite(sampling_rate_hz) || sampling_rate_hz <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling_rate_hz: must be finite and > 0, got ", sampling_rate_hz));
  }
  return absl::OkStatus();
}

absl::StatusOr<RepresentationOptions> ParseRepresentationOptions(const nlohmann::json& rep,
                                                                 const RepresentationArtifacts& artifacts) {
  if (!rep.is_object()) return TypeError("representation", "an object", rep);
  RepresentationOptions options;

  ECGBENCH_ASSIGN_OR_RETURN(const std::string kind, GetString(rep, "kind", "representation.kind", "signal"));
  auto parsed_kind = ParseRepresentationKind(kind);
  if (!parsed_kind.ok()) return Prefixed(parsed_kind.status(), "representation.kind");
  options.kind = *parsed_kind;

  ECGBENCH_ASSIGN_OR_RETURN(const std::string perturb, GetString(rep, "perturb", "representation.perturb", "none"));
  auto perturbation = ParsePerturbation(perturb);
  if (!perturbation.ok()) return Prefixed(perturbation.status(), "representation.perturb");
  options.perturbation = *perturbation;

  ECGBENCH_RETURN_IF_ERROR(ParseNormalization(rep, artifacts, &options));

  switch (options.kind) {
    case RepresentationKind::kSignal:
    case RepresentationKind::kFeatures:
      break;
    case RepresentationKind::kImage: {
      ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json image, GetObject(rep, "image", "representation.image"));
      ECGBENCH_ASSIGN_OR_RETURN(const std::string layout,
                                GetString(image, "layout", "representation.image.layout", "2x6"));
      auto parsed_layout = ParseEcgLayout(layout);
      if (!parsed_layout.ok()) return Prefixed(parsed_layout.status(), "representation.image.layout");
      options.image_layout = *parsed_layout;
      ECGBENCH_ASSIGN_OR_RETURN(options.augment, GetBool(image, "augment", "representation.image.augment", false));
      ECGBENCH_ASSIGN_OR_RETURN(options.vision, ParseVision(rep, kind, artifacts));
      break;
    }
    case RepresentationKind::kStackedSignal: {
      ECGBENCH_ASSIGN_OR_RETURN(options.vision, ParseVision(rep, kind, artifacts));
      break;
    }
    case RepresentationKind::kToken: {
      ECGBENCH_ASSIGN_OR_RETURN(options.tokenizer, ParseTokenizer(rep, artifacts));
      break;
    }
  }
  return options;
}

}  // namespace ecgbench::common::repr
