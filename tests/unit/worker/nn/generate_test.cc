// Generation (worker/nn/generate.h) on tiny random Llama and Gemma 2 models: greedy equals an argmax
// loop over full forwards without a cache; a left-padded batch equals each row alone; an
// embeddings prefill gives the id path's tokens; eos ids stop their row only; seeded sampling is
// reproducible; top-k 1 and a tiny top-p equal greedy; the score warpers and the repetition
// penalty match transformers' processors on hand-computed cases; request errors name the field.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/model_io/generation_config.h"
#include "worker/nn/causal_lm_io.h"
#include "worker/nn/generate.h"

namespace ecgbench::worker::nn {
namespace {

using common::model_io::ModelConfig;
using torch::indexing::Slice;

constexpr char kLlama[] = R"({"model_type": "llama", "vocab_size": 97, "hidden_size": 64, "intermediate_size": 96,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
  "max_position_embeddings": 128, "hidden_act": "silu", "tie_word_embeddings": false})";
constexpr char kGemma2[] = R"({"model_type": "gemma2", "vocab_size": 83, "hidden_size": 48, "intermediate_size": 64,
  "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
  "rms_norm_eps": 1e-6, "max_position_embeddings": 128, "hidden_activation": "gelu_pytorch_tanh",
  "query_pre_attn_scalar": 24, "attn_logit_softcapping": 2.0, "final_logit_softcapping": 3.0,
  "sliding_window": 4})";

CausalLM RandomModel(const char* json) {
  absl::StatusOr<ModelConfig> config = common::model_io::ParseModelConfig(json, "config.json");
  EXPECT_TRUE(config.ok()) << config.status();
  absl::StatusOr<CausalLM> model = CreateCausalLM(*config);
  EXPECT_TRUE(model.ok()) << model.status();
  RandomInit(*model, 7, 0.2);
  return *model;
}

// Left-padded prompts of lengths 7, 4 and 1 (pad id 0).
struct Batch {
  torch::Tensor ids, mask;
};
Batch MakeBatch(int64_t vocab) {
  torch::manual_seed(3);
  const torch::Tensor ids = torch::randint(1, vocab, {3, 7}, torch::kLong);
  torch::Tensor mask = torch::ones({3, 7}, torch::kLong);
  mask.index_put_({1, Slice(0, 3)}, 0);
  mask.index_put_({2, Slice(0, 6)}, 0);
  return {ids * mask, mask};
}

GenerationRequest IdsRequest(const Batch& batch, int64_t max_new) {
  GenerationRequest request;
  request.input_ids = batch.ids;
  request.attention_mask = batch.mask;
  request.max_new_tokens = max_new;
  return request;
}

GenerationResult MustGenerate(CausalLM& model, const GenerationRequest& request) {
  absl::StatusOr<GenerationResult> result = Generate(model, request);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : GenerationResult{};
}

// Greedy tokens [B, steps] from full forwards over prompt + tokens so far (no cache), with an
// optional repetition penalty over all ids so far (pads included, as transformers does).
torch::Tensor ReferenceGreedy(CausalLM& model, const Batch& batch, int64_t steps, double penalty = 1.0) {
  torch::NoGradGuard no_grad;
  torch::Tensor ids = batch.ids, mask = batch.mask;
  for (int64_t s = 0; s < steps; ++s) {
    torch::Tensor scores = model->forward({ids, {}, mask, {}}).select(1, -1);
    scores = ApplyRepetitionPenalty(scores, ids, penalty);
    ids = torch::cat({ids, scores.argmax(-1, /*keepdim=*/true)}, 1);
    mask = torch::cat({mask, torch::ones({mask.size(0), 1}, torch::kLong)}, 1);
  }
  return ids.narrow(1, batch.ids.size(1), steps);
}

std::vector<int64_t> RowOf(const torch::Tensor& tokens, int64_t row) {
  const torch::Tensor r = tokens[row].contiguous();
  return {r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel()};
}

TEST(Generate, GreedyEqualsArgmaxOverFullForwards) {
  for (const char* json : {kLlama, kGemma2}) {
    CausalLM model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const GenerationResult result = MustGenerate(model, IdsRequest(batch, 8));
    ASSERT_EQ(result.tokens.sizes(), (std::vector<int64_t>{3, 8}));
    EXPECT_TRUE(torch::equal(result.tokens, ReferenceGreedy(model, batch, 8))) << result.tokens;
    for (int64_t b = 0; b < 3; ++b) {
      const GeneratedRow& row = result.rows[static_cast<size_t>(b)];
      EXPECT_EQ(row.ids, RowOf(result.tokens, b));
      EXPECT_EQ(row.finish_reason, FinishReason::kMaxNewTokens);
      EXPECT_EQ(row.stop_token, -1);
    }
  }
}

TEST(Generate, LeftPaddedBatchEqualsEachRowAlone) {
  for (const char* json : {kLlama, kGemma2}) {
    CausalLM model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const GenerationResult together = MustGenerate(model, IdsRequest(batch, 10));
    const int64_t lengths[] = {7, 4, 1};
    for (int64_t b = 0; b < 3; ++b) {
      GenerationRequest alone;
      alone.input_ids = batch.ids.slice(0, b, b + 1).slice(1, 7 - lengths[b], 7);
      alone.max_new_tokens = 10;
      const GenerationResult single = MustGenerate(model, alone);
      ASSERT_EQ(single.rows.size(), 1u);
      EXPECT_EQ(single.rows[0].ids, together.rows[static_cast<size_t>(b)].ids) << "row " << b;
    }
  }
}

TEST(Generate, EmbeddingsPrefillContinuesWithIds) {
  for (const char* json : {kLlama, kGemma2}) {
    CausalLM model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const GenerationResult from_ids = MustGenerate(model, IdsRequest(batch, 8));
    GenerationRequest request;
    {
      torch::NoGradGuard no_grad;
      request.inputs_embeds = model->EmbedTokens(batch.ids);
    }
    request.attention_mask = batch.mask;
    request.max_new_tokens = 8;
    const GenerationResult from_embeds = MustGenerate(model, request);
    EXPECT_TRUE(torch::equal(from_embeds.tokens, from_ids.tokens));
    for (const GeneratedRow& row : from_embeds.rows) EXPECT_EQ(row.ids.size(), 8u);  // never empty
  }
}

TEST(Generate, EosStopsOnlyItsRowAndPadsIt) {
  CausalLM model = RandomModel(kLlama);
  const Batch batch = MakeBatch(97);
  const torch::Tensor free_run = MustGenerate(model, IdsRequest(batch, 8)).tokens;
  const std::vector<int64_t> row0 = RowOf(free_run, 0);
  // The first token of row 0 not generated before it: row 0 stops there.
  size_t stop_at = 1;
  while (std::find(row0.begin(), row0.begin() + static_cast<long>(stop_at), row0[stop_at]) !=
         row0.begin() + static_cast<long>(stop_at)) {
    ++stop_at;
  }
  ASSERT_LT(stop_at, row0.size());
  const int64_t eos = row0[stop_at];
  // A second eos id that no row ever generates: stopping takes any id of the set.
  int64_t unused = 1;
  while (torch::any(free_run.eq(unused)).item<bool>()) ++unused;
  GenerationRequest request = IdsRequest(batch, 8);
  request.eos_token_ids = {unused, eos};
  request.pad_token_id = eos == 0 ? 1 : 0;
  const GenerationResult result = MustGenerate(model, request);
  for (int64_t b = 0; b < 3; ++b) {
    const std::vector<int64_t> expected = RowOf(free_run, b);
    const auto stop = std::find(expected.begin(), expected.end(), eos);
    const GeneratedRow& row = result.rows[static_cast<size_t>(b)];
    EXPECT_EQ(row.ids, std::vector<int64_t>(expected.begin(), stop)) << "row " << b;
    EXPECT_EQ(row.finish_reason, stop == expected.end() ? FinishReason::kMaxNewTokens : FinishReason::kEos);
    EXPECT_EQ(row.stop_token, stop == expected.end() ? -1 : eos);
  }
  EXPECT_EQ(result.rows[0].ids.size(), stop_at);
  for (int64_t t = static_cast<int64_t>(stop_at) + 1; t < result.tokens.size(1); ++t) {
    EXPECT_EQ(result.tokens[0][t].item<int64_t>(), *request.pad_token_id);
  }
  EXPECT_EQ(FinishReasonName(FinishReason::kEos), "eos");
  EXPECT_EQ(FinishReasonName(FinishReason::kMaxNewTokens), "max_new_tokens");

  // Every row stops at its first token: generation ends after one step.
  request.eos_token_ids = {free_run[0][0].item<int64_t>(), free_run[1][0].item<int64_t>(),
                           free_run[2][0].item<int64_t>()};
  request.pad_token_id.reset();  // defaults to the first eos id
  const GenerationResult first = MustGenerate(model, request);
  EXPECT_EQ(first.tokens.sizes(), (std::vector<int64_t>{3, 1}));
  for (const GeneratedRow& row : first.rows) {
    EXPECT_TRUE(row.ids.empty());
    EXPECT_EQ(row.finish_reason, FinishReason::kEos);
  }
}

TEST(Generate, SeededSamplingIsReproducible) {
  CausalLM model = RandomModel(kLlama);
  const Batch batch = MakeBatch(97);
  GenerationRequest request = IdsRequest(batch, 16);
  request.sampling.do_sample = true;
  request.sampling.temperature = 2.0;
  request.sampling.top_k = 0;
  request.sampling.seed = 11;
  const torch::Tensor a = MustGenerate(model, request).tokens;
  torch::manual_seed(999);  // the global generator plays no part
  const torch::Tensor b = MustGenerate(model, request).tokens;
  EXPECT_TRUE(torch::equal(a, b));
  request.sampling.seed = 12;
  EXPECT_FALSE(torch::equal(a, MustGenerate(model, request).tokens));
  EXPECT_FALSE(torch::equal(a, MustGenerate(model, IdsRequest(batch, 16)).tokens));  // not greedy
}

TEST(Generate, TopKOneAndTinyTopPEqualGreedy) {
  for (const char* json : {kLlama, kGemma2}) {
    CausalLM model = RandomModel(json);
    const Batch batch = MakeBatch(model->config().vocab_size);
    const torch::Tensor greedy = MustGenerate(model, IdsRequest(batch, 12)).tokens;
    GenerationRequest request = IdsRequest(batch, 12);
    request.sampling.do_sample = true;
    request.sampling.temperature = 3.0;
    request.sampling.top_k = 1;
    EXPECT_TRUE(torch::equal(MustGenerate(model, request).tokens, greedy));
    request.sampling.top_k = 0;
    request.sampling.top_p = 1e-6;
    request.sampling.seed = 5;
    EXPECT_TRUE(torch::equal(MustGenerate(model, request).tokens, greedy));
  }
}

TEST(Generate, RepetitionPenaltyEqualsReferenceLoop) {
  CausalLM model = RandomModel(kLlama);
  const Batch batch = MakeBatch(97);
  GenerationRequest request = IdsRequest(batch, 10);
  request.sampling.repetition_penalty = 3.0;
  const torch::Tensor penalized = MustGenerate(model, request).tokens;
  EXPECT_TRUE(torch::equal(penalized, ReferenceGreedy(model, batch, 10, 3.0)));
  EXPECT_FALSE(torch::equal(penalized, ReferenceGreedy(model, batch, 10)));
}

TEST(Generate, WarpersFollowTransformers) {
  const float inf = std::numeric_limits<float>::infinity();
  const torch::Tensor scores = torch::tensor({1.0f, 3.0f, 2.0f, 0.0f}).unsqueeze(0);
  SamplingOptions o;
  o.top_k = 0;
  o.temperature = 2.0;
  EXPECT_TRUE(torch::equal(WarpScores(scores, o), torch::tensor({0.5f, 1.5f, 1.0f, 0.0f}).unsqueeze(0)));
  o.temperature = 1.0;
  o.top_k = 2;
  EXPECT_TRUE(torch::equal(WarpScores(scores, o), torch::tensor({-inf, 3.0f, 2.0f, -inf}).unsqueeze(0)));
  o.top_k = 1;  // ties with the k-th score survive
  EXPECT_TRUE(torch::equal(WarpScores(torch::tensor({1.0f, 2.0f, 2.0f, 0.0f}).unsqueeze(0), o),
                           torch::tensor({-inf, 2.0f, 2.0f, -inf}).unsqueeze(0)));
  o.top_k = 0;

  // Probabilities 0.1 0.2 0.3 0.4: top-p 0.5 drops the tokens whose ascending cumulative sum
  // (0.1, 0.3) is <= 0.5 and keeps 0.3 (cumulative 0.6) and 0.4.
  const torch::Tensor probs = torch::tensor({0.1f, 0.2f, 0.3f, 0.4f}).log().unsqueeze(0);
  o.top_p = 0.5;
  EXPECT_TRUE(torch::equal(WarpScores(probs, o).isinf(), torch::tensor({true, true, false, false}).unsqueeze(0)));
  // Temperature 0.5 first sharpens them to 0.033 0.133 0.3 0.533: only the argmax stays.
  o.temperature = 0.5;
  EXPECT_TRUE(torch::equal(WarpScores(probs, o).isinf(), torch::tensor({true, true, true, false}).unsqueeze(0)));
  // A tiny top-p keeps exactly one token, even among equal scores.
  o.temperature = 1.0;
  o.top_p = 1e-9;
  EXPECT_EQ(WarpScores(torch::zeros({2, 5}), o).isfinite().sum().item<int64_t>(), 2);

  const torch::Tensor penalized =
      ApplyRepetitionPenalty(torch::tensor({2.0f, -2.0f, 1.0f, 0.5f}).unsqueeze(0),
                             torch::tensor({0, 1, 1}, torch::kLong).unsqueeze(0), 2.0);
  EXPECT_TRUE(torch::equal(penalized, torch::tensor({1.0f, -4.0f, 1.0f, 0.5f}).unsqueeze(0)));
}

std::string ErrorOf(CausalLM& model, const GenerationRequest& request) {
  const absl::StatusOr<GenerationResult> result = Generate(model, request);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.ok() || absl::IsInvalidArgument(result.status())) << result.status();
  return std::string(result.status().message());
}

TEST(Generate, RequestErrorsNameTheField) {
  CausalLM model = RandomModel(kLlama);
  const Batch batch = MakeBatch(97);
  const std::string prefix = "generation request: ";
  GenerationRequest r = IdsRequest(batch, 4);
  r.sampling.do_sample = true;
  r.sampling.temperature = 0;
  EXPECT_EQ(ErrorOf(model, r),
            prefix + "temperature must be > 0 when sampling (got 0); for greedy decoding set do_sample to false");
  r.sampling.do_sample = false;
  EXPECT_TRUE(Generate(model, r).ok());  // temperature 0 is fine for greedy search
  r.sampling.temperature = -1;
  EXPECT_EQ(ErrorOf(model, r), prefix + "temperature must be a finite number >= 0 (got -1)");
  r.sampling.temperature = std::nan("");
  EXPECT_EQ(ErrorOf(model, r), prefix + "temperature must be a finite number >= 0 (got nan)");
  r.sampling = SamplingOptions();
  r.sampling.top_k = -1;
  EXPECT_EQ(ErrorOf(model, r), prefix + "top_k must be >= 0 (got -1)");
  r.sampling = SamplingOptions();
  r.sampling.top_p = 0;
  EXPECT_EQ(ErrorOf(model, r), prefix + "top_p must be in (0, 1] (got 0)");
  r.sampling.top_p = 1.5;
  EXPECT_EQ(ErrorOf(model, r), prefix + "top_p must be in (0, 1] (got 1.5)");
  r.sampling = SamplingOptions();
  r.sampling.repetition_penalty = 0;
  EXPECT_EQ(ErrorOf(model, r), prefix + "repetition_penalty must be a finite number > 0 (got 0)");
  r.sampling = SamplingOptions();
  r.max_new_tokens = 0;
  EXPECT_EQ(ErrorOf(model, r), prefix + "max_new_tokens must be >= 1 (got 0)");
  r.max_new_tokens = 4;
  r.eos_token_ids = {5, 97};
  EXPECT_EQ(ErrorOf(model, r), prefix + "eos_token_ids[1] = 97 is outside the vocabulary [0, 97)");
  r.eos_token_ids = {};
  r.pad_token_id = -1;
  EXPECT_EQ(ErrorOf(model, r), prefix + "pad_token_id = -1 is outside the vocabulary [0, 97)");
  r.pad_token_id.reset();

  GenerationRequest bad = r;
  bad.input_ids = batch.ids.clone();
  bad.input_ids[0][2] = 97;
  EXPECT_EQ(ErrorOf(model, bad), prefix + "input_ids[0][2] = 97 is outside the vocabulary [0, 97)");
  bad.input_ids = batch.ids.to(torch::kFloat);
  EXPECT_EQ(ErrorOf(model, bad), prefix + "input_ids must hold integers, got Float");
  bad.input_ids = batch.ids.flatten();
  EXPECT_EQ(ErrorOf(model, bad), prefix + "input_ids must be [batch >= 1, length >= 1], got [21]");
  bad = r;
  bad.inputs_embeds = torch::zeros({3, 7, 64});
  EXPECT_EQ(ErrorOf(model, bad), prefix + "give exactly one of input_ids and inputs_embeds");
  bad.input_ids = torch::Tensor();
  bad.inputs_embeds = torch::zeros({3, 7, 5});
  EXPECT_EQ(ErrorOf(model, bad), prefix + "inputs_embeds must be [batch >= 1, length >= 1, 64], got [3, 7, 5]");
  bad = r;
  bad.attention_mask = batch.mask.narrow(1, 0, 6);
  EXPECT_EQ(ErrorOf(model, bad), prefix + "attention_mask must be [3, 7] like the prompt, got [3, 6]");
  bad.attention_mask = batch.mask.flip({1});  // right padding
  EXPECT_EQ(ErrorOf(model, bad),
            prefix + "attention_mask row 1 ends with padding; prompts must be left-padded (last column real)");
}

TEST(Generate, KeepsTrainingModeAndGradMode) {
  CausalLM model = RandomModel(kLlama);
  model->train();
  ASSERT_TRUE(Generate(model, IdsRequest(MakeBatch(97), 2)).ok());
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(torch::GradMode::is_enabled());
  model->eval();
  ASSERT_TRUE(Generate(model, IdsRequest(MakeBatch(97), 2)).ok());
  EXPECT_FALSE(model->is_training());
}

TEST(Generate, ApplyGenerationConfigCopiesSettings) {
  // Qwen2.5-Instruct's generation_config.json.
  const absl::StatusOr<common::model_io::GenerationConfig> config = common::model_io::ParseGenerationConfig(
      R"({"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
          "repetition_penalty": 1.05, "temperature": 0.7, "top_p": 0.8, "top_k": 20})",
      "generation_config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  GenerationRequest request;
  ApplyGenerationConfig(*config, request);
  EXPECT_TRUE(request.sampling.do_sample);
  EXPECT_EQ(request.sampling.temperature, 0.7);
  EXPECT_EQ(request.sampling.top_k, 20);
  EXPECT_EQ(request.sampling.top_p, 0.8);
  EXPECT_EQ(request.sampling.repetition_penalty, 1.05);
  EXPECT_EQ(request.eos_token_ids, (std::vector<int64_t>{151645, 151643}));
  EXPECT_EQ(request.pad_token_id, 151643);
  EXPECT_EQ(request.max_new_tokens, 20);  // unchanged: the file sets none
}

}  // namespace
}  // namespace ecgbench::worker::nn
