// End-to-end through real processes: CLI -> coordinator -> two workers, cancellation, idempotent
// submission, Prometheus exposition checked by promtool, and a Python client from the same .proto.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartCoordinator().ok());
    ASSERT_TRUE(cluster_.StartWorker("w1", 1).ok());
    ASSERT_TRUE(cluster_.StartWorker("w2", 1).ok());
    ASSERT_TRUE(cluster_.WaitForWorkers(2, 20000).ok()) << cluster_.DumpLogs();
  }
  std::string WriteSpec(const std::string& name, const std::string& yaml) {
    std::string path = cluster_.dir() + "/" + name;
    std::ofstream(path) << yaml;
    return path;
  }
  TestCluster cluster_;
};

TEST_F(ClusterTest, SubmitThroughCliCompletesOnTwoWorkers) {
  std::string spec = WriteSpec("probe.yaml", "name: it-probe\nprobe: {ranks: 2}\n");
  CommandResult submit = cluster_.Cli({"submit", spec, "--wait"});
  ASSERT_EQ(submit.exit_code, 0) << submit.output << cluster_.DumpLogs();

  grpc::ClientContext ctx;
  v1::ListExperimentsResponse list;
  ASSERT_TRUE(cluster_.client().ListExperiments(&ctx, v1::ListExperimentsRequest(), &list).ok());
  ASSERT_EQ(list.experiments_size(), 1);
  const std::string id = list.experiments(0).id();
  EXPECT_NE(submit.output.find(id), std::string::npos) << submit.output;
  auto e = cluster_.Get(id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->state(), v1::STATE_SUCCEEDED);
  const v1::Task& task = e->runs(0).stages(0).tasks(0);
  EXPECT_EQ(task.ranks(), 2);
  EXPECT_EQ(task.attempts(), 1);

  // The two ranks really met through the rendezvous KV: 1 + 2 = 3.
  CommandResult results = cluster_.Cli({"results", id, "--format", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.output;
  EXPECT_NE(results.output.find("probe.allreduce_sum"), std::string::npos) << results.output;
  grpc::ClientContext rctx;
  v1::GetResultsRequest rreq;
  rreq.set_id(id);
  v1::GetResultsResponse rresp;
  ASSERT_TRUE(cluster_.client().GetResults(&rctx, rreq, &rresp).ok());
  EXPECT_EQ(rresp.runs(0).metrics().at("probe.allreduce_sum"), 3.0);

  CommandResult logs = cluster_.Cli({"logs", id});
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_FALSE(logs.output.empty());
  CommandResult workers = cluster_.Cli({"workers"});
  EXPECT_EQ(workers.exit_code, 0);
  EXPECT_NE(workers.output.find("w1"), std::string::npos) << workers.output;
  CommandResult status = cluster_.Cli({"status", id, "--json"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.output.find("STATE_SUCCEEDED"), std::string::npos) << status.output;
}

TEST_F(ClusterTest, CancelStopsARunningExperiment) {
  auto id = cluster_.Submit("name: it-cancel\nprobe: {ranks: 2, duration: 120}\n");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(cluster_.WaitForState(*id, v1::STATE_RUNNING, 20000).ok());
  CommandResult cancel = cluster_.Cli({"cancel", *id});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.output;
  auto e = cluster_.WaitForTerminal(*id, 10000);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->state(), v1::STATE_CANCELLED);
  // The workers stop the ranks within seconds: both cores are free again.
  bool freed = false;
  for (int i = 0; i < 100 && !freed; ++i) {
    grpc::ClientContext ctx;
    v1::ListWorkersResponse resp;
    ASSERT_TRUE(cluster_.client().ListWorkers(&ctx, v1::ListWorkersRequest(), &resp).ok());
    int free = 0;
    for (const auto& w : resp.workers()) free += w.free().cpu_cores();
    freed = free == 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(freed);
  // And a new experiment runs on them.
  auto next = cluster_.Submit("name: it-after-cancel\nprobe: {ranks: 2}\n");
  ASSERT_TRUE(next.ok());
  auto done = cluster_.WaitForTerminal(*next, 20000);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::STATE_SUCCEEDED) << cluster_.DumpLogs();
}

TEST_F(ClusterTest, ResubmitWithSameRequestIdReturnsSameExperiment) {
  auto a = cluster_.Submit("name: it-idem\nprobe: {}\n", "client-req-42");
  auto b = cluster_.Submit("name: it-idem\nprobe: {}\n", "client-req-42");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  grpc::ClientContext ctx;
  v1::ListExperimentsResponse list;
  ASSERT_TRUE(cluster_.client().ListExperiments(&ctx, v1::ListExperimentsRequest(), &list).ok());
  EXPECT_EQ(list.experiments_size(), 1);
}

TEST_F(ClusterTest, InvalidSpecIsRejectedWithLineNumbers) {
  std::string spec = WriteSpec("bad.yaml", "name: bad\nprobe: {ranks: -1}\n");
  CommandResult submit = cluster_.Cli({"submit", spec});
  EXPECT_NE(submit.exit_code, 0);
  EXPECT_NE(submit.output.find("probe.ranks"), std::string::npos) << submit.output;
  EXPECT_NE(submit.output.find("bad.yaml:2"), std::string::npos) << submit.output;
}

TEST_F(ClusterTest, HealthCommandAsksTheGrpcHealthService) {
  CommandResult serving = cluster_.Cli({"health"});
  EXPECT_EQ(serving.exit_code, 0) << serving.output;
  EXPECT_EQ(serving.output, "SERVING\n");
  CommandResult service = cluster_.Cli({"health", "--service", "ecgbench.v1.WorkerService"});
  EXPECT_EQ(service.exit_code, 0) << service.output;
  CommandResult unknown = cluster_.Cli({"health", "--service", "no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 4) << unknown.output;  // NOT_FOUND
  EXPECT_NE(unknown.output.find("service name unknown"), std::string::npos) << unknown.output;
}

TEST_F(ClusterTest, MetricsPassPromtool) {
  auto id = cluster_.Submit("name: it-metrics\nprobe: {ranks: 2}\n");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(cluster_.WaitForTerminal(*id, 20000).ok());
  auto check = [&](int port, const std::string& must_have) {
    const std::string file = cluster_.dir() + "/metrics_" + std::to_string(port) + ".txt";
    CommandResult curl = TestCluster::Shell(absl::StrCat("curl -sf http://127.0.0.1:", port, "/metrics -o ", file));
    ASSERT_EQ(curl.exit_code, 0) << curl.output;
    CommandResult lint = TestCluster::Shell("promtool check metrics < " + file);
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find(must_have), std::string::npos) << text;
  };
  check(cluster_.metrics_port(), "ecgbench_experiments{state=\"succeeded\"} 1");
  check(cluster_.metrics_port(), "ecgbench_grpc_requests_total{");
  check(cluster_.metrics_port(), "ecgbench_scheduling_latency_seconds_bucket");
  check(cluster_.WorkerMetricsPort("w1"), "ecgbench_worker_registered 1");
}

TEST_F(ClusterTest, PythonClientSubmitsAndLists) {
  const std::string script = std::string(ECGBENCH_SOURCE_DIR) + "/tests/integration/python_client.py";
  CommandResult py = TestCluster::Shell(absl::StrCat("/usr/bin/python3 ", script, " --coordinator ",
                                                     cluster_.address(), " --proto-dir ", ECGBENCH_SOURCE_DIR,
                                                     "/proto --out ", cluster_.dir(), "/pygen"));
  ASSERT_EQ(py.exit_code, 0) << py.output;
  EXPECT_NE(py.output.find("submitted exp-"), std::string::npos) << py.output;
  EXPECT_NE(py.output.find("listed 1 experiment"), std::string::npos) << py.output;
}

}  // namespace
}  // namespace ecgbench::testing
