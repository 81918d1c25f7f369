// PEFT's tensor names in adapter_model.safetensors and the module paths LoRA targets, per
// architecture. Our decoder modules are registered under the Hugging Face module names, so a
// module path here ("model.layers.0.self_attn.q_proj") is both ours and HF's; PEFT stores
//   base_model.model.<module path>.lora_A.weight   [r, in_features]
//   base_model.model.<module path>.lora_B.weight   [out_features, r]
// (also with fan_in_fan_out: only the base weight is transposed) and a modules_to_save module's
// tensors as base_model.model.<module path>.<param>. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model_io/model_config.h"

namespace ecgbench::common::model_io {

inline constexpr char kPeftKeyPrefix[] = "base_model.model.";

enum class LoraPart { kA, kB };

// "base_model.model.<module_path>.lora_A.weight" / ".lora_B.weight".
std::string PeftLoraKey(std::string_view module_path, LoraPart part);

struct PeftKey {
  enum class Kind { kLoraA, kLoraB, kSavedTensor };
  Kind kind = Kind::kLoraA;
  std::string module_path;  // kLoraA/kLoraB: the adapted module; kSavedTensor: the full tensor name
};
// Inverse of PeftLoraKey; other "base_model.model." keys are kSavedTensor ("lm_head.weight").
// InvalidArgument naming the key for a key without the prefix, a LoRA key still carrying an
// adapter name ("lora_A.default.weight"), or LoRA tensors we do not support (lora_embedding_*,
// lora_magnitude_vector, lora_B.bias).
absl::StatusOr<PeftKey> ParsePeftKey(std::string_view key);

// The projections the issue lets LoRA target (upstream HEAD default: q, v; paper era: all seven).
enum class LoraTarget { kQ, kK, kV, kO, kGate, kUp, kDown };
// Accepts "q", "k", "v", "o", "gate", "up", "down" and the llama-style "q_proj" ... "down_proj".
absl::StatusOr<LoraTarget> ParseLoraTarget(std::string_view name);
std::string_view LoraTargetName(LoraTarget target);  // "q", ...

// The path, inside the HF causal-LM module, of `target` in decoder layer `layer`:
//   llama/qwen2/gemma2: model.layers.<i>.self_attn.{q,k,v,o}_proj, model.layers.<i>.mlp.{gate,up,down}_proj
//   gpt2: transformer.h.<i>.attn.c_attn (q, k and v are one fused Conv1D), .attn.c_proj (o),
//         .mlp.c_fc (up), .mlp.c_proj (down)
//   opt:  model.decoder.layers.<i>.self_attn.{q,k,v}_proj, .self_attn.out_proj (o), .fc1 (up), .fc2 (down)
// InvalidArgument for gate on gpt2/opt (no gated MLP) and for a negative layer.
absl::StatusOr<std::string> LoraModulePath(Architecture arch, int64_t layer, LoraTarget target);

// The adapter_config.json target_modules entries for `targets` (suffixes PEFT matches against
// module paths; deduplicated, in the order given): e.g. gpt2 {q, v, o} -> {"c_attn", "attn.c_proj"}.
absl::StatusOr<std::vector<std::string>> PeftTargetModules(Architecture arch, const std::vector<LoraTarget>& targets);
// PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING entry, used when target_modules is unset:
// {"q_proj", "v_proj"} for llama, qwen2, gemma2, opt; {"c_attn"} for gpt2.
std::vector<std::string> DefaultPeftTargetModules(Architecture arch);
// Whether PEFT needs fan_in_fan_out for this architecture's targets (GPT-2's Conv1D).
bool PeftFanInFanOut(Architecture arch);

}  // namespace ecgbench::common::model_io
