// ELM assembly (worker/nn/elm.h): per-row placeholder injection and its errors, the three ELM
// kinds, the assistant-only loss against a full-logits cross-entropy, frozen vs trainable encoder,
// the zeros ablation, and the trainable-parameter sets with LoRA.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <set>
#include <string>

#include "tests/unit/worker/nn/parity_util.h"
#include "worker/nn/elm.h"
#include "worker/nn/language_model.h"
#include "worker/nn/lora.h"

namespace ecgbench::worker::nn {
namespace {

using testing::MaxDiff;

constexpr char kLlama[] = R"({"model_type": "llama", "vocab_size": 60, "hidden_size": 16, "intermediate_size": 32,
  "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-5,
  "max_position_embeddings": 64, "hidden_act": "silu", "tie_word_embeddings": true})";
constexpr int64_t kPlaceholder = 59;

std::unique_ptr<LanguageModel> Llm() {
  absl::StatusOr<std::unique_ptr<LanguageModel>> model = CreateLanguageModel(testing::ParseConfig(kLlama));
  EXPECT_TRUE(model.ok()) << model.status();
  (*model)->RandomInit(3, 0.2);
  return *std::move(model);
}

// A unit-test encoder: [B, 12, L] -> mean over time per lead -> Linear(12 -> dim), N copies with a
// per-token offset.
class TinyEncoder final : public ElmEncoder {
 public:
  TinyEncoder(int64_t tokens, int64_t dim) : tokens_(tokens), dim_(dim) {
    module_ = std::make_shared<torch::nn::Module>();
    linear_ = module_->register_module("linear", torch::nn::Linear(12, dim));
  }
  torch::nn::Module& module() override { return *module_; }
  torch::Tensor Encode(const torch::Tensor& input) override {
    const torch::Tensor pooled = linear_(input.mean(2));  // [B, dim]
    const torch::Tensor offsets = torch::arange(tokens_, torch::kFloat).view({1, tokens_, 1});
    return pooled.unsqueeze(1) + offsets;
  }
  int64_t output_dim() const override { return dim_; }
  int64_t num_tokens() const override { return tokens_; }

 private:
  int64_t tokens_, dim_;
  std::shared_ptr<torch::nn::Module> module_;
  torch::nn::Linear linear_{nullptr};
};

// Two rows: row 0 has its placeholders at positions 2..2+n, row 1 (left-padded by 2) at 4..4+n.
ElmBatch MakeBatch(int64_t n, bool with_signal) {
  torch::manual_seed(8);
  const int64_t len = 10 + n;
  torch::Tensor ids = torch::randint(1, 50, {2, len}, torch::kLong);
  torch::Tensor mask = torch::ones({2, len}, torch::kLong);
  mask.narrow(1, 0, 2)[1].zero_();
  ids.narrow(1, 0, 2)[1].zero_();
  if (n > 0) {
    ids[0].narrow(0, 2, n).fill_(kPlaceholder);
    ids[1].narrow(0, 4, n).fill_(kPlaceholder);
  }
  torch::Tensor labels = torch::full({2, len}, -100, torch::kLong);
  labels.narrow(1, len - 4, 4).copy_(ids.narrow(1, len - 4, 4));  // the answer: the last 4 tokens
  ElmBatch batch{ids, mask, labels, {}};
  if (with_signal) batch.encoder_input = torch::randn({2, 12, 25});
  return batch;
}

TEST(InjectAtPlaceholders, PlacesEachRowsVectorsInItsOwnRowInOrder) {
  const torch::Tensor ids = torch::tensor(std::vector<int64_t>{1, 9, 9, 2, 9, 3, 9, 4}).view({2, 4});
  const torch::Tensor embeds = torch::zeros({2, 4, 3});
  const torch::Tensor signal = torch::arange(12, torch::kFloat).view({2, 2, 3}).requires_grad_(true);
  const torch::Tensor out = InjectAtPlaceholders(embeds, ids, 9, signal);
  EXPECT_TRUE(torch::equal(out[0][1], signal[0][0]));
  EXPECT_TRUE(torch::equal(out[0][2], signal[0][1]));
  EXPECT_TRUE(torch::equal(out[1][0], signal[1][0]));
  EXPECT_TRUE(torch::equal(out[1][2], signal[1][1]));
  EXPECT_EQ(out[0][0].abs().sum().item<double>(), 0.0);
  out.sum().backward();
  EXPECT_TRUE(torch::equal(signal.grad(), torch::ones({2, 2, 3})));

  const torch::Tensor uneven = torch::tensor(std::vector<int64_t>{1, 9, 9, 2, 9, 3, 4, 4}).view({2, 4});
  try {
    InjectAtPlaceholders(embeds, uneven, 9, signal.detach());
    ADD_FAILURE() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("row 1 has 1 <signal> placeholders"), std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST(Elm, Signal2VecReplacesEcgTokenEmbeddingsByTheProjectedFrozenVectors) {
  // ECG tokens are ids 50..57 (offset 50, an 8-row table of dim 4); ids below 50 are text.
  torch::manual_seed(2);
  ElmOptions options;
  options.kind = ElmKind::kSignal2Vec;
  options.ecg_token_offset = 50;
  options.signal2vec_table = torch::randn({8, 4});
  options.seed = 5;
  const torch::Tensor table = options.signal2vec_table.clone();
  Elm elm(Llm(), nullptr, options);
  ASSERT_TRUE(elm.projection());
  EXPECT_EQ(elm.projection()->weight.sizes(), (std::vector<int64_t>{16, 4}));
  EXPECT_TRUE(torch::equal(elm.signal2vec_table(), table));
  ElmBatch batch = MakeBatch(0, false);
  batch.input_ids[0][3] = 50;
  batch.input_ids[0][4] = 57;
  batch.input_ids[1][5] = 53;
  torch::Tensor embeds;
  {
    torch::NoGradGuard no_grad;
    embeds = elm.InputEmbeddings(batch);
  }
  const torch::Tensor plain = elm.llm().EmbedTokens(batch.input_ids).detach();
  const auto projected = [&](int64_t row) { return elm.projection()(table[row]).detach(); };
  EXPECT_TRUE(torch::allclose(embeds[0][3], projected(0)));
  EXPECT_TRUE(torch::allclose(embeds[0][4], projected(7)));
  EXPECT_TRUE(torch::allclose(embeds[1][5], projected(3)));
  EXPECT_TRUE(torch::equal(embeds[0][2], plain[0][2]));  // text positions keep the LLM's embedding
  EXPECT_TRUE(torch::equal(embeds[1][9], plain[1][9]));
  // The projection trains; the table never does.
  const std::vector<std::pair<std::string, torch::Tensor>> trainable = elm.TrainableParameters();
  ASSERT_GE(trainable.size(), 2u);
  EXPECT_EQ(trainable[0].first, "projection.weight");
  elm.Train(true);
  elm.Loss(batch).sum.backward();
  EXPECT_GT(elm.projection()->weight.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(elm.signal2vec_table().requires_grad());
  EXPECT_TRUE(torch::equal(elm.signal2vec_table(), table));
}

TEST(Elm, EcgByteLossEqualsFullLogitsCrossEntropy) {
  Elm elm(Llm(), nullptr, ElmOptions{});
  const ElmBatch batch = MakeBatch(0, false);
  const LossSum loss = elm.Loss(batch);
  EXPECT_EQ(loss.tokens, 2 * 4);
  EXPECT_EQ(Elm::CountLabeledTokens(batch.labels), 8);
  const torch::Tensor logits = elm.llm().Forward({batch.input_ids, {}, batch.attention_mask, {}});
  const int64_t len = logits.size(1);
  const torch::Tensor expected = torch::nn::functional::cross_entropy(
      logits.narrow(1, 0, len - 1).reshape({-1, logits.size(2)}), batch.labels.narrow(1, 1, len - 1).reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
  EXPECT_NEAR(loss.sum.item<double>(), expected.item<double>(), 1e-4);
}

TEST(Elm, EncoderFreeProjectsTheFlatSignalToOnePlaceholder) {
  ElmOptions options;
  options.kind = ElmKind::kEncoderFree;
  options.placeholder_id = kPlaceholder;
  options.signal_length = 25;
  Elm elm(Llm(), nullptr, options);
  ElmBatch batch = MakeBatch(1, true);
  const torch::Tensor embeds = elm.InputEmbeddings(batch);
  const torch::Tensor expected = elm.projection()(batch.encoder_input.reshape({2, -1}));
  EXPECT_LE(MaxDiff(embeds[0][2], expected[0]), 1e-6);
  EXPECT_LE(MaxDiff(embeds[1][4], expected[1]), 1e-6);
  // Only the projection and LoRA train once an adapter is attached.
  LoraOptions lora;
  ASSERT_TRUE(AttachLora(elm.llm(), lora).ok());
  std::set<std::string> names;
  for (const auto& [name, p] : elm.TrainableParameters()) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"projection.weight", "projection.bias"}));
  elm.Loss(batch).sum.backward();
  EXPECT_GT(elm.projection()->weight.grad().abs().sum().item<double>(), 0.0);
  // A wrong signal shape names the expected one.
  batch.encoder_input = torch::randn({2, 12, 24});
  try {
    elm.Loss(batch);
    ADD_FAILURE() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("[B, 12, 25]"), std::string::npos);
  }
}

TEST(Elm, EncoderFreePatchesProjectEachTimeWindowOfAllLeads) {
  ElmOptions options;
  options.kind = ElmKind::kEncoderFree;
  options.placeholder_id = kPlaceholder;
  options.signal_length = 25;
  options.signal_patches = 5;
  Elm elm(Llm(), nullptr, options);
  EXPECT_EQ(elm.projection()->weight.size(1), 12 * 5);  // one patch: 12 leads x 5 samples
  // Rows with 5 placeholders each (row 0 from position 2, row 1 from position 4).
  ElmBatch batch = MakeBatch(5, true);
  const torch::Tensor embeds = elm.InputEmbeddings(batch);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t p = 0; p < 5; ++p) {
      // Patch p: samples [5p, 5p + 5) of lead 0, then of lead 1, ... (lead-major).
      const torch::Tensor patch = batch.encoder_input[b].narrow(1, 5 * p, 5).reshape({-1});
      const torch::Tensor expected = elm.projection()(patch.unsqueeze(0))[0];
      EXPECT_LE(MaxDiff(embeds[b][(b == 0 ? 2 : 4) + p], expected), 1e-6) << b << " " << p;
    }
  }
  // Patches that do not divide the length are refused when the ELM is built.
  options.signal_patches = 4;
  try {
    Elm bad(Llm(), nullptr, options);
    ADD_FAILURE() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("must divide the signal length 25, got 4"),
              std::string::npos);
  }
}

TEST(Elm, LlavaInjectsEncoderTokensAndKeepsTheEncoderFrozenByDefault) {
  ElmOptions options;
  options.kind = ElmKind::kLlava;
  options.placeholder_id = kPlaceholder;
  Elm elm(Llm(), std::make_unique<TinyEncoder>(3, 8), options);
  const ElmBatch batch = MakeBatch(3, true);
  const torch::Tensor embeds = elm.InputEmbeddings(batch);
  torch::Tensor tokens;
  {
    torch::NoGradGuard no_grad;
    tokens = elm.projection()(elm.encoder()->Encode(batch.encoder_input));  // [2, 3, 16]
  }
  for (int64_t t = 0; t < 3; ++t) {
    EXPECT_LE(MaxDiff(embeds[0][2 + t], tokens[0][t]), 1e-6);
    EXPECT_LE(MaxDiff(embeds[1][4 + t], tokens[1][t]), 1e-6);
  }
  // Row independence: changing row 1's signal leaves row 0's embeddings as they were.
  ElmBatch changed = batch;
  changed.encoder_input = batch.encoder_input.clone();
  changed.encoder_input[1].normal_();
  EXPECT_EQ(MaxDiff(elm.InputEmbeddings(changed)[0], embeds[0]), 0.0);

  elm.Loss(batch).sum.backward();
  for (const torch::Tensor& p : elm.encoder()->module().parameters()) {
    EXPECT_FALSE(p.requires_grad());
    EXPECT_FALSE(p.grad().defined());
  }
  // The zeros ablation writes zero vectors at the placeholders.
  const torch::Tensor zeros = elm.InputEmbeddings(batch, SignalMode::kZeros);
  EXPECT_EQ(zeros[0][3].abs().sum().item<double>(), 0.0);
  EXPECT_LE(MaxDiff(zeros[0][0], embeds[0][0]), 0.0);
}

TEST(Elm, UpdateEncoderLetsGradientsThrough) {
  ElmOptions options;
  options.kind = ElmKind::kLlava;
  options.placeholder_id = kPlaceholder;
  options.update_encoder = true;
  Elm elm(Llm(), std::make_unique<TinyEncoder>(2, 8), options);
  elm.Loss(MakeBatch(2, true)).sum.backward();
  bool any = false;
  for (const torch::Tensor& p : elm.encoder()->module().parameters()) {
    any = any || (p.grad().defined() && p.grad().abs().sum().item<double>() > 0);
  }
  EXPECT_TRUE(any);
  bool listed = false;
  for (const auto& [name, p] : elm.TrainableParameters()) listed = listed || name == "encoder.linear.weight";
  EXPECT_TRUE(listed);
}

TEST(Elm, BatchWithoutLabeledTokensGivesZeroLossAndZeroCount) {
  Elm elm(Llm(), nullptr, ElmOptions{});
  ElmBatch batch = MakeBatch(0, false);
  batch.labels.fill_(-100);
  const LossSum loss = elm.Loss(batch);
  EXPECT_EQ(loss.tokens, 0);
  EXPECT_EQ(loss.sum.item<double>(), 0.0);
}

}  // namespace
}  // namespace ecgbench::worker::nn
