// Golden strings of every built-in template (written from the published HF chat templates:
// Meta-Llama-3-8B-Instruct, Qwen2.5-Instruct, gemma-2-it; our plain GPT-2/OPT format) and template
// selection by name / model_type.
#include "common/text/chat/chat_template.h"

#include <gtest/gtest.h>

#include "common/text/chat/chat_render.h"
#include "tests/unit/text/chat/fake_tokenizer.h"

namespace ecgbench::common::text {
namespace {

ChatInput TwoExchanges(std::string system) {
  ChatInput in;
  in.system_prompt = std::move(system);
  in.turns = {{"user", "Is the rhythm regular?"},
              {"assistant", "Yes, sinus rhythm."},
              {"user", "Rate?"},
              {"assistant", "About 72 bpm."}};
  return in;
}

std::string Render(const ChatTemplate& t, const ChatInput& in, RenderMode mode, std::string_view ecg = "") {
  auto segs = RenderSegments(t, in, mode);
  EXPECT_TRUE(segs.ok()) << segs.status();
  return segs.ok() ? SegmentsToText(*segs, ecg) : "";
}

ChatInput WithoutLastAnswer(ChatInput in) {
  in.turns.pop_back();
  return in;
}

TEST(ChatTemplateGolden, Llama3MatchesHfTemplate) {
  const ChatTemplate t = Llama3ChatTemplate();
  const std::string head =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are an ECG expert.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nIs the rhythm regular?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nYes, sinus rhythm.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nRate?<|eot_id|>";
  EXPECT_EQ(Render(t, TwoExchanges("You are an ECG expert."), RenderMode::kTraining),
            head + "<|start_header_id|>assistant<|end_header_id|>\n\nAbout 72 bpm.<|eot_id|>");
  EXPECT_EQ(Render(t, WithoutLastAnswer(TwoExchanges("You are an ECG expert.")), RenderMode::kGeneration),
            head + "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // No system prompt: no system block (HF Llama 3 template); content is trimmed (`| trim`).
  ChatInput in;
  in.turns = {{"user", "  hi \n"}, {"assistant", "\nhello "}};
  EXPECT_EQ(Render(t, in, RenderMode::kTraining),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nhello<|eot_id|>");
}

TEST(ChatTemplateGolden, ChatmlMatchesQwen25Template) {
  const ChatTemplate t = ChatmlChatTemplate();
  EXPECT_EQ(Render(t, TwoExchanges("You are an ECG expert."), RenderMode::kTraining),
            "<|im_start|>system\nYou are an ECG expert.<|im_end|>\n"
            "<|im_start|>user\nIs the rhythm regular?<|im_end|>\n"
            "<|im_start|>assistant\nYes, sinus rhythm.<|im_end|>\n"
            "<|im_start|>user\nRate?<|im_end|>\n"
            "<|im_start|>assistant\nAbout 72 bpm.<|im_end|>\n");
  // Qwen 2.5 inserts its default system prompt when none is given; content is not trimmed.
  ChatInput in;
  in.turns = {{"user", " hi "}};
  EXPECT_EQ(Render(t, in, RenderMode::kGeneration),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\n hi <|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateGolden, Gemma2MatchesHfTemplatePlusTrailingEos) {
  const ChatTemplate t = Gemma2ChatTemplate();
  const std::string hf =
      "<bos><start_of_turn>user\nIs the rhythm regular?<end_of_turn>\n"
      "<start_of_turn>model\nYes, sinus rhythm.<end_of_turn>\n"
      "<start_of_turn>user\nRate?<end_of_turn>\n"
      "<start_of_turn>model\nAbout 72 bpm.<end_of_turn>\n";
  // Training appends upstream's final <eos> after the last answer.
  EXPECT_EQ(Render(t, TwoExchanges(""), RenderMode::kTraining), hf + "<eos>");
  EXPECT_EQ(Render(t, WithoutLastAnswer(TwoExchanges("")), RenderMode::kGeneration),
            "<bos><start_of_turn>user\nIs the rhythm regular?<end_of_turn>\n"
            "<start_of_turn>model\nYes, sinus rhythm.<end_of_turn>\n"
            "<start_of_turn>user\nRate?<end_of_turn>\n<start_of_turn>model\n");
  // No system role: folded into the first user turn (HF's gemma-2 template raises instead).
  ChatInput in;
  in.system_prompt = " Be brief. ";
  in.turns = {{"user", "Q"}, {"assistant", "A"}};
  EXPECT_EQ(Render(t, in, RenderMode::kTraining),
            "<bos><start_of_turn>user\nBe brief.\n\nQ<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n<eos>");
}

TEST(ChatTemplateGolden, PlainGpt2AndOpt) {
  EXPECT_EQ(Render(Gpt2ChatTemplate(), TwoExchanges("You are an ECG expert."), RenderMode::kTraining),
            "<|endoftext|>System: You are an ECG expert.\nUser: Is the rhythm regular?\n"
            "Assistant: Yes, sinus rhythm.<|endoftext|>\nUser: Rate?\nAssistant: About 72 bpm.<|endoftext|>\n");
  EXPECT_EQ(Render(OptChatTemplate(), WithoutLastAnswer(TwoExchanges("")), RenderMode::kGeneration),
            "</s>User: Is the rhythm regular?\nAssistant: Yes, sinus rhythm.</s>\nUser: Rate?\nAssistant:");
}

TEST(ChatTemplateGolden, EcgSlotAtStartOfFirstUserTurn) {
  ChatInput in = TwoExchanges("S");
  in.ecg_ids = {1, 1};
  EXPECT_EQ(Render(Llama3ChatTemplate(), WithoutLastAnswer(WithoutLastAnswer(WithoutLastAnswer(in))),
                   RenderMode::kGeneration, "<signal><signal>"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n<signal><signal>\nIs the rhythm regular?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // Gemma: folded system prompt first, then the ECG slot, then the question.
  EXPECT_EQ(Render(Gemma2ChatTemplate(), WithoutLastAnswer(WithoutLastAnswer(WithoutLastAnswer(in))),
                   RenderMode::kGeneration, "<signal>"),
            "<bos><start_of_turn>user\nS\n\n<signal>\nIs the rhythm regular?<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(Render(Gpt2ChatTemplate(), WithoutLastAnswer(WithoutLastAnswer(WithoutLastAnswer(in))),
                   RenderMode::kGeneration, "<signal>"),
            "<|endoftext|>System: S\nUser: <signal>\nIs the rhythm regular?\nAssistant:");
}

TEST(ChatTemplateGolden, TokenizedRenderingDecodesToTheGoldenString) {
  for (const ChatTemplate& t :
       {Llama3ChatTemplate(), ChatmlChatTemplate(), Gemma2ChatTemplate(), Gpt2ChatTemplate(), OptChatTemplate()}) {
    testing::FakeTokenizer tok({"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
                                "<|im_start|>", "<|im_end|>", "<bos>", "<eos>", "<start_of_turn>",
                                "<end_of_turn>", "<|endoftext|>", "</s>"});
    auto r = RenderConversation(t, TwoExchanges("Sys"), RenderMode::kTraining, tok);
    ASSERT_TRUE(r.ok()) << t.name << ": " << r.status();
    auto text = tok.Decode(r->ids, false);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, Render(t, TwoExchanges("Sys"), RenderMode::kTraining)) << t.name;
  }
}

TEST(ChatTemplateSelection, ByNameAndAuto) {
  for (const char* name : {"llama3", "chatml", "gemma2", "gpt2", "opt"}) {
    auto t = ChatTemplateByName(name);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_EQ(t->name, name);
  }
  const std::pair<const char*, const char*> kAuto[] = {
      {"llama", "llama3"}, {"qwen2", "chatml"}, {"gemma2", "gemma2"}, {"gpt2", "gpt2"}, {"opt", "opt"}};
  for (const auto& [model_type, name] : kAuto) {
    auto t = ChatTemplateByName("auto", model_type);
    ASSERT_TRUE(t.ok()) << model_type;
    EXPECT_EQ(t->name, name);
  }
  EXPECT_EQ(ChatTemplateByName("vicuna").status().message(),
            "unknown chat template \"vicuna\" (choices: llama3, chatml, gemma2, gpt2, opt, auto)");
  EXPECT_EQ(ChatTemplateByName("auto", "mistral").status().message(),
            "chat template auto: config.json model_type \"mistral\" has no chat template "
            "(supported: llama, qwen2, gemma2, gpt2, opt)");
  EXPECT_EQ(ChatTemplateByName("auto").status().message(),
            "chat template auto: needs the model's config.json model_type");
}

}  // namespace
}  // namespace ecgbench::common::text
