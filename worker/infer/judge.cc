// PairJudge (judge.h): the judge prompt rendered with the chat template, one forward pass per
// presentation order, and the order-debiased log-odds of the labels.
//
// Note [Judge label tokens]: a label's probability is the sum over its tokens of the next-token
// probability: the token of encoding "A" alone (after a Llama 3 / ChatML / Gemma header the answer
// starts a fresh line) and, when encoding " A" gives a different single token, that one too (the
// plain GPT-2 / OPT format ends the prompt with "Assistant:", so a base LM continues with " A").
// A bare label that is not exactly one token is an error rather than a first-token guess: with a
// SentencePiece "▁" prefix the first token would be shared by "A" and "B".
#include "worker/infer/judge.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_io/model_config.h"
#include "common/text/chat/chat_render.h"
#include "common/text/chat/chat_template.h"
#include "common/text/tokenizer.h"
#include "common/text/tokenizers/unicode.h"
#include "common/util/files.h"
#include "common/util/status_macros.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"
#include "worker/nn/language_model.h"

namespace ecgbench::worker::infer {

namespace fs = std::filesystem;
namespace text = common::text;

namespace {

constexpr std::string_view kLabels[2] = {"A", "B"};

// Debian's Abseil has its own string_view, which StrCat takes (std::string_view does not convert).
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The ids scored for `label` (Note [Judge label tokens]).
absl::StatusOr<std::vector<int32_t>> LabelIds(const text::Tokenizer& tokenizer, std::string_view label,
                                              const std::string& tokenizer_file) {
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<int32_t> bare, tokenizer.Encode(label));
  if (bare.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(tokenizer_file, ": the judge label \"", Sv(label), "\" encodes to ",
                                                   bare.size(), " tokens [", absl::StrJoin(bare, ", "),
                                                   "]; the judge needs it to be a single token"));
  }
  std::vector<int32_t> ids = bare;
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<int32_t> spaced, tokenizer.Encode(absl::StrCat(" ", Sv(label))));
  if (spaced.size() == 1 && spaced[0] != bare[0]) ids.push_back(spaced[0]);
  return ids;
}

// log(sum_i exp(logp[ids[i]])), in double.
double LogSumExp(const double* logp, const std::vector<int32_t>& ids) {
  double hi = -std::numeric_limits<double>::infinity();
  for (int32_t id : ids) hi = std::max(hi, logp[id]);
  if (!std::isfinite(hi)) return hi;
  double sum = 0;
  for (int32_t id : ids) sum += std::exp(logp[id] - hi);
  return hi + std::log(sum);
}

absl::Status CheckUtf8(std::string_view field, std::string_view value) {
  const absl::Status s = text::ValidateUtf8(value);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat("PairJudge::Compare: ", Sv(field), ": ", s.message()));
}

}  // namespace

struct PairJudge::State {
  std::unique_ptr<nn::LanguageModel> model;
  std::unique_ptr<text::Tokenizer> tokenizer;
  text::ChatTemplate tmpl;
  std::vector<int32_t> labels[2];
  int64_t vocab_size = 0;
  int64_t max_positions = 0;
  std::string config_file;

  // log P(label A) - log P(label B) after the generation prompt of `user_turn`.
  absl::StatusOr<double> LogOdds(const std::string& user_turn);
};

PairJudge::PairJudge(JudgeOptions options, std::unique_ptr<State> state)
    : options_(std::move(options)), state_(std::move(state)) {}

PairJudge::~PairJudge() = default;

const std::vector<int32_t>& PairJudge::label_ids(int label) const { return state_->labels[label == 0 ? 0 : 1]; }

absl::StatusOr<std::unique_ptr<PairJudge>> PairJudge::Load(const JudgeOptions& options) {
  if (options.model_dir.empty()) return absl::InvalidArgumentError("JudgeOptions.model_dir is empty");
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec)) {
    return absl::NotFoundError(absl::StrCat("JudgeOptions.model_dir: ", options.model_dir, ": no such directory"));
  }
  auto state = std::make_unique<State>();
  state->config_file = (fs::path(options.model_dir) / "config.json").string();
  if (!common::FileExists(state->config_file)) {
    return absl::NotFoundError(absl::StrCat(state->config_file, ": missing (the judge needs a Hugging Face causal LM ",
                                            "folder: config.json, model.safetensors and tokenizer.json)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(const common::model_io::ModelConfig config,
                            common::model_io::LoadModelConfig(state->config_file));
  const std::string tokenizer_file = (fs::path(options.model_dir) / "tokenizer.json").string();
  if (!common::FileExists(tokenizer_file)) {
    return absl::NotFoundError(absl::StrCat(tokenizer_file, ": missing (the judge reads the tokenizer from it)"));
  }
  ECGBENCH_ASSIGN_OR_RETURN(state->tokenizer, text::LoadTokenizer(tokenizer_file));
  absl::StatusOr<text::ChatTemplate> tmpl = text::ChatTemplateByName(options.chat_template, config.model_type);
  if (!tmpl.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("JudgeOptions.chat_template: ", tmpl.status().message()));
  }
  state->tmpl = *std::move(tmpl);

  for (int k = 0; k < 2; ++k) {
    ECGBENCH_ASSIGN_OR_RETURN(state->labels[k], LabelIds(*state->tokenizer, kLabels[k], tokenizer_file));
    for (int32_t id : state->labels[k]) {
      if (id < 0 || id >= config.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            tokenizer_file, ": the judge label \"", Sv(kLabels[k]), "\" (token ", id,
            ") is outside the model's vocabulary (vocab_size ", config.vocab_size, " in ", state->config_file, ")"));
      }
    }
  }
  for (int32_t id : state->labels[0]) {
    if (std::find(state->labels[1].begin(), state->labels[1].end(), id) != state->labels[1].end()) {
      return absl::InvalidArgumentError(absl::StrCat(tokenizer_file, ": the judge labels \"A\" and \"B\" share token ",
                                                     id, " (an unknown-token fallback?)"));
    }
  }
  // Surfaces template / tokenizer mismatches (a missing special token) now rather than per pair.
  text::ChatInput probe;
  probe.turns = {{"user", JudgeUserTurn("", "", "")}};
  ECGBENCH_RETURN_IF_ERROR(
      text::RenderConversation(state->tmpl, probe, text::RenderMode::kGeneration, *state->tokenizer).status());

  try {
    ECGBENCH_ASSIGN_OR_RETURN(state->model, nn::LoadLanguageModel(options.model_dir));
    state->model->module().eval();
    for (auto& p : state->model->module().parameters()) p.set_requires_grad(false);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("PairJudge::Load: ", options.model_dir, ": ", e.what_without_backtrace()));
  }
  state->vocab_size = state->model->config().vocab_size;
  state->max_positions = state->model->config().max_position_embeddings;
  spdlog::debug("judge: {} ({}, template {}, labels A {} / B {})", options.model_dir, config.model_type,
                state->tmpl.name, absl::StrJoin(state->labels[0], ","), absl::StrJoin(state->labels[1], ","));
  return std::unique_ptr<PairJudge>(new PairJudge(options, std::move(state)));
}

absl::StatusOr<double> PairJudge::State::LogOdds(const std::string& user_turn) {
  text::ChatInput input;
  input.turns = {{"user", user_turn}};
  ECGBENCH_ASSIGN_OR_RETURN(text::RenderedConversation prompt,
                            text::RenderConversation(tmpl, input, text::RenderMode::kGeneration, *tokenizer));
  const auto length = static_cast<int64_t>(prompt.ids.size());
  if (max_positions > 0 && length > max_positions) {
    return absl::InvalidArgumentError(absl::StrCat("PairJudge::Compare: the judge prompt has ", length,
                                                   " tokens, more than max_position_embeddings ", max_positions,
                                                   " of ", config_file));
  }
  torch::Tensor ids = torch::empty({1, length}, torch::kLong);
  int64_t* out = ids.data_ptr<int64_t>();
  for (int64_t i = 0; i < length; ++i) {
    const int32_t id = prompt.ids[static_cast<size_t>(i)];
    if (id < 0 || id >= vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("PairJudge::Compare: prompt token ", i, " has id ", id,
                                                     ", outside the model's vocabulary (vocab_size ", vocab_size,
                                                     " in ", config_file, ")"));
    }
    out[i] = id;
  }
  nn::DecoderInputs inputs;
  inputs.input_ids = ids;
  const torch::Tensor hidden = model->Hidden(inputs, nullptr);  // [1, L, H]
  // Only the last position's logits are needed: [1, H] -> [V].
  const torch::Tensor logp =
      model->Logits(hidden.select(1, length - 1)).to(torch::kDouble).log_softmax(-1)[0].contiguous();
  const double* lp = logp.data_ptr<double>();
  return LogSumExp(lp, labels[0]) - LogSumExp(lp, labels[1]);
}

absl::StatusOr<JudgeVerdict> PairJudge::Compare(std::string_view question, std::string_view answer_a,
                                                std::string_view answer_b) {
  ECGBENCH_RETURN_IF_ERROR(CheckUtf8("question", question));
  ECGBENCH_RETURN_IF_ERROR(CheckUtf8("answer_a", answer_a));
  ECGBENCH_RETURN_IF_ERROR(CheckUtf8("answer_b", answer_b));
  double forward = 0, swapped = 0;
  try {
    torch::NoGradGuard no_grad;
    // forward: log-odds that answer_a (shown as A) is better; swapped: answer_a is shown as B, so
    // its log-odds of being better is log P(B) - log P(A).
    ECGBENCH_ASSIGN_OR_RETURN(forward, state_->LogOdds(JudgeUserTurn(question, answer_a, answer_b)));
    ECGBENCH_ASSIGN_OR_RETURN(swapped, state_->LogOdds(JudgeUserTurn(question, answer_b, answer_a)));
  } catch (const c10::OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(absl::StrCat("PairJudge::Compare: ", e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("PairJudge::Compare: ", e.what_without_backtrace()));
  }
  const double log_odds = 0.5 * (forward - swapped);
  if (!std::isfinite(log_odds)) {
    return absl::InternalError(absl::StrCat("PairJudge::Compare: non-finite label log-probabilities (log-odds ",
                                            forward, " and ", -swapped, ") from ", options_.model_dir));
  }
  JudgeVerdict verdict;
  verdict.preferred = log_odds >= 0 ? 0 : 1;
  verdict.margin = std::abs(log_odds);
  return verdict;
}

std::string JudgeUserTurn(std::string_view question, std::string_view first, std::string_view second) {
  return absl::StrCat("You compare two answers to a question about an ECG. Question: ", Sv(question),
                      "\nAnswer A: ", Sv(first), "\nAnswer B: ", Sv(second),
                      "\nWhich answer is more accurate and helpful? Reply with the single letter A or B.");
}

std::string PreferencePairJsonLine(std::string_view id, std::string_view prompt, std::string_view chosen,
                                   std::string_view rejected, double margin) {
  nlohmann::ordered_json record;
  record["id"] = std::string(id);
  record["prompt"] = std::string(prompt);
  record["chosen"] = std::string(chosen);
  record["rejected"] = std::string(rejected);
  if (std::isfinite(margin)) {
    record["margin"] = margin;
  } else {
    record["margin"] = nullptr;
  }
  return record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace ecgbench::worker::infer
