// PEFT LoRA adapter configuration (adapter_config.json), read and written in the format of HF PEFT
// (LoraConfig, peft 0.13): an adapter trained here loads with PeftModel.from_pretrained and the
// reverse. Absent fields take LoraConfig's defaults (r 8, lora_alpha 8, lora_dropout 0.0, bias
// "none", fan_in_fan_out false, target_modules none = PEFT's per-model default list).
// Unsupported variants (peft_type other than LORA, use_dora, rank_pattern / alpha_pattern,
// layers_to_transform, layer_replication, lora_bias, megatron) are InvalidArgument errors naming the
// file and the field. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ecgbench::common::model_io {

inline constexpr char kAdapterConfigName[] = "adapter_config.json";
inline constexpr char kAdapterWeightsName[] = "adapter_model.safetensors";

enum class LoraBias { kNone, kAll, kLoraOnly };  // "none", "all", "lora_only"

struct LoraAdapterConfig {
  int64_t r = 8;
  double lora_alpha = 8;
  double lora_dropout = 0.0;
  // target_modules as a list: a module matches when its path equals an entry or ends with
  // "." + entry. As a string: a regular expression matched against the whole path, except the
  // special value "all-linear". Both unset: PEFT's default for the model type.
  std::optional<std::vector<std::string>> target_modules;
  std::optional<std::string> target_modules_regex;
  LoraBias bias = LoraBias::kNone;
  std::string task_type = "CAUSAL_LM";
  std::string base_model_name_or_path;
  bool fan_in_fan_out = false;  // true for GPT-2's Conv1D weights ([in, out])
  std::vector<std::string> modules_to_save;
  bool use_rslora = false;
  bool inference_mode = true;

  // lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora.
  double Scaling() const;
  // PEFT's check_target_module_exists for a module path such as "model.layers.0.self_attn.q_proj".
  // With target_modules unset the caller supplies the default list (DefaultPeftTargetModules).
  // "all-linear" matches every path except the output head (ask only about linear modules).
  // InvalidArgument for a regex that does not compile.
  absl::StatusOr<bool> TargetsModule(std::string_view module_path,
                                     const std::vector<std::string>& default_targets = {}) const;
};

absl::StatusOr<LoraAdapterConfig> ParseLoraAdapterConfig(std::string_view json_text, std::string_view file_name);
// Reads `path`, or `path`/adapter_config.json when `path` is a directory.
absl::StatusOr<LoraAdapterConfig> LoadLoraAdapterConfig(const std::string& path);
// JSON as PEFT writes it (sorted keys, 2-space indent, every LoraConfig field PEFT 0.13 reads).
std::string SerializeLoraAdapterConfig(const LoraAdapterConfig& config);
// Atomic write of SerializeLoraAdapterConfig to `path` (a file path).
absl::Status WriteLoraAdapterConfig(const LoraAdapterConfig& config, const std::string& path);

}  // namespace ecgbench::common::model_io
