// ScoreRunner on prediction files written here: the shards are joined in order, each condition is
// scored on its own (exact values), the artifact is reused, and bad inputs name what is wrong.
#include "worker/stages/score_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/util/files.h"
#include "nlohmann/json.hpp"
#include "tests/unit/testing/temp_dir.h"
#include "tests/unit/worker/recording_context.h"

namespace ecgbench::worker {
namespace {

using test_support::RecordingContext;
namespace test_support = ::ecgbench::test_support;

v1::Assignment Assignment(const std::vector<std::string>& shard_files, const nlohmann::json& evaluate) {
  v1::Assignment a;
  a.set_stage_kind("score");
  a.set_params_json(nlohmann::json({{"evaluate", evaluate}}).dump());
  nlohmann::json shards = nlohmann::json::array();
  for (const std::string& f : shard_files) shards.push_back({{"predictions_path", f}});
  a.set_inputs_json(nlohmann::json({{"evaluate", shards}}).dump());
  return a;
}

std::string Line(const std::string& id, const std::string& condition, const std::string& reference,
                 const std::string& prediction) {
  return nlohmann::json({{"id", id}, {"turn", 1}, {"question_type", "single-verify"}, {"condition", condition},
                         {"reference", reference}, {"prediction", prediction}})
             .dump() +
         "\n";
}

TEST(ScoreRunnerTest, ScoresEachConditionOverAllShardsAndReusesTheArtifact) {
  test_support::TempDir tmp;
  const std::string a = tmp / "a.jsonl", b = tmp / "b.jsonl";
  ASSERT_TRUE(common::WriteFileAtomic(a, Line("q1", "signal", "sinus rhythm with normal axis", "sinus rhythm with normal axis") +
                                             Line("q1", "none", "sinus rhythm with normal axis", "")).ok());
  ASSERT_TRUE(common::WriteFileAtomic(b, Line("q2", "signal", "atrial fibrillation with rapid response", "atrial fibrillation with rapid response") +
                                             Line("q2", "none", "atrial fibrillation with rapid response", "sinus rhythm")).ok());
  ScoreStageOptions options;
  options.artifact_root = tmp / "artifacts";
  const nlohmann::json evaluate = {{"metrics", {"bleu", "accuracy"}}};
  RecordingContext ctx(Assignment({a, b}, evaluate));
  absl::StatusOr<TaskResult> result = ScoreRunner(options).Run(ctx);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->results.at("signal.n"), 2);
  EXPECT_EQ(result->results.at("signal.accuracy"), 1.0);
  EXPECT_NEAR(result->results.at("signal.bleu"), 1.0, 1e-12);
  EXPECT_EQ(result->results.at("none.n"), 2);
  EXPECT_EQ(result->results.at("none.n_empty"), 1);  // an empty answer is scored, as wrong
  EXPECT_EQ(result->results.at("none.accuracy"), 0.0);
  EXPECT_EQ(result->results.at("none.bleu"), 0.0);
  EXPECT_EQ(result->results.count("signal.meteor"), 0u);  // only the listed groups

  const nlohmann::json doc = nlohmann::json::parse(result->result_json);
  EXPECT_FALSE(doc["reused"].get<bool>());
  absl::StatusOr<std::string> joined = common::ReadFile(doc["predictions_path"].get<std::string>());
  ASSERT_TRUE(joined.ok());
  EXPECT_LT(joined->find("\"q1\""), joined->find("\"q2\""));  // shard order

  RecordingContext again(Assignment({a, b}, evaluate));
  absl::StatusOr<TaskResult> reused = ScoreRunner(options).Run(again);
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_TRUE(nlohmann::json::parse(reused->result_json)["reused"].get<bool>());
  EXPECT_EQ(reused->results, result->results);
}

TEST(ScoreRunnerTest, BadInputsNameTheProblem) {
  test_support::TempDir tmp;
  ScoreStageOptions options;
  options.artifact_root = tmp / "artifacts";
  const std::string bad = tmp / "bad.jsonl";
  ASSERT_TRUE(common::WriteFileAtomic(bad, "{\"id\": \"x\", \"reference\": \"a\"}\n").ok());
  RecordingContext missing_field(Assignment({bad}, {{"metrics", {"bleu"}}}));
  absl::StatusOr<TaskResult> r = ScoreRunner(options).Run(missing_field);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(bad + ":1"), std::string::npos) << r.status();

  v1::Assignment no_shard = Assignment({}, {{"metrics", {"bleu"}}});
  no_shard.set_inputs_json("{\"evaluate\": [{}]}");
  RecordingContext no_path(no_shard);
  r = ScoreRunner(options).Run(no_path);
  EXPECT_EQ(r.status(), absl::FailedPreconditionError("score: evaluate shard 1 names no predictions file"));

  const std::string good = tmp / "good.jsonl";
  ASSERT_TRUE(common::WriteFileAtomic(good, Line("q", "signal", "a", "a")).ok());
  RecordingContext no_model(Assignment({good}, {{"metrics", {"bleu", "bertscore"}}, {"bertscore", {{"path", nullptr}}}}));
  r = ScoreRunner(options).Run(no_model);
  EXPECT_EQ(r.status(),
            absl::InvalidArgumentError("score: evaluate.bertscore.path is required when metrics lists bertscore"));
  RecordingContext absent_model(
      Assignment({good}, {{"metrics", {"bertscore"}}, {"bertscore", {{"path", tmp / "no-roberta"}, {"layer", 17}}}}));
  r = ScoreRunner(options).Run(absent_model);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no-roberta"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace ecgbench::worker
