// Training sequences (left padding, masks, position ids, drop reasons, ECG budget) and generation
// batches, with exact vectors.
#include "common/text/chat/sequence_builder.h"

#include <gtest/gtest.h>

#include "tests/unit/text/chat/fake_tokenizer.h"

namespace ecgbench::common::text {
namespace {

constexpr int32_t X = kIgnoreLabel;

RenderedConversation Rendered(std::vector<int32_t> ids, std::vector<int32_t> labels, int64_t ecg_begin = -1,
                              int64_t ecg_end = -1) {
  RenderedConversation r;
  r.ids = std::move(ids);
  r.labels = std::move(labels);
  r.ecg_begin = ecg_begin;
  r.ecg_end = ecg_end;
  for (size_t i = 0; i < r.labels.size(); ++i) {
    if (r.labels[i] == X) continue;
    if (r.first_labeled < 0) r.first_labeled = static_cast<int64_t>(i);
    ++r.num_labeled;
  }
  return r;
}

TEST(EcgTokenBudget, UpstreamRule) {
  EXPECT_EQ(EcgTokenBudget(600, 300, 200, 1024), 524);  // room left
  EXPECT_EQ(EcgTokenBudget(600, 700, 200, 1024), 250);  // never below min_ecg_tokens
  EXPECT_EQ(EcgTokenBudget(100, 700, 200, 1024), 100);  // never more than there are
  EXPECT_EQ(EcgTokenBudget(600, 300, 200, 1024, 50), 524);
  EXPECT_EQ(EcgTokenBudget(600, 1000, 200, 1024, 0), 0);
}

TEST(BuildTrainingSequence, LeftPaddingMasksAndPositions) {
  const auto r = Rendered({7, 8, 9, 10, 11}, {X, X, X, 10, 11});
  SequenceOptions o;
  o.max_len = 8;
  o.pad_id = 0;
  auto b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->drop, DropReason::kNone);
  const TrainingSequence& s = b->sequence;
  EXPECT_EQ(s.input_ids, (std::vector<int32_t>{0, 0, 0, 7, 8, 9, 10, 11}));
  EXPECT_EQ(s.labels, (std::vector<int32_t>{X, X, X, X, X, X, 10, 11}));
  EXPECT_EQ(s.attention_mask, (std::vector<int32_t>{0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(s.position_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 2, 3, 4}));
  EXPECT_EQ(s.num_pad, 3);
  EXPECT_EQ(s.ecg_begin, -1);

  o.max_len = 5;  // exact fit: no padding
  b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->sequence.input_ids, (std::vector<int32_t>{7, 8, 9, 10, 11}));
  EXPECT_EQ(b->sequence.num_pad, 0);
}

TEST(BuildTrainingSequence, TooLongIsDroppedNeverCut) {
  const auto r = Rendered({7, 8, 9, 10, 11}, {X, X, X, 10, 11});
  SequenceOptions o;
  o.max_len = 4;
  o.pad_id = 0;
  auto b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->drop, DropReason::kTooLong);
  EXPECT_STREQ(DropReasonName(b->drop), "too_long");
  EXPECT_EQ(b->reason,
            "needs 5 tokens but max_len is 4 (5 before the ECG slot, 0 ECG of 0, 0 after it; first answer token at 3)");
  EXPECT_TRUE(b->sequence.input_ids.empty());
}

TEST(BuildTrainingSequence, NoAnswerIsDropped) {
  SequenceOptions o;
  o.pad_id = 0;
  auto b = BuildTrainingSequence(Rendered({1, 2}, {X, X}), o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->drop, DropReason::kNoAnswer);
  EXPECT_EQ(b->reason, "no assistant tokens to train on");
  EXPECT_STREQ(DropReasonName(b->drop), "no_answer");
}

TEST(BuildTrainingSequence, EcgBudgetKeepsTheFirstEcgTokens) {
  // 3 before, 10 ECG (100..109), 4 after (answer 50, 51): 17 tokens.
  std::vector<int32_t> ids = {1, 2, 3, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 4, 5, 50, 51};
  std::vector<int32_t> labels(ids.size(), X);
  labels[15] = 50;
  labels[16] = 51;
  const auto r = Rendered(ids, labels, 3, 13);
  SequenceOptions o;
  o.max_len = 13;
  o.pad_id = 0;
  // Without the rule: dropped.
  auto b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->drop, DropReason::kTooLong);
  // min_ecg_tokens 2: keep min(10, max(2, 13 - 3 - 4)) = 6 ECG tokens -> 13 tokens, no padding.
  o.min_ecg_tokens = 2;
  b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->drop, DropReason::kNone) << b->reason;
  EXPECT_EQ(b->sequence.input_ids, (std::vector<int32_t>{1, 2, 3, 100, 101, 102, 103, 104, 105, 4, 5, 50, 51}));
  EXPECT_EQ(b->sequence.labels, (std::vector<int32_t>{X, X, X, X, X, X, X, X, X, X, X, 50, 51}));
  EXPECT_EQ(b->sequence.ecg_begin, 3);
  EXPECT_EQ(b->sequence.ecg_end, 9);
  EXPECT_EQ(b->sequence.ecg_dropped, 4);
  // max_len 14 with padding: the ECG slot moves right by the pad count.
  o.max_len = 14;
  b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->sequence.num_pad, 0);  // 7 ECG tokens fit exactly
  EXPECT_EQ(b->sequence.ecg_end - b->sequence.ecg_begin, 7);
  // min_ecg_tokens 8 > room 6: the rule keeps 8, which does not fit -> dropped (upstream cut the answer).
  o.max_len = 13;
  o.min_ecg_tokens = 8;
  b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->drop, DropReason::kTooLong);
  EXPECT_EQ(b->reason,
            "needs 15 tokens but max_len is 13 (3 before the ECG slot, 8 ECG of 10, 4 after it; first answer token at 15)");
  // A sequence that fits keeps all its ECG tokens even with the rule on.
  o.max_len = 20;
  b = BuildTrainingSequence(r, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->sequence.num_pad, 3);
  EXPECT_EQ(b->sequence.ecg_begin, 6);
  EXPECT_EQ(b->sequence.ecg_end, 16);
  EXPECT_EQ(b->sequence.ecg_dropped, 0);
}

TEST(BuildTrainingSequence, FromARenderedConversation) {
  const testing::FakeTokenizer tok({"<|endoftext|>"});  // 300
  ChatInput in;
  in.turns = {{"user", "Q"}, {"assistant", "A"}};
  auto r = RenderConversation(Gpt2ChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->ids.size(), 23u);  // <eot> "User: Q\nAssistant:" " A" <eot> "\n"
  SequenceOptions o;
  o.max_len = 24;
  o.pad_id = 300;
  auto b = BuildTrainingSequence(*r, o);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->drop, DropReason::kNone);
  EXPECT_EQ(b->sequence.input_ids[0], 300);
  EXPECT_EQ(b->sequence.attention_mask[0], 0);
  EXPECT_EQ(b->sequence.input_ids[1], 300);  // BOS kept
  EXPECT_EQ(b->sequence.attention_mask[1], 1);
  EXPECT_EQ(b->sequence.labels[20], ' ');
  EXPECT_EQ(b->sequence.labels[21], 'A');
  EXPECT_EQ(b->sequence.labels[22], 300);
  EXPECT_EQ(b->sequence.labels[23], X);
  EXPECT_EQ(b->sequence.position_ids[23], 22);
}

TEST(BuildTrainingSequence, BadInput) {
  const auto r = Rendered({1, 2}, {X, 2});
  SequenceOptions o;
  EXPECT_EQ(BuildTrainingSequence(r, o).status().message(), "sequence options: pad_id -1 must be >= 0 (see PadTokenId)");
  o.pad_id = 0;
  o.max_len = 0;
  EXPECT_EQ(BuildTrainingSequence(r, o).status().message(), "sequence options: max_len 0 must be >= 1");
  o.max_len = 8;
  EXPECT_EQ(BuildTrainingSequence(Rendered({1, 2}, {X}), o).status().message(),
            "rendered conversation: 1 labels for 2 ids");
  EXPECT_EQ(BuildTrainingSequence(Rendered({1, 2}, {X, 2}, 1, 3), o).status().message(),
            "rendered conversation: ECG slot [1, 3) outside the 2 ids");
}

TEST(BuildGenerationBatch, LeftPadsToTheLongest) {
  auto b = BuildGenerationBatch({{5, 6, 7}, {8}, {9, 10}}, 0);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->batch, 3);
  EXPECT_EQ(b->seq_len, 3);
  EXPECT_EQ(b->input_ids, (std::vector<int32_t>{5, 6, 7, 0, 0, 8, 0, 9, 10}));
  EXPECT_EQ(b->attention_mask, (std::vector<int32_t>{1, 1, 1, 0, 0, 1, 0, 1, 1}));
  EXPECT_EQ(b->position_ids, (std::vector<int32_t>{0, 1, 2, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(b->num_pad, (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(BuildGenerationBatch({{1}, {}}, 0).status().message(), "generation batch: prompt 1 is empty");
  EXPECT_EQ(BuildGenerationBatch({{1}}, -2).status().message(), "generation batch: pad_id -2 must be >= 0");
}

}  // namespace
}  // namespace ecgbench::common::text
