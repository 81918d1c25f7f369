// GPT-2 and OPT causal LMs from and to Hugging Face checkpoint directories; config.json; seeded
// random init (see gpt2_opt_io.h).
#include "worker/nn/gpt2_opt_io.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/nn/parameter_io.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Architecture;
using common::model_io::Checkpoint;
using common::model_io::DType;
using common::model_io::ModelConfig;
using common::model_io::TensorView;


// What one architecture's loader needs to know besides the parameters.
struct NameRules {
  absl::string_view base_prefix;  // "transformer." / "model."
  bool tied = false;
  bool gpt2 = false;
};

// Tensors transformers skips when loading (_keys_to_ignore_on_load_unexpected and tied heads).
bool Ignored(const std::string& name, const NameRules& rules) {
  if (rules.tied && name == "lm_head.weight") return true;
  return rules.gpt2 && (absl::EndsWith(name, ".attn.bias") || absl::EndsWith(name, ".attn.masked_bias"));
}

absl::Status LoadParameters(torch::nn::Module& model, const Checkpoint& checkpoint, const NameRules& rules,
                            const std::string& model_type) {
  torch::NoGradGuard no_grad;
  const auto params = model.named_parameters(/*recurse=*/true);
  for (const auto& item : params) {
    const std::string& name = item.key();
    torch::Tensor param = item.value();
    std::string stored = name;
    if (!checkpoint.Contains(stored) && absl::StartsWith(name, rules.base_prefix)) {
      stored = name.substr(rules.base_prefix.size());
    }
    absl::StatusOr<TensorView> view = checkpoint.Tensor(stored);
    if (!view.ok()) {
      const std::string also = stored == name ? "" : absl::StrCat("; nor as '", stored, "'");
      return absl::InvalidArgumentError(absl::StrCat("checkpoint lacks parameter '", name, "' (shape ",
                                                     ShapeText(param.sizes().vec()), also, "): ",
                                                     view.status().message()));
    }
    ECGBENCH_RETURN_IF_ERROR(CopyTensorIntoParameter(*view, stored, param));
  }
  std::vector<std::string> unexpected;
  for (const std::string& name : checkpoint.TensorNames()) {
    const bool known = params.find(name) != nullptr || params.find(absl::StrCat(rules.base_prefix, name)) != nullptr;
    if (!known && !Ignored(name, rules)) unexpected.push_back(name);
  }
  if (!unexpected.empty()) {
    if (unexpected.size() > 5) unexpected.resize(5);
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint has tensors the ", model_type, " model does not: ", absl::StrJoin(unexpected, ", ")));
  }
  return absl::OkStatus();
}

std::string TorchDTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF16: return "float16";
    case DType::kBF16: return "bfloat16";
    default: return "float32";
  }
}

absl::Status SaveModule(torch::nn::Module& model, const ModelConfig& config, const std::string& dir, DType dtype) {
  if (!common::model_io::IsFloatingWeightDType(dtype)) {
    return absl::InvalidArgumentError(absl::StrCat("SaveCausalLM: dtype ", std::string(common::model_io::DTypeName(dtype)),
                                                   " is not F32, F16 or BF16"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::string config_text, SerializeGpt2OptConfig(config, TorchDTypeName(dtype)));
  ECGBENCH_RETURN_IF_ERROR(common::MakeDirs(dir));
  common::model_io::SafetensorsWriter writer;
  ECGBENCH_RETURN_IF_ERROR(writer.SetMetadata("format", "pt"));
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const torch::Tensor values = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    ECGBENCH_RETURN_IF_ERROR(writer.AddFloat32(
        item.key(), values.sizes().vec(),
        absl::Span<const float>(values.data_ptr<float>(), static_cast<size_t>(values.numel())), dtype));
  }
  const std::filesystem::path base(dir);
  ECGBENCH_RETURN_IF_ERROR(writer.Write((base / common::model_io::kSafetensorsSingleName).string()));
  return common::WriteFileAtomic((base / "config.json").string(), config_text);
}

void RandomInitModule(torch::nn::Module& model, uint64_t seed, double stddev) {
  torch::NoGradGuard no_grad;
  std::unordered_set<std::string> norm_weights;
  for (const auto& item : model.named_modules()) {
    if (item.value()->as<torch::nn::LayerNorm>() != nullptr) norm_weights.insert(item.key() + ".weight");
  }
  at::Generator generator = at::detail::createCPUGenerator(seed);
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    torch::Tensor param = item.value();
    torch::Tensor values = torch::empty(param.sizes(), torch::kFloat);
    values.normal_(0.0, stddev, generator);
    if (norm_weights.count(item.key()) > 0) values.add_(1.0);
    param.copy_(values);
  }
}

template <typename Model>
absl::StatusOr<Model> LoadModel(const std::string& dir, absl::StatusOr<Model> (*create)(const ModelConfig&)) {
  ECGBENCH_ASSIGN_OR_RETURN(const ModelConfig config, common::model_io::LoadModelConfig(dir));
  ECGBENCH_ASSIGN_OR_RETURN(const Checkpoint checkpoint, Checkpoint::OpenDirectory(dir));
  ECGBENCH_ASSIGN_OR_RETURN(Model model, create(config));
  ECGBENCH_RETURN_IF_ERROR(LoadWeights(model, checkpoint));
  return model;
}

void PutTokenIds(const ModelConfig& c, nlohmann::json& j) {
  if (c.bos_token_id) j["bos_token_id"] = *c.bos_token_id;
  if (c.eos_token_ids.size() == 1) j["eos_token_id"] = c.eos_token_ids[0];
  if (c.eos_token_ids.size() > 1) j["eos_token_id"] = c.eos_token_ids;
  if (c.pad_token_id) j["pad_token_id"] = *c.pad_token_id;
}

}  // namespace

absl::StatusOr<Gpt2LMHeadModel> CreateGpt2(const ModelConfig& config) {
  if (config.architecture != Architecture::kGpt2 || config.gpt2() == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("model_type '", config.model_type, "': not gpt2"));
  }
  return Gpt2LMHeadModel(config);
}

absl::StatusOr<OptForCausalLM> CreateOpt(const ModelConfig& config) {
  if (config.architecture != Architecture::kOpt || config.opt() == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("model_type '", config.model_type, "': not opt"));
  }
  return OptForCausalLM(config);
}

absl::StatusOr<Gpt2LMHeadModel> LoadGpt2(const std::string& dir) { return LoadModel<Gpt2LMHeadModel>(dir, &CreateGpt2); }
absl::StatusOr<OptForCausalLM> LoadOpt(const std::string& dir) { return LoadModel<OptForCausalLM>(dir, &CreateOpt); }

absl::Status LoadWeights(Gpt2LMHeadModel& model, const Checkpoint& checkpoint) {
  return LoadParameters(*model, checkpoint, {"transformer.", model->config().tie_word_embeddings, true}, "gpt2");
}

absl::Status LoadWeights(OptForCausalLM& model, const Checkpoint& checkpoint) {
  return LoadParameters(*model, checkpoint, {"model.", model->config().tie_word_embeddings, false}, "opt");
}

absl::Status SaveCausalLM(Gpt2LMHeadModel& model, const std::string& dir, DType dtype) {
  return SaveModule(*model, model->config(), dir, dtype);
}

absl::Status SaveCausalLM(OptForCausalLM& model, const std::string& dir, DType dtype) {
  return SaveModule(*model, model->config(), dir, dtype);
}

void RandomInit(Gpt2LMHeadModel& model, uint64_t seed, double stddev) { RandomInitModule(*model, seed, stddev); }

void RandomInit(OptForCausalLM& model, uint64_t seed, double stddev) {
  RandomInitModule(*model, seed, stddev);
  const auto& pad = model->config().pad_token_id;
  if (pad && *pad >= 0 && *pad < model->config().vocab_size) {
    torch::NoGradGuard no_grad;
    model->model->decoder->embed_tokens->weight[*pad].zero_();
  }
}

absl::StatusOr<std::string> SerializeGpt2OptConfig(const ModelConfig& c, const std::string& torch_dtype) {
  nlohmann::json j;
  if (const auto* o = c.gpt2()) {
    j["architectures"] = {"GPT2LMHeadModel"};
    j["model_type"] = "gpt2";
    j["vocab_size"] = c.vocab_size;
    j["n_embd"] = c.hidden_size;
    j["n_layer"] = c.num_hidden_layers;
    j["n_head"] = c.num_attention_heads;
    j["n_inner"] = c.intermediate_size;
    j["n_positions"] = c.max_position_embeddings;
    j["layer_norm_epsilon"] = c.norm_eps;
    j["activation_function"] = c.activation_name;
    j["scale_attn_weights"] = o->scale_attn_weights;
    j["scale_attn_by_inverse_layer_idx"] = o->scale_attn_by_inverse_layer_idx;
    j["reorder_and_upcast_attn"] = o->reorder_and_upcast_attn;
  } else if (const auto* o = c.opt()) {
    j["architectures"] = {"OPTForCausalLM"};
    j["model_type"] = "opt";
    j["vocab_size"] = c.vocab_size;
    j["hidden_size"] = c.hidden_size;
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["num_attention_heads"] = c.num_attention_heads;
    j["ffn_dim"] = c.intermediate_size;
    j["max_position_embeddings"] = c.max_position_embeddings;
    j["activation_function"] = c.activation_name;
    j["do_layer_norm_before"] = o->do_layer_norm_before;
    j["word_embed_proj_dim"] = o->word_embed_proj_dim;
    j["enable_bias"] = o->enable_bias;
    j["layer_norm_elementwise_affine"] = o->layer_norm_elementwise_affine;
    j["_remove_final_layer_norm"] = o->remove_final_layer_norm;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: model_type '", c.model_type, "' is not gpt2 or opt"));
  }
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  PutTokenIds(c, j);
  j["torch_dtype"] = torch_dtype;
  return j.dump(2) + "\n";
}

}  // namespace ecgbench::worker::nn
