// generation_config.json -> GenerationConfig with range checks.
#include "common/model_io/generation_config.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/model_io/config_fields.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"

namespace ecgbench::common::model_io {

absl::StatusOr<GenerationConfig> ParseGenerationConfig(std::string_view json_text, std::string_view file_name) {
  const std::string file(file_name);
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, ParseJson(json_text, file));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": must be a JSON object"));
  ConfigFields f(json, file);
  GenerationConfig g;
  ECGBENCH_ASSIGN_OR_RETURN(g.bos_token_id, f.OptionalInt("bos_token_id"));
  ECGBENCH_ASSIGN_OR_RETURN(g.eos_token_ids, f.IntList("eos_token_id"));
  ECGBENCH_ASSIGN_OR_RETURN(g.pad_token_id, f.OptionalInt("pad_token_id"));
  ECGBENCH_ASSIGN_OR_RETURN(g.do_sample, f.Bool("do_sample", false));
  ECGBENCH_ASSIGN_OR_RETURN(g.temperature, f.Double("temperature", 1.0));
  ECGBENCH_ASSIGN_OR_RETURN(g.top_p, f.Double("top_p", 1.0));
  ECGBENCH_ASSIGN_OR_RETURN(g.top_k, f.Int("top_k", 50));
  ECGBENCH_ASSIGN_OR_RETURN(g.max_new_tokens, f.OptionalInt("max_new_tokens"));
  ECGBENCH_ASSIGN_OR_RETURN(g.max_length, f.Int("max_length", 20));
  ECGBENCH_ASSIGN_OR_RETURN(g.repetition_penalty, f.Double("repetition_penalty", 1.0));
  if (g.temperature < 0) return f.Error("temperature", absl::StrCat("must be >= 0, got ", g.temperature));
  if (!(g.top_p > 0 && g.top_p <= 1)) return f.Error("top_p", absl::StrCat("must be in (0, 1], got ", g.top_p));
  if (g.top_k < 0) return f.Error("top_k", absl::StrCat("must be >= 0, got ", g.top_k));
  if (g.max_new_tokens && *g.max_new_tokens <= 0) {
    return f.Error("max_new_tokens", absl::StrCat("must be positive, got ", *g.max_new_tokens));
  }
  if (g.max_length <= 0) return f.Error("max_length", absl::StrCat("must be positive, got ", g.max_length));
  if (!(g.repetition_penalty > 0)) {
    return f.Error("repetition_penalty", absl::StrCat("must be positive, got ", g.repetition_penalty));
  }
  return g;
}

absl::StatusOr<GenerationConfig> LoadGenerationConfig(const std::string& path) {
  std::string file = path;
  if (std::filesystem::is_directory(path)) {
    file = (std::filesystem::path(path) / "generation_config.json").string();
    if (!FileExists(file)) return GenerationConfig{};
  }
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(file));
  return ParseGenerationConfig(text, file);
}

}  // namespace ecgbench::common::model_io
