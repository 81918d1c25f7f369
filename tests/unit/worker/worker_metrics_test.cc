// WorkerMetrics: series and values, progress series removal, and the exposition checked by
// `promtool check metrics`; MetricsEndpoint: serves /metrics on a port chosen at run time.
#include "worker/agent/worker_metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace ecgbench::worker {
namespace {

constexpr char kPromtool[] = "/usr/bin/promtool";

v1::Assignment Assignment(const std::string& attempt, int rank) {
  v1::Assignment a;
  a.set_attempt_id(attempt);
  a.set_experiment_id("exp-1");
  a.set_run_id("run-1");
  a.set_stage_id("stage-1");
  a.set_task_id("task-1");
  a.set_rank(rank);
  return a;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Runs promtool check metrics on `text`; returns its exit status and fills `output`.
int Promtool(const std::string& text, std::string* output) {
  const std::string path = ::testing::TempDir() + "/worker_metrics." + std::to_string(getpid()) +
                           "." + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                           ".prom";
  std::ofstream(path) << text;
  const std::string command = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) *output += buffer;
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// GET /metrics from 127.0.0.1:port with a plain socket; returns the whole response.
std::string HttpGetMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

TEST(WorkerMetricsTest, ExposesTheWorkerSeries) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  metrics.SetResources(8, int64_t{16} << 30);
  metrics.SetRegistered(true, "w-1");
  metrics.SetAssignmentsRunning(2);
  metrics.AssignmentFinished("probe", AssignmentOutcome::kSucceeded);
  metrics.AssignmentFinished("probe", AssignmentOutcome::kSucceeded);
  metrics.AssignmentFinished("train", AssignmentOutcome::kPreempted);
  metrics.HeartbeatFailed();
  metrics.SetTaskProgress(Assignment("att-1", 1), 0.25);
  metrics.SetTaskProgress(Assignment("att-2", 0), 1.5);  // clamped
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(Contains(text, "ecgbench_worker_registered 1\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_cpu_cores 8\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_memory_bytes 17179869184\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_assignments_running 2\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_heartbeat_failures_total 1\n")) << text;
  EXPECT_TRUE(Contains(
      text,
      R"(ecgbench_worker_info{libtorch_version="1.13.0",version="0.1.0",worker_id="w-1"} 1)"))
      << text;
  EXPECT_TRUE(Contains(
      text, R"(ecgbench_worker_assignments_finished_total{result="succeeded",stage_kind="probe"} 2)"))
      << text;
  EXPECT_TRUE(Contains(
      text, R"(ecgbench_worker_assignments_finished_total{result="preempted",stage_kind="train"} 1)"))
      << text;
  EXPECT_TRUE(Contains(
      text,
      R"(ecgbench_worker_task_progress_ratio{experiment="exp-1",rank="1",run="run-1",stage="stage-1",task="task-1"} 0.25)"))
      << text;
  EXPECT_TRUE(Contains(text, R"(rank="0",run="run-1",stage="stage-1",task="task-1"} 1)")) << text;
}

TEST(WorkerMetricsTest, RemovesProgressSeriesAndFollowsANewWorkerId) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  metrics.SetRegistered(true, "w-1");
  metrics.SetTaskProgress(Assignment("att-1", 0), 0.5);
  metrics.RemoveTaskProgress(Assignment("att-1", 0));
  metrics.RemoveTaskProgress(Assignment("att-9", 0));  // unknown: no effect
  metrics.SetRegistered(false, "w-1");
  metrics.SetRegistered(true, "w-2");
  const std::string text = metrics.Serialize();
  EXPECT_FALSE(Contains(text, "ecgbench_worker_task_progress_ratio{")) << text;
  EXPECT_FALSE(Contains(text, R"(worker_id="w-1")")) << text;
  EXPECT_TRUE(Contains(text, R"(worker_id="w-2"} 1)")) << text;
}

TEST(WorkerMetricsTest, ExpositionPassesPromtool) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " not installed (prometheus: scripts/install-deps.sh)";
  WorkerMetrics metrics("0.1.0", "1.13.0");
  metrics.SetResources(2, int64_t{1} << 30);
  metrics.SetRegistered(true, "w-1");
  metrics.SetAssignmentsRunning(1);
  metrics.AssignmentFinished("probe", AssignmentOutcome::kFailed);
  metrics.AssignmentFinished("probe", AssignmentOutcome::kCancelled);
  metrics.HeartbeatFailed();
  metrics.SetTaskProgress(Assignment("att-1", 0), 0.5);
  std::string output;
  EXPECT_EQ(Promtool(metrics.Serialize(), &output), 0) << output;
  EXPECT_EQ(output, "");
}

TEST(MetricsEndpointTest, ServesMetricsOnAPortChosenAtRunTime) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  metrics.SetRegistered(true, "w-7");
  auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", metrics.registry());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);
  const std::string response = HttpGetMetrics((*endpoint)->port());
  ASSERT_TRUE(Contains(response, "200 OK")) << response;
  const size_t body_at = response.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  const std::string body = response.substr(body_at + 4);
  EXPECT_TRUE(Contains(body, R"(worker_id="w-7"} 1)")) << body;
  if (access(kPromtool, X_OK) == 0) {
    std::string output;
    EXPECT_EQ(Promtool(body, &output), 0) << output << body;
  }
}

TEST(MetricsEndpointTest, RejectsMalformedAddresses) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  for (const char* bad : {"9101", "host:", "host:http", "host:70000", ":9101"}) {
    auto endpoint = MetricsEndpoint::Start(bad, metrics.registry());
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(endpoint.status().message(),
              std::string("--metrics-listen: expected HOST:PORT with a port in 0..65535, got \"") +
                  bad + "\"");
  }
}

}  // namespace
}  // namespace ecgbench::worker
