// BertModel forward pass and its checkpoint I/O (see bert_model.h). The arithmetic follows
// transformers' modeling_bert.py / modeling_roberta.py (eager attention):
// embeddings = LayerNorm((word + token_type) + position); per layer,
// softmax(q k^T / sqrt(head_dim) + (1 - mask) * finfo.min) v, then LayerNorm(dense(ctx) + h),
// GELU(intermediate), LayerNorm(dense + attention output).
#include "worker/nn/text_encoder/bert_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/safetensors_writer.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "worker/nn/parameter_io.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Checkpoint;
using common::model_io::DType;
using common::model_io::TensorView;

constexpr const char* kPrefixes[] = {"bert.", "roberta."};

// A bare container module, so that parameter names nest as in transformers (encoder.layer.0.attention.self.query).
std::shared_ptr<torch::nn::Module> Child(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

torch::nn::LayerNorm MakeLayerNorm(const BertConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}

torch::Tensor Activation(BertActivation act, const torch::Tensor& x) {
  switch (act) {
    case BertActivation::kGelu:
      return torch::gelu(x);
    case BertActivation::kGeluTanh:
      return torch::gelu(x, "tanh");
    case BertActivation::kRelu:
      return torch::relu(x);
  }
  return x;
}

// cls.* / lm_head.* heads (BertForPreTraining / BertForMaskedLM / RobertaForMaskedLM) and buffers
// older transformers saved.
bool IgnoredTensor(const std::string& name) {
  return absl::StartsWith(name, "cls.") || absl::StartsWith(name, "lm_head.") ||
         absl::EndsWith(name, "embeddings.position_ids") || absl::EndsWith(name, "embeddings.token_type_ids");
}

// "encoder.layer.N." (after the prefix) with N >= num_layers.
bool LaterLayerTensor(const std::string& name, int64_t num_layers) {
  constexpr char kLayer[] = "encoder.layer.";
  if (!absl::StartsWith(name, kLayer)) return false;
  const size_t begin = sizeof(kLayer) - 1, dot = name.find('.', begin);
  int64_t index = 0;
  return dot != std::string::npos && absl::SimpleAtoi(absl::string_view(name).substr(begin, dot - begin), &index) &&
         index >= num_layers;
}

}  // namespace

BertModel::BertModel(const BertConfig& config, bool add_pooling_layer) : config_(config) {
  const BertConfig& c = config_;
  auto embeddings = Child(*this, "embeddings");
  word_embeddings_ = embeddings->register_module(
      "word_embeddings", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.hidden_size)));
  position_embeddings_ = embeddings->register_module("position_embeddings",
                                                     torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings_ =
      embeddings->register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  embeddings_norm_ = embeddings->register_module("LayerNorm", MakeLayerNorm(c));
  auto layer_list = Child(*Child(*this, "encoder"), "layer");
  layers_.resize(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    Layer& l = layers_[static_cast<size_t>(i)];
    auto layer = Child(*layer_list, std::to_string(i));
    auto attention = Child(*layer, "attention");
    auto self = Child(*attention, "self");
    l.query = self->register_module("query", torch::nn::Linear(c.hidden_size, c.hidden_size));
    l.key = self->register_module("key", torch::nn::Linear(c.hidden_size, c.hidden_size));
    l.value = self->register_module("value", torch::nn::Linear(c.hidden_size, c.hidden_size));
    auto attn_output = Child(*attention, "output");
    l.attn_out = attn_output->register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
    l.attn_norm = attn_output->register_module("LayerNorm", MakeLayerNorm(c));
    l.intermediate =
        Child(*layer, "intermediate")->register_module("dense", torch::nn::Linear(c.hidden_size, c.intermediate_size));
    auto output = Child(*layer, "output");
    l.output = output->register_module("dense", torch::nn::Linear(c.intermediate_size, c.hidden_size));
    l.output_norm = output->register_module("LayerNorm", MakeLayerNorm(c));
  }
  if (add_pooling_layer) {
    pooler_ = Child(*this, "pooler")->register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  }
}

torch::Tensor BertModel::LayerForward(Layer& l, const torch::Tensor& h, const torch::Tensor& bias) {
  const int64_t b = h.size(0), t = h.size(1), heads = config_.num_attention_heads, d = config_.head_dim();
  const auto split = [&](const torch::Tensor& x) { return x.view({b, t, heads, d}).transpose(1, 2); };
  const torch::Tensor q = split(l.query->forward(h)), k = split(l.key->forward(h)), v = split(l.value->forward(h));
  torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(d));
  if (bias.defined()) scores = scores + bias;
  const torch::Tensor context = torch::matmul(torch::softmax(scores, -1), v).transpose(1, 2).reshape({b, t, heads * d});
  const torch::Tensor attn = l.attn_norm->forward(l.attn_out->forward(context) + h);
  const torch::Tensor inter = Activation(config_.hidden_act, l.intermediate->forward(attn));
  return l.output_norm->forward(l.output->forward(inter) + attn);
}

std::pair<torch::Tensor, torch::Tensor> BertModel::Embed(const torch::Tensor& input_ids,
                                                         const torch::Tensor& attention_mask,
                                                         const torch::Tensor& token_type_ids) {
  TORCH_CHECK(
      input_ids.dim() == 2 && input_ids.scalar_type() == torch::kLong && input_ids.size(0) > 0 && input_ids.size(1) > 0,
      "BertModel: input_ids must be int64 [B >= 1, T >= 1], got ", input_ids.scalar_type(), " ", input_ids.sizes());
  const int64_t b = input_ids.size(0), t = input_ids.size(1);
  const bool roberta = config_.family == BertFamily::kRoberta;
  if (roberta) {
    TORCH_CHECK(t <= config_.max_sequence_length(), "BertModel: sequence length ", t, " exceeds ",
                config_.max_sequence_length(), " (max_position_embeddings ", config_.max_position_embeddings,
                " less pad_token_id + 1)");
  } else {
    TORCH_CHECK(t <= config_.max_position_embeddings, "BertModel: sequence length ", t,
                " exceeds max_position_embeddings ", config_.max_position_embeddings);
  }
  TORCH_CHECK(input_ids.min().item<int64_t>() >= 0 && input_ids.max().item<int64_t>() < config_.vocab_size,
              "BertModel: input_ids must lie in [0, ", config_.vocab_size, ")");
  const torch::Tensor weight = word_embeddings_->weight;
  const torch::Tensor ids = input_ids.to(weight.device());
  torch::Tensor types = token_type_ids.defined()
                            ? token_type_ids.to(weight.device(), torch::kLong)
                            : torch::zeros({b, t}, torch::TensorOptions().dtype(torch::kLong).device(weight.device()));
  TORCH_CHECK(types.sizes() == input_ids.sizes(), "BertModel: token_type_ids must be ", input_ids.sizes(), ", got ",
              types.sizes());
  TORCH_CHECK(types.min().item<int64_t>() >= 0 && types.max().item<int64_t>() < config_.type_vocab_size,
              "BertModel: token_type_ids must lie in [0, ", config_.type_vocab_size, ")");
  torch::Tensor h = word_embeddings_->forward(ids) + token_type_embeddings_->forward(types);
  if (roberta) {
    // Real tokens count from pad_token_id + 1; pad tokens sit at pad_token_id.
    const torch::Tensor real = ids.ne(config_.pad_token_id).to(torch::kLong);
    const torch::Tensor positions = torch::cumsum(real, 1).mul(real).add(config_.pad_token_id);
    h = embeddings_norm_->forward(h + position_embeddings_->forward(positions));
  } else {
    const torch::Tensor positions =
        torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(weight.device()));
    h = embeddings_norm_->forward(h + position_embeddings_->forward(positions).unsqueeze(0));
  }
  torch::Tensor bias;
  if (attention_mask.defined()) {
    TORCH_CHECK(attention_mask.sizes() == input_ids.sizes(), "BertModel: attention_mask must be ", input_ids.sizes(),
                ", got ", attention_mask.sizes());
    const double lowest = std::numeric_limits<float>::lowest();
    bias = (1.0 - attention_mask.to(weight.device(), h.scalar_type())).mul(lowest).view({b, 1, 1, t});
  }
  return {h, bias};
}

BertOutput BertModel::Forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                              const torch::Tensor& token_type_ids) {
  auto [h, bias] = Embed(input_ids, attention_mask, token_type_ids);
  for (Layer& l : layers_) h = LayerForward(l, h, bias);
  torch::Tensor pooled;
  if (has_pooler()) pooled = torch::tanh(pooler_->forward(h.select(1, 0)));
  return {h, pooled};
}

torch::Tensor BertModel::HiddenState(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                     int64_t layer) {
  TORCH_CHECK(layer >= 0 && layer <= config_.num_hidden_layers, "BertModel: layer ", layer, " is outside [0, ",
              config_.num_hidden_layers, "] (num_hidden_layers)");
  auto [h, bias] = Embed(input_ids, attention_mask, {});
  for (int64_t i = 0; i < layer; ++i) h = LayerForward(layers_[static_cast<size_t>(i)], h, bias);
  return h;
}

absl::Status LoadBertWeights(BertModel& model, const Checkpoint& checkpoint, bool skip_later_layers) {
  torch::NoGradGuard no_grad;
  std::string prefix;
  for (const char* p : kPrefixes) {
    if (checkpoint.Contains(absl::StrCat(p, "embeddings.word_embeddings.weight"))) prefix = p;
  }
  absl::flat_hash_set<std::string> expected;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const std::string name = prefix + item.key();
    expected.insert(name);
    absl::StatusOr<TensorView> view = checkpoint.Tensor(name);
    if (!view.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint lacks tensor '", name, "' (the BERT text encoder expects shape ",
                       ShapeText(item.value().sizes().vec()), "): ", view.status().message()));
    }
    ECGBENCH_RETURN_IF_ERROR(CopyTensorIntoParameter(*view, name, item.value()));
  }
  std::vector<std::string> unexpected;
  size_t unexpected_count = 0;
  for (const std::string& name : checkpoint.TensorNames()) {
    if (expected.contains(name) || IgnoredTensor(name)) continue;
    if (absl::StartsWith(name, prefix)) {
      const std::string bare = name.substr(prefix.size());
      if (!model.has_pooler() && absl::StartsWith(bare, "pooler.")) continue;
      if (skip_later_layers && LaterLayerTensor(bare, model.config().num_hidden_layers)) continue;
    }
    if (++unexpected_count > 5) continue;
    absl::StatusOr<TensorView> view = checkpoint.Tensor(name);
    absl::StatusOr<std::string> shard = checkpoint.ShardOf(name);
    unexpected.push_back(absl::StrCat("'", name, "' ", view.ok() ? ShapeText(view->shape) : std::string("[?]"), " in ",
                                      shard.ok() ? *shard : std::string("?")));
  }
  if (unexpected_count > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint has ", unexpected_count, " tensor(s) the BERT text encoder does not have: ",
                     absl::StrJoin(unexpected, ", "), unexpected_count > unexpected.size() ? ", ..." : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<BertModel>> LoadBertModel(const std::string& dir) {
  ECGBENCH_ASSIGN_OR_RETURN(const BertConfig config, LoadBertConfig(dir));
  ECGBENCH_ASSIGN_OR_RETURN(const Checkpoint checkpoint, Checkpoint::OpenDirectory(dir));
  auto model = std::make_shared<BertModel>(config);
  ECGBENCH_RETURN_IF_ERROR(LoadBertWeights(*model, checkpoint));
  model->eval();
  return model;
}

absl::StatusOr<std::shared_ptr<BertModel>> LoadBertFamilyModel(const std::string& dir, const BertLoadOptions& options) {
  ECGBENCH_ASSIGN_OR_RETURN(BertConfig config, LoadBertFamilyConfig(dir));
  if (options.num_layers > config.num_hidden_layers) {
    return absl::InvalidArgumentError(absl::StrCat(
        (std::filesystem::path(dir) / "config.json").string(), ": field \"num_hidden_layers\": the model has ",
        config.num_hidden_layers, " layers, ", options.num_layers, " were asked for"));
  }
  if (options.num_layers >= 0) config.num_hidden_layers = options.num_layers;
  ECGBENCH_ASSIGN_OR_RETURN(const Checkpoint checkpoint, Checkpoint::OpenDirectory(dir));
  auto model = std::make_shared<BertModel>(config, options.add_pooling_layer);
  ECGBENCH_RETURN_IF_ERROR(LoadBertWeights(*model, checkpoint, /*skip_later_layers=*/options.num_layers >= 0));
  model->eval();
  return model;
}

absl::Status SaveBertModel(BertModel& model, const std::string& dir, DType dtype) {
  if (!common::model_io::IsFloatingWeightDType(dtype)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SaveBertModel: dtype ", std::string(common::model_io::DTypeName(dtype)), " is not F32, F16 or BF16"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const std::string config_text, SerializeBertConfig(model.config()));
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

void RandomInitBert(BertModel& model, uint64_t seed, double stddev) {
  torch::NoGradGuard no_grad;
  at::Generator generator = at::detail::createCPUGenerator(seed);
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    torch::Tensor values = torch::empty(item.value().sizes(), torch::kFloat);
    values.normal_(0.0, stddev, generator);
    item.value().copy_(values);
  }
  for (const auto& item : model.named_modules()) {
    if (auto* norm = item.value()->as<torch::nn::LayerNorm>(); norm != nullptr) norm->weight.add_(1.0);
  }
}

}  // namespace ecgbench::worker::nn
