// Conversation JSONL schema, clean_text, writer/reader and mixing.
#include "common/ecg/dataset/conversation.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/ecg/dataset/test_util.h"

namespace ecgbench::common::ecg {
namespace {

using testing::ReadText;
using testing::TempDir;
using testing::WriteText;

Conversation Sample(const std::string& dataset, int n) {
  Conversation c;
  c.id = dataset + "-" + std::to_string(n) + "-0";
  c.store = "ptbxl";
  c.index = 42;
  c.record_id = "00001_hr";
  c.segment_index = 0;
  c.source = "ptbxl";
  c.dataset = dataset;
  c.question_type = "single-verify";
  c.messages = {{"user", "Does this ECG show atrial fibrillation?"}, {"assistant", "no"}};
  c.answer = std::vector<std::string>{"no"};
  return c;
}

TEST(ConversationTest, CleanText) {
  EXPECT_EQ(CleanText("<ecg>\nWhat does this image show?"), "What does this signal show?");
  EXPECT_EQ(CleanText("Image: IMAGE images Imagery image-based iMage"), "Signal: SIGNAL signals Imagery signal-based signal");
  EXPECT_EQ(CleanText("Human: hello"), "hello");
  EXPECT_EQ(CleanText("  GPT:  The rhythm is regular. "), "The rhythm is regular.");
  EXPECT_EQ(CleanText(": x"), "x");
  EXPECT_EQ(CleanText("<image>\n<ecg>Q: is it normal?"), "is it normal?");
  EXPECT_EQ(CleanText("user: assistant: twice"), "assistant: twice");
  EXPECT_EQ(CleanText("Images of the IMAGES"), "Signals of the SIGNALS");
  EXPECT_EQ(CleanText("an ecg <ecg> here"), "an ecg  here");
  EXPECT_EQ(CleanText("ümage image_x image"), "ümage image_x signal");
}

TEST(ConversationTest, Roles) {
  EXPECT_EQ(NormalizeRole("human"), "user");
  EXPECT_EQ(NormalizeRole("USER"), "user");
  EXPECT_EQ(NormalizeRole("system"), "system");
  EXPECT_EQ(NormalizeRole("gpt"), "assistant");
  EXPECT_EQ(NormalizeRole("model"), "assistant");
}

TEST(ConversationTest, JsonSchema) {
  const Conversation c = Sample("ecg-qa_ptbxl", 17);
  EXPECT_EQ(ConversationToJson(c).dump(),
            R"({"answer":["no"],"dataset":"ecg-qa_ptbxl","id":"ecg-qa_ptbxl-17-0",)"
            R"("messages":[{"content":"Does this ECG show atrial fibrillation?","role":"user"},{"content":"no","role":"assistant"}],)"
            R"("question_type":"single-verify","segment":{"index":42,"record_id":"00001_hr","segment_index":0,"store":"ptbxl"},)"
            R"("source":"ptbxl"})");
  auto back = ConversationFromJson(ConversationToJson(c), "x");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, c.id);
  EXPECT_EQ(back->index, 42);
  EXPECT_EQ(back->messages, c.messages);
  EXPECT_EQ(back->answer, c.answer);
  // Record-keyed, no QA fields.
  Conversation r = c;
  r.index = -1;
  r.store.clear();
  r.question_type.clear();
  r.answer.reset();
  const nlohmann::json j = ConversationToJson(r);
  EXPECT_EQ(j["segment"].dump(), R"({"record_id":"00001_hr","segment_index":0})");
  EXPECT_FALSE(j.contains("answer"));
  EXPECT_FALSE(j.contains("question_type"));
  EXPECT_EQ(ConversationFromJson(j, "x")->index, -1);
}

TEST(ConversationTest, SchemaErrorsNameTheField) {
  nlohmann::json j = ConversationToJson(Sample("d", 0));
  j["messages"][1]["role"] = "bot";
  EXPECT_EQ(ConversationFromJson(j, "f.jsonl:3").status().message(),
            "f.jsonl:3: field \"messages[1].role\" missing or not one of user, assistant, system");
  j = ConversationToJson(Sample("d", 0));
  j["segment"].erase("index");
  EXPECT_EQ(ConversationFromJson(j, "w").status().message(),
            "w: field \"segment.store/segment.index\" missing or not both present or both absent");
  j = ConversationToJson(Sample("d", 0));
  j["messages"] = nlohmann::json::array();
  EXPECT_EQ(ConversationFromJson(j, "w").status().message(), "w: field \"messages\" missing or not a non-empty array");
  j = ConversationToJson(Sample("d", 0));
  j["answer"] = "no";
  EXPECT_EQ(ConversationFromJson(j, "w").status().message(), "w: field \"answer\" missing or not an array of strings");
  EXPECT_EQ(ConversationFromJson(nlohmann::json::array(), "w").status().message(), "w: not a JSON object");
}

TEST(ConversationTest, WriteReadAndMix) {
  TempDir tmp;
  {
    auto w = ConversationWriter::Create(tmp / "a.jsonl");
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*w)->Write(Sample("ecg-qa_ptbxl", i)).ok());
    EXPECT_FALSE(std::filesystem::exists(tmp / "a.jsonl"));
    ASSERT_TRUE((*w)->Finish().ok());
    EXPECT_EQ((*w)->counts().at("ecg-qa_ptbxl"), 3);
  }
  {
    auto w = ConversationWriter::Create(tmp / "b.jsonl");
    for (int i = 0; i < 2; ++i) ASSERT_TRUE((*w)->Write(Sample("pretrain_mimic", i)).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  {
    auto w = ConversationWriter::Create(tmp / "unfinished.jsonl");
    ASSERT_TRUE((*w)->Write(Sample("x", 0)).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "unfinished.jsonl"));
  auto counts = MixConversationFiles({tmp / "a.jsonl", tmp / "b.jsonl"}, tmp / "mixed.jsonl");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(*counts, (std::map<std::string, int64_t>{{"ecg-qa_ptbxl", 3}, {"pretrain_mimic", 2}}));
  std::vector<std::string> ids;
  ASSERT_TRUE(ReadConversations(tmp / "mixed.jsonl", [&](Conversation&& c, int64_t line) {
                ids.push_back(std::to_string(line) + ":" + c.id);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"1:ecg-qa_ptbxl-0-0", "2:ecg-qa_ptbxl-1-0", "3:ecg-qa_ptbxl-2-0",
                                           "4:pretrain_mimic-0-0", "5:pretrain_mimic-1-0"}));
  // Bad JSON and bad schema name file:line.
  std::string text = ReadText(tmp / "a.jsonl");
  WriteText(tmp / "bad.jsonl", text.substr(0, text.find('\n') + 1) + "\n{\"id\": \n");
  absl::Status st = ReadConversations(tmp / "bad.jsonl", [](Conversation&&, int64_t) { return absl::OkStatus(); });
  EXPECT_EQ(st.message().rfind(tmp / "bad.jsonl:3: invalid JSON at byte", 0), 0u) << st;
  WriteText(tmp / "bad2.jsonl", "{\"id\": \"x\"}\n");
  st = MixConversationFiles({tmp / "a.jsonl", tmp / "bad2.jsonl"}, tmp / "m2.jsonl").status();
  EXPECT_EQ(st.message(), tmp / "bad2.jsonl:1: field \"source\" missing or not a string");
  EXPECT_FALSE(std::filesystem::exists(tmp / "m2.jsonl"));
}

}  // namespace
}  // namespace ecgbench::common::ecg
