// WorkerMetrics: series and values, the map from reported stage metrics to training series, the
// removal of an assignment's series, stalled-task detection, and the exposition checked by
// `promtool check metrics`; HttpEndpoint + WorkerRoutes: /metrics, /readyz, /livez on a port
// chosen at run time.
#include "worker/agent/worker_metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "worker/agent/http_endpoint.h"
#include "worker/agent/worker_routes.h"

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

// `method path` against 127.0.0.1:port with a plain socket; returns the whole response.
std::string HttpRequest(int port, const std::string& method, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

std::string Body(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

// A clock the test sets.
class SetClock : public common::Clock {
 public:
  int64_t NowUnixMs() const override { return now_ms; }
  int64_t NowMonotonicMs() const override { return now_ms; }
  int64_t now_ms = 1'700'000'000'000;
};

constexpr int64_t kT0 = 1'700'000'000'000;  // unix ms
constexpr char kTaskLabels[] = R"({experiment="exp-1",rank="0",run="run-1",stage="stage-1",task="task-1"})";

std::string Series(const std::string& name, const std::string& value) {
  return name + kTaskLabels + " " + value + "\n";
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
  metrics.SetGpus({{"GPU-aaaa", 0, "NVIDIA H100 80GB HBM3"}, {"GPU-bbbb", 1, "NVIDIA H100 80GB HBM3"}});
  metrics.SetTaskProgress(Assignment("att-1", 1), 0.25, kT0);
  metrics.SetTaskProgress(Assignment("att-2", 0), 1.5, kT0);  // clamped
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(Contains(text, "ecgbench_worker_registered 1\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_cpu_cores 8\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_memory_bytes 17179869184\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_assignments_running 2\n")) << text;
  EXPECT_TRUE(Contains(text, "ecgbench_worker_heartbeat_failures_total 1\n")) << text;
  EXPECT_FALSE(Contains(text, "ecgbench_worker_resident_memory_bytes 0\n")) << text;
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
  EXPECT_TRUE(Contains(text, Series("ecgbench_worker_task_progress_ratio", "1"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_worker_task_last_progress_timestamp_seconds", "1700000000"))) << text;
  EXPECT_TRUE(Contains(
      text, R"(ecgbench_worker_gpu_info{gpu_index="1",gpu_name="NVIDIA H100 80GB HBM3",gpu_uuid="GPU-bbbb"} 1)"))
      << text;
}

TEST(WorkerMetricsTest, MapsReportedTrainingMetricsToSeries) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  v1::Assignment a = Assignment("att-1", 0);
  a.set_stage_kind("train");
  a.add_gpu_uuids("GPU-aaaa");
  metrics.TaskStarted(a, kT0);
  for (int step = 1; step <= 3; ++step) {
    const int64_t now = kT0 + step * 1000;
    metrics.TaskMetric(a, "train/loss", 2.0 / step, step, now);
    metrics.TaskMetric(a, "train/lr", 0.25 * step, step, now);
    metrics.TaskMetric(a, "train/grad_norm", 0.5, step, now);
    metrics.TaskMetric(a, "train/tokens", 1024, step, now);
    metrics.TaskMetric(a, "train/tokens_per_s", 2048, step, now);
    metrics.TaskMetric(a, "train/step_seconds", 0.5, step, now);
    metrics.TaskMetric(a, "train/data_wait_seconds", 0.125, step, now);
    metrics.TaskMetric(a, "train/model_tflops", 3, step, now);  // no series; counts as progress
  }
  metrics.TaskMetric(a, "train/step_seconds", -1, 3, kT0 + 3000);  // a counter never goes back
  metrics.TaskMetric(a, "train/val_loss", 0.75, 0, kT0 + 3500);
  metrics.TaskMetric(a, "train/checkpoint_seconds", 2.5, 3, kT0 + 4000);
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_step", "3"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_steps_total", "3"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_loss", "0.6666666666666666"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_lr", "0.75"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_grad_norm", "0.5"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_tokens_total", "3072"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_tokens_per_second", "2048"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_step_seconds_total", "1.5"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_data_wait_seconds_total", "0.375"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_validation_loss", "0.75"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_checkpoint_save_seconds", "2.5"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_last_checkpoint_timestamp_seconds", "1700000004"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_worker_task_last_progress_timestamp_seconds", "1700000004"))) << text;
  EXPECT_FALSE(Contains(text, "ecgbench_train_mfu_ratio{")) << text;  // never reported: no series
  EXPECT_FALSE(Contains(text, "model_tflops")) << text;
  EXPECT_TRUE(Contains(
      text,
      R"(ecgbench_worker_task_start_timestamp_seconds{experiment="exp-1",rank="0",run="run-1",stage="stage-1",stage_kind="train",task="task-1"} 1700000000)"))
      << text;
  EXPECT_TRUE(Contains(
      text,
      R"(ecgbench_worker_gpu_assignment_info{experiment="exp-1",gpu_uuid="GPU-aaaa",rank="0",run="run-1",stage="stage-1",task="task-1"} 1)"))
      << text;
}

TEST(WorkerMetricsTest, MapsPretrainAndEvaluationNamesAndExportsANotFiniteLoss) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  v1::Assignment a = Assignment("att-1", 0);
  metrics.TaskMetric(a, "pretrain/loss", std::nan(""), 7, kT0);
  metrics.TaskMetric(a, "evaluate/answers_per_s", 12.5, 40, kT0);
  metrics.TaskMetric(a, "evaluate/tokens_per_s", 99, 40, kT0);
  metrics.TaskMetric(a, "evaluate/loss", 1, 40, kT0);  // evaluation has no loss series
  const std::string text = metrics.Serialize();
  // prometheus-cpp 1.0 writes NaN as "Nan"; Prometheus parses it case-insensitively.
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_loss", "Nan"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_step", "7"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_eval_answers_per_second", "12.5"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_eval_tokens_per_second", "99"))) << text;
  EXPECT_TRUE(Contains(text, Series("ecgbench_train_steps_total", "1"))) << text;
}

TEST(WorkerMetricsTest, RemovesEveryTaskSeriesAndFollowsANewWorkerId) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  metrics.SetRegistered(true, "w-1");
  v1::Assignment a = Assignment("att-1", 0);
  a.add_gpu_uuids("GPU-aaaa");
  metrics.TaskStarted(a, kT0);
  metrics.SetTaskProgress(a, 0.5, kT0);
  metrics.TaskMetric(a, "train/loss", 1, 1, kT0);
  metrics.TaskMetric(a, "train/tokens", 10, 1, kT0);
  metrics.RemoveTask(a);
  metrics.RemoveTask(Assignment("att-9", 0));  // unknown: no effect
  metrics.SetRegistered(false, "w-1");
  metrics.SetRegistered(true, "w-2");
  const std::string text = metrics.Serialize();
  for (const char* gone : {"ecgbench_worker_task_progress_ratio{", "ecgbench_worker_task_start_timestamp_seconds{",
                           "ecgbench_worker_task_last_progress_timestamp_seconds{", "ecgbench_worker_gpu_assignment_info{",
                           "ecgbench_train_loss{", "ecgbench_train_tokens_total{", "ecgbench_train_steps_total{"}) {
    EXPECT_FALSE(Contains(text, gone)) << gone << "\n" << text;
  }
  EXPECT_FALSE(Contains(text, R"(worker_id="w-1")")) << text;
  EXPECT_TRUE(Contains(text, R"(worker_id="w-2"} 1)")) << text;
}

TEST(WorkerMetricsTest, ReportsTasksSilentLongerThanTheStallThreshold) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  v1::Assignment quiet = Assignment("att-1", 0);
  quiet.set_stage_kind("train");
  v1::Assignment busy = Assignment("att-2", 1);
  metrics.TaskStarted(quiet, kT0);
  metrics.TaskStarted(busy, kT0);
  metrics.SetTaskProgress(busy, -1, kT0 + 50'000);  // unknown total still counts as progress
  EXPECT_TRUE(metrics.StalledTasks(kT0 + 60'000, 60'000).empty());
  const std::vector<std::string> stalled = metrics.StalledTasks(kT0 + 60'001, 60'000);
  ASSERT_EQ(stalled.size(), 1u);
  EXPECT_EQ(stalled[0], "task task-1 rank 0 (stage kind train): no progress for 60 s");
  EXPECT_FALSE(Contains(metrics.Serialize(), R"(ecgbench_worker_task_progress_ratio{)"));  // total unknown
}

TEST(WorkerMetricsTest, ExpositionPassesPromtool) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " not installed (prometheus: scripts/install-deps.sh)";
  WorkerMetrics metrics("0.1.0", "1.13.0");
  metrics.SetResources(2, int64_t{1} << 30);
  metrics.SetRegistered(true, "w-1");
  metrics.SetGpus({{"GPU-aaaa", 0, "NVIDIA H100"}});
  metrics.SetAssignmentsRunning(1);
  metrics.AssignmentFinished("probe", AssignmentOutcome::kFailed);
  metrics.AssignmentFinished("probe", AssignmentOutcome::kCancelled);
  metrics.HeartbeatFailed();
  v1::Assignment a = Assignment("att-1", 0);
  a.add_gpu_uuids("GPU-aaaa");
  metrics.SetTaskProgress(a, 0.5, kT0);
  for (const char* name : {"train/loss", "train/lr", "train/grad_norm", "train/mfu", "train/tokens", "train/tokens_per_s",
                           "train/samples_per_s", "train/val_loss", "train/checkpoint_seconds", "train/step_seconds",
                           "train/data_wait_seconds", "evaluate/answers_per_s", "evaluate/tokens_per_s"}) {
    metrics.TaskMetric(a, name, 1, 1, kT0);
  }
  std::string output;
  EXPECT_EQ(Promtool(metrics.Serialize(), &output), 0) << output;
  EXPECT_EQ(output, "");
}

TEST(WorkerRoutesTest, ServesMetricsAndTheProbesOnAPortChosenAtRunTime) {
  WorkerMetrics metrics("0.1.0", "1.13.0");
  SetClock clock;
  auto endpoint = HttpEndpoint::Start("127.0.0.1:0", WorkerRoutes(metrics, 600, &clock));
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const int port = (*endpoint)->port();
  ASSERT_GT(port, 0);

  std::string ready = HttpRequest(port, "GET", "/readyz");
  EXPECT_TRUE(Contains(ready, "HTTP/1.1 503 Service Unavailable")) << ready;
  EXPECT_EQ(Body(ready), "not registered with the coordinator\n");
  metrics.SetRegistered(true, "w-7");
  ready = HttpRequest(port, "GET", "/readyz");
  EXPECT_TRUE(Contains(ready, "HTTP/1.1 200 OK")) << ready;

  v1::Assignment a = Assignment("att-1", 0);
  a.set_stage_kind("train");
  metrics.TaskStarted(a, clock.now_ms);
  clock.now_ms += 600'000;
  EXPECT_EQ(Body(HttpRequest(port, "GET", "/livez")), "ok\n");
  clock.now_ms += 1'000;
  const std::string live = HttpRequest(port, "GET", "/livez");
  EXPECT_TRUE(Contains(live, "HTTP/1.1 503")) << live;
  EXPECT_EQ(Body(live), "task task-1 rank 0 (stage kind train): no progress for 601 s\n");

  const std::string response = HttpRequest(port, "GET", "/metrics");
  ASSERT_TRUE(Contains(response, "200 OK")) << response;
  EXPECT_TRUE(Contains(response, "Content-Type: text/plain; version=0.0.4")) << response;
  EXPECT_TRUE(Contains(Body(response), R"(worker_id="w-7"} 1)")) << response;
  if (access(kPromtool, X_OK) == 0) {
    std::string output;
    EXPECT_EQ(Promtool(Body(response), &output), 0) << output << response;
  }
  const std::string head = HttpRequest(port, "HEAD", "/metrics");
  EXPECT_TRUE(Contains(head, "200 OK")) << head;
  EXPECT_EQ(Body(head), "");
  EXPECT_TRUE(Contains(HttpRequest(port, "GET", "/nope"), "HTTP/1.1 404")) << "unknown path";
  EXPECT_TRUE(Contains(HttpRequest(port, "POST", "/metrics"), "HTTP/1.1 405")) << "POST";
}

TEST(HttpEndpointTest, RejectsMalformedAddressesAndBusyPorts) {
  for (const char* bad : {"9101", "host:", "host:http", "host:70000", ":9101"}) {
    auto endpoint = HttpEndpoint::Start(bad, {});
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(endpoint.status().message(),
              std::string("--metrics-listen: expected HOST:PORT with a port in 0..65535, got \"") +
                  bad + "\"");
  }
  auto first = HttpEndpoint::Start("127.0.0.1:0", {});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpEndpoint::Start(taken, {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

}  // namespace
}  // namespace ecgbench::worker
