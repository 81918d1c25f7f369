// LoRA for the Llama-family causal LMs: the per-projection branch, attaching to a model, merge /
// unmerge, and PEFT adapter files (see lora.h for the contract).
#include "worker/nn/lora.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/safetensors_file.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/nn/parameter_io.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::DType;
using common::model_io::LoraAdapterConfig;
using common::model_io::LoraBias;
using common::model_io::LoraPart;
using common::model_io::LoraTarget;
using common::model_io::PeftKey;


// Attaches without freezing the model (LoadLoraAdapter freezes only once the weights loaded).
absl::StatusOr<LoraAdapter> AttachUnfrozen(LanguageModel& model, LoraAdapterConfig config, uint64_t seed) {
  if (config.r <= 0) return absl::InvalidArgumentError(absl::StrCat("LoRA: r must be positive, got ", config.r));
  if (!(config.lora_dropout >= 0 && config.lora_dropout < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("LoRA: lora_dropout must be in [0, 1), got ", config.lora_dropout));
  }
  if (config.bias != LoraBias::kNone) {
    return absl::InvalidArgumentError("LoRA: bias other than \"none\" is not supported (trainable base biases)");
  }
  if (!config.modules_to_save.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("LoRA: modules_to_save is not supported, got [",
                                                   absl::StrJoin(config.modules_to_save, ", "), "]"));
  }
  const common::model_io::Architecture arch = model.config().architecture;
  if (const bool layout = common::model_io::PeftFanInFanOut(arch); config.fan_in_fan_out != layout) {
    // PEFT does the same: warn and use the layout of the targeted layers (Conv1D [in, out] for GPT-2).
    spdlog::warn("LoRA: fan_in_fan_out is {} but the {} targets are {}; using {} as PEFT does", config.fan_in_fan_out,
                 model.config().model_type, layout ? "Conv1D layers" : "Linear layers", layout);
    config.fan_in_fan_out = layout;
  }
  const std::vector<LoraSite> sites = model.LoraSites();
  const std::vector<std::string> defaults = common::model_io::DefaultPeftTargetModules(arch);
  std::vector<const LoraSite*> chosen;
  for (const LoraSite& site : sites) {
    ECGBENCH_ASSIGN_OR_RETURN(const bool targeted, config.TargetsModule(site.path, defaults));
    if (!targeted) continue;
    if (*site.slot != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("LoRA: ", site.path, " already carries an adapter (Detach it before attaching another)"));
    }
    chosen.push_back(&site);
  }
  if (chosen.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("LoRA: target_modules match no projection of the ",
                                                   model.config().model_type, " model"));
  }
  at::Generator generator = at::detail::createCPUGenerator(seed);
  LoraAdapter adapter(std::move(config));
  for (const LoraSite* site : chosen) adapter->Add(*site, generator);
  return adapter;
}

void Freeze(LanguageModel& model) {
  for (torch::Tensor& p : model.module().parameters(/*recurse=*/true)) p.set_requires_grad(false);
}

}  // namespace

LoraLinearImpl::LoraLinearImpl(torch::Tensor base_weight, bool fan_in_fan_out, int64_t rank, double scaling,
                               double dropout, at::Generator& generator)
    : base_weight_(std::move(base_weight)), fan_in_fan_out_(fan_in_fan_out), scaling_(scaling), dropout_(dropout) {
  const torch::Tensor& weight = base_weight_;
  const int64_t out_features = weight.size(fan_in_fan_out ? 1 : 0), in_features = weight.size(fan_in_fan_out ? 0 : 1);
  // torch.nn.init.kaiming_uniform_(A, a=sqrt(5)): gain sqrt(2 / (1 + a^2)), bound gain * sqrt(3 / fan_in).
  const double gain = std::sqrt(2.0 / (1.0 + 5.0));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(in_features));
  torch::Tensor a = torch::empty({rank, in_features}, torch::kFloat);
  a.uniform_(-bound, bound, generator);
  lora_A = register_parameter("lora_A", a.to(weight.device()));
  lora_B = register_parameter("lora_B",
                              torch::zeros({out_features, rank}, torch::dtype(torch::kFloat).device(weight.device())));
}

torch::Tensor LoraLinearImpl::Adjust(const torch::Tensor& x, const torch::Tensor& y, bool training) {
  if (merged_) return y;
  torch::Tensor h = x.to(lora_A.scalar_type());
  if (dropout_ > 0 && training) h = torch::dropout(h, dropout_, /*train=*/true);
  namespace F = torch::nn::functional;
  const torch::Tensor delta = F::linear(F::linear(h, lora_A), lora_B) * scaling_;
  return y + delta.to(y.scalar_type());
}

torch::Tensor LoraLinearImpl::DeltaWeight() const {
  torch::NoGradGuard no_grad;
  const torch::Tensor delta = torch::matmul(lora_B, lora_A) * scaling_;  // PEFT: (B @ A) * scaling
  return fan_in_fan_out_ ? delta.t() : delta;
}

void LoraLinearImpl::Merge() {
  if (merged_) return;
  torch::NoGradGuard no_grad;
  base_weight_.add_(DeltaWeight().to(base_weight_.scalar_type()));
  merged_ = true;
}

void LoraLinearImpl::Unmerge() {
  if (!merged_) return;
  torch::NoGradGuard no_grad;
  base_weight_.sub_(DeltaWeight().to(base_weight_.scalar_type()));
  merged_ = false;
}

LoraLinearImpl* LoraAdapterImpl::Find(const std::string& module_path) {
  for (size_t i = 0; i < paths_.size(); ++i) {
    if (paths_[i] == module_path) return loras_[i].get();
  }
  return nullptr;
}

std::vector<std::pair<std::string, torch::Tensor>> LoraAdapterImpl::NamedPeftTensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  out.reserve(2 * paths_.size());
  for (size_t i = 0; i < paths_.size(); ++i) {
    out.emplace_back(common::model_io::PeftLoraKey(paths_[i], LoraPart::kA), loras_[i]->lora_A);
    out.emplace_back(common::model_io::PeftLoraKey(paths_[i], LoraPart::kB), loras_[i]->lora_B);
  }
  return out;
}

void LoraAdapterImpl::Merge() {
  for (LoraLinear& l : loras_) l->Merge();
}

void LoraAdapterImpl::Unmerge() {
  for (LoraLinear& l : loras_) l->Unmerge();
}

void LoraAdapterImpl::Detach() {
  Unmerge();
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].hook != nullptr && slots_[i].hook->get() == loras_[i].get()) slots_[i].hook->reset();
    slots_[i] = Slot{nullptr, nullptr};
  }
}

void LoraAdapterImpl::Add(const LoraSite& site, at::Generator& generator) {
  if (!modules_) modules_ = register_module("loras", torch::nn::ModuleList());
  LoraLinear lora(site.weight, site.fan_in_fan_out, config_.r, config_.Scaling(), config_.lora_dropout, generator);
  modules_->push_back(lora);
  *site.slot = lora.ptr();
  paths_.push_back(site.path);
  loras_.push_back(std::move(lora));
  slots_.push_back(Slot{site.owner, site.slot});
}

absl::StatusOr<LoraAdapter> AttachLora(LanguageModel& model, const LoraAdapterConfig& config, uint64_t seed) {
  ECGBENCH_ASSIGN_OR_RETURN(LoraAdapter adapter, AttachUnfrozen(model, config, seed));
  Freeze(model);
  return adapter;
}

absl::StatusOr<LoraAdapter> AttachLora(LanguageModel& model, const LoraOptions& options) {
  if (options.targets.empty()) return absl::InvalidArgumentError("LoRA: no target modules given");
  LoraAdapterConfig config;
  config.r = options.rank;
  config.lora_alpha = options.alpha;
  config.lora_dropout = options.dropout;
  config.use_rslora = options.use_rslora;
  config.base_model_name_or_path = options.base_model_name_or_path;
  ECGBENCH_ASSIGN_OR_RETURN(config.target_modules,
                            common::model_io::PeftTargetModules(model.config().architecture, options.targets));
  return AttachLora(model, config, options.seed);
}

absl::Status SaveLoraAdapter(LoraAdapter& adapter, const std::string& dir, DType dtype) {
  if (!common::model_io::IsFloatingWeightDType(dtype)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SaveLoraAdapter: dtype ", std::string(common::model_io::DTypeName(dtype)), " is not F32, F16 or BF16"));
  }
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir));
  common::model_io::SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "pt"));
  for (const auto& [key, param] : adapter->NamedPeftTensors()) {
    const torch::Tensor values = param.detach().to(torch::kCPU, torch::kFloat).contiguous();
    const absl::Span<const float> data(values.data_ptr<float>(), static_cast<size_t>(values.numel()));
    ECGBENCH_RETURN_IF_ERROR(writer.AddFloat32(key, values.sizes().vec(), data, dtype));
  }
  const std::filesystem::path base(dir);
  ECGBENCH_RETURN_IF_ERROR(writer.Write((base / common::model_io::kAdapterWeightsName).string()));
  LoraAdapterConfig config = adapter->config();
  config.inference_mode = true;  // PEFT's save_pretrained writes inference_mode true
  return common::model_io::WriteLoraAdapterConfig(config, (base / common::model_io::kAdapterConfigName).string());
}

absl::StatusOr<LoraAdapter> LoadLoraAdapter(LanguageModel& model, const std::string& dir) {
  const std::filesystem::path base(dir);
  const std::string config_path = (base / common::model_io::kAdapterConfigName).string();
  const std::string weights_path = (base / common::model_io::kAdapterWeightsName).string();
  ECGBENCH_ASSIGN_OR_RETURN(const LoraAdapterConfig config, common::model_io::LoadLoraAdapterConfig(config_path));
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::SafetensorsFile file,
                            common::model_io::SafetensorsFile::Open(weights_path));
  absl::StatusOr<LoraAdapter> attached = AttachUnfrozen(model, config, /*seed=*/0);
  if (!attached.ok()) {
    return absl::Status(attached.status().code(), absl::StrCat(config_path, ": ", attached.status().message()));
  }
  LoraAdapter adapter = *std::move(attached);

  auto fail = [&](const std::string& message) {
    adapter->Detach();
    return absl::InvalidArgumentError(absl::StrCat(weights_path, ": ", message));
  };
  std::map<std::string, int> seen;  // module path -> bit 1: A, bit 2: B
  torch::NoGradGuard no_grad;
  for (const common::model_io::TensorInfo& info : file.tensors()) {
    absl::StatusOr<PeftKey> key = common::model_io::ParsePeftKey(info.name);
    if (!key.ok()) return fail(std::string(key.status().message()));
    if (key->kind == PeftKey::Kind::kSavedTensor) {
      return fail(absl::StrCat("tensor '", info.name, "' is a modules_to_save / bias tensor, which is not supported"));
    }
    LoraLinearImpl* lora = adapter->Find(key->module_path);
    if (lora == nullptr) {
      return fail(absl::StrCat("tensor '", info.name, "' adapts '", key->module_path,
                               "', which adapter_config.json does not target in this ", model.config().model_type,
                               " model"));
    }
    const bool is_a = key->kind == PeftKey::Kind::kLoraA;
    torch::Tensor& param = is_a ? lora->lora_A : lora->lora_B;
    const common::model_io::TensorView view = file.View(info);
    if (!std::equal(view.shape.begin(), view.shape.end(), param.sizes().begin(), param.sizes().end())) {
      return fail(absl::StrCat("tensor '", info.name, "' has shape ", ShapeText(info.shape),
                               ", expected ", ShapeText(param.sizes().vec()), " (r = ", config.r, ")"));
    }
    torch::Tensor staging = torch::empty(param.sizes(), torch::kFloat);
    const absl::Status read = common::model_io::ReadFloat32(
        view, absl::Span<float>(staging.data_ptr<float>(), static_cast<size_t>(staging.numel())));
    if (!read.ok()) return fail(std::string(read.message()));
    param.copy_(staging);
    seen[key->module_path] |= is_a ? 1 : 2;
  }
  for (const std::string& path : adapter->module_paths()) {
    const int got = seen[path];
    if (got != 3) {
      const LoraPart missing = (got & 1) ? LoraPart::kB : LoraPart::kA;
      return fail(absl::StrCat("no tensor '", common::model_io::PeftLoraKey(path, missing), "' for targeted module '",
                               path, "'"));
    }
  }
  Freeze(model);
  return adapter;
}

std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters(LanguageModel& model, LoraAdapter& adapter) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : model.module().named_parameters(/*recurse=*/true)) {
    if (item.value().requires_grad()) out.emplace_back(item.key(), item.value());
  }
  for (auto& [key, param] : adapter->NamedPeftTensors()) {
    if (param.requires_grad()) out.emplace_back(std::move(key), param);
  }
  return out;
}

absl::StatusOr<LoraAdapter> AttachLora(CausalLM& model, const LoraOptions& options) {
  return AttachLora(*AsLanguageModel(model), options);
}
absl::StatusOr<LoraAdapter> AttachLora(CausalLM& model, const LoraAdapterConfig& config, uint64_t seed) {
  return AttachLora(*AsLanguageModel(model), config, seed);
}
absl::StatusOr<LoraAdapter> LoadLoraAdapter(CausalLM& model, const std::string& dir) {
  return LoadLoraAdapter(*AsLanguageModel(model), dir);
}
std::vector<std::pair<std::string, torch::Tensor>> TrainableParameters(CausalLM& model, LoraAdapter& adapter) {
  return TrainableParameters(*AsLanguageModel(model), adapter);
}

}  // namespace ecgbench::worker::nn
