// elm_config.json and the grown tokenizer.json of an ELM export (see export_config.h).
#include "worker/train/export_config.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/model_io/config_fields.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker::train {
namespace {

using common::model_io::ConfigFields;
using nlohmann::json;

json NullIfEmpty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json TokenJson(const ExportedToken& t) { return json{{"content", t.content}, {"id", t.id}, {"special", t.special}}; }

// The object at `key` (absent or null -> nullptr; another type -> error).
absl::StatusOr<const json*> Object(const ConfigFields& fields, std::string_view key) {
  const json* value = fields.Find(key);
  if (value == nullptr || value->is_null()) return static_cast<const json*>(nullptr);
  if (!value->is_object()) return fields.Error(key, "must be an object");
  return value;
}

absl::StatusOr<const json*> RequiredObject(const ConfigFields& fields, std::string_view key) {
  ECGBENCH_ASSIGN_OR_RETURN(const json* value, Object(fields, key));
  if (value == nullptr) return fields.Error(key, "missing");
  return value;
}

absl::StatusOr<const json*> Array(const ConfigFields& fields, std::string_view key) {
  const json* value = fields.Find(key);
  if (value == nullptr || value->is_null()) return static_cast<const json*>(nullptr);
  if (!value->is_array()) return fields.Error(key, "must be an array");
  return value;
}

absl::StatusOr<std::vector<std::string>> Strings(const ConfigFields& fields, std::string_view key) {
  ECGBENCH_ASSIGN_OR_RETURN(const json* list, Array(fields, key));
  std::vector<std::string> out;
  if (list == nullptr) return out;
  for (size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_string()) return fields.Error(absl::StrCat(std::string(key), "[", i, "]"), "must be a string");
    out.push_back((*list)[i].get<std::string>());
  }
  return out;
}

absl::StatusOr<ExportedEncoder> ParseEncoder(const json& object, const std::string& file) {
  const ConfigFields fields(object, file, "encoder.");
  ExportedEncoder e;
  ECGBENCH_ASSIGN_OR_RETURN(e.kind, fields.String("kind"));
  if (e.kind.empty()) return fields.Error("kind", "must not be empty");
  ECGBENCH_ASSIGN_OR_RETURN(e.path, fields.String("path", ""));
  ECGBENCH_ASSIGN_OR_RETURN(e.save_weights, fields.Bool("weights_saved", false));
  ECGBENCH_ASSIGN_OR_RETURN(e.num_tokens, fields.Int("num_tokens"));
  ECGBENCH_ASSIGN_OR_RETURN(e.output_dim, fields.Int("output_dim"));
  ECGBENCH_ASSIGN_OR_RETURN(const json* config, Object(fields, "config"));
  if (config != nullptr) {
    for (const auto& [key, value] : config->items()) {
      if (!value.is_string()) return fields.Error(absl::StrCat("config.", key), "must be a string");
      e.config[key] = value.get<std::string>();
    }
  }
  return e;
}

absl::Status ParseTokens(const ConfigFields& fields, ElmExportConfig* config) {
  ECGBENCH_ASSIGN_OR_RETURN(const json* list, Array(fields, "added"));
  if (list == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_object()) return fields.Error(absl::StrCat("added[", i, "]"), "must be an object");
    const ConfigFields token((*list)[i], fields.file(), absl::StrCat("tokens.added[", i, "]."));
    ExportedToken t;
    ECGBENCH_ASSIGN_OR_RETURN(t.content, token.String("content"));
    ECGBENCH_ASSIGN_OR_RETURN(t.id, token.Int("id"));
    ECGBENCH_ASSIGN_OR_RETURN(t.special, token.Bool("special", false));
    if (t.content.empty()) return token.Error("content", "must not be empty");
    if (t.id < 0) return token.Error("id", "must not be negative");
    config->added_tokens.push_back(std::move(t));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SerializeElmExportConfig(const ElmExportConfig& c) {
  json tokens = json::array();
  for (const ExportedToken& t : c.added_tokens) tokens.push_back(TokenJson(t));
  json encoder = nullptr;
  if (c.encoder.has_value()) {
    const ExportedEncoder& e = *c.encoder;
    encoder = json{{"kind", e.kind},
                   {"path", NullIfEmpty(e.path)},
                   {"config", json(e.config)},
                   {"weights_saved", e.save_weights},
                   {"num_tokens", e.num_tokens},
                   {"output_dim", e.output_dim}};
  }
  const json root{
      {"format", "ecgbench-elm"},
      {"format_version", kElmExportFormatVersion},
      {"elm",
       {{"kind", c.elm_kind},
        {"placeholder_id", c.placeholder_id},
        {"ecg_token_offset", c.ecg_token_offset},
        {"signal_leads", c.signal_leads},
        {"signal_length", c.signal_length},
        {"signal_patches", c.signal_patches},
        {"update_encoder", c.update_encoder}}},
      {"base_model",
       {{"path", c.base.path},
        {"name", NullIfEmpty(c.base.name)},
        {"model_type", c.base.model_type},
        {"vocab_size", c.base.vocab_size},
        {"hidden_size", c.base.hidden_size},
        {"num_hidden_layers", c.base.num_hidden_layers}}},
      {"llm",
       {{"weights", c.llm_weights},
        {"vocab_size", c.vocab_size},
        {"adapter", NullIfEmpty(c.adapter_dir)},
        {"added_rows",
         {{"first", c.added_rows_first}, {"count", c.added_rows_count}, {"tensors", c.added_row_tensors}}}}},
      {"tokens", {{"added", tokens}, {"tokenizer", NullIfEmpty(c.tokenizer_file)}}},
      {"encoder", encoder},
      {"representation", c.representation},
      {"merged", NullIfEmpty(c.merged_dir)},
      {"files", c.files}};
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

absl::StatusOr<ElmExportConfig> ParseElmExportConfig(std::string_view text, std::string_view file_name) {
  const std::string file(file_name);
  ECGBENCH_ASSIGN_OR_RETURN(const json root, common::ParseJson(text, file));
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": expected a JSON object"));
  const ConfigFields top(root, file);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string format, top.String("format"));
  if (format != "ecgbench-elm")
    return top.Error("format", absl::StrCat("expected \"ecgbench-elm\", got \"", format, "\""));
  ECGBENCH_ASSIGN_OR_RETURN(const int64_t version, top.Int("format_version"));
  if (version < 1 || version > kElmExportFormatVersion) {
    return top.Error("format_version",
                     absl::StrCat(version, " is not supported (this build reads 1..", kElmExportFormatVersion, ")"));
  }
  ElmExportConfig c;

  ECGBENCH_ASSIGN_OR_RETURN(const json* elm_json, RequiredObject(top, "elm"));
  const ConfigFields elm(*elm_json, file, "elm.");
  ECGBENCH_ASSIGN_OR_RETURN(c.elm_kind, elm.String("kind"));
  if (c.elm_kind != "llava" && c.elm_kind != "encoder_free" && c.elm_kind != "ecg_byte" && c.elm_kind != "signal2vec") {
    return elm.Error("kind", absl::StrCat("\"", c.elm_kind, "\" is not llava, encoder_free, ecg_byte or signal2vec"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.placeholder_id, elm.Int("placeholder_id", -1));
  ECGBENCH_ASSIGN_OR_RETURN(c.ecg_token_offset, elm.Int("ecg_token_offset", -1));
  if (c.elm_kind == "signal2vec" && c.ecg_token_offset < 0) {
    return elm.Error("ecg_token_offset", "required (>= 0) for a signal2vec ELM");
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.signal_leads, elm.Int("signal_leads", 0));
  ECGBENCH_ASSIGN_OR_RETURN(c.signal_length, elm.Int("signal_length", 0));
  ECGBENCH_ASSIGN_OR_RETURN(c.signal_patches, elm.Int("signal_patches", 1));
  if (c.signal_patches < 1 || (c.signal_length > 0 && c.signal_length % c.signal_patches != 0)) {
    return elm.Error("signal_patches", absl::StrCat("must divide signal_length ", c.signal_length, ", got ",
                                                    c.signal_patches));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.update_encoder, elm.Bool("update_encoder", false));

  ECGBENCH_ASSIGN_OR_RETURN(const json* base_json, RequiredObject(top, "base_model"));
  const ConfigFields base(*base_json, file, "base_model.");
  ECGBENCH_ASSIGN_OR_RETURN(c.base.path, base.String("path"));
  ECGBENCH_ASSIGN_OR_RETURN(c.base.name, base.String("name", ""));
  ECGBENCH_ASSIGN_OR_RETURN(c.base.model_type, base.String("model_type"));
  ECGBENCH_ASSIGN_OR_RETURN(c.base.vocab_size, base.Int("vocab_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.base.hidden_size, base.Int("hidden_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.base.num_hidden_layers, base.Int("num_hidden_layers"));

  ECGBENCH_ASSIGN_OR_RETURN(const json* llm_json, RequiredObject(top, "llm"));
  const ConfigFields llm(*llm_json, file, "llm.");
  ECGBENCH_ASSIGN_OR_RETURN(c.llm_weights, llm.String("weights"));
  if (c.llm_weights != "base" && c.llm_weights != "merged") {
    return llm.Error("weights", absl::StrCat("\"", c.llm_weights, "\" is not base or merged"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.vocab_size, llm.Int("vocab_size"));
  ECGBENCH_ASSIGN_OR_RETURN(c.adapter_dir, llm.String("adapter", ""));
  ECGBENCH_ASSIGN_OR_RETURN(const json* rows_json, Object(llm, "added_rows"));
  if (rows_json != nullptr) {
    const ConfigFields rows(*rows_json, file, "llm.added_rows.");
    ECGBENCH_ASSIGN_OR_RETURN(c.added_rows_first, rows.Int("first", 0));
    ECGBENCH_ASSIGN_OR_RETURN(c.added_rows_count, rows.Int("count", 0));
    ECGBENCH_ASSIGN_OR_RETURN(c.added_row_tensors, Strings(rows, "tensors"));
    if (c.added_rows_count < 0) return rows.Error("count", "must not be negative");
  }

  ECGBENCH_ASSIGN_OR_RETURN(const json* tokens_json, Object(top, "tokens"));
  if (tokens_json != nullptr) {
    const ConfigFields tokens(*tokens_json, file, "tokens.");
    ECGBENCH_RETURN_IF_ERROR(ParseTokens(tokens, &c));
    ECGBENCH_ASSIGN_OR_RETURN(c.tokenizer_file, tokens.String("tokenizer", ""));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const json* encoder_json, Object(top, "encoder"));
  if (encoder_json != nullptr) {
    ECGBENCH_ASSIGN_OR_RETURN(ExportedEncoder encoder, ParseEncoder(*encoder_json, file));
    c.encoder = std::move(encoder);
  }
  if (c.elm_kind == "llava" && !c.encoder.has_value()) return top.Error("encoder", "missing for a llava ELM");
  ECGBENCH_ASSIGN_OR_RETURN(const json* representation, Object(top, "representation"));
  if (representation != nullptr) c.representation = *representation;
  ECGBENCH_ASSIGN_OR_RETURN(c.merged_dir, top.String("merged", ""));
  ECGBENCH_ASSIGN_OR_RETURN(c.files, Strings(top, "files"));
  if (c.llm_weights == "merged" && c.merged_dir.empty()) {
    return top.Error("merged", "missing while llm.weights is \"merged\"");
  }
  return c;
}

absl::StatusOr<std::string> TokenizerJsonWithAddedTokens(std::string_view base_json, std::string_view base_name,
                                                         const std::vector<ExportedToken>& tokens) {
  const std::string name(base_name);
  ECGBENCH_ASSIGN_OR_RETURN(json root, common::ParseJson(base_json, name));
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(name, ": expected a JSON object"));
  json& added = root["added_tokens"];
  if (added.is_null()) added = json::array();
  if (!added.is_array())
    return absl::InvalidArgumentError(absl::StrCat(name, ": field \"added_tokens\": expected an array"));
  std::map<std::string, int64_t> by_content;
  std::map<int64_t, std::string> by_id;
  for (size_t i = 0; i < added.size(); ++i) {
    const json& t = added[i];
    if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") ||
        !t["content"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": field \"added_tokens[", i, "]\": expected an object with an integer id and a content"));
    }
    by_content[t["content"].get<std::string>()] = t["id"].get<int64_t>();
    by_id[t["id"].get<int64_t>()] = t["content"].get<std::string>();
  }
  for (const ExportedToken& t : tokens) {
    const auto same_content = by_content.find(t.content);
    if (same_content != by_content.end()) {
      if (same_content->second == t.id) continue;
      return absl::InvalidArgumentError(absl::StrCat(name, ": added token \"", t.content, "\" has id ",
                                                     same_content->second, " there, the export gives it ", t.id));
    }
    const auto same_id = by_id.find(t.id);
    if (same_id != by_id.end()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": id ", t.id, " of added token \"", t.content,
                                                     "\" already belongs to \"", same_id->second, "\""));
    }
    added.push_back(json{{"id", t.id},
                         {"content", t.content},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", !t.special},
                         {"special", t.special}});
    by_content[t.content] = t.id;
    by_id[t.id] = t.content;
  }
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace ecgbench::worker::train
