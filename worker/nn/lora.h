// LoRA adapters for every LanguageModel (language_model.h: Llama 3.x, Qwen2, Gemma 2, GPT-2, OPT),
// with Hugging Face PEFT's math and file format. An adapted projection y = W x + b becomes
//   y = W x + b + scaling * B(A(dropout(x))),  A [r, in], B [out, r], scaling = alpha / r
// (alpha / sqrt(r) with use_rslora), dropout applied on the LoRA input only while the model is in
// training mode (model->train()). A starts kaiming-uniform(a = sqrt(5)) and B at zero, as PEFT
// does, so a fresh adapter changes nothing. Merge folds W += scaling * B A into the base weights
// (the LoRA branch is then skipped); Unmerge subtracts it again (exact up to float rounding).
// GPT-2's Conv1D stores W as [in, out] (PEFT's fan_in_fan_out): A and B keep their shapes and
// merging adds (B A)^T; adapter_config.json carries fan_in_fan_out true for GPT-2, as PEFT writes it.
//
// The adapter is a separate module: it owns the A/B parameters (float32, on the base weight's
// device) and installs ProjectionHooks (layers.h) into the model's projections, so the model's
// named_parameters(), SaveCausalLM and LoadWeights are unchanged. Attaching freezes every model
// parameter (requires_grad false); TrainableParameters lists what an optimizer should get.
//
// Files: SaveLoraAdapter / LoadLoraAdapter read and write PEFT's adapter_config.json and
// adapter_model.safetensors (keys base_model.model.<module path>.lora_{A,B}.weight), so adapters
// move both ways between this code and PeftModel.from_pretrained. Supported subset: LORA with
// bias "none", no modules_to_save (see peft_adapter.h for the rest).
//
// Errors: absl::Status naming the file, key or module. Thread-safety: none (the model and the
// adapter are mutated); one adapter per model at a time (AttachLora refuses a second one).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_io/dtype.h"
#include "common/model_io/peft_adapter.h"
#include "common/model_io/peft_keys.h"
#include "worker/nn/causal_lm.h"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::nn {

struct LoraOptions {
  int64_t rank = 8;
  double alpha = 16;
  double dropout = 0.0;  // in [0, 1)
  std::vector<common::model_io::LoraTarget> targets = {common::model_io::LoraTarget::kQ,
                                                       common::model_io::LoraTarget::kV};
  bool use_rslora = false;
  uint64_t seed = 0;                    // A's initialisation
  std::string base_model_name_or_path;  // written to adapter_config.json (null when empty)
};

// The LoRA branch of one projection; the ProjectionHook the layer calls.
class LoraLinearImpl : public torch::nn::Module, public ProjectionHook {
 public:
  // Parameters "lora_A" [rank, in] (kaiming-uniform from `generator`) and "lora_B" [out, rank]
  // (zeros), float32 on the base weight's device. `base_weight` is [out, in], or [in, out] with
  // `fan_in_fan_out` (GPT-2's Conv1D).
  LoraLinearImpl(torch::Tensor base_weight, bool fan_in_fan_out, int64_t rank, double scaling, double dropout,
                 at::Generator& generator);
  // y + scaling * B A dropout(x) (x cast to float32, the delta cast back to y's dtype); y when merged.
  torch::Tensor Adjust(const torch::Tensor& x, const torch::Tensor& y, bool training) override;
  // scaling * (B @ A), [out, in] float32, detached (transposed to [in, out] with fan_in_fan_out).
  torch::Tensor DeltaWeight() const;
  void Merge();    // no-op when merged
  void Unmerge();  // no-op when not merged
  bool merged() const { return merged_; }
  const torch::Tensor& base_weight() const { return base_weight_; }

  torch::Tensor lora_A, lora_B;

 private:
  torch::Tensor base_weight_;
  bool fan_in_fan_out_;
  double scaling_;
  double dropout_;
  bool merged_ = false;
};
TORCH_MODULE(LoraLinear);

class LoraAdapterImpl : public torch::nn::Module {
 public:
  explicit LoraAdapterImpl(common::model_io::LoraAdapterConfig config) : config_(std::move(config)) {}

  const common::model_io::LoraAdapterConfig& config() const { return config_; }
  // Adapted module paths (e.g. "model.layers.0.self_attn.q_proj"), layer by layer, q k v o gate up down.
  const std::vector<std::string>& module_paths() const { return paths_; }
  size_t size() const { return paths_.size(); }
  LoraLinear& lora(size_t i) { return loras_[i]; }
  // nullptr when `module_path` is not adapted.
  LoraLinearImpl* Find(const std::string& module_path);
  // (PEFT key, parameter) for every lora_A / lora_B, in module order, A before B.
  std::vector<std::pair<std::string, torch::Tensor>> NamedPeftTensors() const;

  void Merge();
  void Unmerge();
  bool merged() const { return !loras_.empty() && loras_.front()->merged(); }
  // Unmerges and removes the hooks from the model (the model's parameters stay frozen). The
  // adapter keeps its parameters and can be saved afterwards.
  void Detach();

  // Used by AttachLora: adapts `site` by installing a hook into its slot (its owner is kept alive
  // while attached).
  void Add(const LoraSite& site, at::Generator& generator);

 private:
  struct Slot {
    std::shared_ptr<torch::nn::Module> owner;
    std::shared_ptr<ProjectionHook>* hook;
  };
  common::model_io::LoraAdapterConfig config_;
  std::vector<std::string> paths_;
  std::vector<LoraLinear> loras_;
  std::vector<Slot> slots_;
  torch::nn::ModuleList modules_{nullptr};
};
TORCH_MODULE(LoraAdapter);

// Adapts options.targets in every decoder layer and freezes the model's own parameters.
// InvalidArgument for rank <= 0, dropout outside [0, 1), no targets, or a target the architecture
// lacks (gate on GPT-2 / OPT); FailedPrecondition when the model already carries an adapter.
absl::StatusOr<LoraAdapter> AttachLora(LanguageModel& model, const LoraOptions& options);
// Attaches per an already parsed PEFT config (targets matched against every projection path as
// PEFT does: list suffixes, a regex or "all-linear"); A initialised from `seed`, B zero.
absl::StatusOr<LoraAdapter> AttachLora(LanguageModel& model, const common::model_io::LoraAdapterConfig& config,
                                       uint64_t seed);
// `dir`/adapter_config.json and `dir`/adapter_model.safetensors (creates `dir`; atomic writes);
// tensors stored as `dtype` (F32, F16 or BF16).
absl::Status SaveLoraAdapter(LoraAdapter& adapter, const std::string& dir,
                             common::model_io::DType dtype = common::model_io::DType::kF32);
// Reads a PEFT adapter directory and attaches it. Every targeted projection needs both tensors with
// shapes [r, in] / [out, r]; missing, extra or misshaped tensors are InvalidArgument naming the key.
absl::StatusOr<LoraAdapter> LoadLoraAdapter(LanguageModel& model, const std::string& dir);
// Every parameter that requires grad: the model's (HF names) then the adapter's (PEFT keys). After
// AttachLora, exactly the adapter's lora_A / lora_B tensors.
std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters(LanguageModel& model, LoraAdapter& adapter);

// The same on a Llama-family holder (wrapped with AsLanguageModel).
absl::StatusOr<LoraAdapter> AttachLora(CausalLM& model, const LoraOptions& options);
absl::StatusOr<LoraAdapter> AttachLora(CausalLM& model, const common::model_io::LoraAdapterConfig& config,
                                       uint64_t seed);
absl::StatusOr<LoraAdapter> LoadLoraAdapter(CausalLM& model, const std::string& dir);
std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters(CausalLM& model, LoraAdapter& adapter);

}  // namespace ecgbench::worker::nn
