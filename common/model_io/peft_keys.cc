// PEFT key <-> module path mapping and the per-architecture module names LoRA targets.
#include "common/model_io/peft_keys.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/model_io/absl_view.h"

namespace ecgbench::common::model_io {
namespace {

constexpr std::string_view kTargetNames[] = {"q", "k", "v", "o", "gate", "up", "down"};

// Module name of `target` below the decoder layer, or "" when the architecture has none.
std::string_view LayerSuffix(Architecture arch, LoraTarget target) {
  switch (arch) {
    case Architecture::kGpt2: {
      constexpr std::string_view kGpt2[] = {"attn.c_attn", "attn.c_attn", "attn.c_attn", "attn.c_proj",
                                            "",            "mlp.c_fc",    "mlp.c_proj"};
      return kGpt2[static_cast<int>(target)];
    }
    case Architecture::kOpt: {
      constexpr std::string_view kOpt[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                           "self_attn.out_proj", "", "fc1", "fc2"};
      return kOpt[static_cast<int>(target)];
    }
    default: {
      constexpr std::string_view kLlama[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                             "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                                             "mlp.down_proj"};
      return kLlama[static_cast<int>(target)];
    }
  }
}

std::string_view LayersPrefix(Architecture arch) {
  switch (arch) {
    case Architecture::kGpt2: return "transformer.h.";
    case Architecture::kOpt: return "model.decoder.layers.";
    default: return "model.layers.";
  }
}

}  // namespace

std::string PeftLoraKey(std::string_view module_path, LoraPart part) {
  return absl::StrCat(kPeftKeyPrefix, Sv(module_path), part == LoraPart::kA ? ".lora_A.weight" : ".lora_B.weight");
}

absl::StatusOr<PeftKey> ParsePeftKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("PEFT key '", Sv(key), "': ", Sv(why)));
  };
  if (!absl::StartsWith(Sv(key), kPeftKeyPrefix)) return bad(absl::StrCat("does not start with \"", kPeftKeyPrefix, "\""));
  std::string_view rest = key.substr(std::string_view(kPeftKeyPrefix).size());
  PeftKey out;
  for (const auto& [suffix, kind] : {std::pair<std::string_view, PeftKey::Kind>{".lora_A.weight", PeftKey::Kind::kLoraA},
                                     {".lora_B.weight", PeftKey::Kind::kLoraB}}) {
    if (absl::EndsWith(Sv(rest), Sv(suffix))) {
      out.kind = kind;
      out.module_path = std::string(rest.substr(0, rest.size() - suffix.size()));
      if (out.module_path.empty()) return bad("no module path before the LoRA suffix");
      return out;
    }
  }
  for (std::string_view marker : {".lora_A.", ".lora_B.", ".lora_embedding_A", ".lora_embedding_B",
                                  ".lora_magnitude_vector"}) {
    if (absl::StrContains(absl::StrCat(".", Sv(rest)), Sv(marker))) {
      return bad("unsupported LoRA tensor (adapter-named keys, embedding LoRA, DoRA and LoRA biases are not supported)");
    }
  }
  if (rest.empty()) return bad("no tensor name after the prefix");
  out.kind = PeftKey::Kind::kSavedTensor;
  out.module_path = std::string(rest);
  return out;
}

absl::StatusOr<LoraTarget> ParseLoraTarget(std::string_view name) {
  std::string_view base = name;
  if (absl::EndsWith(Sv(base), "_proj")) base.remove_suffix(5);
  for (size_t i = 0; i < std::size(kTargetNames); ++i) {
    if (base == kTargetNames[i]) return static_cast<LoraTarget>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("LoRA target '", Sv(name),
                                                 "' is not one of q, k, v, o, gate, up, down (or q_proj ... down_proj)"));
}

std::string_view LoraTargetName(LoraTarget target) { return kTargetNames[static_cast<int>(target)]; }

absl::StatusOr<std::string> LoraModulePath(Architecture arch, int64_t layer, LoraTarget target) {
  if (layer < 0) return absl::InvalidArgumentError(absl::StrCat("LoRA module path: negative layer ", layer));
  const std::string_view suffix = LayerSuffix(arch, target);
  if (suffix.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("LoRA target '", Sv(LoraTargetName(target)), "' does not exist in ",
                                                   Sv(ArchitectureName(arch)), " (no gated MLP)"));
  }
  return absl::StrCat(Sv(LayersPrefix(arch)), layer, ".", Sv(suffix));
}

absl::StatusOr<std::vector<std::string>> PeftTargetModules(Architecture arch, const std::vector<LoraTarget>& targets) {
  std::vector<std::string> out;
  for (LoraTarget target : targets) {
    std::string_view suffix = LayerSuffix(arch, target);
    if (suffix.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("LoRA target '", Sv(LoraTargetName(target)), "' does not exist in ",
                                                     Sv(ArchitectureName(arch)), " (no gated MLP)"));
    }
    // Llama-likes and OPT: the leaf name is unique within a layer; GPT-2's c_proj is not, and
    // c_attn is PEFT's conventional spelling.
    std::string name;
    if (arch == Architecture::kGpt2) {
      name = suffix == "attn.c_attn" ? "c_attn" : std::string(suffix);
    } else {
      name = std::string(suffix.substr(suffix.rfind('.') == std::string_view::npos ? 0 : suffix.rfind('.') + 1));
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

std::vector<std::string> DefaultPeftTargetModules(Architecture arch) {
  if (arch == Architecture::kGpt2) return {"c_attn"};
  return {"q_proj", "v_proj"};
}

bool PeftFanInFanOut(Architecture arch) { return arch == Architecture::kGpt2; }

}  // namespace ecgbench::common::model_io
