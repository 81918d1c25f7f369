// `ecgbench-worker chat` as a process: two questions piped into it on a tiny ECG-Byte export give
// two answers and two feedback lines, the ECG's PNG next to the feedback file; bad input exits 6
// naming the path; bad flags exit 2.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/run_command.h"
#include "tests/unit/testing/temp_dir.h"
#include "tests/unit/worker/chat/tiny_exports.h"

#ifndef ECGBENCH_WORKER_BINARY
#error "ECGBENCH_WORKER_BINARY must name the ecgbench-worker binary"
#endif

namespace ecgbench::worker::chat {
namespace {

using test_support::RunCommand;
using test_support::TempDir;

TEST(ChatProcessTest, PipedQuestionsGiveAnswersAndFeedback) {
  TempDir tmp;
  tiny::WriteTinyBase(tmp / "base");
  tiny::WriteEcgByteExport(tmp / "base", tmp / "export", tmp / "ecg_byte.json");
  tiny::WriteSynthRecord(tmp.path(), "rec");
  const std::string command = std::string("printf 'What is the rhythm?\\n+\\nAny ST changes?\\n-\\n' | ") +
                              ECGBENCH_WORKER_BINARY + " chat --checkpoint " + tmp / "export" + " --ecg " +
                              tmp / "rec.hea" + " --feedback " + tmp / "out/feedback.jsonl" +
                              " --max-new-tokens 4 --threads 1";
  const test_support::CommandResult result = RunCommand(command);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("ecgbench chat: ecg_byte ELM " + tmp / "export" + " (llama3 template)\n"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("ECG rec: 12 x 250 samples at 250 Hz, image " + tmp / "out/chat_rec.png\n"),
            std::string::npos)
      << result.output;
  size_t answers = 0;
  for (size_t at = result.output.find("elm> "); at != std::string::npos; at = result.output.find("elm> ", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 2u) << result.output;
  EXPECT_NE(result.output.find("chat: 2 answers, 1 up, 1 down"), std::string::npos) << result.output;
  EXPECT_TRUE(common::FileExists(tmp / "out/chat_rec.png"));

  absl::StatusOr<std::string> lines = common::ReadFile(tmp / "out/feedback.jsonl");
  ASSERT_TRUE(lines.ok()) << lines.status();
  std::vector<std::string> records = absl::StrSplit(*lines, '\n', absl::SkipEmpty());
  ASSERT_EQ(records.size(), 2u);
  const nlohmann::json second = nlohmann::json::parse(records[1]);
  EXPECT_EQ(second["feedback"], "down");
  EXPECT_EQ(second["checkpoint"], tmp / "export");
  EXPECT_EQ(second["ecg"], tmp / "rec.hea");
  ASSERT_EQ(second["history"].size(), 3u);
  EXPECT_EQ(second["history"][0]["content"], "What is the rhythm?");
  EXPECT_EQ(second["history"][1]["content"], nlohmann::json::parse(records[0])["answer"]);
  EXPECT_EQ(second["history"][2]["content"], "Any ST changes?");
}

TEST(ChatProcessTest, BadInputExitsSixNamingThePath) {
  TempDir tmp;
  const test_support::CommandResult missing = RunCommand(std::string(ECGBENCH_WORKER_BINARY) + " chat --checkpoint " +
                                                         tmp / "nope" + " --ecg x.hea < /dev/null");
  EXPECT_EQ(missing.exit_code, 6) << missing.output;
  EXPECT_NE(missing.output.find("ecgbench chat: " + tmp / "nope" + ": no such checkpoint directory"), std::string::npos)
      << missing.output;
  const test_support::CommandResult usage =
      RunCommand(std::string(ECGBENCH_WORKER_BINARY) + " chat --ecg x.hea < /dev/null");
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_NE(usage.output.find("--checkpoint is required"), std::string::npos) << usage.output;
}

}  // namespace
}  // namespace ecgbench::worker::chat
