// Faults in the middle of a real train stage (LoRA fine-tuning of the ECG-Byte ELM on a random
// Llama-architecture model, one rank, deterministic CPU mode, both workers --cpus 1):
// - SIGKILL of the worker while it trains: the lease expires, the task is retried on the other
//   worker, resumes from the latest checkpoint (the one on disk when the worker died), and every
//   step's loss (the final one included) is bitwise the loss of an uninterrupted run of the same
//   spec, run first in the same cluster.
// - SIGTERM of the worker while it trains: it writes a checkpoint, releases the task (preempted,
//   no attempt used up), deregisters and exits 0; the retry resumes from that checkpoint's step.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/util/files.h"
#include "tests/integration/elm_fixture.h"

namespace ecgbench::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kTrainStage = 3;  // preprocess, dataset, tokenizer, train
constexpr int kMaxSteps = 40;

std::string TrainSpec(const ElmFixture& fx, int checkpoint_every) {
  return "name: fault-train\n" + fx.DataSection() +
         "representation:\n  kind: token\n  ecg_byte: {merges: 60, samples: 20}\n" +
         "model:\n  llm: {path: " + fx.model_dir + ", template: llama3}\n  lora: {rank: 4, alpha: 8}\n" +
         "train:\n  batch_size: 2\n  epochs: 50\n  max_steps: " + std::to_string(kMaxSteps) +
         "\n  max_tokens: 384\n  min_ecg_tokens: 64\n  deterministic: true\n" +
         "  schedule: {name: noam, warmup: 2}\n  checkpoint_every: " + std::to_string(checkpoint_every) + "\n" +
         "resources: {ranks: 1, cpus_per_rank: 1}\n";
}

// The step of the checkpoint LATEST names under <artifacts>/train/*/*/checkpoints; -1 when none.
int64_t LatestCheckpointStep(const TestCluster& cluster) {
  const fs::path root = fs::path(cluster.dir()) / "artifacts" / "train";
  std::error_code ec;
  if (!fs::exists(root, ec)) return -1;
  for (const auto& entry : fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec)) {
    if (entry.path().filename() != "LATEST" || entry.path().parent_path().filename() != "checkpoints") continue;
    auto text = common::ReadFile(entry.path().string());
    int64_t step = 0;
    if (text.ok() && absl::SimpleAtoi(absl::StripPrefix(absl::StripAsciiWhitespace(*text), "step-"), &step)) {
      return step;
    }
  }
  return -1;
}

int64_t WaitForCheckpoint(const TestCluster& cluster, int64_t at_least, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const int64_t step = LatestCheckpointStep(cluster);
    if (step >= at_least) return step;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

// "train/loss" points of the experiment: step -> every value reported for it (a step run by two
// attempts is reported twice).
std::map<int64_t, std::vector<double>> StepLosses(TestCluster& cluster, const std::string& id) {
  std::map<int64_t, std::vector<double>> losses;
  for (const v1::Event& ev : cluster.Events(id, /*follow=*/true)) {
    if (ev.has_metric() && ev.metric().name() == "train/loss") losses[ev.metric().step()].push_back(ev.metric().value());
  }
  return losses;
}

std::map<std::string, double> Results(TestCluster& cluster, const std::string& id) {
  grpc::ClientContext ctx;
  v1::GetResultsRequest req;
  req.set_id(id);
  v1::GetResultsResponse resp;
  EXPECT_TRUE(cluster.client().GetResults(&ctx, req, &resp).ok());
  if (resp.runs_size() == 0) return {};
  return {resp.runs(0).metrics().begin(), resp.runs(0).metrics().end()};
}

bool LogsContain(TestCluster& cluster, const std::string& id, const std::string& text) {
  for (const v1::LogLine& line : cluster.Logs(id)) {
    if (line.message().find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(TrainingFaultTest, KilledWorkerTrainingResumesElsewhereWithTheUninterruptedLossBitwise) {
  TestCluster cluster;
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 20, 13, 2, &fx));
  const std::string spec = TrainSpec(fx, /*checkpoint_every=*/2);

  // The uninterrupted reference; then its train artifact goes, so that the same spec trains again.
  auto ref_id = cluster.Submit(spec);
  ASSERT_TRUE(ref_id.ok()) << ref_id.status();
  auto ref = cluster.WaitForTerminal(*ref_id, 180000);
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_EQ(ref->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const auto ref_results = Results(cluster, *ref_id);
  const auto ref_losses = StepLosses(cluster, *ref_id);
  ASSERT_EQ(ref_results.at("train.steps"), kMaxSteps);
  ASSERT_EQ(ref_losses.size(), static_cast<size_t>(kMaxSteps));
  fs::remove_all(fs::path(cluster.dir()) / "artifacts" / "train");

  auto id = cluster.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string victim = cluster.RunningOn(*id, kTrainStage, 120000);
  ASSERT_FALSE(victim.empty()) << cluster.DumpLogs();
  ASSERT_GE(WaitForCheckpoint(cluster, 2, 120000), 2) << cluster.DumpLogs();
  cluster.KillWorker(victim);
  const int64_t killed_at = LatestCheckpointStep(cluster);  // nothing writes it until the retry
  ASSERT_GE(killed_at, 2);
  ASSERT_LT(killed_at, kMaxSteps) << "the training finished before the kill";

  auto e = cluster.WaitForTerminal(*id, 180000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  const v1::Task& train = e->runs(0).stages(kTrainStage).tasks(0);
  EXPECT_EQ(train.attempts(), 2);
  EXPECT_TRUE(LogsContain(cluster, *id, absl::StrCat("train: resumed from the checkpoint of step ", killed_at, " ")))
      << cluster.DumpLogs();
  // Bitwise: the final loss, and every step's loss from either attempt.
  const auto results = Results(cluster, *id);
  EXPECT_EQ(results.at("train.steps"), kMaxSteps - killed_at);  // the retry's own steps
  EXPECT_EQ(results.at("train.final_loss"), ref_results.at("train.final_loss"));
  // The retry reported every step after the checkpoint; the killed attempt what it shipped in time.
  const auto losses = StepLosses(cluster, *id);
  for (int64_t step = killed_at + 1; step <= kMaxSteps; ++step) EXPECT_EQ(losses.count(step), 1u) << "step " << step;
  for (const auto& [step, values] : losses) {
    ASSERT_EQ(ref_losses.count(step), 1u) << "step " << step;
    for (double v : values) EXPECT_EQ(v, ref_losses.at(step)[0]) << "step " << step;
  }
  for (const auto& [task, n] : cluster.TaskSuccesses(*id)) EXPECT_EQ(n, 1) << task;
}

TEST(TrainingFaultTest, SigtermCheckpointsReleasesDeregistersAndTheRetryResumesThere) {
  TestCluster cluster;
  ElmFixture fx;
  ASSERT_NO_FATAL_FAILURE(StartElmFixture(cluster, 20, 13, 1, &fx));
  // No periodic checkpoint before the end: the one on disk is the one SIGTERM wrote.
  auto id = cluster.Submit(TrainSpec(fx, /*checkpoint_every=*/1000));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_EQ(cluster.RunningOn(*id, kTrainStage, 120000), "w1") << cluster.DumpLogs();
  // Let it take a few optimizer steps (the task's progress counts them).
  bool stepping = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!stepping && std::chrono::steady_clock::now() < deadline) {
    auto e = cluster.Get(*id);
    stepping = e.ok() && e->runs(0).stages(kTrainStage).tasks(0).progress().done() >= 2;
    if (!stepping) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(stepping) << cluster.DumpLogs();
  ASSERT_EQ(LatestCheckpointStep(cluster), -1);

  EXPECT_EQ(cluster.TerminateWorker("w1"), 0) << cluster.DumpLogs();
  const int64_t saved = LatestCheckpointStep(cluster);
  ASSERT_GE(saved, 2) << cluster.DumpLogs();
  ASSERT_LT(saved, kMaxSteps) << "the training finished before SIGTERM";
  EXPECT_TRUE(cluster.LiveWorkers().empty());  // deregistered
  auto released = cluster.Get(*id);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->runs(0).stages(kTrainStage).tasks(0).state(), v1::STATE_PENDING) << cluster.DumpLogs();
  bool preempted = false;  // released by the worker's FailTask(preempted), not by a lease expiry
  for (const v1::Event& ev : cluster.Events(*id, /*follow=*/false)) {
    preempted = preempted || (ev.has_state_change() && ev.state_change().entity() == "task" &&
                              ev.state_change().message().find("attempt 1 preempted (rank 0: ABORTED: preempted)") !=
                                  std::string::npos);
  }
  EXPECT_TRUE(preempted) << cluster.DumpLogs();

  ASSERT_TRUE(cluster.StartWorker("w2", 1).ok());
  auto e = cluster.WaitForTerminal(*id, 180000);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->state(), v1::STATE_SUCCEEDED) << cluster.DumpLogs();
  EXPECT_TRUE(LogsContain(cluster, *id, absl::StrCat("train: resumed from the checkpoint of step ", saved, " ")))
      << cluster.DumpLogs();
  EXPECT_EQ(Results(cluster, *id).at("train.steps"), kMaxSteps - saved);
  for (const auto& [t, n] : cluster.TaskSuccesses(*id)) EXPECT_EQ(n, 1) << t;
}

}  // namespace
}  // namespace ecgbench::testing
