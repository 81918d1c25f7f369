// The ELM behind `ecgbench chat` (see chat_session.h).
#include "worker/chat/chat_session.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/text/chat/chat_render.h"
#include "common/repr/batch/representation_builder.h"
#include "common/repr/batch/representation_options.h"
#include "common/text/chat/chat_template.h"
#include "common/text/chat/sequence_builder.h"
#include "common/text/tokenizer.h"
#include "common/util/status_macros.h"
#include "spdlog/spdlog.h"
#include "worker/chat/encoder_factory.h"
#include "worker/chat/export_hints.h"
#include "worker/nn/generate.h"
#include "worker/train/export.h"

namespace ecgbench::worker::chat {

namespace fs = std::filesystem;
namespace text = common::text;
namespace repr = common::repr;

namespace {

constexpr int64_t kDefaultSegmentLen = 1250;  // the spec's default data.segment_len
constexpr double kDefaultRateHz = 250;        // the pipeline's rate
constexpr int64_t kDefaultMaxTokens = 1024;   // the spec's default train.max_tokens
constexpr int64_t kDefaultMinEcgTokens = 250;

std::string ExportFilePath(const std::string& dir, const char* name) {
  const fs::path path = fs::path(dir) / name;
  std::error_code ec;
  return fs::is_regular_file(path, ec) ? path.string() : std::string();
}

}  // namespace

struct ChatSession::State {
  ChatSessionOptions options;
  train::LoadedElm loaded;  // the ELM and its attached adapter (kept alive together)
  std::unique_ptr<text::Tokenizer> tokenizer;
  text::ChatTemplate tmpl;
  std::vector<int64_t> stop_ids;
  int32_t pad_id = 0;
  std::unique_ptr<repr::RepresentationBuilder> builder;
  ChatEcgOptions ecg_options;
  bool token_slot = false;            // ecg_byte / signal2vec: ECG-Byte ids in the text
  std::vector<int32_t> placeholders;  // llava / encoder_free: the slot
  int32_t ecg_token_offset = -1;      // token slot: the id of signal_0
  int64_t max_tokens = kDefaultMaxTokens;
  int64_t min_ecg_tokens = kDefaultMinEcgTokens;
  int64_t max_positions = 0;
  bool has_ecg = false;
  ChatEcg ecg;
  std::vector<int32_t> ecg_byte_ids;
  torch::Tensor encoder_input;  // [1, ...]: the dense representation (placeholder slots)
  int64_t replies = 0;
};

namespace {

}  // namespace

ChatSession::ChatSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
ChatSession::~ChatSession() = default;

absl::StatusOr<std::unique_ptr<ChatSession>> ChatSession::Load(const ChatSessionOptions& options) {
  const std::string& dir = options.checkpoint_dir;
  if (dir.empty()) return absl::InvalidArgumentError("--checkpoint: no export directory given");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no such checkpoint directory (expected an export of the train "
                                            "stage: elm_config.json, elm.safetensors, tokenizer.json)"));
  }
  const std::string config_path = (fs::path(dir) / train::kElmConfigName).string();
  if (!fs::is_regular_file(config_path, ec)) {
    return absl::NotFoundError(absl::StrCat(config_path, ": missing: ", dir,
                                            " is not an ELM export (the train stage writes <artifact>/export)"));
  }
  if (options.max_new_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--max-new-tokens: must be >= 1, got ", options.max_new_tokens));
  }
  if (options.temperature < 0 || !(options.top_p > 0 && options.top_p <= 1) || options.top_k < 0) {
    return absl::InvalidArgumentError("sampling: temperature must be >= 0, top-p in (0, 1], top-k >= 0");
  }
  auto state = std::make_unique<State>();
  state->options = options;
  const ExportHints hints = ReadExportHints(dir);

  int64_t encoder_len = 0;
  train::LoadExportOptions load;
  load.base_model_dir = options.base_model_dir;
  load.encoder_factory = ChatEncoderFactory(&encoder_len);
  ECGBENCH_ASSIGN_OR_RETURN(state->loaded, train::LoadExportedElm(dir, load));
  const train::ElmExportConfig& config = state->loaded.config;
  nn::Elm& elm = *state->loaded.elm;
  const common::model_io::ModelConfig& llm_config = elm.llm().config();
  state->max_positions = llm_config.max_position_embeddings;

  // Tokenizer and template.
  const std::string base_dir = options.base_model_dir.empty() ? config.base.path : options.base_model_dir;
  const std::string tokenizer_path = config.tokenizer_file.empty()
                                         ? (fs::path(base_dir) / "tokenizer.json").string()
                                         : (fs::path(dir) / config.tokenizer_file).string();
  ECGBENCH_ASSIGN_OR_RETURN(state->tokenizer, text::LoadTokenizer(tokenizer_path));
  ECGBENCH_ASSIGN_OR_RETURN(state->tmpl, text::ChatTemplateByName(
                                             hints.chat_template.empty() ? "auto" : hints.chat_template,
                                             llm_config.model_type));
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<int32_t> stops, text::StopTokenIds(state->tmpl, *state->tokenizer));
  state->stop_ids.assign(stops.begin(), stops.end());
  state->pad_id = text::ResolvePadId(state->tmpl, *state->tokenizer, llm_config.pad_token_id, llm_config.eos_token_ids);

  // The representation, with the export's files.
  repr::RepresentationArtifacts artifacts;
  artifacts.tokenizer_path = ExportFilePath(dir, "ecg_byte_tokenizer.json");
  artifacts.percentiles_path = ExportFilePath(dir, "percentiles.json");
  absl::StatusOr<repr::RepresentationOptions> representation =
      repr::ParseRepresentationOptions(config.representation, artifacts);
  if (!representation.ok()) {
    return absl::Status(representation.status().code(),
                        absl::StrCat(config_path, ": ", representation.status().message()));
  }
  representation->perturbation = repr::Perturbation::kNone;
  representation->augment = false;
  ChatEcgOptions& ecg_options = state->ecg_options;
  ecg_options.target_rate_hz = hints.target_rate_hz > 0 ? hints.target_rate_hz : kDefaultRateHz;
  ecg_options.npy_rate_hz = options.npy_rate_hz;
  if (options.segment_len > 0) {
    ecg_options.segment_len = options.segment_len;
  } else if (config.signal_length > 0) {
    ecg_options.segment_len = config.signal_length;
  } else if (encoder_len > 0) {
    ecg_options.segment_len = encoder_len;
  } else {
    ecg_options.segment_len = hints.segment_len > 0 ? hints.segment_len : kDefaultSegmentLen;
  }
  representation->sampling_rate_hz = ecg_options.target_rate_hz;
  ECGBENCH_ASSIGN_OR_RETURN(state->builder, repr::RepresentationBuilder::Create(*representation));

  // The ECG slot.
  state->token_slot = config.elm_kind == "ecg_byte" || config.elm_kind == "signal2vec";
  if (state->token_slot) {
    if (representation->kind != repr::RepresentationKind::kToken || representation->tokenizer == nullptr) {
      const std::string kind(repr::RepresentationKindName(representation->kind));
      return absl::FailedPreconditionError(
          absl::StrCat(config_path, ": a ", config.elm_kind, " ELM needs the token representation, got '", kind, "'"));
    }
    const std::optional<int32_t> first = state->tokenizer->TokenToId("signal_0");
    if (!first.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat(tokenizer_path, ": no token signal_0: the tokenizer lacks the ECG-Byte tokens"));
    }
    state->ecg_token_offset = *first;
    const int32_t ecg_vocab = representation->tokenizer->vocab_size();
    if (state->ecg_token_offset + ecg_vocab > state->tokenizer->vocab_size()) {
      return absl::FailedPreconditionError(absl::StrCat(
          tokenizer_path, ": the ECG-Byte tokenizer has ", ecg_vocab, " ids, the tokenizer holds only ",
          state->tokenizer->vocab_size() - state->ecg_token_offset, " signal_<id> tokens from id ",
          state->ecg_token_offset));
    }
  } else {
    const int64_t count = elm.encoder() != nullptr ? elm.encoder()->num_tokens() : elm.options().signal_patches;
    state->placeholders.assign(static_cast<size_t>(count), static_cast<int32_t>(config.placeholder_id));
  }
  state->max_tokens = options.max_tokens > 0 ? options.max_tokens
                                             : (hints.max_tokens > 0 ? hints.max_tokens : kDefaultMaxTokens);
  state->min_ecg_tokens = hints.min_ecg_tokens > 0 ? hints.min_ecg_tokens : kDefaultMinEcgTokens;
  spdlog::info("chat: {} ELM from {} on {} ({} template), segments of {} samples at {} Hz", config.elm_kind, dir,
               base_dir, state->tmpl.name, ecg_options.segment_len, ecg_options.target_rate_hz);
  return std::unique_ptr<ChatSession>(new ChatSession(std::move(state)));
}

const ChatEcgOptions& ChatSession::ecg_options() const { return state_->ecg_options; }
const ChatEcg& ChatSession::ecg() const { return state_->ecg; }
const std::string& ChatSession::elm_kind() const { return state_->loaded.config.elm_kind; }
const std::string& ChatSession::template_name() const { return state_->tmpl.name; }
const std::vector<int32_t>& ChatSession::ecg_byte_ids() const { return state_->ecg_byte_ids; }

absl::Status ChatSession::SetEcg(ChatEcg ecg) {
  State& s = *state_;
  const int64_t length = s.ecg_options.segment_len;
  if (ecg.length != length || ecg.segment.size() != static_cast<size_t>(12 * length)) {
    return absl::InvalidArgumentError(absl::StrCat(ecg.path, ": the ELM takes segments of 12 x ", length,
                                                   " samples, got 12 x ", ecg.length));
  }
  bool has_ecg = true;
  if (s.token_slot) {
    std::vector<int32_t> ids;
    ECGBENCH_RETURN_IF_ERROR(s.builder->BuildTokens(ecg.segment.data(), length, 0, 0, &ids, &has_ecg));
    s.ecg_byte_ids = std::move(ids);
  } else {
    ECGBENCH_ASSIGN_OR_RETURN(std::vector<int64_t> shape, s.builder->DenseShape(length));
    shape.insert(shape.begin(), 1);
    torch::Tensor input = torch::empty(shape, torch::kFloat);
    ECGBENCH_RETURN_IF_ERROR(s.builder->BuildDense(
        ecg.segment.data(), length, 0, 0, absl::MakeSpan(input.data_ptr<float>(), static_cast<size_t>(input.numel())),
        &has_ecg));
    s.encoder_input = std::move(input);
  }
  s.ecg = std::move(ecg);
  s.has_ecg = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> ChatSession::PromptIds(const std::vector<text::ChatTurn>& history) const {
  const State& s = *state_;
  if (!s.has_ecg) return absl::FailedPreconditionError("chat: no ECG set (SetEcg)");
  text::ChatInput input;
  input.system_prompt = s.options.system_prompt;
  input.turns = history;
  if (s.token_slot && !s.ecg_byte_ids.empty()) {
    // The text around a one-token slot sets upstream's budget, as the evaluate stage does.
    input.ecg_ids = {s.ecg_token_offset};
    ECGBENCH_ASSIGN_OR_RETURN(const text::RenderedConversation measured,
                              text::RenderConversation(s.tmpl, input, text::RenderMode::kGeneration, *s.tokenizer));
    const int64_t before = measured.ecg_begin;
    const int64_t after = static_cast<int64_t>(measured.ids.size()) - measured.ecg_end;
    const int64_t keep = text::EcgTokenBudget(static_cast<int64_t>(s.ecg_byte_ids.size()), before, after,
                                              s.max_tokens, s.min_ecg_tokens);
    input.ecg_ids.resize(static_cast<size_t>(keep));
    for (int64_t i = 0; i < keep; ++i) {
      input.ecg_ids[static_cast<size_t>(i)] = s.ecg_token_offset + s.ecg_byte_ids[static_cast<size_t>(i)];
    }
  } else if (!s.token_slot) {
    input.ecg_ids = s.placeholders;
  }
  ECGBENCH_ASSIGN_OR_RETURN(text::RenderedConversation rendered,
                            text::RenderConversation(s.tmpl, input, text::RenderMode::kGeneration, *s.tokenizer));
  return std::move(rendered.ids);
}

absl::StatusOr<std::string> ChatSession::Reply(const std::vector<text::ChatTurn>& history) {
  State& s = *state_;
  ECGBENCH_ASSIGN_OR_RETURN(const std::vector<int32_t> ids, PromptIds(history));
  const int64_t length = static_cast<int64_t>(ids.size());
  if (s.max_positions > 0 && length + s.options.max_new_tokens > s.max_positions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the conversation is ", length, " tokens; with --max-new-tokens ", s.options.max_new_tokens,
        " it exceeds the model's ", s.max_positions, " positions (start a new chat or lower --max-new-tokens)"));
  }
  nn::GenerationRequest request;
  request.max_new_tokens = s.options.max_new_tokens;
  request.eos_token_ids = s.stop_ids;
  request.pad_token_id = s.pad_id;
  request.sampling.do_sample = s.options.temperature > 0;
  if (request.sampling.do_sample) request.sampling.temperature = s.options.temperature;
  request.sampling.top_k = s.options.top_k;
  request.sampling.top_p = s.options.top_p;
  request.sampling.seed = s.options.seed + static_cast<uint64_t>(s.replies);
  nn::Elm& elm = *s.loaded.elm;
  absl::StatusOr<nn::GenerationResult> result;
  try {
    torch::NoGradGuard no_grad;
    const torch::Tensor input_ids =
        torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).view({1, length});
    if (elm.options().kind == nn::ElmKind::kEcgByte) {
      request.input_ids = input_ids;
    } else {
      // Placeholder ELMs get their ECG embeddings, Signal2Vec its projected vectors, in the prefill.
      nn::ElmBatch batch;
      batch.input_ids = input_ids;
      if (!s.token_slot) batch.encoder_input = s.encoder_input;
      elm.Train(false);
      request.inputs_embeds = elm.InputEmbeddings(batch);
    }
    result = nn::Generate(elm.llm(), request);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("chat: generation failed: ", e.what_without_backtrace()));
  }
  if (!result.ok()) return result.status();
  ++s.replies;
  const nn::GeneratedRow& row = result->rows.at(0);
  ECGBENCH_ASSIGN_OR_RETURN(const std::string answer,
                            s.tokenizer->Decode(std::vector<int32_t>(row.ids.begin(), row.ids.end()),
                                                /*skip_special=*/true));
  return std::string(absl::StripAsciiWhitespace(answer));
}

}  // namespace ecgbench::worker::chat
