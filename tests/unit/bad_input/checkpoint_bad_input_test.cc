// The checkpoint part of the bad-input corpus (tests/data/bad/checkpoint) through
// worker/train/checkpoint.h, which needs LibTorch: ReadCheckpoint on one checkpoint directory
// (kind "checkpoint") and ReadLatestCheckpoint on a root (kind "checkpoint_latest"; it renames a
// corrupt checkpoint aside, hence the prepared copy). Exact status codes and messages from
// expected.tsv; nothing may crash, and every corpus folder also goes through ReadCheckpoint.
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/bad_input/corpus.h"
#include "worker/train/checkpoint.h"

namespace ecgbench::bad_input {
namespace {

namespace fs = std::filesystem;

class CheckpointBadInputTest : public ::testing::TestWithParam<Case> {};

TEST_P(CheckpointBadInputTest, ExactError) {
  const Case& c = GetParam();
  PreparedCorpus corpus;  // fresh per case: ReadLatestCheckpoint renames what it cannot read
  ASSERT_TRUE(corpus.error().empty()) << corpus.error();
  const std::string path = corpus / c.path;
  ASSERT_TRUE(fs::is_directory(path)) << path << " (expected.tsv:" << c.line << ")";
  absl::Status status;
  if (c.kind == "checkpoint") {
    status = worker::train::ReadCheckpoint(path).status();
  } else {
    absl::StatusOr<std::optional<worker::train::CheckpointContents>> latest = worker::train::ReadLatestCheckpoint(path);
    status = latest.status();
    if (latest.ok()) {
      ASSERT_TRUE(latest->has_value()) << "expected.tsv:" << c.line << ": " << c.path << " reads as a fresh run";
      status = absl::OkStatus();
    }
  }
  EXPECT_EQ(absl::StatusCodeToString(status.code()), c.code) << "expected.tsv:" << c.line << " " << c.path << ": "
                                                             << status.message();
  EXPECT_EQ(std::string(status.message()), corpus.Expand(c.message)) << "expected.tsv:" << c.line << " " << c.path;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CheckpointBadInputTest, ::testing::ValuesIn(CasesOfKinds({"checkpoint"})),
                         [](const ::testing::TestParamInfo<Case>& info) { return TestName(info.param); });

TEST(CheckpointBadInputCrossTest, NoCorpusFolderCrashesReadCheckpoint) {
  PreparedCorpus corpus;
  ASSERT_TRUE(corpus.error().empty()) << corpus.error();
  int runs = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(corpus.root())) {
    if (!e.is_directory()) continue;
    EXPECT_FALSE(worker::train::ReadCheckpoint(e.path().string()).ok()) << e.path();
    ++runs;
  }
  EXPECT_GT(runs, 50);
}

}  // namespace
}  // namespace ecgbench::bad_input
