// TLS and bearer tokens end to end: a coordinator with mutual TLS and a token file, a worker with
// its client certificate and worker token, and the CLI with the tokens of an admin, a submitter and
// a viewer, running the probe experiment. Afterwards no token appears in any log or in /metrics.
// Then paths in specs confined to a data root, at submit and on the worker.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/util/files.h"
#include "tests/integration/cluster.h"

namespace ecgbench::testing {
namespace {

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.StartCoordinator().ok()) << cluster_.DumpLogs();
    ASSERT_TRUE(cluster_.StartWorker("w1", 1).ok()) << cluster_.DumpLogs();
    ASSERT_TRUE(cluster_.WaitForWorkers(1, 20000).ok()) << cluster_.DumpLogs();
    spec_ = cluster_.dir() + "/probe.yaml";
    std::ofstream(spec_) << "name: x\nprobe: {ranks: 1}\n";
  }
  static ClusterOptions Secure() {
    ClusterOptions o;
    o.secure = true;
    return o;
  }
  TestCluster cluster_{Secure()};
  std::string spec_;
};

TEST_F(SecurityTest, ProbeRunsOverMutualTlsWithTokens) {
  CommandResult admin = cluster_.Cli({"submit", spec_, "--wait"});
  ASSERT_EQ(admin.exit_code, 0) << admin.output << cluster_.DumpLogs();
  CommandResult alice = cluster_.CliAs("alice", {"submit", spec_, "--wait"});
  ASSERT_EQ(alice.exit_code, 0) << alice.output << cluster_.DumpLogs();

  grpc::ClientContext ctx;
  v1::ListExperimentsResponse list;
  ASSERT_TRUE(cluster_.client().ListExperiments(&ctx, v1::ListExperimentsRequest(), &list).ok());
  ASSERT_EQ(list.experiments_size(), 2);
  // Newest first: alice's, then the admin's; both succeeded on the worker.
  EXPECT_EQ(list.experiments(0).owner(), "alice");
  EXPECT_EQ(list.experiments(1).owner(), "admin");
  const std::string alice_id = list.experiments(0).id(), admin_id = list.experiments(1).id();
  for (const auto& e : list.experiments()) EXPECT_EQ(e.state(), v1::STATE_SUCCEEDED) << e.id();

  // alice lists only her own experiment and may not look at the admin's.
  CommandResult alice_list = cluster_.CliAs("alice", {"list"});
  ASSERT_EQ(alice_list.exit_code, 0) << alice_list.output;
  EXPECT_NE(alice_list.output.find(alice_id), std::string::npos) << alice_list.output;
  EXPECT_EQ(alice_list.output.find(admin_id), std::string::npos) << alice_list.output;
  CommandResult peek = cluster_.CliAs("alice", {"results", admin_id});
  EXPECT_NE(peek.exit_code, 0);
  EXPECT_NE(peek.output.find("experiment " + admin_id + " belongs to another user"), std::string::npos) << peek.output;

  // The viewer reads everything and changes nothing.
  CommandResult eve_list = cluster_.CliAs("eve", {"list"});
  ASSERT_EQ(eve_list.exit_code, 0) << eve_list.output;
  EXPECT_NE(eve_list.output.find(admin_id), std::string::npos) << eve_list.output;
  CommandResult eve_submit = cluster_.CliAs("eve", {"submit", spec_});
  EXPECT_NE(eve_submit.exit_code, 0);
  EXPECT_NE(eve_submit.output.find("\"eve\" (role viewer) may not call ecgbench.v1.Coordinator/SubmitExperiment"),
            std::string::npos)
      << eve_submit.output;

  // The worker token is no client token.
  CommandResult as_worker = cluster_.CliAs("worker", {"list"});
  EXPECT_NE(as_worker.exit_code, 0);
  EXPECT_NE(as_worker.output.find("(role worker) may not call ecgbench.v1.Coordinator/ListExperiments"),
            std::string::npos)
      << as_worker.output;

  // TLS but no token; a token but no TLS.
  const std::string cli = BinPath("ecgbench") + " --coordinator " + cluster_.address();
  CommandResult no_token = TestCluster::Shell(cli + " --tls-ca " + cluster_.TlsFile("ca.crt") + " --tls-cert " +
                                              cluster_.TlsFile("client.crt") + " --tls-key " +
                                              cluster_.TlsFile("client.key") + " --timeout 5 list");
  EXPECT_NE(no_token.exit_code, 0);
  EXPECT_NE(no_token.output.find("missing bearer token"), std::string::npos) << no_token.output;
  // The health check needs TLS but no token (container and Kubernetes probes).
  CommandResult health = TestCluster::Shell(cli + " --tls-ca " + cluster_.TlsFile("ca.crt") + " --tls-cert " +
                                            cluster_.TlsFile("client.crt") + " --tls-key " +
                                            cluster_.TlsFile("client.key") + " --timeout 5 health");
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_EQ(health.output, "SERVING\n");
  CommandResult plaintext = TestCluster::Shell(cli + " --token-file " + cluster_.TokenFile("admin") +
                                               " --timeout 5 list");
  EXPECT_EQ(plaintext.exit_code, 5) << plaintext.output;  // unavailable: the handshake fails

  // No token in /metrics, in any log, or in the CLI's output.
  const std::string metrics = cluster_.dir() + "/metrics.txt";
  CommandResult curl = TestCluster::Shell(
      absl::StrCat("curl -sf http://127.0.0.1:", cluster_.metrics_port(), "/metrics -o ", metrics));
  ASSERT_EQ(curl.exit_code, 0) << curl.output;
  auto exposition = common::ReadFile(metrics);
  ASSERT_TRUE(exposition.ok());
  EXPECT_NE(exposition->find("SubmitExperiment"), std::string::npos);  // the calls were counted
  std::string logs;  // every log file, whole
  for (const auto& entry : std::filesystem::directory_iterator(cluster_.dir())) {
    if (entry.path().extension() == ".log") logs += common::ReadFile(entry.path().string()).value_or("");
  }
  ASSERT_NE(logs.find("bearer tokens required"), std::string::npos) << logs;
  const std::string outputs = admin.output + alice.output + alice_list.output + peek.output + eve_list.output +
                              eve_submit.output + as_worker.output + no_token.output + plaintext.output;
  for (const char* identity : {"admin", "worker", "alice", "eve"}) {
    auto token = common::ReadFile(cluster_.TokenFile(identity));
    ASSERT_TRUE(token.ok());
    const std::string t = token->substr(0, token->find('\n'));
    ASSERT_EQ(t.size(), 69u);
    EXPECT_EQ(exposition->find(t), std::string::npos) << identity;
    EXPECT_EQ(logs.find(t), std::string::npos) << identity;
    EXPECT_EQ(outputs.find(t), std::string::npos) << identity;
    EXPECT_EQ(logs.find(t.substr(5, 16)), std::string::npos) << identity;  // not even a piece of one
  }
}

// Paths in specs confined to a data root, given through ECGBENCH_DATA_ROOTS (the coordinator and the
// worker read it; the children inherit it): the coordinator refuses a path outside at submit and
// stores nothing, and the worker fails the task whose data folder is a symbolic link out of the
// root, before the stage runs and without retries.
class PathConfinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = cluster_.dir() + "/data";
    std::filesystem::create_directories(data_ + "/ptb-xl");
    std::filesystem::create_directories(cluster_.dir() + "/secret");
    std::filesystem::create_directory_symlink(cluster_.dir() + "/secret", data_ + "/escape");
    ::setenv("ECGBENCH_DATA_ROOTS", data_.c_str(), 1);
    const bool coordinator = cluster_.StartCoordinator().ok();
    const bool worker = coordinator && cluster_.StartWorker("w1", 1).ok();
    ::unsetenv("ECGBENCH_DATA_ROOTS");
    ASSERT_TRUE(coordinator && worker) << cluster_.DumpLogs();
    ASSERT_TRUE(cluster_.WaitForWorkers(1, 20000).ok()) << cluster_.DumpLogs();
  }
  static std::string Spec(const std::string& root) {
    return "name: confined\ndata: {base: ptbxl, root: " + root + "}\nresources: {max_attempts: 3}\n";
  }
  TestCluster cluster_;
  std::string data_;
};

TEST_F(PathConfinementTest, CoordinatorRefusesAndWorkerFailsTheTask) {
  auto refused = cluster_.Submit(Spec("/etc"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(), "data.root: /etc is outside the allowed roots (" + data_ + ")");
  grpc::ClientContext ctx;
  v1::ListExperimentsResponse list;
  ASSERT_TRUE(cluster_.client().ListExperiments(&ctx, v1::ListExperimentsRequest(), &list).ok());
  EXPECT_EQ(list.experiments_size(), 0);

  auto id = cluster_.Submit(Spec(data_ + "/escape"));
  ASSERT_TRUE(id.ok()) << id.status();
  auto done = cluster_.WaitForTerminal(*id, 60000);
  ASSERT_TRUE(done.ok()) << done.status() << cluster_.DumpLogs();
  EXPECT_EQ(done->state(), v1::STATE_FAILED);
  const v1::Task* preprocess = nullptr;
  for (const auto& stage : done->runs(0).stages()) {
    if (stage.kind() == "preprocess") preprocess = &stage.tasks(0);
  }
  ASSERT_NE(preprocess, nullptr);
  EXPECT_EQ(preprocess->attempts(), 1);  // not retried
  // The worker's roots: its --data-root and its --artifact-root.
  EXPECT_EQ(preprocess->error(), "rank 0: PERMISSION_DENIED: data.root: " + data_ + "/escape resolves to " +
                                     cluster_.dir() + "/secret, outside the allowed roots (" + data_ + ", " +
                                     cluster_.dir() + "/artifacts)");
}

}  // namespace
}  // namespace ecgbench::testing
