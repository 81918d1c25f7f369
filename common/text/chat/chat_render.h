// Rendering a conversation with a ChatTemplate: first into segments (special tokens, text, the ECG
// slot; each marked labeled or not), then into token ids through a Tokenizer with a per-token label
// mask. Labels are computed from the segments (assistant content through its end-of-turn token,
// Gemma's trailing <eos> too), not by searching id sequences as upstream's create_labels does.
// Maximal runs of adjacent text segments are encoded as one string, so the ids equal HF's
// tokenization of the rendered template string (HF splits at special/added tokens only).
// Pure functions; thread-safe given a thread-safe Tokenizer. See docs/text-chat.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/chat/chat_template.h"
#include "common/text/tokenizer.h"

namespace ecgbench::common::text {

inline constexpr int32_t kIgnoreLabel = -100;  // label of tokens without loss (HF / PyTorch CE)

// Same shape as common/ecg/dataset/conversation.h's ChatMessage (roles already normalized).
struct ChatTurn {
  std::string role;  // "system" (only first) | "user" | "assistant"
  std::string content;
};

struct ChatInput {
  std::string system_prompt;    // empty = a leading "system" turn, else the template default
  std::vector<ChatTurn> turns;  // [system], user, assistant, user, ... (strictly alternating)
  // Ids placed at the start of the first user turn's content, followed by "\n": N copies of the
  // `<signal>` placeholder id (encoder ELMs) or the ECG-Byte token ids (token ELM). Empty =
  // text-only (no slot, no newline).
  std::vector<int32_t> ecg_ids;
};

enum class RenderMode {
  kTraining,    // every turn; labels on assistant turns; template final_token after a last answer
  kGeneration,  // turns must end with a user turn; appends the assistant header (generation prompt)
};

enum class SegmentKind { kText, kSpecial, kEcg };

struct ChatSegment {
  SegmentKind kind = SegmentKind::kText;
  std::string text;  // kText: the text; kSpecial: the token string; kEcg: empty
  bool labeled = false;
  bool operator==(const ChatSegment& o) const {
    return kind == o.kind && text == o.text && labeled == o.labeled;
  }
};

// Segments of `input` under `tmpl`. InvalidArgument naming the turn index for: an unknown role, a
// system turn not first (or given together with system_prompt), roles not alternating from "user",
// no user turn, and (kGeneration) a conversation not ending with a user turn.
absl::StatusOr<std::vector<ChatSegment>> RenderSegments(const ChatTemplate& tmpl, const ChatInput& input,
                                                        RenderMode mode);

// The rendered string (what HF apply_chat_template returns, plus our documented differences);
// the ECG slot is written as `ecg_text`.
std::string SegmentsToText(const std::vector<ChatSegment>& segments, std::string_view ecg_text = "");

struct RenderedConversation {
  std::vector<int32_t> ids;
  std::vector<int32_t> labels;  // same length: the id where trained on, else kIgnoreLabel
  int64_t ecg_begin = -1;       // ECG slot [ecg_begin, ecg_end) in ids; -1 when text-only
  int64_t ecg_end = -1;
  int64_t num_labeled = 0;      // tokens with a label
  int64_t first_labeled = -1;   // index of the first labeled token; -1 when none
};

// Tokens of `segments` (special strings as their ids, text runs encoded without special tokens,
// the ECG slot as `ecg_ids`). NotFound naming the template and token when a special token is not
// in the tokenizer; InvalidArgument for an ECG id outside the vocabulary (naming its position);
// Encode errors are passed on with context. A text run whose tokens straddle a label boundary
// (e.g. ChatML "assistant\n" + content starting with "\n") labels the straddling token.
absl::StatusOr<RenderedConversation> TokenizeSegments(const std::vector<ChatSegment>& segments,
                                                      const std::vector<int32_t>& ecg_ids,
                                                      const Tokenizer& tokenizer, std::string_view template_name);

// RenderSegments + TokenizeSegments.
absl::StatusOr<RenderedConversation> RenderConversation(const ChatTemplate& tmpl, const ChatInput& input,
                                                        RenderMode mode, const Tokenizer& tokenizer);

// Evaluation: one prompt per assistant turn (the ground-truth history up to and including that
// turn's assistant header, no padding) with the reference answer (content as the template renders
// it: trimmed when the template trims).
struct GenerationPrompt {
  std::vector<int32_t> ids;
  int64_t ecg_begin = -1;
  int64_t ecg_end = -1;
  int turn = 0;           // index of the answered turn in input.turns
  std::string reference;  // the ground-truth answer
};
absl::StatusOr<std::vector<GenerationPrompt>> RenderGenerationPrompts(const ChatTemplate& tmpl,
                                                                      const ChatInput& input,
                                                                      const Tokenizer& tokenizer);

// Ids of the template's stop tokens / pad token. NotFound naming the token when missing.
absl::StatusOr<std::vector<int32_t>> StopTokenIds(const ChatTemplate& tmpl, const Tokenizer& tokenizer);
absl::StatusOr<int32_t> PadTokenId(const ChatTemplate& tmpl, const Tokenizer& tokenizer);
// The pad id a model's batches use: the template's pad token when the tokenizer has it, else the
// model's pad_token_id (config.json), else its first eos id, else 0 (padding is masked, unlabeled
// and, in generation, only fills rows that have stopped: any id works).
int32_t ResolvePadId(const ChatTemplate& tmpl, const Tokenizer& tokenizer, std::optional<int64_t> model_pad_id,
                     const std::vector<int64_t>& model_eos_ids);

// `count` copies of the id of `placeholder` (default "<signal>"). NotFound when it is missing.
absl::StatusOr<std::vector<int32_t>> PlaceholderIds(const Tokenizer& tokenizer, int64_t count,
                                                    std::string_view placeholder = "<signal>");

}  // namespace ecgbench::common::text
