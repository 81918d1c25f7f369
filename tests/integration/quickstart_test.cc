// The quickstart end to end, reduced to run in CI: scripts/quickstart-prepare.sh writes a small
// synthetic PTB-XL-layout dataset, trains the text tokenizer and random-inits the quickstart LLM,
// then configs/quickstart.yaml itself (its paths made absolute, its training and evaluation cut
// short) runs on a real coordinator with two real worker processes. Every stage of both runs (the
// encoder-free ELM on the signal and the ECG-Byte ELM) must succeed, the artifacts of each stage
// must be on disk, the metrics must be recorded, and `ecgbench results --eval` must show a row per
// run and ablation condition. The numbers the full quickstart reaches are in docs/quickstart.md;
// this test checks that everything runs, not how well it learns (30 steps cannot).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/util/files.h"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

namespace fs = std::filesystem;

// Replaces the one occurrence of `from` in `text`; a quickstart.yaml without it (or with two) fails
// the test, so the reduction never silently stops applying.
void ReplaceOnce(std::string* text, const std::string& from, const std::string& to) {
  const size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos) << "configs/quickstart.yaml no longer contains \"" << from << "\"";
  ASSERT_EQ(text->find(from, at + 1), std::string::npos) << "\"" << from << "\" appears twice";
  text->replace(at, from.size(), to);
}

// Files named `name` anywhere under `root`.
int CountFiles(const std::string& root, const std::string& name) {
  int n = 0;
  for (const auto& p : fs::recursive_directory_iterator(root)) n += p.path().filename() == name;
  return n;
}

TEST(QuickstartTest, ReducedQuickstartRunsEveryStageOfBothElms) {
  TestCluster cluster;
  const std::string state = cluster.dir() + "/.ecgbench";
  const CommandResult prepared = TestCluster::Shell(absl::StrCat(ECGBENCH_SOURCE_DIR, "/scripts/quickstart-prepare.sh ",
                                                                 ECGBENCH_BIN_DIR, " ", state, " 100"));
  ASSERT_EQ(prepared.exit_code, 0) << prepared.output;

  auto spec = common::ReadFile(absl::StrCat(ECGBENCH_SOURCE_DIR, "/configs/quickstart.yaml"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  std::string yaml = absl::StrReplaceAll(*spec, {{" .ecgbench/", absl::StrCat(" ", state, "/")}});
  ASSERT_NO_FATAL_FAILURE(ReplaceOnce(&yaml, "name: quickstart\n", "name: quickstart-ci\n"));
  ASSERT_NO_FATAL_FAILURE(ReplaceOnce(&yaml, "\n  epochs: ", "\n  max_steps: 15\n  epochs: "));
  ASSERT_NO_FATAL_FAILURE(ReplaceOnce(&yaml, "duration: 3", "duration: 0"));
  ASSERT_NO_FATAL_FAILURE(ReplaceOnce(&yaml, "samples: 300}", "samples: 40}"));

  ASSERT_TRUE(cluster.StartCoordinator().ok());
  for (const char* w : {"w1", "w2"}) ASSERT_TRUE(cluster.StartWorker(w, 1).ok());
  ASSERT_TRUE(cluster.WaitForWorkers(2, 20000).ok());
  auto id = cluster.Submit(yaml);
  ASSERT_TRUE(id.ok()) << id.status() << "\n" << yaml;
  auto e = cluster.WaitForTerminal(*id, 170000);
  ASSERT_TRUE(e.ok()) << e.status() << cluster.DumpLogs();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();

  // Both runs, every stage, every task succeeded.
  ASSERT_EQ(e->runs_size(), 2);
  std::map<std::string, std::vector<std::string>> stages_by_run;
  for (const v1::Run& run : e->runs()) {
    EXPECT_EQ(run.state(), v1::STATE_SUCCEEDED) << run.name();
    for (const v1::Stage& stage : run.stages()) {
      stages_by_run[run.name()].push_back(stage.kind());
      EXPECT_EQ(stage.state(), v1::STATE_SUCCEEDED) << run.name() << " " << stage.kind();
      for (const v1::Task& task : stage.tasks()) EXPECT_EQ(task.state(), v1::STATE_SUCCEEDED) << task.id();
    }
  }
  const std::vector<std::string> signal_stages = {"probe", "preprocess", "dataset", "train", "evaluate", "score"};
  const std::vector<std::string> token_stages = {"probe", "preprocess", "dataset", "tokenizer",
                                                 "train", "evaluate", "score"};
  EXPECT_EQ(stages_by_run["representation=signal/projection"], signal_stages);
  EXPECT_EQ(stages_by_run["representation=token"], token_stages);

  // The artifacts of every stage (content-addressed: the two runs share the preprocess and dataset
  // artifacts).
  const std::string artifacts = cluster.dir() + "/artifacts";
  EXPECT_EQ(CountFiles(artifacts, "conversations.jsonl"), 1);
  EXPECT_GE(CountFiles(artifacts, "manifest.json"), 1);           // segment stores
  EXPECT_EQ(CountFiles(artifacts, "tokenizer.hf.json"), 1);        // the ECG-Byte tokenizer
  EXPECT_EQ(CountFiles(artifacts, "elm.safetensors"), 2);          // one export per ELM
  EXPECT_EQ(CountFiles(artifacts, "elm_config.json"), 2);
  EXPECT_EQ(CountFiles(artifacts, "predictions.jsonl"), 2 * 2 + 2);  // 2 shards x 2 runs + 2 joined

  // The metrics of every stage, for both runs.
  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(*id);
  v1::GetResultsResponse results;
  ASSERT_TRUE(cluster.client().GetResults(&ctx, req, &results).ok());
  ASSERT_EQ(results.runs_size(), 2);
  for (const auto& run : results.runs()) {
    SCOPED_TRACE(run.run_name());
    const auto& m = run.metrics();
    auto metric = [&m](const std::string& key) {
      const auto it = m.find(key);
      EXPECT_NE(it, m.end()) << "no metric " << key;
      return it == m.end() ? std::nan("") : it->second;
    };
    EXPECT_EQ(metric("train.steps"), 15.0);
    EXPECT_TRUE(std::isfinite(metric("train.final_loss")));
    EXPECT_EQ(metric("probe.world_size"), 2.0);
    // The second run reuses the first one's preprocess and dataset artifacts (and says so).
    EXPECT_GT(metric("preprocess.segments"), 0.0);
    EXPECT_GT(metric("dataset.segments"), 0.0);
    EXPECT_GT(metric("evaluate.predictions"), 0.0);
    for (const char* condition : {"signal", "zeros", "none"}) {
      for (const char* name : {"accuracy", "accuracy/single-verify", "accuracy/single-choose", "bleu", "meteor",
                               "rougeL"}) {
        const double value = metric(absl::StrCat("score.", condition, ".", name));
        EXPECT_TRUE(value >= 0 && value <= 1) << condition << "." << name << " = " << value;
      }
      EXPECT_GT(metric(absl::StrCat("score.", condition, ".n")), 0.0);
    }
  }

  // The results table a user reads: one row per run and condition.
  const CommandResult table = cluster.Cli({"results", *id, "--eval"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  // Rows: the run name on its first row (signal), then zeros and none under it.
  std::vector<std::string> lines = absl::StrSplit(table.output, '\n');
  for (const char* run : {"representation=signal/projection", "representation=token"}) {
    auto first = std::find_if(lines.begin(), lines.end(), [run](const std::string& l) {
      return absl::StartsWith(l, absl::StrCat(run, " ")) && absl::StrContains(l, " signal ");
    });
    ASSERT_NE(first, lines.end()) << run << "\n" << table.output;
    ASSERT_LT(first + 2, lines.end());
    EXPECT_TRUE(absl::StrContains(*(first + 1), " zeros ")) << *(first + 1);
    EXPECT_TRUE(absl::StrContains(*(first + 2), " none ")) << *(first + 2);
  }
  for (const char* column : {"verify", "choose", "query", "accuracy", "BLEU", "METEOR", "ROUGE-L"}) {
    EXPECT_TRUE(absl::StrContains(table.output, column)) << column << "\n" << table.output;
  }
  // And the report with its plots.
  const CommandResult report = cluster.Cli({"report", *id, "-o", cluster.dir() + "/report"});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_TRUE(fs::is_regular_file(cluster.dir() + "/report/results.md"));
  // One signal-ablation heatmap per ELM (the two representations are not pooled).
  for (const char* heatmap : {"ablation_score.accuracy_representation_signal_projection.png",
                              "ablation_score.accuracy_representation_token.png"}) {
    EXPECT_EQ(CountFiles(cluster.dir() + "/report", heatmap), 1) << heatmap;
  }
}

}  // namespace
}  // namespace ecgbench::testing
