// config.json <-> BertConfig (see bert_config.h). Defaults are transformers' BertConfig defaults
// (bert-base-uncased: 30522 / 768 / 12 layers / 12 heads / 3072, gelu, 512 positions, 2 token
// types, eps 1e-12, pad 0); RobertaConfig changes only vocab_size (50265) and pad_token_id (1).
#include "worker/nn/text_encoder/bert_config.h"

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

absl::Status FieldError(const std::string& file, const std::string& field, const std::string& reason) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": field \"", field, "\": ", reason));
}

absl::StatusOr<BertActivation> ParseActivation(const std::string& file, const std::string& name) {
  if (name == "gelu") return BertActivation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return BertActivation::kGeluTanh;
  if (name == "relu") return BertActivation::kRelu;
  return FieldError(
      file, "hidden_act",
      absl::StrCat("activation \"", name,
                   "\" is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)"));
}

}  // namespace

absl::Status ValidateBertConfig(const BertConfig& c, std::string_view file_name) {
  const std::string file(file_name);
  const std::pair<const char*, int64_t> sizes[] = {{"vocab_size", c.vocab_size},
                                                   {"hidden_size", c.hidden_size},
                                                   {"num_hidden_layers", c.num_hidden_layers},
                                                   {"num_attention_heads", c.num_attention_heads},
                                                   {"intermediate_size", c.intermediate_size},
                                                   {"max_position_embeddings", c.max_position_embeddings},
                                                   {"type_vocab_size", c.type_vocab_size}};
  for (const auto& [key, value] : sizes) {
    if (value <= 0) return FieldError(file, key, absl::StrCat("must be a positive integer, got ", value));
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    return FieldError(file, "num_attention_heads",
                      absl::StrCat(c.num_attention_heads, " does not divide hidden_size ", c.hidden_size));
  }
  if (!(c.layer_norm_eps > 0)) {
    return FieldError(file, "layer_norm_eps", absl::StrCat("must be positive, got ", c.layer_norm_eps));
  }
  if (c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) {
    return FieldError(file, "pad_token_id",
                      absl::StrCat(c.pad_token_id, " is outside the vocabulary [0, ", c.vocab_size, ")"));
  }
  if (c.family == BertFamily::kRoberta && c.max_sequence_length() < 1) {
    return FieldError(file, "max_position_embeddings",
                      absl::StrCat(c.max_position_embeddings, " leaves no position after pad_token_id ", c.pad_token_id,
                                   " (RoBERTa positions start at pad_token_id + 1)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const BertActivation act, ParseActivation(file, c.hidden_act_name));
  if (act != c.hidden_act) return FieldError(file, "hidden_act", "does not match hidden_act_name");
  return absl::OkStatus();
}

namespace {

absl::StatusOr<BertConfig> ParseConfig(std::string_view json_text, std::string_view file_name, bool allow_roberta) {
  const std::string file(file_name);
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, common::ParseJson(json_text, file));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": must be a JSON object"));
  const ConfigFields f(json, file);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string model_type, f.String("model_type"));
  BertConfig c;
  if (allow_roberta && model_type == "roberta") {
    c.family = BertFamily::kRoberta;
    c.vocab_size = 50265;
    c.pad_token_id = 1;
  } else if (model_type != "bert") {
    return f.Error("model_type", absl::StrCat("\"", model_type, "\" is not supported ",
                                              allow_roberta ? "(supported: \"bert\", \"roberta\")"
                                                            : "(the text encoder is a BERT: \"bert\")"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.vocab_size, f.Int("vocab_size", c.vocab_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_size, f.Int("hidden_size", c.hidden_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_hidden_layers, f.Int("num_hidden_layers", c.num_hidden_layers));
  ECGBENCH_ASSIGN_OR_RETURN(c.num_attention_heads, f.Int("num_attention_heads", c.num_attention_heads));
  ECGBENCH_ASSIGN_OR_RETURN(c.intermediate_size, f.Int("intermediate_size", c.intermediate_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_act_name, f.String("hidden_act", c.hidden_act_name));
  ECGBENCH_ASSIGN_OR_RETURN(c.hidden_act, ParseActivation(file, c.hidden_act_name));
  ECGBENCH_ASSIGN_OR_RETURN(c.max_position_embeddings, f.Int("max_position_embeddings", c.max_position_embeddings));
  ECGBENCH_ASSIGN_OR_RETURN(c.type_vocab_size, f.Int("type_vocab_size", c.type_vocab_size));
  ECGBENCH_ASSIGN_OR_RETURN(c.layer_norm_eps, f.Double("layer_norm_eps", c.layer_norm_eps));
  ECGBENCH_ASSIGN_OR_RETURN(c.pad_token_id, f.Int("pad_token_id", c.pad_token_id));
  ECGBENCH_ASSIGN_OR_RETURN(c.initializer_range, f.Double("initializer_range", c.initializer_range));
  ECGBENCH_ASSIGN_OR_RETURN(const std::string positions, f.String("position_embedding_type", "absolute"));
  if (positions != "absolute") {
    return f.Error("position_embedding_type", absl::StrCat("\"", positions, "\" is not supported (absolute only)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const bool decoder, f.Bool("is_decoder", false));
  if (decoder) return f.Error("is_decoder", "true is not supported (the text encoder is bidirectional)");
  ECGBENCH_RETURN_IF_ERROR(ValidateBertConfig(c, file));
  return c;
}

absl::StatusOr<BertConfig> LoadConfig(const std::string& path, bool allow_roberta) {
  std::error_code ec;
  const std::string file =
      std::filesystem::is_directory(path, ec) ? (std::filesystem::path(path) / "config.json").string() : path;
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(file));
  return ParseConfig(text, file, allow_roberta);
}

}  // namespace

absl::StatusOr<BertConfig> ParseBertConfig(std::string_view json_text, std::string_view file_name) {
  return ParseConfig(json_text, file_name, /*allow_roberta=*/false);
}

absl::StatusOr<BertConfig> LoadBertConfig(const std::string& path) { return LoadConfig(path, false); }

absl::StatusOr<BertConfig> ParseBertFamilyConfig(std::string_view json_text, std::string_view file_name) {
  return ParseConfig(json_text, file_name, /*allow_roberta=*/true);
}

absl::StatusOr<BertConfig> LoadBertFamilyConfig(const std::string& path) { return LoadConfig(path, true); }

absl::StatusOr<std::string> SerializeBertConfig(const BertConfig& c) {
  ECGBENCH_RETURN_IF_ERROR(ValidateBertConfig(c));
  const bool roberta = c.family == BertFamily::kRoberta;
  nlohmann::json json = {{"architectures", {roberta ? "RobertaModel" : "BertModel"}},
                               {"model_type", c.model_type()},
                               {"vocab_size", c.vocab_size},
                               {"hidden_size", c.hidden_size},
                               {"num_hidden_layers", c.num_hidden_layers},
                               {"num_attention_heads", c.num_attention_heads},
                               {"intermediate_size", c.intermediate_size},
                               {"hidden_act", c.hidden_act_name},
                               {"hidden_dropout_prob", 0.1},
                               {"attention_probs_dropout_prob", 0.1},
                               {"max_position_embeddings", c.max_position_embeddings},
                               {"type_vocab_size", c.type_vocab_size},
                               {"initializer_range", c.initializer_range},
                               {"layer_norm_eps", c.layer_norm_eps},
                               {"pad_token_id", c.pad_token_id},
                               {"position_embedding_type", "absolute"},
                               {"torch_dtype", "float32"}};
  if (roberta) {
    json["bos_token_id"] = 0;
    json["eos_token_id"] = 2;
  }
  return json.dump(2) + "\n";
}

}  // namespace ecgbench::worker::nn
