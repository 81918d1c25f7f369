// The LanguageModel adapters over the Llama-family, GPT-2 and OPT holders, and the dispatching
// create / load / save / init functions (see language_model.h).
#include "worker/nn/language_model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/model_io/model_config.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "worker/nn/causal_lm_io.h"
#include "worker/nn/gpt2_opt_io.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::Architecture;

std::shared_ptr<torch::nn::Module> AsModule(std::shared_ptr<torch::nn::Module> m) { return m; }

void AddLinearSite(std::vector<LoraSite>& sites, std::string path, torch::nn::Linear& linear,
                   std::shared_ptr<torch::nn::Module> owner, std::shared_ptr<ProjectionHook>* slot) {
  sites.push_back({std::move(path), linear->weight, false, std::move(owner), slot});
}

// What the three families share: every holder has config(), Logits, EmbedTokens, set_vocab_size,
// lm_head, and the SaveCausalLM / RandomInit overloads of its *_io.h.
template <typename Holder>
class Adapter : public LanguageModel {
 public:
  explicit Adapter(Holder model) : model_(std::move(model)) {}
  torch::nn::Module& module() override { return *model_; }
  const common::model_io::ModelConfig& config() const override { return model_->config(); }
  torch::Tensor Logits(const torch::Tensor& hidden) override { return model_->Logits(hidden); }
  torch::Tensor EmbedTokens(const torch::Tensor& ids) override { return model_->EmbedTokens(ids); }
  torch::nn::Linear* lm_head() override { return model_->lm_head ? &model_->lm_head : nullptr; }
  void SetVocabSize(int64_t vocab_size) override { model_->set_vocab_size(vocab_size); }
  absl::Status Save(const std::string& dir, common::model_io::DType dtype) override {
    return SaveCausalLM(model_, dir, dtype);
  }
  void RandomInit(uint64_t seed, double stddev) override { nn::RandomInit(model_, seed, stddev); }

 protected:
  Holder model_;
};

class LlamaFamily final : public Adapter<CausalLM> {
 public:
  using Adapter::Adapter;
  torch::Tensor Hidden(const DecoderInputs& inputs, KvCache* cache) override {
    return model_->model->forward(inputs, cache);
  }
  int64_t embedding_dim() const override { return model_->config().hidden_size; }
  torch::nn::Embedding& token_embeddings() override { return model_->model->embed_tokens; }

  std::vector<LoraSite> LoraSites() override {
    std::vector<LoraSite> sites;
    torch::nn::ModuleList& layers = model_->model->layers;
    for (size_t i = 0; i < layers->size(); ++i) {
      auto layer = std::dynamic_pointer_cast<DecoderLayerImpl>(layers->ptr(i));
      TORCH_CHECK(layer != nullptr, "layer ", i, " is not a DecoderLayer");
      const std::shared_ptr<AttentionImpl> a = layer->self_attn.ptr();
      const std::shared_ptr<GatedMlpImpl> m = layer->mlp.ptr();
      const std::string base = absl::StrCat("model.layers.", i, ".");
      const auto add = [&](const char* name, torch::nn::Linear& linear, std::shared_ptr<torch::nn::Module> owner,
                           std::shared_ptr<ProjectionHook>* slot) { AddLinearSite(sites, base + name, linear, owner, slot); };
      add("self_attn.q_proj", a->q_proj, AsModule(a), &a->q_hook);
      add("self_attn.k_proj", a->k_proj, AsModule(a), &a->k_hook);
      add("self_attn.v_proj", a->v_proj, AsModule(a), &a->v_hook);
      add("self_attn.o_proj", a->o_proj, AsModule(a), &a->o_hook);
      add("mlp.gate_proj", m->gate_proj, AsModule(m), &m->gate_hook);
      add("mlp.up_proj", m->up_proj, AsModule(m), &m->up_hook);
      add("mlp.down_proj", m->down_proj, AsModule(m), &m->down_hook);
    }
    return sites;
  }
};

class Gpt2 final : public Adapter<Gpt2LMHeadModel> {
 public:
  using Adapter::Adapter;
  torch::Tensor Hidden(const DecoderInputs& inputs, KvCache* cache) override {
    return model_->transformer->forward(inputs, cache);
  }
  int64_t embedding_dim() const override { return model_->embedding_dim(); }
  torch::nn::Embedding& token_embeddings() override { return model_->transformer->wte; }

  std::vector<LoraSite> LoraSites() override {
    std::vector<LoraSite> sites;
    torch::nn::ModuleList& blocks = model_->transformer->h;
    for (size_t i = 0; i < blocks->size(); ++i) {
      auto block = std::dynamic_pointer_cast<Gpt2BlockImpl>(blocks->ptr(i));
      TORCH_CHECK(block != nullptr, "block ", i, " is not a Gpt2Block");
      const std::string base = absl::StrCat("transformer.h.", i, ".");
      const auto add = [&](const std::string& name, Gpt2Conv1D& conv) {
        sites.push_back({base + name, conv->weight, true, AsModule(conv.ptr()), &conv->hook});
      };
      add("attn.c_attn", block->attn->c_attn);
      add("attn.c_proj", block->attn->c_proj);
      add("mlp.c_fc", block->mlp->c_fc);
      add("mlp.c_proj", block->mlp->c_proj);
    }
    return sites;
  }
};

class Opt final : public Adapter<OptForCausalLM> {
 public:
  using Adapter::Adapter;
  torch::Tensor Hidden(const DecoderInputs& inputs, KvCache* cache) override {
    return model_->model->forward(inputs, cache);
  }
  int64_t embedding_dim() const override { return model_->embedding_dim(); }
  torch::nn::Embedding& token_embeddings() override { return model_->model->decoder->embed_tokens; }

  std::vector<LoraSite> LoraSites() override {
    std::vector<LoraSite> sites;
    torch::nn::ModuleList& layers = model_->model->decoder->layers;
    for (size_t i = 0; i < layers->size(); ++i) {
      auto layer = std::dynamic_pointer_cast<OptDecoderLayerImpl>(layers->ptr(i));
      TORCH_CHECK(layer != nullptr, "layer ", i, " is not an OptDecoderLayer");
      const std::shared_ptr<OptAttentionImpl> a = layer->self_attn.ptr();
      const std::string base = absl::StrCat("model.decoder.layers.", i, ".");
      const auto add = [&](const char* name, torch::nn::Linear& linear, std::shared_ptr<torch::nn::Module> owner,
                           std::shared_ptr<ProjectionHook>* slot) { AddLinearSite(sites, base + name, linear, owner, slot); };
      add("self_attn.q_proj", a->q_proj, AsModule(a), &a->q_hook);
      add("self_attn.k_proj", a->k_proj, AsModule(a), &a->k_hook);
      add("self_attn.v_proj", a->v_proj, AsModule(a), &a->v_hook);
      add("self_attn.out_proj", a->out_proj, AsModule(a), &a->out_hook);
      add("fc1", layer->fc1, AsModule(layer), &layer->fc1_hook);
      add("fc2", layer->fc2, AsModule(layer), &layer->fc2_hook);
    }
    return sites;
  }
};

template <typename Holder>
absl::StatusOr<std::unique_ptr<LanguageModel>> Wrap(absl::StatusOr<Holder> holder) {
  if (!holder.ok()) return holder.status();
  return AsLanguageModel(*std::move(holder));
}

}  // namespace

std::unique_ptr<LanguageModel> AsLanguageModel(CausalLM model) { return std::make_unique<LlamaFamily>(std::move(model)); }
std::unique_ptr<LanguageModel> AsLanguageModel(Gpt2LMHeadModel model) { return std::make_unique<Gpt2>(std::move(model)); }
std::unique_ptr<LanguageModel> AsLanguageModel(OptForCausalLM model) { return std::make_unique<Opt>(std::move(model)); }

absl::StatusOr<std::unique_ptr<LanguageModel>> CreateLanguageModel(const common::model_io::ModelConfig& config) {
  switch (config.architecture) {
    case Architecture::kGpt2: return Wrap(CreateGpt2(config));
    case Architecture::kOpt: return Wrap(CreateOpt(config));
    default: return Wrap(CreateCausalLM(config));  // refuses what it does not build, naming the model_type
  }
}

absl::StatusOr<std::unique_ptr<LanguageModel>> LoadLanguageModel(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  ECGBENCH_ASSIGN_OR_RETURN(const std::string text, common::ReadFile(config_path));
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig config,
                            common::model_io::ParseModelConfig(text, config_path));
  switch (config.architecture) {
    case Architecture::kGpt2: return Wrap(LoadGpt2(dir));
    case Architecture::kOpt: return Wrap(LoadOpt(dir));
    default: return Wrap(LoadCausalLM(dir));
  }
}

}  // namespace ecgbench::worker::nn
