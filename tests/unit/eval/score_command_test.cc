// `ecgbench score` in-process (RunCli): the plain table, --json, --metrics, --ref joined by id,
// --by-condition, and the exit codes and messages of bad input.
#include <cmath>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/client/data_test_util.h"

namespace ecgbench::client {
namespace {

using testing::RunData;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

constexpr char kPreds[] =
    R"({"id":"1","question_type":"verify","reference":"yes","prediction":"Yes."})" "\n"
    R"({"id":"2","question_type":"verify","reference":"no","prediction":""})" "\n"
    R"({"id":"3","question_type":"query","reference":"sinus rhythm","prediction":"sinus rhythm"})" "\n";

TEST(ScoreCommandTest, PrintsMetricsTable) {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kPreds);
  auto r = RunData({"score", "--pred", dir / "p.jsonl", "--metrics", "accuracy,f1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "accuracy            66.67\n"
            "exact_match         33.33\n"
            "f1                  66.67\n"
            "accuracy/query     100.00\n"
            "accuracy/verify     50.00\n"
            "f1/query           100.00\n"
            "f1/verify           50.00\n"
            "n                       3\n"
            "n_empty                 1\n");
}

TEST(ScoreCommandTest, JsonAndReferencesFromAnotherFile) {
  TempDir dir;
  WriteFile(dir / "r.jsonl", R"({"id":"1","reference":"yes"})" "\n" R"({"id":"2","reference":"no"})" "\n");
  WriteFile(dir / "p.jsonl", R"({"id":"2","prediction":"no"})" "\n" R"({"id":"1","prediction":"yes"})" "\n");
  auto r = RunData({"score", "--pred", dir / "p.jsonl", "--ref", dir / "r.jsonl", "--metrics", "accuracy,bleu", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["accuracy"], 1.0);
  EXPECT_EQ(j["bleu_sent"], 1.0);  // order 1 on one-word pairs
  // Corpus BLEU-4: p1 = 2/2, no 2-, 3- or 4-grams: each 0.1/2 by method1.
  EXPECT_DOUBLE_EQ(j["bleu"].get<double>(), std::pow(0.05, 0.75));
  EXPECT_EQ(j["n"], 2.0);

  WriteFile(dir / "p2.jsonl", R"({"id":"1","prediction":"yes"})" "\n" R"({"id":"3","prediction":"no"})" "\n");
  r = RunData({"score", "--pred", dir / "p2.jsonl", "--ref", dir / "r.jsonl"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + (dir / "p2.jsonl") + ":2: field \"id\": \"3\" (turn 0) has no reference in " +
                       (dir / "r.jsonl") + "\n");
}

TEST(ScoreCommandTest, ByCondition) {
  TempDir dir;
  WriteFile(dir / "p.jsonl", R"({"id":"1","reference":"yes","prediction":"yes","condition":"signal"})" "\n"
                             R"({"id":"1","reference":"yes","prediction":"no","condition":"zeros"})" "\n");
  auto r = RunData({"score", "--pred", dir / "p.jsonl", "--metrics", "accuracy"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + (dir / "p.jsonl") +
                       ": holds the conditions \"signal\", \"zeros\"; score them apart with --by-condition\n");
  r = RunData({"score", "--pred", dir / "p.jsonl", "--metrics", "accuracy", "--by-condition"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "metric         signal     zeros\n"
            "accuracy       100.00      0.00\n"
            "exact_match    100.00      0.00\n"
            "n                   1         1\n"
            "n_empty             0         0\n");
  r = RunData({"score", "--pred", dir / "p.jsonl", "--metrics", "accuracy", "--by-condition", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["zeros"]["accuracy"], 0.0);
  EXPECT_EQ(j["signal"]["accuracy"], 1.0);
}

TEST(ScoreCommandTest, BadInput) {
  TempDir dir;
  WriteFile(dir / "p.jsonl", R"({"id":"1","reference":"","prediction":"x"})" "\n");
  auto r = RunData({"score", "--pred", dir / "p.jsonl"});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.err, "ecgbench: " + (dir / "p.jsonl") + ":1: field \"reference\": empty (a reference must have text)\n");
  r = RunData({"score", "--pred", dir / "missing.jsonl"});
  EXPECT_EQ(r.code, 6);
  EXPECT_NE(r.err.find("missing.jsonl"), std::string::npos);
  WriteFile(dir / "ok.jsonl", kPreds);
  r = RunData({"score", "--pred", dir / "ok.jsonl", "--metrics", "bleu,cider"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ecgbench: --metrics: unknown metric \"cider\" (known: bleu, rouge, meteor, accuracy, f1, all)\n");
  r = RunData({"score", "--pred", dir / "ok.jsonl", "--metrics", "meteor", "--wordnet", dir / "none"});
  EXPECT_EQ(r.code, 1);
  r = RunData({"score"});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace ecgbench::client
