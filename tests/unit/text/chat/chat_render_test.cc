// Exact token ids and label masks of rendered conversations (fake tokenizer: one id per byte,
// "\n\n" = 256, added tokens from 300), ECG slots, label boundaries inside merged tokens,
// generation prompts and error messages.
#include "common/text/chat/chat_render.h"

#include <gtest/gtest.h>

#include "tests/unit/text/chat/fake_tokenizer.h"

namespace ecgbench::common::text {
namespace {

using testing::FakeTokenizer;
constexpr int32_t X = kIgnoreLabel;

std::vector<int32_t> B(std::string_view s) { return std::vector<int32_t>(s.begin(), s.end()); }

std::vector<int32_t> Cat(std::initializer_list<std::vector<int32_t>> parts) {
  std::vector<int32_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<int32_t> Ignore(size_t n) { return std::vector<int32_t>(n, X); }

// Llama 3 specials: 300 <|begin_of_text|>, 301 <|start_header_id|>, 302 <|end_header_id|>,
// 303 <|eot_id|>, 304 <signal>.
FakeTokenizer LlamaTok() {
  return FakeTokenizer({"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<signal>"});
}

TEST(RenderConversation, Llama3IdsAndLabels) {
  const FakeTokenizer tok = LlamaTok();
  ChatInput in;
  in.system_prompt = "S";
  in.turns = {{"user", "Q"}, {"assistant", "AB"}, {"user", "R"}, {"assistant", "C"}};
  auto r = RenderConversation(Llama3ChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<int32_t> prompt = Cat({{300, 301}, B("system"), {302, 256}, B("S"), {303, 301}, B("user"),
                                           {302, 256}, B("Q"), {303, 301}, B("assistant"), {302, 256}});
  const std::vector<int32_t> mid = Cat({{301}, B("user"), {302, 256}, B("R"), {303, 301}, B("assistant"), {302, 256}});
  EXPECT_EQ(r->ids, Cat({prompt, B("AB"), {303}, mid, B("C"), {303}}));
  EXPECT_EQ(r->labels, Cat({Ignore(prompt.size()), B("AB"), {303}, Ignore(mid.size()), B("C"), {303}}));
  EXPECT_EQ(r->num_labeled, 5);
  EXPECT_EQ(r->first_labeled, static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(r->ecg_begin, -1);
}

TEST(RenderConversation, EcgIdsInsertedUnlabeled) {
  const FakeTokenizer tok = LlamaTok();
  ChatInput in;
  in.turns = {{"user", "Q"}, {"assistant", "A"}};
  in.ecg_ids = {304, 304, 304};
  auto r = RenderConversation(Llama3ChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<int32_t> head = Cat({{300, 301}, B("user"), {302, 256}});
  const std::vector<int32_t> prompt =
      Cat({head, {304, 304, 304}, B("\nQ"), {303, 301}, B("assistant"), {302, 256}});
  EXPECT_EQ(r->ids, Cat({prompt, B("A"), {303}}));
  EXPECT_EQ(r->labels, Cat({Ignore(prompt.size()), B("A"), {303}}));
  EXPECT_EQ(r->ecg_begin, static_cast<int64_t>(head.size()));
  EXPECT_EQ(r->ecg_end, static_cast<int64_t>(head.size()) + 3);

  in.ecg_ids = {304, 999};
  EXPECT_EQ(RenderConversation(Llama3ChatTemplate(), in, RenderMode::kTraining, tok).status().message(),
            "ECG id 999 at ECG position 1 is outside the vocabulary (size 305)");
}

TEST(RenderConversation, ChatmlLabelsThroughImEndNotNewline) {
  const FakeTokenizer tok({"<|im_start|>", "<|im_end|>"});  // 300, 301
  ChatInput in;
  in.system_prompt = "S";
  in.turns = {{"user", "Q"}, {"assistant", "A"}};
  auto r = RenderConversation(ChatmlChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<int32_t> prompt =
      Cat({{300}, B("system\nS"), {301}, B("\n"), {300}, B("user\nQ"), {301}, B("\n"), {300}, B("assistant\n")});
  EXPECT_EQ(r->ids, Cat({prompt, B("A"), {301}, B("\n")}));
  EXPECT_EQ(r->labels, Cat({Ignore(prompt.size()), B("A"), {301}, {X}}));
}

TEST(RenderConversation, TokenStraddlingTheAnswerStartIsLabeled) {
  // ChatML does not trim: "assistant\n" + "\nyes" encodes "\n\n" as one token (256) that starts in
  // the header and ends in the answer; it is labeled (upstream's id search would miss the turn).
  const FakeTokenizer tok({"<|im_start|>", "<|im_end|>"});
  ChatInput in;
  in.system_prompt = "S";
  in.turns = {{"user", "Q"}, {"assistant", "\nyes"}};
  auto r = RenderConversation(ChatmlChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<int32_t> prompt =
      Cat({{300}, B("system\nS"), {301}, B("\n"), {300}, B("user\nQ"), {301}, B("\n"), {300}, B("assistant")});
  EXPECT_EQ(r->ids, Cat({prompt, {256}, B("yes"), {301}, B("\n")}));
  EXPECT_EQ(r->labels, Cat({Ignore(prompt.size()), {256}, B("yes"), {301}, {X}}));
}

TEST(RenderConversation, Gemma2FinalEosLabeledSeparatorNot) {
  const FakeTokenizer tok({"<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"});  // 300..303
  ChatInput in;
  in.turns = {{"user", "Q"}, {"assistant", "A"}};
  auto r = RenderConversation(Gemma2ChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<int32_t> prompt =
      Cat({{300, 302}, B("user\nQ"), {303}, B("\n"), {302}, B("model\n")});
  EXPECT_EQ(r->ids, Cat({prompt, B("A"), {303}, B("\n"), {301}}));
  EXPECT_EQ(r->labels, Cat({Ignore(prompt.size()), B("A"), {303}, {X}, {301}}));
}

TEST(RenderConversation, PlainGpt2LabelsSpaceAnswerAndEos) {
  const FakeTokenizer tok({"<|endoftext|>"});  // 300
  ChatInput in;
  in.turns = {{"user", "Q"}, {"assistant", "A"}};
  auto r = RenderConversation(Gpt2ChatTemplate(), in, RenderMode::kTraining, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<int32_t> prompt = Cat({{300}, B("User: Q\nAssistant:")});
  EXPECT_EQ(r->ids, Cat({prompt, B(" A"), {300}, B("\n")}));
  EXPECT_EQ(r->labels, Cat({Ignore(prompt.size()), B(" A"), {300}, {X}}));
}

TEST(RenderConversation, LeadingSystemTurnActsAsSystemPrompt) {
  const FakeTokenizer tok = LlamaTok();
  ChatInput a;
  a.system_prompt = "S";
  a.turns = {{"user", "Q"}, {"assistant", "A"}};
  ChatInput b;
  b.turns = {{"system", "S"}, {"user", "Q"}, {"assistant", "A"}};
  auto ra = RenderConversation(Llama3ChatTemplate(), a, RenderMode::kTraining, tok);
  auto rb = RenderConversation(Llama3ChatTemplate(), b, RenderMode::kTraining, tok);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->ids, rb->ids);
  EXPECT_EQ(ra->labels, rb->labels);
}

TEST(RenderConversation, GenerationModeHasNoLabels) {
  const FakeTokenizer tok = LlamaTok();
  ChatInput in;
  in.turns = {{"user", "Q"}};
  auto r = RenderConversation(Llama3ChatTemplate(), in, RenderMode::kGeneration, tok);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ids, Cat({{300, 301}, B("user"), {302, 256}, B("Q"), {303, 301}, B("assistant"), {302, 256}}));
  EXPECT_EQ(r->num_labeled, 0);
  EXPECT_EQ(r->first_labeled, -1);
}

TEST(RenderConversation, Errors) {
  const FakeTokenizer tok = LlamaTok();
  const ChatTemplate t = Llama3ChatTemplate();
  auto msg = [&](std::vector<ChatTurn> turns, RenderMode mode = RenderMode::kTraining, std::string sys = "") {
    ChatInput in;
    in.system_prompt = std::move(sys);
    in.turns = std::move(turns);
    return std::string(RenderConversation(t, in, mode, tok).status().message());
  };
  EXPECT_EQ(msg({}), "conversation has no user turn");
  EXPECT_EQ(msg({{"system", "S"}}), "conversation has no user turn");
  EXPECT_EQ(msg({{"assistant", "A"}}),
            "turn 0: expected a \"user\" turn, got \"assistant\" (roles alternate user/assistant, starting with user)");
  EXPECT_EQ(msg({{"user", "Q"}, {"user", "Q"}}),
            "turn 1: expected a \"assistant\" turn, got \"user\" (roles alternate user/assistant, starting with user)");
  EXPECT_EQ(msg({{"user", "Q"}, {"gpt", "A"}}), "turn 1: unknown role \"gpt\" (expected system, user or assistant)");
  EXPECT_EQ(msg({{"user", "Q"}, {"system", "S"}}), "turn 1: a system turn must come first");
  EXPECT_EQ(msg({{"system", "S"}, {"user", "Q"}}, RenderMode::kTraining, "T"),
            "turn 0: a system turn and ChatInput.system_prompt are both given");
  EXPECT_EQ(msg({{"user", "Q"}, {"assistant", "A"}}, RenderMode::kGeneration),
            "generation prompt: the conversation must end with a user turn (turn 1 is \"assistant\")");

  const FakeTokenizer no_eot({"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>"});
  ChatInput in;
  in.turns = {{"user", "Q"}};
  auto r = RenderConversation(t, in, RenderMode::kTraining, no_eot);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "chat template \"llama3\": special token \"<|eot_id|>\" is not in the tokenizer's vocabulary");

  in.turns = {{"user", "bad \xFF byte"}};
  EXPECT_EQ(RenderConversation(t, in, RenderMode::kTraining, tok).status().message(),
            "chat template \"llama3\": encoding the text at token 7: invalid UTF-8 at byte 6");
}

TEST(RenderGenerationPrompts, OnePromptPerAnswerWithHistory) {
  const FakeTokenizer tok = LlamaTok();
  ChatInput in;
  in.turns = {{"system", "S"}, {"user", "Q"}, {"assistant", " A "}, {"user", "R"}, {"assistant", "C"}};
  in.ecg_ids = {304};
  auto prompts = RenderGenerationPrompts(Llama3ChatTemplate(), in, tok);
  ASSERT_TRUE(prompts.ok()) << prompts.status();
  ASSERT_EQ(prompts->size(), 2u);
  EXPECT_EQ((*prompts)[0].turn, 2);
  EXPECT_EQ((*prompts)[0].reference, "A");
  EXPECT_EQ((*prompts)[1].turn, 4);
  EXPECT_EQ((*prompts)[1].reference, "C");
  ChatInput history = in;
  history.turns.resize(4);
  auto expected = RenderConversation(Llama3ChatTemplate(), history, RenderMode::kGeneration, tok);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ((*prompts)[1].ids, expected->ids);
  EXPECT_EQ((*prompts)[1].ecg_begin, expected->ecg_begin);
  EXPECT_EQ((*prompts)[0].ecg_end, (*prompts)[0].ecg_begin + 1);
}

TEST(TokenIds, StopPadAndPlaceholder) {
  FakeTokenizer tok({"<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<pad>"});
  auto stop = StopTokenIds(Gemma2ChatTemplate(), tok);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, (std::vector<int32_t>{303, 301}));
  EXPECT_EQ(*PadTokenId(Gemma2ChatTemplate(), tok), 304);
  EXPECT_EQ(PadTokenId(OptChatTemplate(), FakeTokenizer({"</s>"})).status().message(),
            "chat template \"opt\": pad token \"<pad>\" is not in the tokenizer's vocabulary");
  EXPECT_EQ(PlaceholderIds(tok, 2).status().message(),
            "ECG placeholder \"<signal>\" is not in the tokenizer's vocabulary (add it with AddTokens)");
  tok.AddTokens({"<signal>"}, true);
  EXPECT_EQ(*PlaceholderIds(tok, 3), (std::vector<int32_t>{305, 305, 305}));
}

}  // namespace
}  // namespace ecgbench::common::text
