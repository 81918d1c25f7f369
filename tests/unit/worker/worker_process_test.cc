// The ecgbench-worker binary against the fake coordinator: flags, registration, a real probe task,
// /metrics (checked by promtool), SIGTERM -> deregister and exit 0; bad flags -> exit 2.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/process.h"
#include "tests/unit/worker/fake_coordinator.h"

namespace ecgbench::worker {
namespace {

using testing::FakeCoordinator;

constexpr char kWorker[] = ECGBENCH_WORKER_BINARY;

int ExitCode(int wait_status) { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

std::string ReadAll(const std::string& path) {
  auto text = common::ReadFile(path);
  return text.ok() ? *text : "";
}

// Output of `command` and its exit code.
int Shell(const std::string& command, std::string* output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) *output += buffer;
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(WorkerProcessTest, RunsAProbeServesMetricsAndShutsDownOnSigterm) {
  FakeCoordinator fake;
  ASSERT_TRUE(fake.started());
  const std::string dir = ::testing::TempDir() + "/worker_process_test." + std::to_string(getpid());
  ASSERT_TRUE(common::MakeDirs(dir).ok());
  const std::string port_file = dir + "/metrics.port";
  const std::string log = dir + "/worker.log";
  std::remove(port_file.c_str());
  auto child = common::ChildProcess::Spawn(
      {kWorker, "--coordinator", fake.address(), "--name", "proc-test", "--cpus", "2",
       "--labels", "zone=b", "--metrics-listen", "127.0.0.1:0", "--metrics-port-file", port_file,
       "--work-dir", dir + "/work", "--shutdown-grace-ms", "5000"},
      {}, log);
  ASSERT_TRUE(child.ok()) << child.status();

  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake.heartbeats().empty(); },
                                       absl::Seconds(30)))
      << ReadAll(log);
  const v1::RegisterWorkerRequest reg = fake.registrations().at(0);
  EXPECT_EQ(reg.name(), "proc-test");
  EXPECT_EQ(reg.resources().cpu_cores(), 2);
  EXPECT_GT(reg.resources().memory_bytes(), 0);
  EXPECT_EQ(reg.labels().at("zone"), "b");
  EXPECT_EQ(std::vector<std::string>(reg.stage_kinds().begin(), reg.stage_kinds().end()),
            (std::vector<std::string>{"dataset", "evaluate", "preprocess", "pretrain", "probe", "rag", "score", "tokenizer", "train"}));
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadAll(port_file)), &port));
  EXPECT_EQ(reg.metrics_address(), "127.0.0.1:" + std::to_string(port));

  v1::Assignment a;
  a.set_attempt_id("att-probe");
  a.set_task_id("task-probe");
  a.set_experiment_id("exp-1");
  a.set_stage_kind("probe");
  a.set_world_size(1);
  a.set_params_json(R"({"ranks":1})");
  fake.QueueAssignment(a);
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake.completes().empty(); },
                                       absl::Seconds(30)))
      << ReadAll(log);
  const v1::CompleteTaskRequest done = fake.completes()[0];
  EXPECT_EQ(done.results().at("allreduce_sum"), 1);
  EXPECT_EQ(done.results().at("world_size"), 1);
  EXPECT_EQ(done.results().at("torch_threads"), 2);  // --cpus 2
  auto report = common::ParseJson(done.result_json(), "result_json");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE((*report)["blas"].contains("provider"));
  bool logged = false;
  for (const auto& line : fake.log_lines()) logged |= line.message().rfind("probe rank 0/1", 0) == 0;
  EXPECT_TRUE(logged);

  std::string scrape;
  ASSERT_EQ(Shell("curl -sf http://127.0.0.1:" + std::to_string(port) + "/metrics", &scrape), 0);
  EXPECT_NE(scrape.find(R"(ecgbench_worker_assignments_finished_total{result="succeeded",stage_kind="probe"} 1)"),
            std::string::npos)
      << scrape;
  EXPECT_NE(scrape.find(R"(worker_id="w-1"} 1)"), std::string::npos) << scrape;
  if (access("/usr/bin/promtool", X_OK) == 0) {
    std::ofstream(dir + "/scrape.prom") << scrape;
    std::string output;
    EXPECT_EQ(Shell("/usr/bin/promtool check metrics < " + dir + "/scrape.prom 2>&1", &output), 0)
        << output;
  }

  (*child)->Signal(SIGTERM);
  auto status = (*child)->Wait(30000);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(ExitCode(*status), 0) << ReadAll(log);
  EXPECT_EQ(fake.deregistered(), std::vector<std::string>{"w-1"});
  std::filesystem::remove_all(dir);
}

TEST(WorkerProcessTest, SecondSignalExitsAtOnce) {
  FakeCoordinator fake;
  ASSERT_TRUE(fake.started());
  // The first SIGTERM's shutdown then hangs in DeregisterWorker.
  fake.set_deregister_delay(absl::Seconds(60));
  const std::string log =
      ::testing::TempDir() + "/worker_second_signal." + std::to_string(getpid()) + ".log";
  auto child = common::ChildProcess::Spawn(
      {kWorker, "--coordinator", fake.address(), "--metrics-listen", ""}, {}, log);
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake.heartbeats().empty(); },
                                       absl::Seconds(30)))
      << ReadAll(log);
  (*child)->Signal(SIGTERM);
  ASSERT_TRUE(FakeCoordinator::WaitFor([&] { return !fake.deregistered().empty(); }));
  (*child)->Signal(SIGINT);
  auto status = (*child)->Wait(10000);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(ExitCode(*status), 1);
  EXPECT_NE(ReadAll(log).find("second signal 2: exiting immediately"), std::string::npos)
      << ReadAll(log);
  std::remove(log.c_str());
}

TEST(WorkerProcessTest, BadFlagsExitWithCode2) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--cpus", "0"}, std::vector<std::string>{"--labels", "zone"},
        std::vector<std::string>{"--no-such-flag"},
        std::vector<std::string>{"--log-level", "loud"}}) {
    std::vector<std::string> argv = {kWorker, "--metrics-listen", ""};
    argv.insert(argv.end(), args.begin(), args.end());
    auto child = common::ChildProcess::Spawn(argv, {}, ::testing::TempDir() + "/worker_bad_flags." + std::to_string(getpid()) + ".log");
    ASSERT_TRUE(child.ok());
    auto status = (*child)->Wait(30000);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(ExitCode(*status), 2) << args[0];
  }
}

}  // namespace
}  // namespace ecgbench::worker
