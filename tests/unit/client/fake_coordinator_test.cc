// End-to-end tests of the CLI commands over real gRPC against an in-process FakeCoordinator:
// retries without duplicates, validation errors, exit codes, pagination, watch resume, results,
// logs filters, and `ecgbench run` with scripted stand-ins for the coordinator and worker binaries.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "client/cli.h"
#include "client/commands/watcher.h"
#include "client/ui/experiment_tree.h"
#include "tests/unit/client/fake_coordinator.h"
#include "tests/unit/client/testing_experiments.h"

namespace ecgbench::client {
namespace {

namespace fs = std::filesystem;
using testing::FakeServer;
using testing::ProgressEvent;
using testing::SampleExperiment;
using testing::StateEvent;

struct Result {
  int code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().experiment = SampleExperiment();
  }
  void TearDown() override {
    if (!spec_dir_.empty()) fs::remove_all(spec_dir_);
  }
  Result Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--coordinator", server_.address()});
    std::ostringstream out, err;
    Io io;
    io.out = &out;
    io.err = &err;
    const int code = RunCli(args, io);
    return {code, out.str(), err.str()};
  }
  std::string WriteSpec(const std::string& text) {
    const fs::path dir = fs::temp_directory_path() / ("ecgbench_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    spec_dir_ = dir.string();
    const std::string path = (dir / "quickstart.yaml").string();
    std::ofstream(path) << text;
    return path;
  }
  FakeServer server_;
  std::string spec_dir_;
};

TEST_F(CliTest, SubmitRetriesUnavailableWithOneRequestId) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().submit_unavailable = 2;
  }
  Result r = Cli({"submit", WriteSpec("name: quickstart\n")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "submitted exp-1 \"quickstart\": 2 runs, 4 stages, 6 tasks\n"
            "  follow it with: ecgbench watch exp-1\n");
  absl::MutexLock lock(&server_.fake().mu);
  const auto& submits = server_.fake().submits;
  ASSERT_EQ(submits.size(), 3u);
  EXPECT_EQ(submits[0].request_id().size(), 32u);
  EXPECT_EQ(submits[1].request_id(), submits[0].request_id());
  EXPECT_EQ(submits[2].request_id(), submits[0].request_id());
  EXPECT_EQ(submits[0].spec_yaml(), "name: quickstart\n");
  EXPECT_EQ(submits[0].spec_name(), "quickstart.yaml");
  EXPECT_FALSE(submits[0].validate_only());
}

TEST_F(CliTest, SubmitWithRequestIdAndQuiet) {
  Result r = Cli({"submit", WriteSpec("x: 1\n"), "--request-id", "abc", "-q"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "exp-1\n");
  absl::MutexLock lock(&server_.fake().mu);
  EXPECT_EQ(server_.fake().submits.at(0).request_id(), "abc");
}

TEST_F(CliTest, SubmitRejectedPrintsTheReportAsIs) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().submit_error =
        "train.lr: expected a positive number, got \"abc\" (quickstart.yaml:12)\n"
        "model.encodr: unknown key; did you mean \"encoder\"? (quickstart.yaml:7)";
  }
  Result r = Cli({"submit", WriteSpec("x: 1\n")});
  EXPECT_EQ(r.code, 6);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "train.lr: expected a positive number, got \"abc\" (quickstart.yaml:12)\n"
            "model.encodr: unknown key; did you mean \"encoder\"? (quickstart.yaml:7)\n");
}

TEST_F(CliTest, SubmitMissingFileNamesIt) {
  Result r = Cli({"submit", "/nonexistent/spec.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ecgbench: /nonexistent/spec.yaml: cannot open: No such file or directory\n");
}

TEST_F(CliTest, ValidateOnlyPrintsThePlan) {
  Result r = Cli({"submit", WriteSpec("x: 1\n"), "--validate-only"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "spec OK \"quickstart\": 2 runs, 4 stages, 6 tasks\n" + RenderPlan(SampleExperiment()));
  absl::MutexLock lock(&server_.fake().mu);
  EXPECT_TRUE(server_.fake().submits.at(0).validate_only());
}

TEST_F(CliTest, NotFoundExitsFour) {
  Result r = Cli({"status", "exp-404"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.err, "ecgbench: experiment exp-404 not found\n");
}

TEST_F(CliTest, StatusJsonIsOneDocument) {
  Result r = Cli({"status", "exp-1", "--json"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("{\n \"experiment\": {\n  \"id\": \"exp-1\",", 0), 0u) << r.out;
  EXPECT_EQ(r.out.back(), '\n');
}

TEST_F(CliTest, UnreachableCoordinatorExitsFive) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens on this port now
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  std::ostringstream out, err;
  Io io;
  io.out = &out;
  io.err = &err;
  EXPECT_EQ(RunCli({"--coordinator", address, "--timeout", "2", "workers"}, io), 5);
  EXPECT_EQ(err.str().rfind("ecgbench: coordinator at " + address + " is unavailable (ListWorkers): ", 0), 0u)
      << err.str();
}

TEST_F(CliTest, ListPaginatesUpToTheLimit) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    for (int i = 0; i < 5; ++i) {
      v1::Experiment e;
      e.set_id("exp-" + std::to_string(i));
      e.set_name("n" + std::to_string(i));
      e.set_state(v1::STATE_SUCCEEDED);
      server_.fake().listing.push_back(e);
    }
  }
  Result r = Cli({"list", "--limit", "3", "--state", "succeeded", "--name", "n"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            "id     name  state      runs  tasks  created\n"
            "-----  ----  ---------  ----  -----  -------\n"
            "exp-0  n0    SUCCEEDED     0    0/0  -\n"
            "exp-1  n1    SUCCEEDED     0    0/0  -\n"
            "exp-2  n2    SUCCEEDED     0    0/0  -\n");
  {
    absl::MutexLock lock(&server_.fake().mu);
    EXPECT_EQ(server_.fake().list_page_sizes, (std::vector<int>{3, 1}));
    server_.fake().list_page_sizes.clear();
  }
  Result all = Cli({"list", "--limit", "0", "--json"});
  EXPECT_EQ(all.code, 0);
  EXPECT_NE(all.out.find("\"id\": \"exp-4\""), std::string::npos);
  absl::MutexLock lock(&server_.fake().mu);
  EXPECT_EQ(server_.fake().list_page_sizes, (std::vector<int>{500, 500, 500}));
}

TEST_F(CliTest, WatchResumesAfterUnavailableAndExitsByFinalState) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    auto& f = server_.fake();
    f.events = {StateEvent(1, 1714564984000, "stage", "st-1p", v1::STATE_RUNNING),
                ProgressEvent(2, 1714564985000, "run-1", "t-1p0", 5, 10),
                StateEvent(3, 1714564986000, "task", "t-1p0", v1::STATE_FAILED, "killed"),
                StateEvent(4, 1714564987000, "experiment", "exp-1", v1::STATE_CANCELLED)};
    f.watch_unavailable_after = 2;
    f.state_after_watch = v1::STATE_CANCELLED;
  }
  Result r = Cli({"watch", "exp-1"});
  EXPECT_EQ(r.code, 3) << r.err;
  const std::string expected_head =
      "12:03:04 run 1 (fold=2) / preprocess: RUNNING\n"
      "12:03:05 run 1 (fold=2) / preprocess / shard 1/2: 5/10 steps (50%)\n";
  EXPECT_EQ(r.out.rfind(expected_head, 0), 0u) << r.out;
  EXPECT_NE(r.out.find("is unavailable (WatchExperiment): connection reset; reconnecting\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("12:03:06 run 1 (fold=2) / preprocess / shard 1/2: FAILED: killed\n"
                       "12:03:07 experiment exp-1: CANCELLED\n"
                       "experiment exp-1 \"quickstart\" CANCELLED"),
            std::string::npos)
      << r.out;
  absl::MutexLock lock(&server_.fake().mu);
  EXPECT_EQ(server_.fake().watch_after_seqs, (std::vector<int64_t>{0, 2}));
}

TEST_F(CliTest, WatchOnATerminalRedrawsInPlaceAndScrollsStateChanges) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    auto& f = server_.fake();
    f.events = {StateEvent(1, 1714564984000, "stage", "st-1p", v1::STATE_RUNNING),
                StateEvent(2, 1714564985000, "experiment", "exp-1", v1::STATE_CANCELLED)};
    f.state_after_watch = v1::STATE_CANCELLED;
  }
  ClientOptions options;
  options.address = server_.address();
  CoordinatorClient client(options);
  WatchSettings settings;
  settings.tty = true;
  settings.terminal = [] { return TerminalInfo{true, 81, 24}; };
  std::ostringstream out;
  Watcher watcher(&client, "exp-1", settings, &out);
  watcher.Notice("ecgbench: warning: worker local-2 exited\n");
  auto outcome = watcher.Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->state, v1::STATE_CANCELLED);
  const std::string text = out.str();
  // The first frame is drawn at once (6 lines, below the notice), later ones move the cursor up.
  EXPECT_EQ(text.rfind("ecgbench: warning: worker local-2 exited\x1b[K\nexp-1 \"quickstart\"  RUNNING  tasks 2/6", 0),
            0u)
      << text;
  EXPECT_NE(text.find("\x1b[6F"), std::string::npos) << text;
  EXPECT_NE(text.find("12:03:04 run 1 (fold=2) / preprocess: RUNNING\x1b[K\n"), std::string::npos) << text;
  // The last frame is the final snapshot: one line per run.
  const std::string tail = "  run 0 (fold=1)  [######....]   65%  RUNNING     stages 1/2\x1b[K\n"
                           "  run 1 (fold=2)  [..........]    0%  PENDING     stages 0/2\x1b[K\n\x1b[J";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail) << text;
  EXPECT_NE(text.rfind("exp-1 \"quickstart\"  CANCELLED  tasks 2/6"), std::string::npos) << text;
}

TEST_F(CliTest, SubmitWaitWatchesToSuccess) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().events = {StateEvent(1, 1714564984000, "experiment", "exp-1", v1::STATE_SUCCEEDED)};
  }
  Result r = Cli({"submit", WriteSpec("x: 1\n"), "--wait"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("12:03:04 experiment exp-1: SUCCEEDED\nexperiment exp-1 \"quickstart\" SUCCEEDED"),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, WatchJsonPrintsOneEventPerLine) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().events = {StateEvent(1, 5, "experiment", "exp-1", v1::STATE_FAILED, "boom")};
    server_.fake().state_after_watch = v1::STATE_FAILED;
  }
  Result r = Cli({"watch", "exp-1", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out,
            "{\"seq\":\"1\",\"experimentId\":\"exp-1\",\"timeUnixMs\":\"5\",\"stateChange\":{\"entity\":\"experiment\","
            "\"entityId\":\"exp-1\",\"state\":\"STATE_FAILED\",\"message\":\"boom\"}}\n");
}

TEST_F(CliTest, ResultsCsvAndTable) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    auto* run = server_.fake().results.add_runs();
    run->set_run_id("run-0");
    run->set_run_name("representation=signal,fold=1");
    run->set_state(v1::STATE_SUCCEEDED);
    (*run->mutable_metrics())["accuracy"] = 0.75;
  }
  Result csv = Cli({"results", "exp-1", "--format", "csv"});
  EXPECT_EQ(csv.code, 0);
  EXPECT_EQ(csv.out, "run,state,accuracy\n\"representation=signal,fold=1\",SUCCEEDED,0.75\n");
  Result table = Cli({"results", "exp-1"});
  EXPECT_EQ(table.out,
            "run                           state      accuracy\n"
            "----------------------------  ---------  --------\n"
            "representation=signal,fold=1  SUCCEEDED      0.75\n");
  EXPECT_EQ(Cli({"results", "exp-2"}).code, 4);
}

TEST_F(CliTest, LogsSendsFiltersAndResolvesRunNames) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    v1::LogLine line;
    line.set_seq(1);
    line.set_time_unix_ms(1714564984000);
    line.set_level(v1::LOG_LEVEL_ERROR);
    line.set_run_id("run-1");
    line.set_stage_kind("train");
    line.set_task_id("t-1t0");
    line.set_message("nan loss");
    server_.fake().logs = {line};
  }
  Result r = Cli({"logs", "exp-1", "--run", "fold=2", "--stage", "train", "--rank", "1", "--level", "warn"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "2024-05-01 12:03:04.000 ERROR   run-1 train r0  nan loss\n");
  {
    absl::MutexLock lock(&server_.fake().mu);
    const auto& req = server_.fake().log_requests.at(0);
    EXPECT_EQ(req.experiment_id(), "exp-1");
    EXPECT_EQ(req.run_id(), "run-1");
    EXPECT_EQ(req.stage(), "train");
    EXPECT_TRUE(req.has_rank());
    EXPECT_EQ(req.rank(), 1);
    EXPECT_EQ(req.min_level(), v1::LOG_LEVEL_WARNING);
    EXPECT_FALSE(req.follow());
  }
  Result bad_run = Cli({"logs", "exp-1", "--run", "fold=9"});
  EXPECT_EQ(bad_run.code, 4);
  EXPECT_EQ(Cli({"logs", "exp-1", "--run", "0"}).code, 0);
}

TEST_F(CliTest, CancelPrintsTheNewState) {
  Result r = Cli({"cancel", "exp-1", "--reason", "wrong lr"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "cancel requested for experiment exp-1 (now CANCELLING)\n");
  absl::MutexLock lock(&server_.fake().mu);
  EXPECT_EQ(server_.fake().cancels.at(0).reason(), "wrong lr");
}

TEST_F(CliTest, CoordinatorFromEnvironment) {
  setenv("ECGBENCH_COORDINATOR", server_.address().c_str(), 1);
  std::ostringstream out, err;
  Io io;
  io.out = &out;
  io.err = &err;
  const int code = RunCli({"workers"}, io);
  unsetenv("ECGBENCH_COORDINATOR");
  EXPECT_EQ(code, 0) << err.str();
  EXPECT_EQ(out.str(), "(no workers)\n");
}

// `ecgbench run` with shell scripts standing in for the binaries; the "coordinator" script writes
// the fake server's port into the port file.
class EmbeddedRunTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    const fs::path root = fs::temp_directory_path() / ("ecgbench_run_" + std::to_string(::getpid()) + "_" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    root_ = root.string();
    bin_ = (root / "bin").string();
    state_ = (root / "state").string();
    fs::create_directories(bin_);
    Script(bin_ + "/ecgbench-coordinator", "printf '" + std::to_string(server_.port()) +
                                               "\\n' > \"$4.tmp\" && mv \"$4.tmp\" \"$4\"\nexec sleep 30\n");
    Script(bin_ + "/ecgbench-worker", "exec sleep 30\n");
  }
  void TearDown() override {
    CliTest::TearDown();
    fs::remove_all(root_);
  }
  static void Script(const std::string& path, const std::string& body) {
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
  }
  Result RunEmbedded() {
    std::ostringstream out, err;
    Io io;
    io.out = &out;
    io.err = &err;
    const int code = RunCli({"run", WriteSpec("name: quickstart\n"), "--bin-dir", bin_, "--state-dir", state_,
                             "--workers", "2"},
                            io);
    return {code, out.str(), err.str()};
  }
  std::string root_, bin_, state_;
};

TEST_F(EmbeddedRunTest, RunsToTheEndAndPrintsResults) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    auto& f = server_.fake();
    f.events = {StateEvent(1, 1714564984000, "experiment", "exp-1", v1::STATE_SUCCEEDED)};
    auto* run = f.results.add_runs();
    run->set_run_name("fold=1");
    run->set_state(v1::STATE_SUCCEEDED);
    (*run->mutable_metrics())["loss"] = 0.25;
  }
  Result r = RunEmbedded();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "local coordinator at " + server_.address() + " with 2 workers, state in " + state_ + "\n" +
                "submitted exp-1: 2 runs, 4 stages, 6 tasks\n"
                "12:03:04 experiment exp-1: SUCCEEDED\n"
                "experiment exp-1 \"quickstart\" SUCCEEDED, tasks 2/6\n"
                "\n"
                "run     state      loss\n"
                "------  ---------  ----\n"
                "fold=1  SUCCEEDED  0.25\n"
                "\n"
                "state kept in " + state_ + " (coordinator.db, logs/)\n" +
                "report written to " + state_ + "/reports/exp-1:\n"
                "  results.md\n"
                "  results.csv\n"
                "  results.json\n");
  EXPECT_TRUE(fs::is_regular_file(state_ + "/reports/exp-1/results.md"));
  absl::MutexLock lock(&server_.fake().mu);
  const auto& submit = server_.fake().submits.at(0);
  EXPECT_EQ(submit.request_id().rfind("run-", 0), 0u);
  EXPECT_EQ(submit.spec_name(), "quickstart.yaml");
}

TEST_F(EmbeddedRunTest, EvaluationViewThenTheReport) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    auto& f = server_.fake();
    f.events = {StateEvent(1, 1714564984000, "stage", "st-0t", v1::STATE_RUNNING),
                StateEvent(2, 1714565059000, "stage", "st-0t", v1::STATE_SUCCEEDED),
                StateEvent(3, 1714565060000, "experiment", "exp-1", v1::STATE_FAILED)};
    f.state_after_watch = v1::STATE_FAILED;
    auto* run = f.results.add_runs();
    run->set_run_id("run-0");
    run->set_run_name("representation=token");
    run->set_state(v1::STATE_SUCCEEDED);
    (*run->mutable_variant())["representation"] = "token";
    (*run->mutable_metrics())["score.signal.accuracy"] = 0.75;
    (*run->mutable_metrics())["score.none.accuracy"] = 0.25;
    (*run->mutable_metrics())["train.steps"] = 30;
    run = f.results.add_runs();
    run->set_run_id("run-1");
    run->set_run_name("representation=image");
    run->set_state(v1::STATE_FAILED);
    (*run->mutable_variant())["representation"] = "image";
  }
  Result r = RunEmbedded();
  EXPECT_EQ(r.code, 1) << r.err;
  const std::string tail =
      "\n"
      "Evaluation (x100; n = answers scored):\n"
      "run                   condition  accuracy  n\n"
      "--------------------  ---------  --------  -\n"
      "representation=token  signal        75.00  -\n"
      "                      none          25.00  -\n"
      "representation=image  -                 -  -\n"
      "\n"
      "Training:\n"
      "run                   state      steps  final loss  train time\n"
      "--------------------  ---------  -----  ----------  ----------\n"
      "representation=token  SUCCEEDED     30           -       1m15s\n"
      "representation=image  FAILED         -           -           -\n"
      "\n"
      "state kept in " + state_ + " (coordinator.db, logs/)\n" +
      "report written to " + state_ + "/reports/exp-1:\n"
      "  results.md\n"
      "  results.csv\n"
      "  results.json\n"
      "  ablation_score.accuracy_representation_token.png\n"
      "  metric_*.png (2 plots: each metric by variant)\n";
  ASSERT_GE(r.out.size(), tail.size()) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - tail.size()), tail) << r.out;
  for (const char* file : {"results.md", "results.csv", "results.json", "ablation_score.accuracy_representation_token.png"}) {
    EXPECT_TRUE(fs::is_regular_file(state_ + "/reports/exp-1/" + file)) << file;
  }
}

TEST_F(EmbeddedRunTest, CtrlCCancelsWatchesToTheEndAndExits130) {
  {
    absl::MutexLock lock(&server_.fake().mu);
    server_.fake().hold_watch_until_cancel = true;
  }
  std::thread interrupter([this] {
    for (int i = 0; i < 500; ++i) {
      {
        absl::MutexLock lock(&server_.fake().mu);
        if (!server_.fake().watch_after_seqs.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::raise(SIGINT);  // the CLI's handler counts it
  });
  Result r = RunEmbedded();
  interrupter.join();
  EXPECT_EQ(r.code, 130) << r.out << r.err;
  EXPECT_EQ(r.err, "ecgbench: interrupted; cancelling exp-1 (Ctrl-C again to stop at once)\n");
  EXPECT_NE(r.out.find("experiment exp-1: CANCELLED\nexperiment exp-1 \"quickstart\" CANCELLED"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("state kept in " + state_ + " (coordinator.db, logs/)\n"), std::string::npos) << r.out;
  absl::MutexLock lock(&server_.fake().mu);
  ASSERT_EQ(server_.fake().cancels.size(), 1u);
  EXPECT_EQ(server_.fake().cancels[0].reason(), "interrupted (Ctrl-C) during ecgbench run");
}

}  // namespace
}  // namespace ecgbench::client
