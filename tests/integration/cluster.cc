// TestCluster implementation.
#include "tests/integration/cluster.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/rpc/channel.h"
#include "common/rpc/status_conversion.h"
#include "common/security/certificates.h"
#include "common/security/crypto.h"
#include "common/security/token_file.h"
#include "common/util/files.h"
#include "common/util/ids.h"

namespace ecgbench::testing {

std::string BinPath(const std::string& name) { return std::string(ECGBENCH_BIN_DIR) + "/" + name; }

TestCluster::TestCluster(ClusterOptions options) : options_(options) {
  dir_ = (std::filesystem::temp_directory_path() / ("ecgbench_it_" + common::RandomHex(6))).string();
  std::filesystem::create_directories(dir_);
  if (options_.secure) WriteSecurityFiles();
}

void TestCluster::WriteSecurityFiles() {
  std::filesystem::create_directories(dir_ + "/auth");
  if (auto st = common::GenerateCertificates({dir_ + "/tls", {}, 30}); !st.ok()) ADD_FAILURE() << st;
  std::string lines;
  for (const auto& [name, role] : std::vector<std::pair<std::string, common::Role>>{
           {"admin", common::Role::kAdmin}, {"worker", common::Role::kWorker},
           {"alice", common::Role::kSubmitter}, {"eve", common::Role::kViewer}}) {
    auto token = common::NewRandomToken();
    if (!token.ok()) ADD_FAILURE() << token.status();
    lines += common::TokenFileLine(name, role, *token) + "\n";
    if (auto st = common::WritePrivateFile(TokenFile(name), *token + "\n"); !st.ok()) ADD_FAILURE() << st;
  }
  if (auto st = common::WritePrivateFile(dir_ + "/auth/tokens", lines); !st.ok()) ADD_FAILURE() << st;
}

common::ChannelSecurity TestCluster::ClientSecurity(const std::string& identity) const {
  if (!options_.secure) return {};
  auto security = common::LoadChannelSecurity(
      {TlsFile("ca.crt"), TlsFile("client.crt"), TlsFile("client.key"), "", TokenFile(identity)});
  if (!security.ok()) ADD_FAILURE() << security.status();
  return security.ok() ? *security : common::ChannelSecurity{};
}

TestCluster::~TestCluster() {
  for (auto& [name, w] : workers_) {
    w->Signal(SIGCONT);  // a suspended worker cannot act on SIGTERM
    w->Stop(3000);
  }
  if (coordinator_) coordinator_->Stop(3000);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::StatusOr<int> TestCluster::ReadPortFile(const std::string& path, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = common::ReadFile(path);
    int port = 0;
    if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &port) && port > 0) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat(path, ": no port after ", timeout_ms, " ms\n", DumpLogs()));
}

absl::Status TestCluster::StartCoordinator() {
  const std::string port_file = dir_ + "/coordinator.port", metrics_file = dir_ + "/coordinator.metrics.port";
  std::filesystem::remove(port_file);
  std::filesystem::remove(metrics_file);
  std::vector<std::string> argv = {BinPath("ecgbench-coordinator"),
                                   "--listen", absl::StrCat("127.0.0.1:", port_),
                                   "--metrics-listen", absl::StrCat("127.0.0.1:", metrics_port_),
                                   "--db", dir_ + "/coordinator.db",
                                   "--port-file", port_file,
                                   "--metrics-port-file", metrics_file,
                                   "--lease-ms", std::to_string(options_.lease_ms),
                                   "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
                                   "--retry-backoff-ms", std::to_string(options_.retry_backoff_ms),
                                   "--log-level", "debug"};
  if (options_.secure) {
    argv.insert(argv.end(), {"--tls-cert", TlsFile("server.crt"), "--tls-key", TlsFile("server.key"),
                             "--tls-client-ca", TlsFile("ca.crt"), "--auth-tokens", dir_ + "/auth/tokens"});
  }
  auto child = common::ChildProcess::Spawn(argv, {}, dir_ + "/coordinator.log");
  if (!child.ok()) return child.status();
  coordinator_ = std::move(*child);
  auto port = ReadPortFile(port_file, 20000);
  if (!port.ok()) return port.status();
  auto mport = ReadPortFile(metrics_file, 5000);
  if (!mport.ok()) return mport.status();
  port_ = *port;
  metrics_port_ = *mport;
  auto channel = common::MakeChannel({address(), ClientSecurity("admin")});
  if (!common::WaitForConnected(channel, std::chrono::seconds(10))) {
    return absl::UnavailableError("coordinator did not accept connections\n" + DumpLogs());
  }
  stub_ = v1::Coordinator::NewStub(channel);
  return absl::OkStatus();
}

void TestCluster::KillCoordinator() {
  if (!coordinator_) return;
  coordinator_->Signal(SIGKILL);
  (void)coordinator_->Wait(5000);
  coordinator_.reset();
}

absl::Status TestCluster::StartWorker(const std::string& name, int cpus, const WorkerOptions& worker) {
  const std::string metrics_file = dir_ + "/" + name + ".metrics.port";
  std::filesystem::remove(metrics_file);
  const std::string coordinator = worker.coordinator.empty() ? address() : worker.coordinator;
  std::vector<std::string> argv = {BinPath("ecgbench-worker"), "--coordinator", coordinator, "--name", name,
                                   "--cpus", std::to_string(cpus), "--metrics-listen", "127.0.0.1:0",
                                   "--metrics-port-file", metrics_file, "--shutdown-grace-ms", "5000",
                                   "--work-dir", dir_ + "/work", "--artifact-root", dir_ + "/artifacts",
                                   "--log-level", "debug"};
  if (options_.secure) {
    argv.insert(argv.end(), {"--tls-ca", TlsFile("ca.crt"), "--tls-cert", TlsFile("client.crt"), "--tls-key",
                             TlsFile("client.key"), "--token-file", TokenFile("worker")});
  }
  argv.insert(argv.end(), worker.extra_args.begin(), worker.extra_args.end());
  auto child = common::ChildProcess::Spawn(argv, {}, dir_ + "/" + name + ".log");
  if (!child.ok()) return child.status();
  workers_[name] = std::move(*child);
  auto port = ReadPortFile(metrics_file, 20000);
  if (!port.ok()) return port.status();
  worker_metrics_ports_[name] = *port;
  return absl::OkStatus();
}

void TestCluster::KillWorker(const std::string& name) {
  auto it = workers_.find(name);
  if (it == workers_.end()) return;
  it->second->Signal(SIGKILL);
  (void)it->second->Wait(5000);
}

int TestCluster::TerminateWorker(const std::string& name) {
  auto it = workers_.find(name);
  if (it == workers_.end()) return -1;
  it->second->Signal(SIGTERM);
  auto status = it->second->Wait(30000);
  if (!status.ok()) return -1;
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

void TestCluster::SuspendWorker(const std::string& name) {
  auto it = workers_.find(name);
  if (it != workers_.end()) it->second->Signal(SIGSTOP);
}

void TestCluster::ResumeWorker(const std::string& name) {
  auto it = workers_.find(name);
  if (it != workers_.end()) it->second->Signal(SIGCONT);
}

std::string TestCluster::WorkerLog(const std::string& name) const {
  auto text = common::ReadFile(dir_ + "/" + name + ".log");
  return text.ok() ? *text : std::string();
}

bool TestCluster::WaitForWorkerLog(const std::string& name, const std::string& text, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (WorkerLog(name).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool TestCluster::WorkerRunning(const std::string& name) {
  auto it = workers_.find(name);
  return it != workers_.end() && it->second->running();
}

int TestCluster::WorkerMetricsPort(const std::string& name) { return worker_metrics_ports_[name]; }

v1::Coordinator::Stub& TestCluster::client() { return *stub_; }

absl::Status TestCluster::WaitForWorkers(int n, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int live = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext ctx;
    v1::ListWorkersRequest req;
    v1::ListWorkersResponse resp;
    if (stub_->ListWorkers(&ctx, req, &resp).ok()) {
      live = resp.workers_size();
      if (live >= n) return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(live, " of ", n, " workers registered\n", DumpLogs()));
}

absl::StatusOr<v1::Experiment> TestCluster::Get(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetExperimentRequest req;
  req.set_id(id);
  v1::GetExperimentResponse resp;
  auto st = stub_->GetExperiment(&ctx, req, &resp);
  if (!st.ok()) return common::ToAbslStatus(st);
  return resp.experiment();
}

absl::StatusOr<v1::Experiment> TestCluster::WaitForState(const std::string& id, v1::State state, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  v1::State last = v1::STATE_UNSPECIFIED;
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = Get(id);
    if (e.ok()) {
      last = e->state();
      if (last == state) return e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("experiment ", id, " still in state ", v1::State_Name(last),
                                                  " after ", timeout_ms, " ms\n", DumpLogs()));
}

absl::StatusOr<v1::Experiment> TestCluster::WaitForTerminal(const std::string& id, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = Get(id);
    if (e.ok() && (e->state() == v1::STATE_SUCCEEDED || e->state() == v1::STATE_FAILED ||
                   e->state() == v1::STATE_CANCELLED)) {
      return e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("experiment ", id, " not terminal after ", timeout_ms, " ms\n",
                                                  DumpLogs()));
}

absl::StatusOr<std::string> TestCluster::Submit(const std::string& yaml, const std::string& request_id) {
  grpc::ClientContext ctx;
  v1::SubmitExperimentRequest req;
  req.set_spec_yaml(yaml);
  req.set_spec_name("test.yaml");
  req.set_request_id(request_id);
  v1::SubmitExperimentResponse resp;
  auto st = stub_->SubmitExperiment(&ctx, req, &resp);
  if (!st.ok()) return common::ToAbslStatus(st);
  return resp.experiment().id();
}

std::vector<v1::Event> TestCluster::Events(const std::string& id, bool follow) {
  grpc::ClientContext ctx;
  // Without follow, the deadline ends the stream once the committed events are sent (they come at
  // once; the stream then waits for news).
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(follow ? 300 : 1));
  v1::WatchExperimentRequest req;
  req.set_id(id);
  auto reader = stub_->WatchExperiment(&ctx, req);
  std::vector<v1::Event> events;
  v1::Event ev;
  while (reader->Read(&ev)) events.push_back(ev);
  grpc::Status st = reader->Finish();
  if (follow && !st.ok()) ADD_FAILURE() << "WatchExperiment " << id << ": " << st.error_message();
  return events;
}

std::vector<v1::LogLine> TestCluster::Logs(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::StreamLogsRequest req;
  req.set_experiment_id(id);
  auto reader = stub_->StreamLogs(&ctx, req);
  std::vector<v1::LogLine> lines;
  v1::LogLine line;
  while (reader->Read(&line)) lines.push_back(line);
  grpc::Status st = reader->Finish();
  if (!st.ok()) ADD_FAILURE() << "StreamLogs " << id << ": " << st.error_message();
  return lines;
}

std::map<std::string, int> TestCluster::TaskSuccesses(const std::string& id) {
  std::map<std::string, int> successes;
  int64_t prev = 0;
  for (const v1::Event& ev : Events(id, /*follow=*/true)) {
    EXPECT_GT(ev.seq(), prev);
    prev = ev.seq();
    if (ev.has_state_change() && ev.state_change().entity() == "task" &&
        ev.state_change().state() == v1::STATE_SUCCEEDED) {
      ++successes[ev.state_change().entity_id()];
    }
  }
  return successes;
}

std::vector<std::string> TestCluster::LiveWorkers() {
  std::vector<std::string> names;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListWorkersResponse resp;
  if (!stub_->ListWorkers(&ctx, v1::ListWorkersRequest(), &resp).ok()) return names;
  for (const auto& w : resp.workers()) {
    if (w.state() == v1::WORKER_STATE_ACTIVE || w.state() == v1::WORKER_STATE_DRAINING) names.push_back(w.name());
  }
  return names;
}

std::string TestCluster::RunningOn(const std::string& id, int stage, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = Get(id);
    if (e.ok() && e->runs_size() && e->runs(0).stages_size() > stage && e->runs(0).stages(stage).tasks_size() &&
        e->runs(0).stages(stage).tasks(0).state() == v1::STATE_RUNNING &&
        e->runs(0).stages(stage).tasks(0).worker_ids_size()) {
      const std::string wid = e->runs(0).stages(stage).tasks(0).worker_ids(0);
      grpc::ClientContext ctx;
      v1::ListWorkersResponse resp;
      if (stub_->ListWorkers(&ctx, v1::ListWorkersRequest(), &resp).ok()) {
        for (const auto& w : resp.workers()) {
          if (w.id() == wid) return w.name();
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

CommandResult TestCluster::Shell(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

CommandResult TestCluster::Cli(const std::vector<std::string>& args) { return CliAs("admin", args); }

CommandResult TestCluster::CliAs(const std::string& identity, const std::vector<std::string>& args) {
  std::string cmd = BinPath("ecgbench") + " --coordinator " + address();
  if (options_.secure) {
    cmd += " --tls-ca " + TlsFile("ca.crt") + " --tls-cert " + TlsFile("client.crt") + " --tls-key " +
           TlsFile("client.key") + " --token-file " + TokenFile(identity);
  }
  for (const auto& a : args) {
    std::string q = "'";
    for (char c : a) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    cmd += " " + q + "'";
  }
  return Shell(cmd);
}

std::string TestCluster::DumpLogs() const {
  std::ostringstream out;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().extension() != ".log") continue;
    auto text = common::ReadFile(entry.path().string());
    if (!text.ok()) continue;
    std::string tail = text->size() > 6000 ? text->substr(text->size() - 6000) : *text;
    out << "----- " << entry.path().filename().string() << " (tail) -----\n" << tail << "\n";
  }
  return out.str();
}

}  // namespace ecgbench::testing
