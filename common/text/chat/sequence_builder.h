// Fixed-length training sequences from a rendered conversation (LEFT padding, attention mask,
// position ids 0 for pads then 0,1,2,...), the ECG-token budget rule of upstream's token ELM, and
// left-padded generation batches. Truncation never drops BOS and never cuts an answer: a sample
// that cannot fit is reported with a reason (DropReason) for the caller to drop and count.
// Pure functions, thread-safe. See docs/text-chat.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/text/chat/chat_render.h"

namespace ecgbench::common::text {

// Upstream's ECG-token budget (ECG-Byte training): the number of ECG tokens kept is
// min(num_ecg, max(min_ecg_tokens, max_len - before - after)), where before/after count the
// tokens on either side of the ECG slot. The kept tokens are the first ones. Never negative.
int64_t EcgTokenBudget(int64_t num_ecg, int64_t before, int64_t after, int64_t max_len,
                       int64_t min_ecg_tokens = 250);

struct SequenceOptions {
  int64_t max_len = 1024;  // every sequence is padded to exactly this length
  int32_t pad_id = -1;     // REQUIRED: >= 0 (PadTokenId gives the family's convention)
  // When set and the sequence is too long, the ECG slot is cut to EcgTokenBudget(..., *value).
  std::optional<int64_t> min_ecg_tokens;
};

enum class DropReason {
  kNone,      // the sample fits
  kNoAnswer,  // no labeled token: nothing to train on
  kTooLong,   // does not fit in max_len without cutting the prompt's start or an answer
};
const char* DropReasonName(DropReason r);  // "none" | "no_answer" | "too_long"

struct TrainingSequence {
  // All of length max_len, int32 for a direct tensor copy.
  std::vector<int32_t> input_ids;
  std::vector<int32_t> labels;          // kIgnoreLabel on pads and unlabeled tokens
  std::vector<int32_t> attention_mask;  // 0 on pads, 1 elsewhere
  std::vector<int32_t> position_ids;    // 0 on pads, then 0, 1, 2, ...
  int64_t num_pad = 0;
  int64_t ecg_begin = -1;  // ECG slot after padding and budget; -1 when text-only
  int64_t ecg_end = -1;
  int64_t ecg_dropped = 0;  // ECG tokens removed by the budget rule
};

struct BuiltSequence {
  DropReason drop = DropReason::kNone;
  std::string reason;         // human-readable when dropped (lengths and limits)
  TrainingSequence sequence;  // valid when drop == kNone
};

// InvalidArgument for bad options (max_len < 1, pad_id < 0) or an inconsistent `rendered`
// (labels/ids sizes, ECG slot bounds). A sample that does not fit is not an error: see `drop`.
absl::StatusOr<BuiltSequence> BuildTrainingSequence(const RenderedConversation& rendered,
                                                    const SequenceOptions& options);

// Prompts left-padded to the longest, row-major [batch, seq_len]; attention mask and position ids
// as in TrainingSequence. InvalidArgument for pad_id < 0 or an empty prompt (naming its index).
struct GenerationBatch {
  int64_t batch = 0;
  int64_t seq_len = 0;
  std::vector<int32_t> input_ids;
  std::vector<int32_t> attention_mask;
  std::vector<int32_t> position_ids;
  std::vector<int64_t> num_pad;  // per row
};
absl::StatusOr<GenerationBatch> BuildGenerationBatch(const std::vector<std::vector<int32_t>>& prompts,
                                                     int32_t pad_id);

}  // namespace ecgbench::common::text
