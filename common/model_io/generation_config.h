// generation_config.json of a Hugging Face model: special token ids and the default sampling
// settings. Absent fields take transformers' GenerationConfig defaults (do_sample false,
// temperature 1.0, top_p 1.0, top_k 50, max_length 20, max_new_tokens none, repetition_penalty
// 1.0); token ids absent stay unset (the caller falls back to config.json's). Errors
// (InvalidArgument) name the file and the field. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::model_io {

struct GenerationConfig {
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;  // eos_token_id: an integer or a list (Llama 3 Instruct lists 3)
  std::optional<int64_t> pad_token_id;
  bool do_sample = false;
  double temperature = 1.0;  // >= 0
  double top_p = 1.0;        // in (0, 1]
  int64_t top_k = 50;        // >= 0; 0 disables
  std::optional<int64_t> max_new_tokens;
  int64_t max_length = 20;
  double repetition_penalty = 1.0;  // > 0
};

absl::StatusOr<GenerationConfig> ParseGenerationConfig(std::string_view json_text, std::string_view file_name);
// Reads `path`, or `path`/generation_config.json when `path` is a directory. A directory without
// the file yields the defaults (many checkpoints, e.g. OPT's, ship none).
absl::StatusOr<GenerationConfig> LoadGenerationConfig(const std::string& path);

}  // namespace ecgbench::common::model_io
