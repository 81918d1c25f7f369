// The torch-free half of an ELM export (export.h): elm_config.json, which records everything needed
// to rebuild the ELM around its base model (ELM kind, placeholder id, the base model it was trained
// on, added tokens and vocabulary rows, the encoder and how to rebuild it, the representation
// settings, which files hold what), and the tokenizer.json with the added tokens (`<signal>`,
// ECG-Byte's `signal_<id>`) appended to the base tokenizer's "added_tokens".
//
// Errors: InvalidArgument naming the file and the field ("elm_config.json: field \"elm.kind\":
// ..."). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ecgbench::worker::train {

inline constexpr char kElmConfigName[] = "elm_config.json";
inline constexpr char kElmWeightsName[] = "elm.safetensors";
inline constexpr char kExportAdapterDir[] = "adapter";
inline constexpr char kExportMergedDir[] = "merged";
inline constexpr char kExportTokenizerName[] = "tokenizer.json";
inline constexpr char kModelCardName[] = "README.md";
inline constexpr int kElmExportFormatVersion = 1;

// A token added to the base tokenizer and vocabulary.
struct ExportedToken {
  std::string content;
  int64_t id = 0;
  bool special = false;  // matched in the raw text (HF special); otherwise after normalization
};

// The encoder of a LLaVA-style ELM and how to rebuild it.
struct ExportedEncoder {
  std::string kind;  // st_mem | mtae | mlae | merl | clip | siglip | vit | any name the factory knows
  std::string path;  // checkpoint it was loaded from; empty: built in this run
  std::map<std::string, std::string> config;  // what a factory needs (e.g. EcgEncoderMetadata)
  // Export: write the encoder's tensors into elm.safetensors ("encoder.<name>"). Forced on when
  // `path` is empty or the encoder trained (update_encoder). In a parsed config: they were written.
  bool save_weights = false;
  int64_t num_tokens = 0;  // recorded at export, checked when the encoder is rebuilt
  int64_t output_dim = 0;
};

// The base model the ELM was trained on (from its config.json), checked when the ELM is reloaded.
struct ExportedBaseModel {
  std::string path;  // directory as given at export
  std::string name;  // hub id or display name (model card, adapter_config.json)
  std::string model_type;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
};

struct ElmExportConfig {
  std::string elm_kind;  // llava | encoder_free | ecg_byte | signal2vec
  int64_t placeholder_id = -1;
  int64_t ecg_token_offset = -1;  // signal2vec: the LLM id of `signal_0`
  int64_t signal_leads = 0;  // encoder_free
  int64_t signal_length = 0;
  int64_t signal_patches = 1;  // encoder_free: time patches, one embedding each
  bool update_encoder = false;
  ExportedBaseModel base;
  // "base": the base weights (+ the adapter when adapter_dir is set, + the added rows) rebuild the
  // LLM. "merged": the LLM itself trained (full fine-tuning); merged/ holds it and must be used.
  std::string llm_weights = "base";
  int64_t vocab_size = 0;   // the LLM's vocabulary after adding tokens
  std::string adapter_dir;  // "adapter" or empty
  int64_t added_rows_first = 0;
  int64_t added_rows_count = 0;
  std::vector<std::string> added_row_tensors;  // "llm.added_rows.<parameter>" in elm.safetensors
  std::vector<ExportedToken> added_tokens;
  std::string tokenizer_file;  // "tokenizer.json" or empty (no tokens added)
  std::optional<ExportedEncoder> encoder;
  nlohmann::json representation = nlohmann::json::object();
  std::string merged_dir;          // "merged" or empty
  std::vector<std::string> files;  // every file of the export, relative, sorted
};

// Sorted keys, 2-space indent, trailing newline (invalid UTF-8 in strings becomes U+FFFD).
std::string SerializeElmExportConfig(const ElmExportConfig& config);
// `file_name` is used in messages only. A format_version newer than this code is an error.
absl::StatusOr<ElmExportConfig> ParseElmExportConfig(std::string_view text, std::string_view file_name);

// The base tokenizer.json text with `tokens` appended to "added_tokens" (HF's entry layout:
// single_word / lstrip / rstrip false, normalized = !special). A token already present with the same
// id is kept as is; the same content with another id, or an id already used by another added
// token, is InvalidArgument naming `base_name`, the token and both ids.
absl::StatusOr<std::string> TokenizerJsonWithAddedTokens(std::string_view base_json, std::string_view base_name,
                                                         const std::vector<ExportedToken>& tokens);

}  // namespace ecgbench::worker::train
