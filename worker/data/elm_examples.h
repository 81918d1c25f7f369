// ELM training examples: the run's conversations (conversation JSONL of the dataset stage), each
// resolved to its segment of the run's store, split into train / validation / test, and turned
// into fixed-length training sequences (ids, labels, attention mask) with the chat template, the
// ECG slot and the token budget of common/text/chat (docs/elm-data.md).
//
// ECG slot (ElmExampleOptions::slot), at the start of the first user turn followed by "\n":
//   kPlaceholders  N copies of the `<signal>` id (LLaVA-style encoders: N = encoder tokens;
//                  encoder-free: 1). Never cut: a conversation that does not fit is dropped.
//   kEcgByte       the segment's ECG-Byte ids, each mapped to the LLM id ecg_token_offset + id
//                  (the `signal_<id>` added tokens). Cut by upstream's budget: min(n, max(
//                  min_ecg_tokens, max_tokens - text)) first ids are kept.
//   kNone          text-only (the no_signal ablation): no slot.
// Dropping (never cutting the prompt's start or an answer; BOS is never dropped): a conversation
// with no assistant token, or whose text leaves less than the slot needs (kEcgByte: fewer than
// min_ecg_tokens for the ECG; the check is epoch-independent, so a kept conversation always fits).
//
// Splits (common/ecg/dataset/splits.h RolesForFold): test = the held-out fold; validation = whole
// split groups (patients, or records where the splits grouped by record) carved out of the
// training folds, seeded by (splits seed, held-out fold), >= validation_fraction of their segments;
// train = the rest. A conversation takes its segment's role, so no patient is in two splits.
// Test conversations are listed unfiltered (evaluation renders them without truncation).
//
// Thread-safety: ElmExampleBuilder's const methods are thread-safe (the tokenizer's are); the
// tokenizer must outlive it. ElmDataset is a plain value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/ecg/dataset/segment_store.h"
#include "common/ecg/dataset/splits.h"
#include "common/text/chat/chat_render.h"
#include "common/text/chat/chat_template.h"
#include "common/text/chat/sequence_builder.h"
#include "common/text/tokenizer.h"

namespace ecgbench::worker {

enum class EcgSlot { kNone, kPlaceholders, kEcgByte };

// What happens to a record or sample that cannot be used (a conversation naming no segment of the
// store, a segment whose representation fails): fail with an error naming it, or skip and count.
enum class BadSamplePolicy { kFail, kSkip };

struct ElmExampleOptions {
  EcgSlot slot = EcgSlot::kPlaceholders;
  int64_t num_placeholders = 1;  // kPlaceholders: N >= 1
  int32_t placeholder_id = -1;   // kPlaceholders: the `<signal>` id (PlaceholderIds)
  int32_t ecg_token_offset = -1; // kEcgByte: the LLM id of ECG-Byte id 0
  int64_t max_tokens = 1024;     // every sequence is left-padded to this length
  int64_t min_ecg_tokens = 250;  // kEcgByte: the budget's floor (>= 1)
  int32_t pad_id = -1;           // >= 0 (PadTokenId)
  std::string system_prompt;     // empty: the template's default
  bool context_in_user_query = false;  // where ElmConversation::context goes
};

// One conversation of the run, ready to render.
struct ElmConversation {
  std::string id;        // the JSONL "id"
  int64_t segment = -1;  // position in the run's segment store
  std::vector<common::text::ChatTurn> turns;
  std::string question_type;         // the JSONL "question_type" (ECG-QA); empty when absent
  std::vector<std::string> answers;  // the JSONL "answer" list (QA); empty when absent
  // Retrieved context (RAG: the neighbours' reports) added to the prompt after a blank line: to
  // the system prompt (the conversation's own, else the configured one, else the template's
  // default) or, with ElmExampleOptions::context_in_user_query, to the first user turn. Empty: none.
  std::string context;
};

class ElmExampleBuilder {
 public:
  // InvalidArgument naming the field: pad_id < 0, max_tokens < 1, num_placeholders < 1,
  // placeholder_id / ecg_token_offset outside the tokenizer's vocabulary, min_ecg_tokens < 1.
  static absl::StatusOr<ElmExampleBuilder> Create(const common::text::Tokenizer* tokenizer,
                                                  common::text::ChatTemplate chat_template,
                                                  const ElmExampleOptions& options);

  const ElmExampleOptions& options() const { return options_; }

  // Whether `c` fits whatever its segment's ECG tokens (drop = kNone) or why not. Errors
  // (InvalidArgument naming the conversation): turns the template refuses, text the tokenizer
  // refuses, text that holds the placeholder token itself (kPlaceholders).
  absl::StatusOr<common::text::BuiltSequence> Check(const ElmConversation& c) const;

  // The training sequence of `c`. kEcgByte: `ecg_byte_ids` are the segment's ECG-Byte ids (each
  // < the ECG-Byte vocabulary; mapped with ecg_token_offset, checked against the tokenizer);
  // ignored otherwise. `scratch` is reused for the mapped ids. Errors as Check; a conversation
  // that Check keeps is never dropped here.
  absl::StatusOr<common::text::BuiltSequence> Build(const ElmConversation& c,
                                                    absl::Span<const int32_t> ecg_byte_ids,
                                                    std::vector<int32_t>* scratch) const;

  // Evaluation: one generation prompt per assistant turn of `c` (the ground-truth history up to
  // that turn's assistant header, unpadded: RenderGenerationPrompts), with the slot of Build
  // (kEcgByte: the first EcgTokenBudget(n, text before, text after, max_tokens, min_ecg_tokens)
  // ids, the text counted over the whole conversation as in training). `with_slot` false renders
  // text only (the `none` ablation). Errors name the conversation.
  absl::StatusOr<std::vector<common::text::GenerationPrompt>> Prompts(const ElmConversation& c,
                                                                     absl::Span<const int32_t> ecg_byte_ids,
                                                                     bool with_slot) const;

 private:
  ElmExampleBuilder(const common::text::Tokenizer* tokenizer, common::text::ChatTemplate chat_template,
                    const ElmExampleOptions& options);
  absl::StatusOr<common::text::BuiltSequence> Render(const ElmConversation& c,
                                                     const std::vector<int32_t>& slot) const;
  // The chat input of `c` (turns, system prompt, context) without the ECG slot.
  common::text::ChatInput Input(const ElmConversation& c) const;

  const common::text::Tokenizer* tokenizer_;
  common::text::ChatTemplate template_;
  ElmExampleOptions options_;
  std::vector<int32_t> placeholders_;  // kPlaceholders: the slot
  std::vector<int32_t> check_slot_;    // the slot Check renders with
};

struct ElmSplitCounts {
  int64_t kept = 0;
  int64_t no_answer = 0;  // dropped: no assistant token
  int64_t too_long = 0;   // dropped: does not fit max_tokens
};

struct ElmDataCounts {
  int64_t records = 0;      // conversations read
  int64_t bad_records = 0;  // skipped (kSkip): no such segment, a template or tokenizer error
  std::vector<std::string> bad_examples;  // the first 20 reasons
  ElmSplitCounts train, validation, test;
};

struct ElmDataset {
  std::vector<ElmConversation> conversations;  // those listed below, in file order
  // Indices into `conversations`, ascending and disjoint.
  std::vector<int64_t> train, validation, test;
  ElmDataCounts counts;
};

// Where the run's data is (worker/stages/run_data.h: dataset_result["conversations"],
// run.store.get(), &run.folds, run.test_fold). The store and folds must outlive the call.
struct ElmDataSource {
  std::string conversations_path;
  const common::ecg::SegmentStore* store = nullptr;
  const common::ecg::FoldAssignment* folds = nullptr;
  int test_fold = 0;  // 0-based
};

struct ElmDatasetOptions {
  double validation_fraction = 0.1;  // 0 <= f < 1
  BadSamplePolicy policy = BadSamplePolicy::kFail;
  int num_threads = 1;  // for rendering the fit checks, 1..256
  // Called once per conversation read (its segment resolved), before the fit checks: the
  // conversation's ElmConversation::context (RAG). Null: no context. An error fails the load (kFail)
  // or skips and counts the conversation (kSkip).
  std::function<absl::StatusOr<std::string>(const ElmConversation&)> context;
};

// Reads the conversations, resolves their segments (segment.index, else record_id +
// segment_index through the store's metadata), assigns roles and checks train/validation
// conversations with `builder`. Errors: ReadConversations' (file:line); FailedPrecondition for an
// empty path, a fold assignment that does not cover the store; with kFail, InvalidArgument naming
// file:line and the conversation id for a record that names no segment of the store or that the
// template or tokenizer refuses.
absl::StatusOr<ElmDataset> LoadElmDataset(const ElmDataSource& source, const ElmExampleBuilder& builder,
                                          const ElmDatasetOptions& options);

}  // namespace ecgbench::worker
