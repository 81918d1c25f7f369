// ELM assembly for the train stage (see elm_setup.h).
#include "worker/stages/elm_setup.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/text/chat/chat_render.h"
#include "common/model_io/peft_keys.h"
#include "common/rag/ecg_features.h"
#include "common/repr/signal2vec/signal2vec_model.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/language_model.h"
#include "worker/nn/elm_encoder_adapters.h"
#include "worker/nn/vision/vision_encoder.h"
#include "worker/stages/pretrain_runner.h"
#include "worker/stages/retrieval_context.h"
#include "worker/train/export.h"

namespace ecgbench::worker {
namespace {

namespace fs = std::filesystem;
using common::repr::RepresentationKind;

constexpr char kPlaceholder[] = "<signal>";


absl::StatusOr<int32_t> AddOne(common::text::Tokenizer& tokenizer, const std::string& token, bool special) {
  const std::vector<int32_t> ids = tokenizer.AddTokens({token}, special);
  if (ids.size() != 1 || ids[0] < 0) return absl::InternalError(absl::StrCat("could not add the token ", token));
  return ids[0];
}

// signal_0 .. signal_{n-1}; their ids must be consecutive (the data pipeline maps id -> offset + id).
absl::StatusOr<int32_t> AddEcgTokens(common::text::Tokenizer& tokenizer, int n) {
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("signal_", i));
  const std::vector<int32_t> ids = tokenizer.AddTokens(names, /*special=*/false);
  for (int i = 0; i < n; ++i) {
    if (ids[static_cast<size_t>(i)] != ids[0] + i) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model.llm.path: the tokenizer already holds a token named signal_", i,
          " at another id; ECG tokens need consecutive ids"));
    }
  }
  return ids[0];
}

// The trained weights of `export_dir` on the ELM that SetUpElm built the options of.
absl::Status LoadTrainedElm(const std::string& export_dir, const std::string& llm_dir, int64_t vocab,
                            const nn::ElmOptions& options, std::unique_ptr<nn::ElmEncoder> encoder, ElmSetup& setup) {
  train::LoadExportOptions load;
  load.base_model_dir = llm_dir;
  load.encoder_factory = [&encoder](const train::ExportedEncoder& recorded,
                                    const std::string&) -> absl::StatusOr<std::unique_ptr<nn::ElmEncoder>> {
    if (encoder == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("the export has a '", recorded.kind, "' encoder, the representation has none"));
    }
    return std::move(encoder);
  };
  ECGBENCH_ASSIGN_OR_RETURN(train::LoadedElm loaded, train::LoadExportedElm(export_dir, load));
  const auto differs = [&](const char* field, int64_t have, int64_t want) {
    return absl::FailedPreconditionError(absl::StrCat(export_dir, ": elm_config.json ", field, " is ", have,
                                                      ", the spec's model and representation give ", want));
  };
  if (loaded.config.vocab_size != vocab) return differs("vocab_size", loaded.config.vocab_size, vocab);
  const bool token_elm = options.kind == nn::ElmKind::kEcgByte || options.kind == nn::ElmKind::kSignal2Vec;
  if (!token_elm && loaded.config.placeholder_id != options.placeholder_id) {
    return differs("placeholder_id", loaded.config.placeholder_id, options.placeholder_id);
  }
  if (loaded.elm->options().kind != options.kind) {
    return absl::FailedPreconditionError(absl::StrCat(export_dir, ": the export holds a ", loaded.config.elm_kind,
                                                      " ELM, the spec describes a ", setup.elm_kind, " one"));
  }
  setup.elm = std::move(loaded.elm);
  setup.adapter = std::move(loaded.adapter);
  setup.added = nn::AddedRows();
  return absl::OkStatus();
}

absl::Status AttachLoraFromSpec(const common::LoraSpec& spec, ElmSetup& setup) {
  nn::LoraOptions options;
  options.rank = spec.rank;
  options.alpha = spec.alpha;
  options.dropout = spec.dropout;
  options.targets.clear();
  for (const std::string& t : spec.targets) {
    absl::StatusOr<common::model_io::LoraTarget> target = common::model_io::ParseLoraTarget(t);
    if (!target.ok()) return absl::InvalidArgumentError(absl::StrCat("model.lora.targets: ", target.status().message()));
    options.targets.push_back(*target);
  }
  ECGBENCH_ASSIGN_OR_RETURN(setup.adapter, nn::AttachLora(setup.elm->llm(), options));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ElmSetup> SetUpElm(const ElmSetupInputs& in) {
  ElmSetup setup;
  const std::string& llm_dir = in.model.llm.path;
  if (llm_dir.empty()) return absl::InvalidArgumentError("model.llm.path: required for training");
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig config, common::model_io::LoadModelConfig(llm_dir));
  const std::string tokenizer_path = (fs::path(llm_dir) / "tokenizer.json").string();
  ECGBENCH_ASSIGN_OR_RETURN(setup.tokenizer, common::text::LoadTokenizer(tokenizer_path));
  // "auto" picks the template of config.json's model_type.
  ECGBENCH_ASSIGN_OR_RETURN(setup.chat_template,
                            common::text::ChatTemplateByName(in.model.llm.chat_template, config.model_type));
  ECGBENCH_ASSIGN_OR_RETURN(setup.representation,
                            common::repr::ParseRepresentationOptions(in.representation, in.artifacts));
  setup.representation.seed = in.seed;

  const std::string kind = in.representation.value("kind", std::string("signal"));
  std::string encoder = "none";
  if (in.representation.contains("encoder") && in.representation["encoder"].is_object()) {
    encoder = in.representation["encoder"].value("name", std::string("none"));
  }
  std::string encoder_path;
  if (in.representation.contains("encoder") && in.representation["encoder"].is_object() &&
      in.representation["encoder"].contains("path") && in.representation["encoder"]["path"].is_string()) {
    encoder_path = in.representation["encoder"]["path"].get<std::string>();
  }
  if (encoder_path.empty()) encoder_path = in.pretrained_encoder;
  const int64_t encoder_tokens = in.representation.value("encoder_tokens", int64_t{1});

  nn::ElmOptions options;
  options.seed = in.seed;
  std::unique_ptr<nn::ElmEncoder> elm_encoder;
  ElmExampleOptions& ex = setup.examples;
  ex.max_tokens = in.max_tokens;
  ex.min_ecg_tokens = in.min_ecg_tokens;
  if (setup.representation.kind == RepresentationKind::kToken) {
    if (encoder != "none" && !encoder.empty() && encoder != "signal2vec") {
      return absl::InvalidArgumentError(absl::StrCat("representation.encoder.name: the token representation takes "
                                                     "encoder none (ECG-Byte) or signal2vec, not '", encoder, "'"));
    }
    ex.slot = EcgSlot::kEcgByte;
    const int ecg_vocab = setup.representation.tokenizer->vocab_size();
    ECGBENCH_ASSIGN_OR_RETURN(ex.ecg_token_offset, AddEcgTokens(*setup.tokenizer, ecg_vocab));
    if (encoder == "signal2vec") {
      const std::string dir = encoder_path.empty() ? in.pretrained_signal2vec : encoder_path;
      if (dir.empty()) {
        return absl::FailedPreconditionError(
            "representation.encoder.path: the signal2vec encoder needs a Signal2Vec model directory or a pretrain "
            "stage (representation.encoder.pretrain: true)");
      }
      ECGBENCH_ASSIGN_OR_RETURN(const common::repr::Signal2VecModel s2v, common::repr::LoadSignal2VecModel(dir));
      if (s2v.vocab_size != ecg_vocab) {
        return absl::FailedPreconditionError(absl::StrCat(dir, ": Signal2Vec vocabulary ", s2v.vocab_size,
                                                          " does not match the ECG-Byte tokenizer's ", ecg_vocab));
      }
      options.kind = nn::ElmKind::kSignal2Vec;
      options.signal2vec_table = torch::from_blob(const_cast<float*>(s2v.embeddings.data()), {s2v.vocab_size, s2v.dim},
                                                  torch::kFloat)
                                     .clone();
      options.ecg_token_offset = ex.ecg_token_offset;
      setup.elm_kind = "signal2vec";
    } else {
      options.kind = nn::ElmKind::kEcgByte;
      setup.elm_kind = "ecg_byte";
    }
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(ex.placeholder_id, AddOne(*setup.tokenizer, kPlaceholder, /*special=*/true));
    options.placeholder_id = ex.placeholder_id;
    ex.slot = EcgSlot::kPlaceholders;
    if (setup.representation.kind == RepresentationKind::kFeatures) {
      if (encoder != "projection") {
        return absl::InvalidArgumentError(absl::StrCat("representation.encoder.name: the features representation "
                                                       "takes the projection encoder, not '", encoder, "'"));
      }
      // The 12 x 24 features, flattened and projected to one embedding (the encoder-free ELM).
      options.kind = nn::ElmKind::kEncoderFree;
      options.signal_length = common::rag::kFeaturesPerLead;
      setup.elm_kind = "encoder_free";
      ex.num_placeholders = 1;
    } else if (setup.representation.kind == RepresentationKind::kSignal && encoder == "projection") {
      options.kind = nn::ElmKind::kEncoderFree;
      options.signal_length = in.segment_len;
      options.signal_patches = encoder_tokens;  // 1: upstream's single projection
      setup.elm_kind = "encoder_free";
      ex.num_placeholders = encoder_tokens;
    } else if (setup.representation.kind == RepresentationKind::kSignal) {
      if (encoder_path.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "representation.encoder.path: the ", encoder, " encoder needs trained weights (a file written by "
            "SaveEcgEncoder) or a pretrain stage (representation.encoder.pretrain: true)"));
      }
      ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<nn::EcgEncoder> ecg, nn::LoadEcgEncoder(encoder_path));
      elm_encoder = std::make_unique<nn::EcgElmEncoder>(std::move(ecg), encoder_tokens);
      options.kind = nn::ElmKind::kLlava;
      setup.elm_kind = "llava";
      ex.num_placeholders = encoder_tokens;
    } else {  // image, stacked_signal
      if (encoder_path.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("representation.encoder.path: the ", kind,
                                                       " representation needs a vision encoder folder (CLIP, SigLIP or ViT)"));
      }
      ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<nn::VisionEncoder> vision, nn::LoadVisionEncoder(encoder_path));
      elm_encoder = std::make_unique<nn::VisionElmEncoder>(std::move(vision));
      options.kind = nn::ElmKind::kLlava;
      setup.elm_kind = "llava";
      ex.num_placeholders = 1;
    }
  }
  ex.pad_id = common::text::ResolvePadId(setup.chat_template, *setup.tokenizer, config.pad_token_id, config.eos_token_ids);
  // Grow the embeddings to the tokenizer (never shrink: some checkpoints carry spare rows).
  const int64_t vocab = std::max<int64_t>(config.vocab_size, setup.tokenizer->vocab_size());
  if (!in.trained_export.empty()) {
    ECGBENCH_RETURN_IF_ERROR(LoadTrainedElm(in.trained_export, llm_dir, vocab, options, std::move(elm_encoder), setup));
    spdlog::info("ELM: {} from {} on {}", setup.elm_kind, in.trained_export, llm_dir);
    return setup;
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<nn::LanguageModel> llm, nn::LoadLanguageModel(llm_dir));
  nn::ResizeOptions resize;
  resize.seed = in.seed;
  resize.freeze_new_rows = !in.model.train_new_tokens;
  ECGBENCH_ASSIGN_OR_RETURN(setup.added, nn::ResizeTokenEmbeddings(*llm, vocab, resize));
  setup.elm = std::make_unique<nn::Elm>(std::move(llm), std::move(elm_encoder), options);
  if (in.model.lora.enabled) ECGBENCH_RETURN_IF_ERROR(AttachLoraFromSpec(in.model.lora, setup));
  spdlog::info("ELM: {} on {} ({}), {} added tokens, {}", setup.elm_kind, llm_dir,
               setup.elm->llm().config().model_type, setup.added.count,
               in.model.lora.enabled ? absl::StrCat("LoRA rank ", in.model.lora.rank) : "full fine-tuning");
  return setup;
}

void RunElmArtifacts::AddTo(common::ecg::ContentHash& key) const {
  if (!representation.tokenizer_path.empty()) key.AddInput("tokenizer", representation.tokenizer_path);
  if (!pretrained_encoder.empty()) key.AddInput("pretrained_encoder", pretrained_encoder);
  if (!pretrained_signal2vec.empty()) key.AddInput("pretrained_signal2vec", pretrained_signal2vec);
  if (!rag_index.empty()) key.AddInput("rag", rag_index);
}

RunElmArtifacts FindRunElmArtifacts(const v1::Assignment& assignment) {
  RunElmArtifacts out;
  const nlohmann::json in = nlohmann::json::parse(assignment.inputs_json(), nullptr, /*allow_exceptions=*/false);
  if (in.is_object() && in.contains("tokenizer") && in["tokenizer"].is_array() && !in["tokenizer"].empty() &&
      in["tokenizer"][0].is_object()) {
    out.representation.tokenizer_path = in["tokenizer"][0].value("tokenizer", std::string());
    out.representation.percentiles_path = in["tokenizer"][0].value("percentiles", std::string());
  }
  out.pretrained_encoder = PretrainedEncoderPath(assignment);
  out.pretrained_signal2vec = PretrainedSignal2VecPath(assignment);
  out.rag_index = RagIndexDir(assignment);
  return out;
}

ElmSetupInputs MakeElmSetupInputs(const RunData& run, const common::ModelSpec& model, const RunElmArtifacts& artifacts) {
  ElmSetupInputs in;
  in.representation = run.params.value("representation", nlohmann::json::object());
  in.model = model;
  in.artifacts = artifacts.representation;
  in.pretrained_encoder = artifacts.pretrained_encoder;
  in.pretrained_signal2vec = artifacts.pretrained_signal2vec;
  in.segment_len = run.store->segment_length();
  return in;
}

ElmDataSource ElmDataSourceOf(const RunData& run) {
  ElmDataSource source;
  source.conversations_path = run.dataset_result.value("conversations", std::string());
  source.store = run.store.get();
  source.folds = &run.folds;
  source.test_fold = run.test_fold;
  return source;
}

std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters(ElmSetup& setup) {
  std::vector<std::pair<std::string, torch::Tensor>> out = setup.elm->TrainableParameters();
  if (setup.adapter) {
    for (auto& [key, p] : setup.adapter->NamedPeftTensors()) {
      if (p.requires_grad()) out.emplace_back(key, p);
    }
  }
  return out;
}

}  // namespace ecgbench::worker
