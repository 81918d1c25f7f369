// The chat loop (worker/chat/chat_loop.h) with a fake replier: the history each answer is asked
// with, feedback lines (fields, time, UTF-8 repair), prompts only when interactive, /quit and EOF,
// replier errors, and feedback parsing.
#include "worker/chat/chat_loop.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/fake_clock.h"
#include "tests/unit/testing/temp_dir.h"

namespace ecgbench::worker::chat {
namespace {

using common::text::ChatTurn;
using nlohmann::json;

// Answers "answer <n>" and records the histories it was asked with.
struct FakeReplier {
  std::vector<std::vector<ChatTurn>> calls;
  Replier Fn() {
    return [this](const std::vector<ChatTurn>& history) -> absl::StatusOr<std::string> {
      calls.push_back(history);
      if (history.back().content == "fail") return absl::InternalError("model exploded");
      return absl::StrCat("answer ", calls.size());
    };
  }
};

std::vector<json> ReadJsonLines(const std::string& path) {
  absl::StatusOr<std::string> text = common::ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  std::vector<json> out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    out.push_back(json::parse(std::string(line)));
  }
  return out;
}

TEST(ChatLoopTest, PipedConversationKeepsHistoryAndWritesFeedback) {
  test_support::TempDir tmp;
  ecgbench::testing::FakeClock clock;
  clock.Advance(123 - 1000);  // 1700000000123 ms
  FakeReplier replier;
  ChatLoopOptions options;
  options.checkpoint = "/ckpt";
  options.ecg = "rec.hea";
  options.feedback_path = tmp / "sub/feedback.jsonl";
  options.clock = &clock;
  std::istringstream in("What rhythm?\n+\n\nAnd the axis?\n-\nthird\n\n");
  std::ostringstream out, err;
  absl::StatusOr<ChatLoopSummary> summary = RunChatLoop(options, replier.Fn(), in, out, err);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->turns, 3);
  EXPECT_EQ(summary->up, 1);
  EXPECT_EQ(summary->down, 1);
  EXPECT_EQ(out.str(), "elm> answer 1\nelm> answer 2\nelm> answer 3\n");  // no prompts without a terminal
  EXPECT_EQ(err.str(), "");

  ASSERT_EQ(replier.calls.size(), 3u);
  ASSERT_EQ(replier.calls[2].size(), 5u);  // the empty line between turns was asked again, not sent
  const std::vector<std::pair<std::string, std::string>> want = {{"user", "What rhythm?"},
                                                                 {"assistant", "answer 1"},
                                                                 {"user", "And the axis?"},
                                                                 {"assistant", "answer 2"},
                                                                 {"user", "third"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(replier.calls[2][i].role, want[i].first);
    EXPECT_EQ(replier.calls[2][i].content, want[i].second);
  }

  const std::vector<json> lines = ReadJsonLines(options.feedback_path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], json::parse(R"({"time": "2023-11-14T22:13:20.123Z", "checkpoint": "/ckpt", "ecg": "rec.hea",
      "history": [{"role": "user", "content": "What rhythm?"}], "answer": "answer 1", "feedback": "up"})"));
  EXPECT_EQ(lines[1]["feedback"], "down");
  EXPECT_EQ(lines[1]["answer"], "answer 2");
  EXPECT_EQ(lines[1]["history"], json::parse(R"([{"role": "user", "content": "What rhythm?"},
      {"role": "assistant", "content": "answer 1"}, {"role": "user", "content": "And the axis?"}])"));
}

TEST(ChatLoopTest, InteractivePromptsQuitAndInvalidFeedback) {
  test_support::TempDir tmp;
  FakeReplier replier;
  ChatLoopOptions options;
  options.interactive = true;
  options.feedback_path = tmp / "f.jsonl";
  std::istringstream in("hello\nmaybe\ny\n/quit\nnever asked\n");
  std::ostringstream out, err;
  absl::StatusOr<ChatLoopSummary> summary = RunChatLoop(options, replier.Fn(), in, out, err);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->turns, 1);
  EXPECT_EQ(summary->up, 1);
  EXPECT_EQ(out.str(),
            "you> elm> answer 1\nfeedback [+/-/enter to skip]: feedback [+/-/enter to skip]: you> ");
  EXPECT_EQ(err.str(), "feedback: 'maybe' is not +, - or empty\n");
  EXPECT_EQ(ReadJsonLines(options.feedback_path).size(), 1u);
}

TEST(ChatLoopTest, ReplierErrorDropsTheQuestionAndEofAfterAnswerEnds) {
  test_support::TempDir tmp;
  FakeReplier replier;
  ChatLoopOptions options;
  options.feedback_path = tmp / "f.jsonl";
  std::istringstream in("fail\nok\n");  // EOF where the feedback would be
  std::ostringstream out, err;
  absl::StatusOr<ChatLoopSummary> summary = RunChatLoop(options, replier.Fn(), in, out, err);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->errors, 1);
  EXPECT_EQ(summary->turns, 1);
  EXPECT_EQ(err.str(), "error: model exploded\n");
  ASSERT_EQ(replier.calls.size(), 2u);
  ASSERT_EQ(replier.calls[1].size(), 1u);  // the failed question is not in the history
  EXPECT_EQ(replier.calls[1][0].content, "ok");
  EXPECT_FALSE(common::FileExists(options.feedback_path));
}

TEST(ChatLoopTest, UnwritableFeedbackFileNamesThePath) {
  test_support::TempDir tmp;
  ASSERT_TRUE(common::WriteFileAtomic(tmp / "file", "x").ok());
  FakeReplier replier;
  ChatLoopOptions options;
  options.feedback_path = tmp / "file/f.jsonl";  // a file where the directory should be
  std::istringstream in("q\n+\n");
  std::ostringstream out, err;
  absl::StatusOr<ChatLoopSummary> summary = RunChatLoop(options, replier.Fn(), in, out, err);
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find(tmp / "file"), std::string::npos) << summary.status();
}

TEST(ChatLoopTest, FeedbackWordsAndInvalidUtf8) {
  EXPECT_EQ(ParseFeedback(" + "), Feedback::kUp);
  EXPECT_EQ(ParseFeedback("UP"), Feedback::kUp);
  EXPECT_EQ(ParseFeedback("y"), Feedback::kUp);
  EXPECT_EQ(ParseFeedback("-"), Feedback::kDown);
  EXPECT_EQ(ParseFeedback("no"), Feedback::kDown);
  EXPECT_EQ(ParseFeedback("  "), Feedback::kSkip);
  EXPECT_EQ(ParseFeedback("great"), std::nullopt);
  const std::string line = FeedbackJsonLine(0, "c", "e", {{"user", "q"}}, "bad \xC3", Feedback::kDown);
  const json parsed = json::parse(line);
  EXPECT_EQ(parsed["answer"], "bad \xEF\xBF\xBD");  // U+FFFD
  EXPECT_EQ(parsed["time"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ecgbench::worker::chat
