// Training sequences (left padding, masks, positions, ECG budget, drop reasons) and generation
// batches.
#include "common/text/chat/sequence_builder.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ecgbench::common::text {

int64_t EcgTokenBudget(int64_t num_ecg, int64_t before, int64_t after, int64_t max_len, int64_t min_ecg_tokens) {
  const int64_t room = max_len - before - after;
  return std::max<int64_t>(0, std::min(num_ecg, std::max(min_ecg_tokens, room)));
}

const char* DropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kNone:
      return "none";
    case DropReason::kNoAnswer:
      return "no_answer";
    case DropReason::kTooLong:
      return "too_long";
  }
  return "unknown";
}

absl::StatusOr<BuiltSequence> BuildTrainingSequence(const RenderedConversation& rendered,
                                                    const SequenceOptions& options) {
  if (options.max_len < 1) {
    return absl::InvalidArgumentError(absl::StrCat("sequence options: max_len ", options.max_len, " must be >= 1"));
  }
  if (options.pad_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat("sequence options: pad_id ", options.pad_id,
                                                   " must be >= 0 (see PadTokenId)"));
  }
  const int64_t n = static_cast<int64_t>(rendered.ids.size());
  if (static_cast<int64_t>(rendered.labels.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("rendered conversation: ", rendered.labels.size(), " labels for ", n,
                                                   " ids"));
  }
  const bool has_ecg = rendered.ecg_begin >= 0;
  if (has_ecg && !(rendered.ecg_begin <= rendered.ecg_end && rendered.ecg_end <= n)) {
    return absl::InvalidArgumentError(absl::StrCat("rendered conversation: ECG slot [", rendered.ecg_begin, ", ",
                                                   rendered.ecg_end, ") outside the ", n, " ids"));
  }
  BuiltSequence out;
  int64_t num_labeled = 0;
  for (int32_t l : rendered.labels) num_labeled += l != kIgnoreLabel ? 1 : 0;
  if (num_labeled == 0) {
    out.drop = DropReason::kNoAnswer;
    out.reason = "no assistant tokens to train on";
    return out;
  }
  const int64_t ecg_begin = has_ecg ? rendered.ecg_begin : n;
  const int64_t ecg_len = has_ecg ? rendered.ecg_end - rendered.ecg_begin : 0;
  const int64_t before = ecg_begin;
  const int64_t after = n - ecg_begin - ecg_len;
  int64_t keep_ecg = ecg_len;
  if (n > options.max_len && ecg_len > 0 && options.min_ecg_tokens) {
    keep_ecg = EcgTokenBudget(ecg_len, before, after, options.max_len, *options.min_ecg_tokens);
  }
  const int64_t total = before + keep_ecg + after;
  if (total > options.max_len) {
    out.drop = DropReason::kTooLong;
    out.reason = absl::StrCat("needs ", total, " tokens but max_len is ", options.max_len, " (", before,
                              " before the ECG slot, ", keep_ecg, " ECG of ", ecg_len, ", ", after,
                              " after it; first answer token at ", rendered.first_labeled, ")");
    return out;
  }
  TrainingSequence& s = out.sequence;
  const int64_t pad = options.max_len - total;
  const size_t len = static_cast<size_t>(options.max_len);
  s.num_pad = pad;
  s.ecg_dropped = ecg_len - keep_ecg;
  s.input_ids.assign(len, options.pad_id);
  s.labels.assign(len, kIgnoreLabel);
  s.attention_mask.assign(len, 0);
  s.position_ids.assign(len, 0);
  int64_t o = pad;
  auto copy = [&](int64_t from, int64_t to) {
    for (int64_t t = from; t < to; ++t, ++o) {
      s.input_ids[o] = rendered.ids[t];
      s.labels[o] = rendered.labels[t];
      s.attention_mask[o] = 1;
      s.position_ids[o] = static_cast<int32_t>(o - pad);
    }
  };
  copy(0, ecg_begin + keep_ecg);
  copy(ecg_begin + ecg_len, n);
  if (has_ecg) {
    s.ecg_begin = pad + ecg_begin;
    s.ecg_end = s.ecg_begin + keep_ecg;
  }
  return out;
}

absl::StatusOr<GenerationBatch> BuildGenerationBatch(const std::vector<std::vector<int32_t>>& prompts,
                                                     int32_t pad_id) {
  if (pad_id < 0) return absl::InvalidArgumentError(absl::StrCat("generation batch: pad_id ", pad_id, " must be >= 0"));
  GenerationBatch b;
  b.batch = static_cast<int64_t>(prompts.size());
  for (size_t r = 0; r < prompts.size(); ++r) {
    if (prompts[r].empty()) return absl::InvalidArgumentError(absl::StrCat("generation batch: prompt ", r, " is empty"));
    b.seq_len = std::max<int64_t>(b.seq_len, static_cast<int64_t>(prompts[r].size()));
  }
  const size_t cells = static_cast<size_t>(b.batch * b.seq_len);
  b.input_ids.assign(cells, pad_id);
  b.attention_mask.assign(cells, 0);
  b.position_ids.assign(cells, 0);
  for (size_t r = 0; r < prompts.size(); ++r) {
    const int64_t pad = b.seq_len - static_cast<int64_t>(prompts[r].size());
    b.num_pad.push_back(pad);
    const size_t row = r * static_cast<size_t>(b.seq_len);
    for (size_t t = 0; t < prompts[r].size(); ++t) {
      const size_t at = row + static_cast<size_t>(pad) + t;
      b.input_ids[at] = prompts[r][t];
      b.attention_mask[at] = 1;
      b.position_ids[at] = static_cast<int32_t>(t);
    }
  }
  return b;
}

}  // namespace ecgbench::common::text
