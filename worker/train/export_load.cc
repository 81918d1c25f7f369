// Rebuilding an ELM from its export and the base model (LoadExportedElm in export.h), and the
// helpers both directions share (export_internal.h).
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/model_config.h"
#include "common/model_io/safetensors_file.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "worker/nn/parameter_io.h"
#include "worker/nn/token_embeddings.h"
#include "worker/train/export.h"
#include "worker/train/export_internal.h"

namespace ecgbench::worker::train {

std::string_view ElmKindName(nn::ElmKind kind) {
  switch (kind) {
    case nn::ElmKind::kLlava:
      return "llava";
    case nn::ElmKind::kEncoderFree:
      return "encoder_free";
    case nn::ElmKind::kEcgByte:
      return "ecg_byte";
    case nn::ElmKind::kSignal2Vec:
      return "signal2vec";
  }
  return "unknown";
}

std::optional<nn::ElmKind> ElmKindFromName(std::string_view name) {
  for (nn::ElmKind kind :
       {nn::ElmKind::kLlava, nn::ElmKind::kEncoderFree, nn::ElmKind::kEcgByte, nn::ElmKind::kSignal2Vec}) {
    if (ElmKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, torch::Tensor>> EncoderTensors(nn::ElmEncoder& encoder) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : encoder.module().named_parameters())
    out.emplace_back(kEncoderPrefix + item.key(), item.value());
  for (const auto& item : encoder.module().named_buffers()) {
    if (item.value().is_floating_point()) out.emplace_back(kEncoderPrefix + item.key(), item.value());
  }
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> VocabularyWeights(nn::LanguageModel& llm) {
  std::vector<torch::Tensor> weights = {llm.token_embeddings()->weight};
  if (llm.lm_head() != nullptr && (*llm.lm_head())->weight.unsafeGetTensorImpl() != weights[0].unsafeGetTensorImpl()) {
    weights.push_back((*llm.lm_head())->weight);
  }
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const torch::Tensor& weight : weights) {
    for (const auto& item : llm.module().named_parameters()) {
      if (item.value().unsafeGetTensorImpl() == weight.unsafeGetTensorImpl()) {
        out.emplace_back(item.key(), item.value());
        break;
      }
    }
  }
  return out;
}

namespace {

namespace fs = std::filesystem;
using common::model_io::SafetensorsFile;

absl::Status CheckBase(const common::model_io::ModelConfig& loaded, const ExportedBaseModel& recorded,
                       const std::string& base_dir, const std::string& config_path) {
  const auto mismatch = [&](const char* field, const std::string& have, const std::string& want) {
    return absl::FailedPreconditionError(absl::StrCat(base_dir, ": base model ", field, " is ", have,
                                                      ", the export was made on ", want, " (", config_path,
                                                      " field \"base_model.", field, "\")"));
  };
  const std::string type(common::model_io::ArchitectureName(loaded.architecture));
  if (type != recorded.model_type) return mismatch("model_type", type, recorded.model_type);
  if (loaded.hidden_size != recorded.hidden_size) {
    return mismatch("hidden_size", std::to_string(loaded.hidden_size), std::to_string(recorded.hidden_size));
  }
  if (loaded.num_hidden_layers != recorded.num_hidden_layers) {
    return mismatch("num_hidden_layers", std::to_string(loaded.num_hidden_layers),
                    std::to_string(recorded.num_hidden_layers));
  }
  if (loaded.vocab_size != recorded.vocab_size) {
    return mismatch("vocab_size", std::to_string(loaded.vocab_size), std::to_string(recorded.vocab_size));
  }
  return absl::OkStatus();
}

// Copies the file's tensor `key` into `target`, recording it as used.
absl::Status Fill(const SafetensorsFile& file, const std::string& key, torch::Tensor target,
                  std::set<std::string>* used) {
  absl::StatusOr<common::model_io::TensorView> view = file.Tensor(key);
  if (!view.ok()) return absl::InvalidArgumentError(absl::StrCat(file.path(), ": no tensor '", key, "'"));
  absl::Status copied = nn::CopyTensorIntoParameter(*view, key, target);
  if (!copied.ok()) return absl::InvalidArgumentError(absl::StrCat(file.path(), ": ", copied.message()));
  used->insert(key);
  return absl::OkStatus();
}

// The LLM (base + added rows + adapter, or merged/) with the export's vocabulary.
absl::StatusOr<std::unique_ptr<nn::LanguageModel>> LoadLlm(const std::string& export_dir, const ElmExportConfig& config,
                                                           const LoadExportOptions& options,
                                                           const std::string& config_path,
                                                           const SafetensorsFile& weights, std::set<std::string>* used,
                                                           nn::LoraAdapter* adapter) {
  const bool merged = options.use_merged || config.llm_weights == "merged";
  std::unique_ptr<nn::LanguageModel> llm;
  if (merged) {
    if (config.merged_dir.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(config_path, ": the export has no merged folder (export with merged on to have one)"));
    }
    ECGBENCH_ASSIGN_OR_RETURN(llm, nn::LoadLanguageModel((fs::path(export_dir) / config.merged_dir).string()));
  } else {
    const std::string base_dir = options.base_model_dir.empty() ? config.base.path : options.base_model_dir;
    ECGBENCH_ASSIGN_OR_RETURN(llm, nn::LoadLanguageModel(base_dir));
    ECGBENCH_RETURN_IF_ERROR(CheckBase(llm->config(), config.base, base_dir, config_path));
    if (config.vocab_size > config.base.vocab_size) {
      if (config.added_rows_first != config.base.vocab_size ||
          config.added_rows_count != config.vocab_size - config.base.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            config_path, ": field \"llm.added_rows\": rows [", config.added_rows_first, ", +", config.added_rows_count,
            ") do not cover the vocabulary growth from ", config.base.vocab_size, " to ", config.vocab_size));
      }
      nn::ResizeOptions resize;
      resize.init = nn::NewRowInit::kNormal;
      resize.stddev = 0;
      resize.freeze_new_rows = false;
      ECGBENCH_RETURN_IF_ERROR(nn::ResizeTokenEmbeddings(*llm, config.vocab_size, resize).status());
      for (const auto& [name, weight] : VocabularyWeights(*llm)) {
        ECGBENCH_RETURN_IF_ERROR(Fill(weights, kAddedRowsPrefix + name,
                                      weight.narrow(0, config.added_rows_first, config.added_rows_count), used));
      }
    }
    if (!config.adapter_dir.empty()) {
      ECGBENCH_ASSIGN_OR_RETURN(*adapter,
                                nn::LoadLoraAdapter(*llm, (fs::path(export_dir) / config.adapter_dir).string()));
    }
  }
  const int64_t rows = llm->token_embeddings()->weight.size(0);
  if (rows != config.vocab_size) {
    return absl::FailedPreconditionError(absl::StrCat(config_path, ": field \"llm.vocab_size\" is ", config.vocab_size,
                                                      ", the rebuilt language model has ", rows, " rows"));
  }
  return llm;
}

absl::StatusOr<LoadedElm> Rebuild(const std::string& export_dir, ElmExportConfig config,
                                  const LoadExportOptions& options, const std::string& config_path) {
  const nn::ElmKind kind = *ElmKindFromName(config.elm_kind);  // ParseElmExportConfig checked the name
  ECGBENCH_ASSIGN_OR_RETURN(const SafetensorsFile weights,
                            SafetensorsFile::Open((fs::path(export_dir) / kElmWeightsName).string()));
  std::set<std::string> used;
  LoadedElm out;
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<nn::LanguageModel> llm,
                            LoadLlm(export_dir, config, options, config_path, weights, &used, &out.adapter));

  std::unique_ptr<nn::ElmEncoder> encoder;
  if (kind == nn::ElmKind::kLlava) {
    const ExportedEncoder& recorded = *config.encoder;
    if (!options.encoder_factory) {
      return absl::FailedPreconditionError(absl::StrCat(config_path, ": the ELM has a '", recorded.kind,
                                                        "' encoder; loading it needs an encoder_factory"));
    }
    ECGBENCH_ASSIGN_OR_RETURN(encoder, options.encoder_factory(recorded, export_dir));
    if (encoder == nullptr)
      return absl::InternalError(absl::StrCat("encoder factory returned no '", recorded.kind, "' encoder"));
    if (encoder->num_tokens() != recorded.num_tokens || encoder->output_dim() != recorded.output_dim) {
      return absl::FailedPreconditionError(absl::StrCat(
          config_path, ": the rebuilt '", recorded.kind, "' encoder gives ", encoder->num_tokens(), " x ",
          encoder->output_dim(), " embeddings, the export recorded ", recorded.num_tokens, " x ", recorded.output_dim));
    }
  }
  nn::ElmOptions elm_options;
  elm_options.kind = kind;
  elm_options.placeholder_id = config.placeholder_id;
  elm_options.signal_leads = config.signal_leads;
  elm_options.signal_length = config.signal_length;
  elm_options.signal_patches = config.signal_patches;
  elm_options.update_encoder = config.update_encoder;
  if (kind == nn::ElmKind::kSignal2Vec) {
    absl::StatusOr<common::model_io::TensorView> table = weights.Tensor(kSignal2VecTableName);
    if (!table.ok() || table->shape.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(weights.path(), ": a signal2vec ELM needs the 2-D tensor '", kSignal2VecTableName, "'"));
    }
    elm_options.signal2vec_table = torch::empty({table->shape[0], table->shape[1]}, torch::kFloat);
    ECGBENCH_RETURN_IF_ERROR(Fill(weights, kSignal2VecTableName, elm_options.signal2vec_table, &used));
    elm_options.ecg_token_offset = config.ecg_token_offset;
  }
  out.elm = std::make_unique<nn::Elm>(std::move(llm), std::move(encoder), elm_options);
  if (out.elm->projection()) {
    ECGBENCH_RETURN_IF_ERROR(Fill(weights, "projection.weight", out.elm->projection()->weight, &used));
    ECGBENCH_RETURN_IF_ERROR(Fill(weights, "projection.bias", out.elm->projection()->bias, &used));
  }
  if (config.encoder.has_value() && config.encoder->save_weights) {
    for (const auto& [name, tensor] : EncoderTensors(*out.elm->encoder())) {
      ECGBENCH_RETURN_IF_ERROR(Fill(weights, name, tensor, &used));
    }
  }
  const bool merged_llm = options.use_merged || config.llm_weights == "merged";
  for (const common::model_io::TensorInfo& info : weights.tensors()) {
    if (used.count(info.name) > 0) continue;
    if (merged_llm && info.name.rfind(kAddedRowsPrefix, 0) == 0) continue;  // merged/ holds these rows already
    return absl::InvalidArgumentError(
        absl::StrCat(weights.path(), ": tensor '", info.name, "' does not belong to this ", config.elm_kind, " ELM"));
  }
  out.elm->Train(false);
  out.config = std::move(config);
  return out;
}

}  // namespace

absl::StatusOr<LoadedElm> LoadExportedElm(const std::string& export_dir, const LoadExportOptions& options) {
  const std::string config_path = (fs::path(export_dir) / kElmConfigName).string();
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(config_path));
  ECGBENCH_ASSIGN_OR_RETURN(ElmExportConfig config, ParseElmExportConfig(text, config_path));
  try {
    return Rebuild(export_dir, std::move(config), options, config_path);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(export_dir, ": cannot rebuild the ELM: ", e.what_without_backtrace()));
  }
}

}  // namespace ecgbench::worker::train
