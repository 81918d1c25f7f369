// Tests of client/embedded/: request ids, worker sizing, port files, binary lookup, log tails, and
// LocalCluster start-up failures and success with scripted stand-ins for the two binaries.
#include "client/embedded/local_cluster.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "client/embedded/embedded_run.h"
#include "common/security/crypto.h"
#include "common/security/token_file.h"
#include "common/util/files.h"
#include "tests/unit/client/fake_coordinator.h"

namespace ecgbench::client {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ecgbench_client_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteScript(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), 0755);
}

TEST(EmbeddedTest, RequestIdIsAHashOfSpecAndTime) {
  const std::string a = EmbeddedRequestId("name: x\n", 1000);
  EXPECT_EQ(a, EmbeddedRequestId("name: x\n", 1000));
  EXPECT_NE(a, EmbeddedRequestId("name: x\n", 1001));
  EXPECT_NE(a, EmbeddedRequestId("name: y\n", 1000));
  ASSERT_EQ(a.size(), 20u);
  EXPECT_EQ(a.substr(0, 4), "run-");
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 4), std::string::npos) << a;
  EXPECT_EQ(EmbeddedRequestId("", 0), "run-a8c7f832281a39c5");  // FNV-1a 64 of eight zero bytes
}

TEST(EmbeddedTest, CpusPerWorker) {
  EXPECT_EQ(CpusPerWorker(16, 2), 8);
  EXPECT_EQ(CpusPerWorker(7, 2), 3);
  EXPECT_EQ(CpusPerWorker(2, 2), 1);
  EXPECT_EQ(CpusPerWorker(1, 4), 1);
}

TEST(EmbeddedTest, ParsePortFile) {
  EXPECT_EQ(*ParsePortFile("43123\n"), 43123);
  EXPECT_EQ(*ParsePortFile(" 127.0.0.1:5 "), 5);
  EXPECT_FALSE(ParsePortFile("").ok());
  EXPECT_FALSE(ParsePortFile("abc").ok());
  EXPECT_FALSE(ParsePortFile("70000").ok());
  EXPECT_FALSE(ParsePortFile("0").ok());
}

TEST(EmbeddedTest, FindBinaryNextToUsThenOnPath) {
  const std::string here = TempDir("find_here");
  const std::string on_path = TempDir("find_path");
  WriteScript(here + "/tool-a", "exit 0\n");
  std::ofstream(here + "/tool-b") << "not executable";
  WriteScript(on_path + "/tool-b", "exit 0\n");
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", ("/nonexistent:" + on_path).c_str(), 1);
  auto a = FindBinary("tool-a", here);
  auto b = FindBinary("tool-b", here);
  auto missing = FindBinary("tool-c", here);
  setenv("PATH", old_path.c_str(), 1);
  fs::remove_all(here);
  fs::remove_all(on_path);
  EXPECT_EQ(*a, here + "/tool-a");
  EXPECT_EQ(*b, on_path + "/tool-b");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_EQ(missing.status().message(), "cannot find tool-c: not in " + here +
                                            " (next to ecgbench) nor on PATH; build it (ninja tool-c) or install it "
                                            "next to ecgbench");
}

TEST(EmbeddedTest, LogTail) {
  const std::string dir = TempDir("tail");
  std::ofstream(dir + "/log") << "one\ntwo\nthree\n";
  EXPECT_EQ(LogTail(dir + "/log", 2), "  two\n  three\n");
  EXPECT_EQ(LogTail(dir + "/missing", 2), "");
  fs::remove_all(dir);
}

class LocalClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = TempDir(std::string("bin_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    state_ = TempDir(std::string("state_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.state_dir = state_;
    options_.bin_dir = bin_;
    options_.workers = 2;
    options_.cpus_per_worker = 3;
    options_.startup_timeout_ms = 5000;
    options_.stop_grace_ms = 2000;
    WriteScript(bin_ + "/ecgbench-worker", "echo \"$@\" >> \"" + state_ + "/workers.args\"\n" +
                                               "[ \"$4\" = local-2 ] && exit 7\nexec sleep 30\n");
  }
  void TearDown() override {
    fs::remove_all(bin_);
    fs::remove_all(state_);
  }
  absl::StatusOr<std::unique_ptr<LocalCluster>> Start(bool interrupt = false) {
    return LocalCluster::Start(options_, [interrupt] { return interrupt; }, &warnings_);
  }
  std::string bin_, state_;
  LocalClusterOptions options_;
  std::ostringstream warnings_;
};

TEST_F(LocalClusterTest, CoordinatorThatExitsEarlyShowsItsLog) {
  WriteScript(bin_ + "/ecgbench-coordinator", "echo \"args: $*\"\necho 'fatal: cannot open db' >&2\nexit 3\n");
  auto cluster = Start();
  ASSERT_FALSE(cluster.ok());
  const std::string msg(cluster.status().message());
  EXPECT_NE(msg.find("ecgbench-coordinator exited (exit code 3) before it was listening; last lines of " + state_ +
                     "/logs/coordinator.log:\n"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("  args: --listen 127.0.0.1:0 --port-file " + state_ + "/coordinator.port --db " + state_ +
                     "/coordinator.db --metrics-listen 127.0.0.1:0 --metrics-port-file " + state_ +
                     "/coordinator.metrics.port --auth-tokens " + state_ + "/auth/tokens\n  fatal: cannot open db\n"),
            std::string::npos)
      << msg;
}

TEST_F(LocalClusterTest, CoordinatorThatNeverListensTimesOut) {
  WriteScript(bin_ + "/ecgbench-coordinator", "exec sleep 30\n");
  options_.startup_timeout_ms = 300;
  auto cluster = Start();
  ASSERT_FALSE(cluster.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(cluster.status()));
  EXPECT_NE(cluster.status().message().find("ecgbench-coordinator did not write " + state_ +
                                            "/coordinator.port within 0.3 s"),
            std::string::npos)
      << cluster.status().message();
}

TEST_F(LocalClusterTest, InterruptDuringStartUp) {
  WriteScript(bin_ + "/ecgbench-coordinator", "exec sleep 30\n");
  auto cluster = Start(/*interrupt=*/true);
  ASSERT_FALSE(cluster.ok());
  EXPECT_TRUE(absl::IsCancelled(cluster.status()));
}

TEST_F(LocalClusterTest, StateDirInUse) {
  WriteScript(bin_ + "/ecgbench-coordinator", "exec sleep 30\n");
  const int fd = ::open((state_ + "/run.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto cluster = Start();
  ::close(fd);
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.status().message(), state_ + " is in use by another `ecgbench run`; wait for it or pass "
                                                 "--state-dir with another directory");
}

TEST_F(LocalClusterTest, MissingBinary) {
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", "/nonexistent", 1);
  auto cluster = Start();
  setenv("PATH", old_path.c_str(), 1);
  ASSERT_FALSE(cluster.ok());
  EXPECT_TRUE(absl::IsNotFound(cluster.status()));
}

TEST_F(LocalClusterTest, StartsCoordinatorThenWorkersAndStopsThem) {
  testing::FakeServer server;  // stands in for the coordinator's gRPC port
  WriteScript(bin_ + "/ecgbench-coordinator",
              "printf '" + std::to_string(server.port()) + "\\n' > \"$4.tmp\" && mv \"$4.tmp\" \"$4\"\nexec sleep 30\n");
  auto cluster = Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ((*cluster)->address(), server.address());
  EXPECT_EQ((*cluster)->state_dir(), state_);
  // local-2 exits at once: a warning, not an error, while local-1 runs.
  for (int i = 0; i < 200 && warnings_.str().empty(); ++i) {
    EXPECT_TRUE((*cluster)->Health().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(warnings_.str().rfind("ecgbench: warning: worker local-2 exited (exit code 7)", 0), 0u) << warnings_.str();
  auto args = common::ReadFile(state_ + "/workers.args");
  ASSERT_TRUE(args.ok());
  const std::string addr = server.address();
  EXPECT_NE(args->find("--coordinator " + addr + " --name local-1 --cpus 3 --metrics-listen 127.0.0.1:0 "
                       "--metrics-port-file " + state_ + "/worker-1.metrics.port --token-file " + state_ +
                       "/auth/worker.token\n"),
            std::string::npos)
      << *args;
  EXPECT_NE(args->find("--name local-2"), std::string::npos) << *args;
  // Fresh tokens, owner-only: the hashed token file for the coordinator, one token for the CLI and
  // one for the workers.
  for (const char* f : {"/auth/tokens", "/auth/admin.token", "/auth/worker.token"}) {
    struct stat st {};
    ASSERT_EQ(::stat((state_ + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  auto admin = common::ReadTokenFromFile(state_ + "/auth/admin.token");
  auto worker = common::ReadTokenFromFile(state_ + "/auth/worker.token");
  ASSERT_TRUE(admin.ok() && worker.ok());
  EXPECT_NE(*admin, *worker);
  EXPECT_EQ((*cluster)->client_security().token, *admin);
  EXPECT_EQ((*cluster)->admin_token_file(), state_ + "/auth/admin.token");
  auto entries = common::LoadTokenFile(state_ + "/auth/tokens");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "local-admin");
  EXPECT_EQ((*entries)[0].role, common::Role::kAdmin);
  EXPECT_EQ((*entries)[0].sha256_hex, common::Sha256Hex(*admin));
  EXPECT_EQ((*entries)[1].role, common::Role::kWorker);
  EXPECT_EQ((*entries)[1].sha256_hex, common::Sha256Hex(*worker));
  EXPECT_EQ(common::ReadFile(state_ + "/auth/tokens")->find(*admin), std::string::npos);
  (*cluster)->Stop();
  EXPECT_FALSE((*cluster)->Health().ok());
  // The lock is released: a second cluster may use the directory.
  auto again = Start();
  ASSERT_TRUE(again.ok()) << again.status();
}

TEST_F(LocalClusterTest, DataRootsReachTheCoordinatorAndEveryWorker) {
  testing::FakeServer server;
  WriteScript(bin_ + "/ecgbench-coordinator", "echo \"$@\" > \"" + state_ + "/coordinator.args\"\n" +
                                                  "printf '" + std::to_string(server.port()) +
                                                  "\\n' > \"$4.tmp\" && mv \"$4.tmp\" \"$4\"\nexec sleep 30\n");
  options_.data_roots = {"/data", "/models"};
  auto cluster = Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto coordinator = common::ReadFile(state_ + "/coordinator.args");
  ASSERT_TRUE(coordinator.ok());
  EXPECT_NE(coordinator->find("/auth/tokens --data-root /data --data-root /models\n"), std::string::npos) << *coordinator;
  std::string workers;
  for (int i = 0; i < 200; ++i) {
    workers = common::ReadFile(state_ + "/workers.args").value_or("");
    if (workers.find("local-1") != std::string::npos && workers.find("local-2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(workers.find("local-1 --cpus 3 --metrics-listen 127.0.0.1:0 --metrics-port-file " + state_ +
                         "/worker-1.metrics.port --token-file " + state_ +
                         "/auth/worker.token --data-root /data --data-root /models\n"),
            std::string::npos)
      << workers;
  EXPECT_NE(workers.find("/worker-2.metrics.port --token-file " + state_ +
                         "/auth/worker.token --data-root /data --data-root /models\n"),
            std::string::npos)
      << workers;
}

}  // namespace
}  // namespace ecgbench::client
