// Greedy and sampled generation with a KV cache (see generate.h for the contract).
#include "worker/nn/generate.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker::nn {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat("generation request: ", message));
}

std::string Shape(const torch::Tensor& t) { return absl::StrCat("[", absl::StrJoin(t.sizes(), ", "), "]"); }

absl::Status CheckSampling(const SamplingOptions& s) {
  if (!std::isfinite(s.temperature) || s.temperature < 0) {
    return Invalid(absl::StrCat("temperature must be a finite number >= 0 (got ", s.temperature, ")"));
  }
  if (s.do_sample && s.temperature == 0) {
    return Invalid("temperature must be > 0 when sampling (got 0); for greedy decoding set do_sample to false");
  }
  if (s.top_k < 0) return Invalid(absl::StrCat("top_k must be >= 0 (got ", s.top_k, ")"));
  if (!(s.top_p > 0 && s.top_p <= 1)) return Invalid(absl::StrCat("top_p must be in (0, 1] (got ", s.top_p, ")"));
  if (!std::isfinite(s.repetition_penalty) || s.repetition_penalty <= 0) {
    return Invalid(absl::StrCat("repetition_penalty must be a finite number > 0 (got ", s.repetition_penalty, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckTokenId(const std::string& field, int64_t id, int64_t vocab) {
  if (id < 0 || id >= vocab) {
    return Invalid(absl::StrCat(field, " = ", id, " is outside the vocabulary [0, ", vocab, ")"));
  }
  return absl::OkStatus();
}

// The request's prompt on the model's device: exactly one of ids (int64) and embeds (model
// dtype), and a 0/1 int64 mask.
struct Prompt {
  torch::Tensor ids, embeds, mask;
  int64_t batch = 0, length = 0;
};

absl::StatusOr<Prompt> CheckPrompt(const GenerationRequest& r, const common::model_io::ModelConfig& config,
                                   int64_t embedding_dim, const torch::Tensor& embedding_weight) {
  if (r.input_ids.defined() == r.inputs_embeds.defined()) {
    return Invalid("give exactly one of input_ids and inputs_embeds");
  }
  Prompt p;
  const torch::Device device = embedding_weight.device();
  if (r.input_ids.defined()) {
    const torch::Tensor& ids = r.input_ids;
    if (ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1) {
      return Invalid("input_ids must be [batch >= 1, length >= 1], got " + Shape(ids));
    }
    if (!at::isIntegralType(ids.scalar_type(), /*includeBool=*/false)) {
      return Invalid(absl::StrCat("input_ids must hold integers, got ", c10::toString(ids.scalar_type())));
    }
    p.ids = ids.to(device, torch::kLong);
    const torch::Tensor bad = p.ids.lt(0).logical_or(p.ids.ge(config.vocab_size)).nonzero();
    if (bad.size(0) > 0) {
      const int64_t row = bad[0][0].item<int64_t>(), col = bad[0][1].item<int64_t>();
      return CheckTokenId(absl::StrCat("input_ids[", row, "][", col, "]"), p.ids[row][col].item<int64_t>(),
                          config.vocab_size);
    }
  } else {
    const torch::Tensor& embeds = r.inputs_embeds;
    if (embeds.dim() != 3 || embeds.size(0) < 1 || embeds.size(1) < 1 || embeds.size(2) != embedding_dim) {
      return Invalid(absl::StrCat("inputs_embeds must be [batch >= 1, length >= 1, ", embedding_dim, "], got ",
                                  Shape(embeds)));
    }
    if (!embeds.is_floating_point()) {
      return Invalid(absl::StrCat("inputs_embeds must be floating point, got ", c10::toString(embeds.scalar_type())));
    }
    p.embeds = embeds.to(device, embedding_weight.scalar_type());
  }
  const torch::Tensor& prompt = p.ids.defined() ? p.ids : p.embeds;
  p.batch = prompt.size(0);
  p.length = prompt.size(1);
  if (r.attention_mask.defined()) {
    if (r.attention_mask.dim() != 2 || r.attention_mask.size(0) != p.batch || r.attention_mask.size(1) != p.length) {
      return Invalid(absl::StrCat("attention_mask must be [", p.batch, ", ", p.length, "] like the prompt, got ",
                                  Shape(r.attention_mask)));
    }
    p.mask = r.attention_mask.to(device).ne(0).to(torch::kLong);
    const torch::Tensor padded_last = p.mask.select(1, p.length - 1).eq(0).nonzero();
    if (padded_last.size(0) > 0) {
      return Invalid(absl::StrCat("attention_mask row ", padded_last[0][0].item<int64_t>(),
                                  " ends with padding; prompts must be left-padded (last column real)"));
    }
  } else {
    p.mask = torch::ones({p.batch, p.length}, torch::TensorOptions().dtype(torch::kLong).device(device));
  }
  return p;
}

at::Generator MakeGenerator(const torch::Device& device, uint64_t seed) {
  if (device.is_cpu()) return at::detail::createCPUGenerator(seed);
  // Other devices: a copy of the device's default generator (no device-specific header needed),
  // reseeded, so the request neither reads nor advances the global stream.
  at::Generator global = at::globalContext().defaultGenerator(device);
  at::Generator generator;
  {
    std::lock_guard<std::mutex> lock(global.mutex());
    generator = global.clone();
  }
  generator.set_current_seed(seed);
  return generator;
}

// Puts the model in eval mode (no dropout) for the scope; restores training mode after.
class EvalScope {
 public:
  explicit EvalScope(torch::nn::Module& model) : model_(model), was_training_(model.is_training()) { model_.eval(); }
  ~EvalScope() {
    if (was_training_) model_.train();
  }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  torch::nn::Module& model_;
  bool was_training_;
};

GenerationResult Run(LanguageModel& model, const Prompt& prompt, const GenerationRequest& request, int64_t pad) {
  torch::NoGradGuard no_grad;
  EvalScope eval(model.module());
  const SamplingOptions& sampling = request.sampling;
  const int64_t batch = prompt.batch, max_new = request.max_new_tokens;
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(prompt.mask.device());

  // Every step's mask is a prefix view of this one (generated tokens are real for every row, as
  // in transformers; a stopped row's pads are never read by the others).
  const torch::Tensor full_mask = torch::cat({prompt.mask, torch::ones({batch, max_new}, long_opts)}, 1);
  torch::Tensor tokens = torch::full({batch, max_new}, pad, long_opts);
  torch::Tensor unfinished = torch::ones({batch}, long_opts.dtype(torch::kBool));
  const torch::Tensor eos = torch::tensor(request.eos_token_ids, torch::kLong).to(long_opts.device());
  // The repetition penalty sees the prompt ids (none after an embeddings prefill) and the tokens so far.
  const bool penalize = sampling.repetition_penalty != 1.0;
  const int64_t seen_prefix = penalize && prompt.ids.defined() ? prompt.length : 0;
  torch::Tensor seen;
  if (penalize) {
    seen = torch::empty({batch, seen_prefix + max_new}, long_opts);
    if (seen_prefix > 0) seen.narrow(1, 0, seen_prefix).copy_(prompt.ids);
  }
  at::Generator generator;
  if (sampling.do_sample) generator = MakeGenerator(prompt.mask.device(), sampling.seed);

  KvCache cache = model.NewCache();
  // Logits of the last position only: the prompt's other positions never reach lm_head.
  const auto last_logits = [&](const DecoderInputs& inputs) {
    const torch::Tensor hidden = model.Hidden(inputs, &cache);
    return model.Logits(hidden.narrow(1, hidden.size(1) - 1, 1)).select(1, 0).to(torch::kFloat);
  };
  torch::Tensor logits = last_logits({prompt.ids, prompt.embeds, prompt.mask, {}});
  int64_t steps = 0;
  while (steps < max_new) {
    torch::Tensor scores = logits;
    if (penalize) {
      scores = ApplyRepetitionPenalty(scores, seen.narrow(1, 0, seen_prefix + steps), sampling.repetition_penalty);
    }
    torch::Tensor next;
    if (sampling.do_sample) {
      next = torch::multinomial(torch::softmax(WarpScores(scores, sampling), -1), 1, /*replacement=*/false, generator)
                 .squeeze(1);
    } else {
      next = scores.argmax(-1);
    }
    next.masked_fill_(unfinished.logical_not(), pad);
    tokens.select(1, steps).copy_(next);
    if (penalize) seen.select(1, seen_prefix + steps).copy_(next);
    ++steps;
    if (eos.numel() > 0) {
      unfinished.logical_and_(next.unsqueeze(1).ne(eos.unsqueeze(0)).all(1));
      if (!unfinished.any().item<bool>()) break;
    }
    if (steps == max_new) break;
    logits = last_logits({next.unsqueeze(1), {}, full_mask.narrow(1, 0, prompt.length + steps), {}});
  }

  GenerationResult result;
  result.tokens = tokens.narrow(1, 0, steps).to(torch::kCPU).contiguous();
  const auto host = result.tokens.accessor<int64_t, 2>();
  result.rows.resize(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    GeneratedRow& row = result.rows[static_cast<size_t>(b)];
    row.ids.reserve(static_cast<size_t>(steps));
    for (int64_t t = 0; t < steps; ++t) {
      const int64_t id = host[b][t];
      if (std::find(request.eos_token_ids.begin(), request.eos_token_ids.end(), id) != request.eos_token_ids.end()) {
        row.finish_reason = FinishReason::kEos;
        row.stop_token = id;
        break;
      }
      row.ids.push_back(id);
    }
  }
  return result;
}

absl::StatusOr<GenerationResult> CheckAndRun(LanguageModel& model, const GenerationRequest& request) {
  ECGBENCH_RETURN_IF_ERROR(CheckSampling(request.sampling));
  if (request.max_new_tokens < 1) {
    return Invalid(absl::StrCat("max_new_tokens must be >= 1 (got ", request.max_new_tokens, ")"));
  }
  const common::model_io::ModelConfig& config = model.config();
  for (size_t i = 0; i < request.eos_token_ids.size(); ++i) {
    ECGBENCH_RETURN_IF_ERROR(
        CheckTokenId(absl::StrCat("eos_token_ids[", i, "]"), request.eos_token_ids[i], config.vocab_size));
  }
  const int64_t pad = request.pad_token_id.value_or(request.eos_token_ids.empty() ? 0 : request.eos_token_ids[0]);
  ECGBENCH_RETURN_IF_ERROR(CheckTokenId("pad_token_id", pad, config.vocab_size));
  ECGBENCH_ASSIGN_OR_RETURN(const Prompt prompt, CheckPrompt(request, config, model.embedding_dim(), model.token_embeddings()->weight));
  return Run(model, prompt, request, pad);
}

}  // namespace

std::string_view FinishReasonName(FinishReason reason) {
  return reason == FinishReason::kEos ? "eos" : "max_new_tokens";
}

absl::StatusOr<GenerationResult> Generate(CausalLM& model, const GenerationRequest& request) {
  return Generate(*AsLanguageModel(model), request);
}

absl::StatusOr<GenerationResult> Generate(LanguageModel& model, const GenerationRequest& request) {
  try {
    return CheckAndRun(model, request);
  } catch (const c10::OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(absl::StrCat("generate: ", e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("generate: ", e.what_without_backtrace()));
  }
}

void ApplyGenerationConfig(const common::model_io::GenerationConfig& config, GenerationRequest& request) {
  request.sampling.do_sample = config.do_sample;
  request.sampling.temperature = config.temperature;
  request.sampling.top_k = config.top_k;
  request.sampling.top_p = config.top_p;
  request.sampling.repetition_penalty = config.repetition_penalty;
  if (!config.eos_token_ids.empty()) request.eos_token_ids = config.eos_token_ids;
  if (config.pad_token_id) request.pad_token_id = config.pad_token_id;
  if (config.max_new_tokens) request.max_new_tokens = *config.max_new_tokens;
}

torch::Tensor ApplyRepetitionPenalty(const torch::Tensor& scores, const torch::Tensor& seen_ids, double penalty) {
  if (penalty == 1.0 || seen_ids.size(1) == 0) return scores;
  const torch::Tensor picked = scores.gather(1, seen_ids);
  return scores.scatter(1, seen_ids, torch::where(picked < 0, picked * penalty, picked / penalty));
}

torch::Tensor WarpScores(const torch::Tensor& scores, const SamplingOptions& options) {
  constexpr float kRemoved = -std::numeric_limits<float>::infinity();
  torch::Tensor out = scores;
  if (options.temperature != 1.0) out = out / options.temperature;
  const int64_t vocab = out.size(-1);
  if (options.top_k > 0) {
    // Ties with the k-th score are kept, as in transformers.
    const int64_t k = std::min(options.top_k, vocab);
    const torch::Tensor kth = std::get<0>(out.topk(k, -1)).narrow(-1, k - 1, 1);
    out = out.masked_fill(out < kth, kRemoved);
  }
  if (options.top_p < 1.0) {
    // Ascending order: drop the tokens whose cumulative probability stays <= 1 - top_p; the most
    // likely token always survives.
    const auto [sorted, order] = out.sort(-1, /*descending=*/false);
    torch::Tensor drop = sorted.softmax(-1).cumsum(-1) <= (1.0 - options.top_p);
    drop.narrow(-1, vocab - 1, 1).fill_(false);
    out = out.masked_fill(drop.scatter(-1, order, drop), kRemoved);
  }
  return out;
}

}  // namespace ecgbench::worker::nn
