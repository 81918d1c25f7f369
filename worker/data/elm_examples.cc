// ELM training examples: conversation -> training sequence, and the run's conversations resolved,
// split and fit-checked (elm_examples.h).
#include "worker/data/elm_examples.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ecg/dataset/conversation.h"
#include "common/util/status_macros.h"

namespace ecgbench::worker {

namespace ecg = common::ecg;
namespace text = common::text;

namespace {

constexpr size_t kMaxBadExamples = 20;
constexpr int kMaxThreads = 256;

// Keeps the first kMaxBadExamples reasons.
void CountBad(ElmDataCounts* counts, std::string reason) {
  ++counts->bad_records;
  if (counts->bad_examples.size() < kMaxBadExamples) counts->bad_examples.push_back(std::move(reason));
}

}  // namespace

ElmExampleBuilder::ElmExampleBuilder(const text::Tokenizer* tokenizer, text::ChatTemplate chat_template,
                                     const ElmExampleOptions& options)
    : tokenizer_(tokenizer), template_(std::move(chat_template)), options_(options) {
  switch (options_.slot) {
    case EcgSlot::kNone:
      break;
    case EcgSlot::kPlaceholders:
      placeholders_.assign(static_cast<size_t>(options_.num_placeholders), options_.placeholder_id);
      check_slot_ = placeholders_;
      break;
    case EcgSlot::kEcgByte:
      // The fewest ECG tokens a kept conversation must leave room for (see the header).
      check_slot_.assign(static_cast<size_t>(options_.min_ecg_tokens), options_.ecg_token_offset);
      break;
  }
}

absl::StatusOr<ElmExampleBuilder> ElmExampleBuilder::Create(const text::Tokenizer* tokenizer,
                                                            text::ChatTemplate chat_template,
                                                            const ElmExampleOptions& options) {
  if (tokenizer == nullptr) return absl::InvalidArgumentError("ELM examples: tokenizer is null");
  const int32_t vocab = tokenizer->vocab_size();
  if (options.pad_id < 0 || options.pad_id >= vocab) {
    return absl::InvalidArgumentError(
        absl::StrCat("ELM examples: pad_id ", options.pad_id, " is outside the vocabulary (0..", vocab - 1, ")"));
  }
  if (options.max_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat("ELM examples: max_tokens ", options.max_tokens, " must be >= 1"));
  }
  if (options.slot == EcgSlot::kPlaceholders) {
    if (options.num_placeholders < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("ELM examples: num_placeholders ", options.num_placeholders, " must be >= 1"));
    }
    if (options.placeholder_id < 0 || options.placeholder_id >= vocab) {
      return absl::InvalidArgumentError(absl::StrCat("ELM examples: placeholder_id ", options.placeholder_id,
                                                     " is outside the vocabulary (0..", vocab - 1, ")"));
    }
  }
  if (options.slot == EcgSlot::kEcgByte) {
    if (options.ecg_token_offset < 0 || options.ecg_token_offset >= vocab) {
      return absl::InvalidArgumentError(absl::StrCat("ELM examples: ecg_token_offset ", options.ecg_token_offset,
                                                     " is outside the vocabulary (0..", vocab - 1, ")"));
    }
    if (options.min_ecg_tokens < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("ELM examples: min_ecg_tokens ", options.min_ecg_tokens, " must be >= 1"));
    }
  }
  return ElmExampleBuilder(tokenizer, std::move(chat_template), options);
}

text::ChatInput ElmExampleBuilder::Input(const ElmConversation& c) const {
  text::ChatInput input;
  // A conversation with its own system turn keeps it; the others get the configured prompt.
  const bool own_system = !c.turns.empty() && c.turns.front().role == "system";
  if (!own_system) input.system_prompt = options_.system_prompt;
  input.turns = c.turns;
  if (c.context.empty()) return input;
  const absl::string_view context = absl::StripTrailingAsciiWhitespace(c.context);
  const auto append = [&context](std::string* text) {
    if (!text->empty()) absl::StrAppend(text, "\n\n");
    absl::StrAppend(text, context);
  };
  if (options_.context_in_user_query) {
    for (text::ChatTurn& turn : input.turns) {
      if (turn.role == "user") {
        append(&turn.content);
        break;
      }
    }
  } else if (own_system) {
    append(&input.turns.front().content);
  } else {
    if (input.system_prompt.empty()) input.system_prompt = template_.default_system_prompt;
    append(&input.system_prompt);
  }
  return input;
}

absl::StatusOr<text::BuiltSequence> ElmExampleBuilder::Render(const ElmConversation& c,
                                                              const std::vector<int32_t>& slot) const {
  text::ChatInput input = Input(c);
  input.ecg_ids = slot;
  absl::StatusOr<text::RenderedConversation> rendered =
      text::RenderConversation(template_, input, text::RenderMode::kTraining, *tokenizer_);
  if (!rendered.ok()) {
    return absl::Status(rendered.status().code(),
                        absl::StrCat("conversation \"", c.id, "\": ", rendered.status().message()));
  }
  text::SequenceOptions sequence;
  sequence.max_len = options_.max_tokens;
  sequence.pad_id = options_.pad_id;
  if (options_.slot == EcgSlot::kEcgByte) sequence.min_ecg_tokens = options_.min_ecg_tokens;
  if (options_.slot == EcgSlot::kPlaceholders) {
    // The ELM writes the N ECG embeddings over exactly N placeholders: the text must hold none.
    const auto found = std::count(rendered->ids.begin(), rendered->ids.end(), options_.placeholder_id);
    if (found != options_.num_placeholders) {
      return absl::InvalidArgumentError(absl::StrCat("conversation \"", c.id, "\": its text holds ",
                                                     found - options_.num_placeholders,
                                                     " ECG placeholder token(s) (id ", options_.placeholder_id, ")"));
    }
  }
  absl::StatusOr<text::BuiltSequence> built = text::BuildTrainingSequence(*rendered, sequence);
  if (!built.ok()) {
    return absl::Status(built.status().code(), absl::StrCat("conversation \"", c.id, "\": ", built.status().message()));
  }
  return built;
}

absl::StatusOr<text::BuiltSequence> ElmExampleBuilder::Check(const ElmConversation& c) const {
  return Render(c, check_slot_);
}

absl::StatusOr<text::BuiltSequence> ElmExampleBuilder::Build(const ElmConversation& c,
                                                             absl::Span<const int32_t> ecg_byte_ids,
                                                             std::vector<int32_t>* scratch) const {
  switch (options_.slot) {
    case EcgSlot::kNone:
      scratch->clear();
      return Render(c, *scratch);
    case EcgSlot::kPlaceholders:
      return Render(c, placeholders_);
    case EcgSlot::kEcgByte:
      break;
  }
  // The budget keeps at most max(max_tokens, min_ecg_tokens) of the first ECG tokens: the rest can
  // go before rendering without changing the result.
  const size_t keep = std::min(ecg_byte_ids.size(),
                               static_cast<size_t>(std::max(options_.max_tokens, options_.min_ecg_tokens)));
  scratch->resize(keep);
  for (size_t i = 0; i < keep; ++i) (*scratch)[i] = options_.ecg_token_offset + ecg_byte_ids[i];
  return Render(c, *scratch);
}

absl::StatusOr<std::vector<text::GenerationPrompt>> ElmExampleBuilder::Prompts(
    const ElmConversation& c, absl::Span<const int32_t> ecg_byte_ids, bool with_slot) const {
  text::ChatInput input = Input(c);
  const auto named = [&c](const absl::Status& st) {
    return absl::Status(st.code(), absl::StrCat("conversation \"", c.id, "\": ", st.message()));
  };
  if (with_slot && options_.slot == EcgSlot::kPlaceholders) input.ecg_ids = placeholders_;
  if (with_slot && options_.slot == EcgSlot::kEcgByte && !ecg_byte_ids.empty()) {
    // The text around the slot, rendered once with a one-token slot, sets the budget.
    input.ecg_ids = {options_.ecg_token_offset};
    absl::StatusOr<text::RenderedConversation> whole =
        text::RenderConversation(template_, input, text::RenderMode::kTraining, *tokenizer_);
    if (!whole.ok()) return named(whole.status());
    const int64_t before = whole->ecg_begin;
    const int64_t after = static_cast<int64_t>(whole->ids.size()) - whole->ecg_end;
    const int64_t keep = text::EcgTokenBudget(static_cast<int64_t>(ecg_byte_ids.size()), before, after,
                                              options_.max_tokens, options_.min_ecg_tokens);
    input.ecg_ids.resize(static_cast<size_t>(keep));
    for (int64_t i = 0; i < keep; ++i) input.ecg_ids[static_cast<size_t>(i)] = options_.ecg_token_offset + ecg_byte_ids[i];
  }
  absl::StatusOr<std::vector<text::GenerationPrompt>> prompts =
      text::RenderGenerationPrompts(template_, input, *tokenizer_);
  if (!prompts.ok()) return named(prompts.status());
  return prompts;
}

absl::StatusOr<ElmDataset> LoadElmDataset(const ElmDataSource& source, const ElmExampleBuilder& builder,
                                          const ElmDatasetOptions& options) {
  if (source.conversations_path.empty()) {
    return absl::FailedPreconditionError(
        "ELM data: the dataset stage wrote no conversations (the spec maps no QA dataset: data.mapped)");
  }
  if (source.store == nullptr || source.folds == nullptr) {
    return absl::InvalidArgumentError("ELM data: store and folds are required");
  }
  if (static_cast<int64_t>(source.folds->fold.size()) != source.store->size()) {
    return absl::FailedPreconditionError(absl::StrCat("ELM data: the splits cover ", source.folds->fold.size(),
                                                      " segments, the store has ", source.store->size()));
  }
  if (options.num_threads < 1 || options.num_threads > kMaxThreads) {
    return absl::InvalidArgumentError(
        absl::StrCat("ELM data: num_threads must be in 1..", kMaxThreads, ", got ", options.num_threads));
  }
  ECGBENCH_ASSIGN_OR_RETURN(std::vector<ecg::SplitRole> roles,
                            ecg::RolesForFold(*source.folds, source.test_fold, options.validation_fraction));

  ElmDataset out;
  std::map<std::pair<std::string, int64_t>, int64_t> by_record;  // built on first need
  bool by_record_ready = false;
  const int64_t store_size = source.store->size();
  absl::Status read = ecg::ReadConversations(
      source.conversations_path, [&](ecg::Conversation&& c, int64_t line) -> absl::Status {
        ++out.counts.records;
        const std::string where = absl::StrCat(source.conversations_path, ":", line, ": conversation \"", c.id, "\"");
        int64_t segment = c.index;
        if (segment < 0) {
          if (!by_record_ready) {
            ECGBENCH_ASSIGN_OR_RETURN(std::vector<ecg::SegmentMeta> metas, source.store->AllMeta());
            for (size_t i = 0; i < metas.size(); ++i) {
              by_record.emplace(std::make_pair(metas[i].record_id, metas[i].segment_index), static_cast<int64_t>(i));
            }
            by_record_ready = true;
          }
          auto it = by_record.find({c.record_id, c.segment_index});
          if (it != by_record.end()) segment = it->second;
        }
        if (segment < 0 || segment >= store_size) {
          std::string reason =
              c.index >= 0
                  ? absl::StrCat(where, ": segment.index ", c.index, " is outside the store of ", store_size, " segments")
                  : absl::StrCat(where, ": no segment ", c.segment_index, " of record \"", c.record_id,
                                 "\" in the store");
          if (options.policy == BadSamplePolicy::kFail) return absl::InvalidArgumentError(reason);
          CountBad(&out.counts, std::move(reason));
          return absl::OkStatus();
        }
        ElmConversation e;
        e.id = std::move(c.id);
        e.segment = segment;
        e.turns.reserve(c.messages.size());
        for (ecg::ChatMessage& m : c.messages) e.turns.push_back({std::move(m.role), std::move(m.content)});
        e.question_type = std::move(c.question_type);
        if (c.answer) e.answers = std::move(*c.answer);
        if (options.context) {
          absl::StatusOr<std::string> context = options.context(e);
          if (!context.ok()) {
            std::string reason = absl::StrCat(where, ": retrieval: ", context.status().message());
            if (options.policy == BadSamplePolicy::kFail) return absl::Status(context.status().code(), reason);
            CountBad(&out.counts, std::move(reason));
            return absl::OkStatus();
          }
          e.context = *std::move(context);
        }
        out.conversations.push_back(std::move(e));
        return absl::OkStatus();
      });
  ECGBENCH_RETURN_IF_ERROR(read);

  // Fit checks of the train and validation conversations, on num_threads threads (each writes its
  // own slots; the outcome does not depend on the thread count).
  const size_t n = out.conversations.size();
  std::vector<text::DropReason> drop(n, text::DropReason::kNone);
  std::vector<absl::Status> errors(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      const ElmConversation& c = out.conversations[i];
      if (roles[static_cast<size_t>(c.segment)] == ecg::SplitRole::kTest) continue;
      absl::StatusOr<text::BuiltSequence> built = builder.Check(c);
      if (built.ok()) {
        drop[i] = built->drop;
      } else {
        errors[i] = built.status();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < options.num_threads && static_cast<size_t>(t) < n; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();

  // Keep the conversations that a split lists (file order).
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!errors[i].ok()) {
      std::string reason = absl::StrCat(source.conversations_path, ": ", errors[i].message());
      if (options.policy == BadSamplePolicy::kFail) return absl::Status(errors[i].code(), reason);
      CountBad(&out.counts, std::move(reason));
      continue;
    }
    const ecg::SplitRole role = roles[static_cast<size_t>(out.conversations[i].segment)];
    ElmSplitCounts& counts = role == ecg::SplitRole::kTrain        ? out.counts.train
                             : role == ecg::SplitRole::kValidation ? out.counts.validation
                                                                   : out.counts.test;
    switch (drop[i]) {
      case text::DropReason::kNoAnswer:
        ++counts.no_answer;
        continue;
      case text::DropReason::kTooLong:
        ++counts.too_long;
        continue;
      case text::DropReason::kNone:
        break;
    }
    const int64_t index = static_cast<int64_t>(kept);
    if (kept != i) out.conversations[kept] = std::move(out.conversations[i]);
    ++kept;
    ++counts.kept;
    (role == ecg::SplitRole::kTrain ? out.train : role == ecg::SplitRole::kValidation ? out.validation : out.test)
        .push_back(index);
  }
  out.conversations.resize(kept);
  return out;
}

}  // namespace ecgbench::worker
