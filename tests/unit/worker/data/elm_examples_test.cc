// ElmExampleBuilder and LoadElmDataset on the small data set of elm_test_data.h: labels only on
// assistant tokens, the ECG slot per ELM kind, the token budget (drop, never cut the prompt's
// start; BOS kept), splits (disjoint, patient-grouped, deterministic), drop and bad-record counts.
//
// Token counts with the byte-per-token fake tokenizer, Llama 3 template, system prompt "Be brief."
// and conversation c0 of segment i < 10 ("Rhythm of i?" / "sinus"):
//   <bos> | <sh> system <eh> "\n\n" "Be brief." <eot> | <sh> user <eh> "\n\n"   = 1 + 19 + 7 = 27
//   slot | "\n" "Rhythm of 0?" <eot>                                             = slot + 14
//   <sh> assistant <eh> "\n\n" "sinus" <eot>                                     = 18 (6 labeled)
// so 59 tokens + slot, the slot starting at index 27. Two-turn c1 ("Rate?" / "normal", "Axis?" /
// "left"): 83 tokens + slot.
#include "worker/data/elm_examples.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/worker/data/elm_test_data.h"

namespace ecgbench::worker {
namespace {

using common::text::BuiltSequence;
using common::text::DropReason;
using common::text::kIgnoreLabel;
using common::text::TrainingSequence;
using ::testing::HasSubstr;
using namespace testing;  // NOLINT: the test data constants

ElmConversation Conversation(std::string id, std::vector<common::text::ChatTurn> turns) {
  ElmConversation c;
  c.id = std::move(id);
  c.segment = 0;
  c.turns = std::move(turns);
  return c;
}
ElmConversation C0() { return Conversation("c0", {{"user", "Rhythm of 0?"}, {"assistant", "sinus"}}); }
ElmConversation C1() {
  return Conversation("c1", {{"user", "Rate?"}, {"assistant", "normal"}, {"user", "Axis?"}, {"assistant", "left"}});
}

ElmExampleOptions Options(EcgSlot slot, int64_t max_tokens = 128) {
  ElmExampleOptions o;
  o.slot = slot;
  o.num_placeholders = 2;
  o.placeholder_id = kPlaceholder;
  o.ecg_token_offset = kEcgOffset;
  o.max_tokens = max_tokens;
  o.min_ecg_tokens = 20;
  o.pad_id = kEot;
  o.system_prompt = "Be brief.";
  return o;
}

ElmExampleBuilder MakeBuilder(const common::text::Tokenizer* tok, const ElmExampleOptions& o) {
  auto b = ElmExampleBuilder::Create(tok, common::text::Llama3ChatTemplate(), o);
  EXPECT_TRUE(b.ok()) << b.status();
  return *std::move(b);
}

BuiltSequence MustBuild(const ElmExampleBuilder& b, const ElmConversation& c, std::vector<int32_t> ecg = {}) {
  std::vector<int32_t> scratch;
  auto built = b.Build(c, ecg, &scratch);
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? *std::move(built) : BuiltSequence{};
}

// The labeled tokens decoded, in order.
std::string LabeledText(const common::text::Tokenizer& tok, const TrainingSequence& s) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < s.labels.size(); ++i) {
    if (s.labels[i] == kIgnoreLabel) continue;
    EXPECT_EQ(s.labels[i], s.input_ids[i]) << "position " << i;
    ids.push_back(s.labels[i]);
  }
  return *tok.Decode(ids, false);
}

TEST(ElmExamplesTest, LabelsOnlyOnAssistantTokens) {
  auto tok = LlamaTokenizer();
  const ElmExampleBuilder b = MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders));
  const BuiltSequence one = MustBuild(b, C0());
  ASSERT_EQ(one.drop, DropReason::kNone);
  EXPECT_EQ(one.sequence.input_ids.size(), 128u);
  EXPECT_EQ(one.sequence.num_pad, 128 - 61);
  EXPECT_EQ(LabeledText(*tok, one.sequence), "sinus<|eot_id|>");
  const BuiltSequence two = MustBuild(b, C1());
  EXPECT_EQ(two.sequence.num_pad, 128 - 85);
  EXPECT_EQ(LabeledText(*tok, two.sequence), "normal<|eot_id|>left<|eot_id|>");
  // Left padding: pad ids without attention first, BOS at the first real position.
  for (int64_t i = 0; i < two.sequence.num_pad; ++i) {
    ASSERT_EQ(two.sequence.input_ids[i], kEot);
    ASSERT_EQ(two.sequence.attention_mask[i], 0);
    ASSERT_EQ(two.sequence.labels[i], kIgnoreLabel);
  }
  EXPECT_EQ(two.sequence.input_ids[two.sequence.num_pad], kBos);
  EXPECT_EQ(two.sequence.attention_mask[two.sequence.num_pad], 1);
}

TEST(ElmExamplesTest, EcgSlotPerElmKind) {
  auto tok = LlamaTokenizer();
  // Encoder ELMs: N placeholders at the start of the first user turn, then "\n".
  const BuiltSequence placeholders = MustBuild(MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders)), C1());
  const TrainingSequence& p = placeholders.sequence;
  EXPECT_EQ(p.ecg_begin, p.num_pad + 27);
  EXPECT_EQ(p.ecg_end, p.ecg_begin + 2);
  EXPECT_EQ(std::count(p.input_ids.begin(), p.input_ids.end(), kPlaceholder), 2);
  EXPECT_EQ(p.input_ids[p.ecg_begin], kPlaceholder);
  EXPECT_EQ(p.input_ids[p.ecg_end], '\n');
  EXPECT_EQ(p.input_ids[p.ecg_end + 1], 'R');

  // ECG-Byte: each ECG-Byte id mapped to the `signal_<id>` token; the other ELMs' ids are ignored.
  const BuiltSequence tokens =
      MustBuild(MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte)), C1(), {97, 256, 98, 261});
  const TrainingSequence& t = tokens.sequence;
  ASSERT_EQ(t.ecg_end - t.ecg_begin, 4);
  EXPECT_EQ(t.num_pad, 128 - 87);
  const std::vector<int32_t> slot(t.input_ids.begin() + t.ecg_begin, t.input_ids.begin() + t.ecg_end);
  EXPECT_EQ(slot, (std::vector<int32_t>{kEcgOffset + 97, kEcgOffset + 256, kEcgOffset + 98, kEcgOffset + 261}));
  EXPECT_EQ(*tok->Decode(slot, false), "signal_97signal_256signal_98signal_261");
  EXPECT_EQ(std::count(t.input_ids.begin(), t.input_ids.end(), kPlaceholder), 0);

  // Text only: no slot and no newline.
  const BuiltSequence none = MustBuild(MakeBuilder(tok.get(), Options(EcgSlot::kNone)), C1(), {97, 98});
  EXPECT_EQ(none.sequence.ecg_begin, -1);
  EXPECT_EQ(none.sequence.num_pad, 128 - 82);
  EXPECT_EQ(none.sequence.input_ids[none.sequence.num_pad + 27], 'R');
  EXPECT_EQ(std::count(none.sequence.input_ids.begin(), none.sequence.input_ids.end(), kPlaceholder), 0);
  EXPECT_EQ(LabeledText(*tok, none.sequence), "normal<|eot_id|>left<|eot_id|>");
}

TEST(ElmExamplesTest, PromptsAnswerEachTurnFromTheTrueHistoryWithTheTrainingSlot) {
  auto tok = LlamaTokenizer();
  const ElmExampleBuilder placeholders = MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders));
  auto two = placeholders.Prompts(C1(), {}, /*with_slot=*/true);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].turn, 1);
  EXPECT_EQ((*two)[0].reference, "normal");
  EXPECT_EQ((*two)[1].turn, 3);
  EXPECT_EQ((*two)[1].reference, "left");
  for (const auto& p : *two) {
    EXPECT_EQ(p.ids.front(), kBos);
    EXPECT_EQ(std::count(p.ids.begin(), p.ids.end(), kPlaceholder), 2);
    EXPECT_EQ(p.ecg_begin, 27);
    EXPECT_THAT(*tok->Decode(p.ids, false), ::testing::EndsWith("assistant<|end_header_id|>\n\n"));
  }
  // The second turn's prompt holds the true first answer, not a generated one.
  EXPECT_THAT(*tok->Decode((*two)[1].ids, false), HasSubstr("normal<|eot_id|>"));
  // The `none` ablation: the same prompts without the slot (and its newline).
  auto text_only = placeholders.Prompts(C1(), {}, /*with_slot=*/false);
  ASSERT_TRUE(text_only.ok()) << text_only.status();
  EXPECT_EQ(std::count((*text_only)[0].ids.begin(), (*text_only)[0].ids.end(), kPlaceholder), 0);
  EXPECT_EQ((*text_only)[0].ids.size(), (*two)[0].ids.size() - 3);

  // ECG-Byte: the slot cut like the training sequence (59 text tokens, max 100: 41 ECG tokens).
  const ElmExampleBuilder bytes = MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte, 100));
  auto one = bytes.Prompts(C0(), std::vector<int32_t>(200, 97), /*with_slot=*/true);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(std::count((*one)[0].ids.begin(), (*one)[0].ids.end(), kEcgOffset + 97), 41);
  EXPECT_EQ((*one)[0].reference, "sinus");
  // A short ECG is kept whole.
  auto short_ecg = bytes.Prompts(C0(), {97, 98}, /*with_slot=*/true);
  ASSERT_TRUE(short_ecg.ok());
  EXPECT_EQ((*short_ecg)[0].ecg_end - (*short_ecg)[0].ecg_begin, 2);
  // A conversation the template refuses names itself.
  auto bad = placeholders.Prompts(Conversation("bad", {{"assistant", "hello"}}), {}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("conversation \"bad\""));
}

TEST(ElmExamplesTest, EcgByteBudgetKeepsTheFirstTokensAndNeverTheBosOrAnswers) {
  auto tok = LlamaTokenizer();
  const std::vector<int32_t> ecg(200, 97);
  // 59 text tokens, max 100: the ECG gets the 41 free places.
  const BuiltSequence fit = MustBuild(MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte, 100)), C0(), ecg);
  ASSERT_EQ(fit.drop, DropReason::kNone);
  EXPECT_EQ(fit.sequence.num_pad, 0);
  EXPECT_EQ(fit.sequence.input_ids[0], kBos);
  EXPECT_EQ(fit.sequence.ecg_end - fit.sequence.ecg_begin, 41);
  EXPECT_EQ(LabeledText(*tok, fit.sequence), "sinus<|eot_id|>");
  // Fewer ECG tokens than min_ecg_tokens: all kept.
  const BuiltSequence short_ecg = MustBuild(MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte, 100)), C0(), {97, 98});
  EXPECT_EQ(short_ecg.sequence.ecg_end - short_ecg.sequence.ecg_begin, 2);
  EXPECT_EQ(short_ecg.sequence.num_pad, 100 - 61);
  // max 79 = 59 + min_ecg_tokens: kept with exactly 20 ECG tokens; max 78: dropped, by Check too.
  const ElmExampleBuilder edge = MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte, 79));
  EXPECT_EQ(edge.Check(C0())->drop, DropReason::kNone);
  EXPECT_EQ(MustBuild(edge, C0(), ecg).sequence.ecg_end - MustBuild(edge, C0(), ecg).sequence.ecg_begin, 20);
  const ElmExampleBuilder tight = MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte, 78));
  const auto checked = tight.Check(C0());
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->drop, DropReason::kTooLong);
  EXPECT_EQ(checked->reason, "needs 79 tokens but max_len is 78 (27 before the ECG slot, 20 ECG of 20, 32 after it; "
                             "first answer token at 73)");
  EXPECT_EQ(MustBuild(tight, C0(), ecg).drop, DropReason::kTooLong);
}

TEST(ElmExamplesTest, PlaceholdersAreNeverCut) {
  auto tok = LlamaTokenizer();
  EXPECT_EQ(MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders, 61)).Check(C0())->drop, DropReason::kNone);
  const BuiltSequence exact = MustBuild(MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders, 61)), C0());
  EXPECT_EQ(exact.sequence.num_pad, 0);
  EXPECT_EQ(exact.sequence.input_ids[0], kBos);
  EXPECT_EQ(MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders, 60)).Check(C0())->drop, DropReason::kTooLong);
  const ElmConversation question_only = Conversation("q", {{"user", "Rate?"}});
  EXPECT_EQ(MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders)).Check(question_only)->drop, DropReason::kNoAnswer);
}

TEST(ElmExamplesTest, CreateAndRenderErrorsNameTheField) {
  auto tok = LlamaTokenizer();
  auto o = Options(EcgSlot::kPlaceholders);
  o.placeholder_id = 100000;
  EXPECT_EQ(ElmExampleBuilder::Create(tok.get(), common::text::Llama3ChatTemplate(), o).status().message(),
            "ELM examples: placeholder_id 100000 is outside the vocabulary (0..566)");
  o = Options(EcgSlot::kEcgByte);
  o.min_ecg_tokens = 0;
  EXPECT_EQ(ElmExampleBuilder::Create(tok.get(), common::text::Llama3ChatTemplate(), o).status().message(),
            "ELM examples: min_ecg_tokens 0 must be >= 1");
  o = Options(EcgSlot::kNone);
  o.pad_id = -1;
  EXPECT_EQ(ElmExampleBuilder::Create(tok.get(), common::text::Llama3ChatTemplate(), o).status().message(),
            "ELM examples: pad_id -1 is outside the vocabulary (0..566)");
  // A placeholder inside the text would receive ECG embeddings: refused.
  const ElmConversation literal = Conversation("literal", {{"user", "What does <signal> mean?"}, {"assistant", "x"}});
  EXPECT_EQ(MakeBuilder(tok.get(), Options(EcgSlot::kPlaceholders)).Check(literal).status().message(),
            "conversation \"literal\": its text holds 1 ECG placeholder token(s) (id 304)");
  EXPECT_TRUE(MakeBuilder(tok.get(), Options(EcgSlot::kEcgByte)).Check(literal).ok());
  const ElmConversation bad = Conversation("bad", {{"assistant", "hello"}});
  auto checked = MakeBuilder(tok.get(), Options(EcgSlot::kNone)).Check(bad);
  ASSERT_FALSE(checked.ok());
  EXPECT_THAT(std::string(checked.status().message()), ::testing::StartsWith("conversation \"bad\": "));
}

// ---- LoadElmDataset ----

struct Loaded {
  test_support::TempDir dir;
  std::unique_ptr<common::ecg::SegmentStore> store;
  common::ecg::FoldAssignment folds;
  std::unique_ptr<common::text::testing::FakeTokenizer> tok = LlamaTokenizer();
};

ElmDataSource Source(const Loaded& l, const std::string& path, int test_fold = 0) {
  return ElmDataSource{path, l.store.get(), &l.folds, test_fold};
}

std::vector<common::ecg::SplitRole> Roles(const Loaded& l, int test_fold, double fraction) {
  auto roles = common::ecg::RolesForFold(l.folds, test_fold, fraction);
  EXPECT_TRUE(roles.ok());
  return *roles;
}

// The first segment with `role`.
int64_t SegmentWithRole(const std::vector<common::ecg::SplitRole>& roles, common::ecg::SplitRole role) {
  return std::find(roles.begin(), roles.end(), role) - roles.begin();
}

TEST(ElmDatasetTest, SplitsAreDisjointPatientGroupedAndDeterministic) {
  Loaded l;
  l.store = WriteStore(l.dir);
  l.folds = Folds(*l.store);
  const std::string path = WriteConversations(l.dir);
  const ElmExampleBuilder b = MakeBuilder(l.tok.get(), Options(EcgSlot::kPlaceholders));
  ElmDatasetOptions options;
  options.validation_fraction = 0.25;
  auto a = LoadElmDataset(Source(l, path, 1), b, options);
  ASSERT_TRUE(a.ok()) << a.status();
  options.num_threads = 3;
  auto again = LoadElmDataset(Source(l, path, 1), b, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a->train, again->train);
  EXPECT_EQ(a->validation, again->validation);
  EXPECT_EQ(a->test, again->test);

  EXPECT_EQ(a->counts.records, 2 * kSegments);
  EXPECT_EQ(a->conversations.size(), 24u);
  EXPECT_FALSE(a->validation.empty());
  EXPECT_FALSE(a->test.empty());
  EXPECT_EQ(a->train.size() + a->validation.size() + a->test.size(), 24u);
  EXPECT_EQ(a->counts.train.kept, static_cast<int64_t>(a->train.size()));
  // Each split's patients: disjoint; the test split is exactly fold 1.
  std::set<std::string> patients[3];
  const std::vector<int64_t>* splits[3] = {&a->train, &a->validation, &a->test};
  for (int s = 0; s < 3; ++s) {
    for (int64_t i : *splits[s]) {
      const int64_t segment = a->conversations[static_cast<size_t>(i)].segment;
      patients[s].insert(l.store->Meta(segment)->patient_id);
      EXPECT_EQ(l.folds.fold[static_cast<size_t>(segment)] == 1, s == 2) << "conversation " << i;
    }
  }
  for (int s = 0; s < 3; ++s) {
    for (int u = s + 1; u < 3; ++u) {
      for (const std::string& p : patients[s]) EXPECT_EQ(patients[u].count(p), 0u) << p;
    }
  }
  // Another held-out fold gives another test split.
  auto other = LoadElmDataset(Source(l, path, 2), b, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->test, a->test);
}

TEST(ElmDatasetTest, DropsAreCountedPerSplit) {
  Loaded l;
  l.store = WriteStore(l.dir);
  l.folds = Folds(*l.store);
  const auto roles = Roles(l, 0, 0.1);
  const int64_t train_segment = SegmentWithRole(roles, common::ecg::SplitRole::kTrain);
  const std::string path = WriteConversations(l.dir, {MakeConversation("question-only", train_segment, {{"user", "Hm?"}})});
  // max 80: every two-turn conversation (85 tokens) is too long; the one-turn ones (61/62) fit.
  const ElmExampleBuilder b = MakeBuilder(l.tok.get(), Options(EcgSlot::kPlaceholders, 80));
  auto d = LoadElmDataset(Source(l, path, 0), b, ElmDatasetOptions{});
  ASSERT_TRUE(d.ok()) << d.status();
  int64_t train_segments = 0, validation_segments = 0, test_segments = 0;
  for (const auto role : roles) {
    train_segments += role == common::ecg::SplitRole::kTrain;
    validation_segments += role == common::ecg::SplitRole::kValidation;
    test_segments += role == common::ecg::SplitRole::kTest;
  }
  EXPECT_EQ(d->counts.records, 25);
  EXPECT_EQ(d->counts.train.kept, train_segments);
  EXPECT_EQ(d->counts.train.too_long, train_segments);
  EXPECT_EQ(d->counts.train.no_answer, 1);
  EXPECT_EQ(d->counts.validation.kept, validation_segments);
  EXPECT_EQ(d->counts.validation.too_long, validation_segments);
  EXPECT_EQ(d->counts.test.kept, 2 * test_segments);  // not filtered
  EXPECT_EQ(d->counts.test.too_long, 0);
  EXPECT_EQ(d->conversations.size(), static_cast<size_t>(train_segments + validation_segments + 2 * test_segments));
  for (int64_t i : d->train) EXPECT_EQ(d->conversations[static_cast<size_t>(i)].turns.size(), 2u);
}

TEST(ElmDatasetTest, BadRecordsFailOrAreSkippedAndCounted) {
  Loaded l;
  l.store = WriteStore(l.dir);
  l.folds = Folds(*l.store);
  const auto roles = Roles(l, 0, 0.1);
  const int64_t train_segment = SegmentWithRole(roles, common::ecg::SplitRole::kTrain);
  auto by_record = MakeConversation("by-record", -1, {{"user", "Q?"}, {"assistant", "A"}});
  by_record.store.clear();
  by_record.record_id = "r" + std::to_string(train_segment);
  const std::string path = WriteConversations(
      l.dir, {MakeConversation("far", 99, {{"user", "Q?"}, {"assistant", "A"}}), by_record,
              MakeConversation("assistant-first", train_segment, {{"assistant", "A"}, {"user", "Q?"}})});
  const ElmExampleBuilder b = MakeBuilder(l.tok.get(), Options(EcgSlot::kPlaceholders));
  auto failed = LoadElmDataset(Source(l, path, 0), b, ElmDatasetOptions{});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(),
            path + ":25: conversation \"far\": segment.index 99 is outside the store of 12 segments");

  ElmDatasetOptions skip;
  skip.policy = BadSamplePolicy::kSkip;
  auto d = LoadElmDataset(Source(l, path, 0), b, skip);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->counts.records, 27);
  EXPECT_EQ(d->counts.bad_records, 2);
  ASSERT_EQ(d->counts.bad_examples.size(), 2u);
  EXPECT_EQ(d->counts.bad_examples[0], path + ":25: conversation \"far\": segment.index 99 is outside the store of 12 segments");
  EXPECT_THAT(d->counts.bad_examples[1], HasSubstr(path + ": conversation \"assistant-first\": "));
  // The record-keyed conversation resolved to its segment.
  const auto it = std::find_if(d->conversations.begin(), d->conversations.end(),
                               [](const ElmConversation& c) { return c.id == "by-record"; });
  ASSERT_NE(it, d->conversations.end());
  EXPECT_EQ(it->segment, train_segment);
  EXPECT_EQ(d->train.size() + d->validation.size() + d->test.size(), 25u);
}

TEST(ElmDatasetTest, NoConversationsIsAFailedPrecondition) {
  Loaded l;
  l.store = WriteStore(l.dir);
  l.folds = Folds(*l.store);
  const ElmExampleBuilder b = MakeBuilder(l.tok.get(), Options(EcgSlot::kPlaceholders));
  auto d = LoadElmDataset(Source(l, ""), b, ElmDatasetOptions{});
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ecgbench::worker
