// adapter_config.json <-> LoraAdapterConfig, and PEFT's target-module matching rule.
#include "common/model_io/peft_adapter.h"

#include <cmath>
#include <filesystem>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"
#include "common/model_io/config_fields.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::model_io {
namespace {

constexpr char kAllLinear[] = "all-linear";

// std::regex throws std::regex_error on a bad pattern: this is the one place that catches it.
absl::StatusOr<bool> RegexFullMatch(const std::string& pattern, std::string_view text) {
  try {
    const std::regex re(pattern, std::regex::ECMAScript);
    return std::regex_match(text.begin(), text.end(), re);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("target_modules regex \"", pattern, "\" is invalid: ", e.what()));
  }
}

// A field that must be absent, null, false or empty: anything else is an unsupported PEFT feature.
absl::Status RequireUnset(const ConfigFields& f, std::string_view key, std::string_view what) {
  const nlohmann::json* v = f.Find(key);
  if (v == nullptr || (v->is_boolean() && !v->get<bool>()) || ((v->is_object() || v->is_array()) && v->empty())) {
    return absl::OkStatus();
  }
  return f.Error(key, absl::StrCat(Sv(what), " is not supported, got ", DescribeJson(*v)));
}

}  // namespace

double LoraAdapterConfig::Scaling() const {
  return use_rslora ? lora_alpha / std::sqrt(static_cast<double>(r)) : lora_alpha / static_cast<double>(r);
}

absl::StatusOr<bool> LoraAdapterConfig::TargetsModule(std::string_view module_path,
                                                      const std::vector<std::string>& default_targets) const {
  if (target_modules_regex) {
    if (*target_modules_regex == kAllLinear) {
      return module_path != "lm_head" && !absl::EndsWith(Sv(module_path), ".lm_head");
    }
    return RegexFullMatch(*target_modules_regex, module_path);
  }
  const std::vector<std::string>& targets = target_modules ? *target_modules : default_targets;
  for (const std::string& t : targets) {
    if (module_path == t || absl::EndsWith(Sv(module_path), absl::StrCat(".", t))) return true;
  }
  return false;
}

absl::StatusOr<LoraAdapterConfig> ParseLoraAdapterConfig(std::string_view json_text, std::string_view file_name) {
  const std::string file(file_name);
  ECGBENCH_ASSIGN_OR_RETURN(const nlohmann::json json, ParseJson(json_text, file));
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(file, ": must be a JSON object"));
  ConfigFields f(json, file);
  LoraAdapterConfig c;
  ECGBENCH_ASSIGN_OR_RETURN(const std::string peft_type, f.String("peft_type"));
  if (peft_type != "LORA") {
    return f.Error("peft_type", absl::StrCat("\"", peft_type, "\" is not supported (only LORA)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.r, f.Int("r", 8));
  ECGBENCH_ASSIGN_OR_RETURN(c.lora_alpha, f.Double("lora_alpha", 8.0));
  ECGBENCH_ASSIGN_OR_RETURN(c.lora_dropout, f.Double("lora_dropout", 0.0));
  if (c.r <= 0) return f.Error("r", absl::StrCat("must be a positive integer, got ", c.r));
  if (!(c.lora_dropout >= 0 && c.lora_dropout < 1)) {
    return f.Error("lora_dropout", absl::StrCat("must be in [0, 1), got ", c.lora_dropout));
  }
  if (const nlohmann::json* t = f.Find("target_modules"); t != nullptr && t->is_string()) {
    c.target_modules_regex = t->get<std::string>();
    if (*c.target_modules_regex != kAllLinear) {
      ECGBENCH_RETURN_IF_ERROR(RegexFullMatch(*c.target_modules_regex, "").status());
    }
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(c.target_modules, f.StringList("target_modules"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const std::string bias, f.String("bias", "none"));
  if (bias == "none") {
    c.bias = LoraBias::kNone;
  } else if (bias == "all") {
    c.bias = LoraBias::kAll;
  } else if (bias == "lora_only") {
    c.bias = LoraBias::kLoraOnly;
  } else {
    return f.Error("bias", absl::StrCat("must be \"none\", \"all\" or \"lora_only\", got \"", bias, "\""));
  }
  ECGBENCH_ASSIGN_OR_RETURN(c.task_type, f.String("task_type", "CAUSAL_LM"));
  ECGBENCH_ASSIGN_OR_RETURN(c.base_model_name_or_path, f.String("base_model_name_or_path", ""));
  ECGBENCH_ASSIGN_OR_RETURN(c.fan_in_fan_out, f.Bool("fan_in_fan_out", false));
  ECGBENCH_ASSIGN_OR_RETURN(const auto modules_to_save, f.StringList("modules_to_save"));
  if (modules_to_save) c.modules_to_save = *modules_to_save;
  ECGBENCH_ASSIGN_OR_RETURN(c.use_rslora, f.Bool("use_rslora", false));
  ECGBENCH_ASSIGN_OR_RETURN(c.inference_mode, f.Bool("inference_mode", true));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "use_dora", "DoRA"));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "rank_pattern", "a per-module rank_pattern"));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "alpha_pattern", "a per-module alpha_pattern"));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "layers_to_transform", "layers_to_transform"));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "layer_replication", "layer_replication"));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "lora_bias", "lora_bias"));
  ECGBENCH_RETURN_IF_ERROR(RequireUnset(f, "megatron_config", "megatron_config"));
  return c;
}

absl::StatusOr<LoraAdapterConfig> LoadLoraAdapterConfig(const std::string& path) {
  const std::string file =
      std::filesystem::is_directory(path) ? (std::filesystem::path(path) / kAdapterConfigName).string() : path;
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, ReadFile(file));
  return ParseLoraAdapterConfig(text, file);
}

std::string SerializeLoraAdapterConfig(const LoraAdapterConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  j["alpha_pattern"] = nlohmann::json::object();
  j["auto_mapping"] = nullptr;
  j["base_model_name_or_path"] =
      c.base_model_name_or_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.base_model_name_or_path);
  j["bias"] = c.bias == LoraBias::kNone ? "none" : c.bias == LoraBias::kAll ? "all" : "lora_only";
  j["fan_in_fan_out"] = c.fan_in_fan_out;
  j["inference_mode"] = c.inference_mode;
  j["init_lora_weights"] = true;
  j["layer_replication"] = nullptr;
  j["layers_pattern"] = nullptr;
  j["layers_to_transform"] = nullptr;
  j["loftq_config"] = nlohmann::json::object();
  // PEFT declares lora_alpha an int: write integral values as integers.
  if (c.lora_alpha == std::floor(c.lora_alpha) && std::fabs(c.lora_alpha) < 1e15) {
    j["lora_alpha"] = static_cast<int64_t>(c.lora_alpha);
  } else {
    j["lora_alpha"] = c.lora_alpha;
  }
  j["lora_dropout"] = c.lora_dropout;
  j["megatron_config"] = nullptr;
  j["megatron_core"] = "megatron.core";
  j["modules_to_save"] = c.modules_to_save.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.modules_to_save);
  j["peft_type"] = "LORA";
  j["r"] = c.r;
  j["rank_pattern"] = nlohmann::json::object();
  j["revision"] = nullptr;
  if (c.target_modules_regex) {
    j["target_modules"] = *c.target_modules_regex;
  } else if (c.target_modules) {
    j["target_modules"] = *c.target_modules;
  } else {
    j["target_modules"] = nullptr;
  }
  j["task_type"] = c.task_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.task_type);
  j["use_dora"] = false;
  j["use_rslora"] = c.use_rslora;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

absl::Status WriteLoraAdapterConfig(const LoraAdapterConfig& config, const std::string& path) {
  return WriteFileAtomic(path, SerializeLoraAdapterConfig(config));
}

}  // namespace ecgbench::common::model_io
